"""Email: a leaflet as a MIME message, written as an ``.eml`` draft or sent over SMTP.

Plain functions on plain data, like every stage: :func:`build_message` makes the message
(standard library ``email``), :func:`write_eml` writes a draft that mail programs open,
:func:`send_smtp` hands it to a mail server (standard library ``smtplib``).

Privacy: the subject is generic ("Information from <clinic>"); it never names the topic, a
diagnosis or the patient. The body is the same for every leaflet. Nothing here prints or
logs the recipient's address or the patient's details, and server replies quoted in error
messages have the recipient's address masked.
"""

from __future__ import annotations

import hashlib
import ipaddress
import re
import smtplib
import socket
import ssl
import sys
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from urllib.parse import urlsplit

from handout_builder.domain.problems import EmailFailed, InvalidOption, Problem
from handout_builder.sources.loader import LoadedBrand, LoadedTopic
from handout_builder.domain.wording import messages_for
from handout_builder.domain.personal import COMMAND_LINE
from handout_builder.domain.options import DEFAULT_MAX_BYTES
from handout_builder.output.store import output_path, write_atomic, write_personal

#: Environment variable that holds the SMTP password (never a command-line argument).
PASSWORD_VARIABLE = "MAKE_HANDOUT_SMTP_PASSWORD"
#: Seconds to wait for the mail server at each step.
SMTP_TIMEOUT = 30.0
#: Seconds the whole conversation with the mail server may take, however it trickles.
SMTP_DEADLINE = 120.0
#: The longest reply a server may send to one command: lines and bytes. Real servers send a
#: dozen short lines at most (the EHLO reply); smtplib bounds only the length of each line.
MAX_REPLY_LINES = 100
MAX_REPLY_BYTES = 64 * 1024
MASK = "<recipient>"

# A plain addr-spec: local@domain, no spaces, quotes, angle brackets or control characters.
_ADDRESS = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?$"
)


@dataclass(frozen=True)
class SmtpServer:
    """Where and how to send: ``host:port``, STARTTLS or not, an optional login."""

    host: str
    port: int
    starttls: bool = False
    user: str | None = None
    password: str | None = None

    def __repr__(self) -> str:  # the password never shows in a traceback
        return f"SmtpServer({self.host}:{self.port}, starttls={self.starttls}, user={self.user!r})"

    @property
    def where(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def is_loopback(self) -> bool:
        if self.host == "localhost":
            return True
        try:
            return ipaddress.ip_address(self.host.strip("[]")).is_loopback
        except ValueError:
            return False


# --------------------------------------------------------------------------------------
# Checking the command-line values (messages never repeat an address)
# --------------------------------------------------------------------------------------


def check_address(value: str, option: str) -> str:
    """One plain email address (``name@example.org``), or :class:`InvalidOption`."""
    value = value.strip()
    if len(value) > 254 or not _ADDRESS.fullmatch(value) or ".." in value:
        raise InvalidOption(
            Problem(
                COMMAND_LINE,
                "This is not a single email address.",
                "Give one address written like name@example.org (no name, no angle brackets).",
                field=option,
            )
        )
    return value


def parse_server(value: str) -> tuple[str, int]:
    """``HOST:PORT`` (``[::1]:PORT`` for IPv6) -> (host, port), or :class:`InvalidOption`."""
    match = re.fullmatch(r"(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})", value.strip())
    port = int(match.group(2)) if match else 0
    if not match or not 0 < port < 65536:
        raise InvalidOption(
            Problem(
                COMMAND_LINE,
                f"'{value}' is not a mail server written as HOST:PORT.",
                "Write it like smtp.example.org:587 (STARTTLS) or localhost:25.",
                field="--smtp",
            )
        )
    return match.group(1).strip("[]"), port


def default_sender(brand: LoadedBrand) -> str:
    """``no-reply@<the brand's web domain>``; :class:`InvalidOption` when the brand has none."""
    web = brand.brand.contact.web or ""
    host = urlsplit(web if "://" in web else f"//{web}").hostname or ""
    host = host.removeprefix("www.")
    address = f"no-reply@{host}"
    if not host or not _ADDRESS.fullmatch(address):
        raise InvalidOption(
            Problem(
                COMMAND_LINE,
                "The brand has no web address to make a sender address from.",
                "Give the sender with --from, e.g. --from reception@your-clinic.example.",
                field="--from",
            )
        )
    return address


def check_size(size: int, budget: int = DEFAULT_MAX_BYTES, handout_id: str = "leaflet") -> None:
    """Refuse an attachment over the budget, saying how large it is and what to do."""
    if size > budget:
        raise EmailFailed(
            Problem(
                f"{handout_id}.pdf",
                f"The leaflet is {size / 1_000_000:.2f} MB, over the {budget / 1_000_000:.2f} MB "
                "limit for an email attachment; nothing was written or sent.",
                "Print it or hand it over another way, or raise the limit with --max-size if "
                "you know the recipient's mailbox accepts larger files.",
            )
        )


# --------------------------------------------------------------------------------------
# The message
# --------------------------------------------------------------------------------------


def contact_line(brand: LoadedBrand, language: str) -> str:
    """The clinic's contact line, as printed on the leaflet."""
    t = messages_for(language)
    b = brand.brand
    parts = [b.name]
    if b.contact.phone:
        parts.append(f"{t.phone} {b.contact.phone}")
    if b.contact.web:
        parts.append(b.contact.web)
    if b.contact.address:
        parts.append(b.contact.address)
    return " · ".join(parts)


def message_body(loaded: LoadedTopic, brand: LoadedBrand) -> str:
    """A short plain-language body in the topic's language, the same for every leaflet."""
    t = messages_for(loaded.topic.language)
    clinic = brand.brand.name
    return (
        f"{t.email_greeting}\n\n"
        f"{t.format('email_body', clinic=clinic)}\n\n"
        f"{t.email_questions}\n{contact_line(brand, loaded.topic.language)}\n\n"
        f"{t.email_no_reply}\n\n"
        f"{t.email_closing}\n{clinic}\n"
    )


def build_message(
    pdf_bytes: bytes,
    loaded: LoadedTopic,
    brand: LoadedBrand,
    to: str,
    sender: str | None = None,
    when: datetime | None = None,
    draft: bool = False,
) -> EmailMessage:
    """The email: a generic subject, a short body, the leaflet attached as ``<id>.pdf``.

    ``when`` sets the Date header (default: now). The Message-ID and the MIME boundary are
    derived from the content and the date, so the same inputs give the same bytes.
    ``draft`` adds ``X-Unsent: 1``, which makes mail programs open the file as a draft to send.
    """
    to = check_address(to, "--to")
    sender = check_address(sender, "--from") if sender else default_sender(brand)
    when = when or datetime.now(timezone.utc)
    t = messages_for(loaded.topic.language)
    clinic = brand.brand.name
    digest = hashlib.sha256(
        b"\0".join([pdf_bytes, to.encode(), sender.encode(), when.isoformat().encode()])
    ).hexdigest()

    msg = EmailMessage()
    msg["Subject"] = t.format("email_subject", clinic=clinic)
    msg["From"] = Address(display_name=clinic, addr_spec=sender)
    msg["To"] = to
    msg["Date"] = format_datetime(when)
    msg["Message-ID"] = f"<{digest[:32]}@{sender.rsplit('@', 1)[1]}>"
    if draft:
        msg["X-Unsent"] = "1"
    msg.set_content(message_body(loaded, brand), charset="utf-8")
    msg.add_attachment(
        pdf_bytes, maintype="application", subtype="pdf", filename=f"{loaded.id}.pdf"
    )
    msg["Content-Language"] = loaded.topic.language  # after set_content, which clears Content-*
    msg.set_boundary(f"=_make_handout_{digest[32:56]}")
    return msg


def write_eml(msg: EmailMessage, path: Path) -> None:
    """Write the message as an ``.eml`` file (atomically), which mail programs open."""
    write_atomic(path, msg.as_bytes())


# --------------------------------------------------------------------------------------
# Sending
# --------------------------------------------------------------------------------------


def _mask(text: str, to: str) -> str:
    """A server's reply with the recipient's address hidden."""
    return re.sub(re.escape(to), MASK, text, flags=re.IGNORECASE) if to else text


def _reply(code: int, message: bytes | str, to: str) -> str:
    text = message.decode("utf-8", "replace") if isinstance(message, bytes) else str(message)
    return _mask(f"{code} {' '.join(text.split())}", to)


def _failed(server: SmtpServer, message: str, fix: str) -> EmailFailed:
    return EmailFailed(
        Problem(f"mail server {server.where}", message + " The message was not sent.", fix)
    )


# Not OSError (nor smtplib.SMTPException, which is one): smtplib would turn them into
# "connection unexpectedly closed". send_smtp turns them into plain errors.
class ReplyTooLong(Exception):
    """The server's reply to one command is longer than any mail server sends."""


class DeadlinePassed(Exception):
    """The whole conversation took longer than its deadline."""


class _ReplyReader:
    """Reads the server's replies from the socket, within the deadline and the reply bounds.

    Takes the place of smtplib's buffered file: every ``recv`` waits at most the time left
    (a server that trickles a byte at a time cannot stretch the conversation), and one reply
    may have at most :data:`MAX_REPLY_LINES` lines and :data:`MAX_REPLY_BYTES` bytes (a
    server that floods ``250-`` lines cannot grow the client).
    """

    def __init__(self, smtp: _BoundedSMTP):
        self.smtp = smtp
        self.sock = smtp.sock
        self.buffer = b""
        self.lines = 0
        self.size = 0

    def readline(self, limit: int) -> bytes:
        while b"\n" not in self.buffer and len(self.buffer) < limit:
            chunk = self.smtp.bounded(self.sock.recv, 4096)
            if not chunk:
                break
            self.buffer += chunk
        end = self.buffer.find(b"\n") + 1 or len(self.buffer)
        end = min(end, limit)
        line, self.buffer = self.buffer[:end], self.buffer[end:]
        self.lines += 1
        self.size += len(line)
        if self.lines > MAX_REPLY_LINES or self.size > MAX_REPLY_BYTES:
            raise ReplyTooLong(
                f"over {MAX_REPLY_LINES} lines or {MAX_REPLY_BYTES // 1024} KB in one reply"
            )
        return line

    def close(self) -> None:
        self.buffer = b""


class _BoundedSMTP(smtplib.SMTP):
    """smtplib's client with every socket operation bounded by one deadline for the whole
    conversation (connecting, each read, each write), and each reply bounded in size."""

    def __init__(self, host: str, port: int, timeout: float, deadline: float):
        self.timeout_each = timeout
        self.deadline = time.monotonic() + deadline
        try:  # connects and reads the greeting
            super().__init__(host, port, timeout=min(timeout, deadline))
        except BaseException:
            self.close()  # smtplib leaves the socket open when the greeting fails
            raise

    def remaining(self) -> float:
        """Seconds to wait for the next operation; :class:`DeadlinePassed` when none are left."""
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise DeadlinePassed("the conversation took too long")
        return min(left, self.timeout_each)

    def bounded(self, operation, *args):
        """Run one socket operation with the time left (re-checked after a timeout)."""
        self.sock.settimeout(self.remaining())
        try:
            return operation(*args)
        except (TimeoutError, socket.timeout):
            self.remaining()  # the deadline, rather than the wait for one answer, ran out?
            raise

    def getreply(self):
        if not isinstance(self.file, _ReplyReader) or self.file.sock is not self.sock:
            self.file = _ReplyReader(self)  # a new one after STARTTLS too
        self.file.lines = self.file.size = 0
        return super().getreply()

    def send(self, s):
        if not self.sock:
            raise smtplib.SMTPServerDisconnected("please run connect() first")
        if isinstance(s, str):
            s = s.encode(self.command_encoding)
        sys.audit("smtplib.send", self, s)
        view = memoryview(s)
        try:  # in pieces, so that a server reading slowly cannot stretch the deadline either
            for start in range(0, len(view), 16 * 1024):
                self.bounded(self.sock.sendall, view[start:start + 16 * 1024])
        except (TimeoutError, socket.timeout):
            self.close()
            raise
        except OSError:
            self.close()
            raise smtplib.SMTPServerDisconnected("Server not connected") from None


def send_smtp(
    msg: EmailMessage,
    server: SmtpServer,
    timeout: float | None = None,
    tls_context: ssl.SSLContext | None = None,
    deadline: float | None = None,
) -> None:
    """Hand ``msg`` to the mail server; returns only when the server accepted it.

    ``tls_context`` is for STARTTLS; the default verifies the server's certificate against
    the system's trusted authorities and its host name. ``timeout`` is how long to wait for
    each answer (default :data:`SMTP_TIMEOUT`), ``deadline`` how long the whole conversation
    may take (default :data:`SMTP_DEADLINE`); each reply is bounded in size
    (:data:`MAX_REPLY_LINES`, :data:`MAX_REPLY_BYTES`).

    Every failure (no connection, no STARTTLS, refused login, refused sender or recipient,
    refused message, timeout, an endless or overlong reply) raises :class:`EmailFailed` with
    a plain message and fix. A password is only sent over STARTTLS, or to a server on this
    machine (loopback).
    """
    timeout = SMTP_TIMEOUT if timeout is None else timeout
    deadline = SMTP_DEADLINE if deadline is None else deadline
    to = str(msg["To"])
    if server.user and not server.starttls and not server.is_loopback:
        raise _failed(
            server,
            "A password would travel unencrypted to this server.",
            "Add --starttls (most servers use port 587 for it).",
        )
    smtp: smtplib.SMTP | None = None
    try:
        smtp = _BoundedSMTP(server.host, server.port, timeout, deadline)
        _transact(smtp, msg, server, to, tls_context or ssl.create_default_context())
        _quit(smtp)
    except EmailFailed:
        raise
    except DeadlinePassed:
        raise _failed(
            server, f"The mail server did not finish within {deadline:g} seconds (it answers "
            "far too slowly).",
            "Check the host and port, and that the server is working; try again later.",
        ) from None
    except ReplyTooLong as exc:
        raise _failed(
            server, f"The mail server's reply is far too long ({exc}): this is not a "
            "working mail server, or something on the network interferes.",
            "Check the host and port, and the network; try again later.",
        ) from None
    except smtplib.SMTPAuthenticationError as exc:
        raise _failed(
            server,
            "The server refused the user name or password "
            f"({_reply(exc.smtp_code, exc.smtp_error, to)}).",
            f"Check --user and the password in the environment variable {PASSWORD_VARIABLE}.",
        ) from None
    except smtplib.SMTPRecipientsRefused as exc:
        code, reply = next(iter(exc.recipients.values()))
        raise _failed(
            server,
            f"The server refused the recipient address ({_reply(code, reply, to)}).",
            "Check the address with the patient; some servers only deliver to their own domain.",
        ) from None
    except smtplib.SMTPSenderRefused as exc:
        raise _failed(
            server,
            f"The server refused the sender address ({_reply(exc.smtp_code, exc.smtp_error, to)}).",
            "Give a sender address this server accepts with --from.",
        ) from None
    except smtplib.SMTPDataError as exc:
        raise _failed(
            server,
            f"The server refused the message ({_reply(exc.smtp_code, exc.smtp_error, to)}).",
            "Read the server's reply; a size limit may need a smaller --max-size budget.",
        ) from None
    except smtplib.SMTPNotSupportedError as exc:
        raise _failed(
            server, f"The server does not support a needed command ({exc}).",
            "Check the server and port.",
        ) from None
    except smtplib.SMTPResponseException as exc:
        raise _failed(
            server,
            f"The server answered with an error ({_reply(exc.smtp_code, exc.smtp_error, to)}).",
            "Check the server and port, then try again.",
        ) from None
    except smtplib.SMTPServerDisconnected as exc:
        if "timed out" in str(exc):
            raise _failed(
                server, f"The mail server did not answer within {timeout:g} seconds.",
                "Check the host and port, and that the server is running.",
            ) from None
        raise _failed(
            server, "The server closed the connection.",
            "Check the server and port (a TLS-only port such as 465 is not supported), then "
            "try again.",
        ) from None
    except ssl.SSLError as exc:
        raise _failed(
            server, f"The encrypted connection failed ({exc.reason or exc}).",
            "Check the server name and its certificate.",
        ) from None
    except socket.gaierror:
        raise _failed(
            server, f"The mail server name '{server.host}' cannot be found.",
            "Check the spelling of the host name and the network connection.",
        ) from None
    except (TimeoutError, socket.timeout):
        raise _failed(
            server, f"The mail server did not answer within {timeout:g} seconds.",
            "Check the host and port, and that the server is running.",
        ) from None
    except ConnectionRefusedError:
        raise _failed(
            server, "The connection was refused: nothing is listening there.",
            "Check the host and port, and that the mail server is running.",
        ) from None
    except smtplib.SMTPException as exc:
        raise _failed(server, f"Sending failed ({_mask(str(exc), to)}).", "Try again.") from None
    except OSError as exc:
        raise _failed(
            server, f"The connection failed ({exc.strerror or exc}).",
            "Check the host and port and the network connection.",
        ) from None
    finally:
        if smtp is not None:
            smtp.close()


def _transact(
    smtp: smtplib.SMTP, msg: EmailMessage, server: SmtpServer, to: str, context: ssl.SSLContext
) -> None:
    """EHLO, STARTTLS, AUTH, then the message; returns only when the server accepted it."""
    smtp.ehlo()
    if server.starttls:
        if not smtp.has_extn("starttls"):
            raise _failed(
                server,
                "The server does not offer STARTTLS (encryption).",
                "Check the port (587 is usual for STARTTLS), or leave out --starttls "
                "for a server on this machine.",
            )
        smtp.starttls(context=context)
        smtp.ehlo()
    if server.user:
        if not smtp.has_extn("auth"):
            raise _failed(
                server,
                "The server does not offer login (AUTH).",
                "Leave out --user, or check the server and port.",
            )
        smtp.login(server.user, server.password or "")
    refused = smtp.send_message(msg)
    if refused:  # some recipients refused (not expected with one recipient, but be sure)
        code, reply = next(iter(refused.values()))
        raise _failed(
            server,
            f"The server refused the recipient address ({_reply(code, reply, to)}).",
            "Check the address with the patient.",
        )


def _quit(smtp: smtplib.SMTP) -> None:
    """Say goodbye; once the server has accepted the message, a failed QUIT changes nothing."""
    try:
        smtp.quit()
    except (smtplib.SMTPException, OSError, ReplyTooLong, DeadlinePassed):
        smtp.close()


def write_draft(
    msg: EmailMessage,
    handout_id: str,
    *,
    file: Path | None = None,
    folder: Path | None = None,
    personal: bool = False,
    source: str = "",
) -> Path:
    """Write the message as a draft: to ``file``, or into ``folder`` as ``<id>.eml`` (a
    personal copy as a new ``<id>.personal-<token>.eml``, never over another patient's
    draft). Returns where it was written."""
    if folder is None:
        assert file is not None, "a draft needs a file or a folder"
        write_eml(msg, file)
        return file
    if personal:
        return write_personal(folder, handout_id, ".eml", msg.as_bytes(), source=source)
    target = output_path(folder, handout_id, ".eml", source=source)
    write_eml(msg, target)
    return target

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
from dataclasses import dataclass
from datetime import datetime, timezone
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from urllib.parse import urlsplit

from .errors import EmailFailed, InvalidOption, Problem
from .loader import LoadedBrand, LoadedTopic
from .messages import messages_for
from .personal import COMMAND_LINE
from .options import DEFAULT_MAX_BYTES
from .publish import write_atomic

#: Environment variable that holds the SMTP password (never a command-line argument).
PASSWORD_VARIABLE = "MAKE_HANDOUT_SMTP_PASSWORD"
#: Seconds to wait for the mail server at each step.
SMTP_TIMEOUT = 30.0
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


def send_smtp(
    msg: EmailMessage,
    server: SmtpServer,
    timeout: float = SMTP_TIMEOUT,
    tls_context: ssl.SSLContext | None = None,
) -> None:
    """Hand ``msg`` to the mail server; returns only when the server accepted it.

    ``tls_context`` is for STARTTLS; the default verifies the server's certificate against
    the system's trusted authorities and its host name.

    Every failure (no connection, no STARTTLS, refused login, refused sender or recipient,
    refused message, timeout) raises :class:`EmailFailed` with a plain message and fix.
    A password is only sent over STARTTLS, or to a server on this machine (loopback).
    """
    to = str(msg["To"])
    if server.user and not server.starttls and not server.is_loopback:
        raise _failed(
            server,
            "A password would travel unencrypted to this server.",
            "Add --starttls (most servers use port 587 for it).",
        )
    smtp: smtplib.SMTP | None = None
    try:
        smtp = smtplib.SMTP(server.host, server.port, timeout=timeout)
        _transact(smtp, msg, server, to, tls_context or ssl.create_default_context())
        _quit(smtp)
    except EmailFailed:
        raise
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
    except (smtplib.SMTPException, OSError):
        smtp.close()

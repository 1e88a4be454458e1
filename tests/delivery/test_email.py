"""Email: the message, the .eml draft, and sending to a real SMTP server on loopback."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import ipaddress
import re
import socket
import ssl
import threading
import time
from pathlib import Path

import pytest

from handout_builder.delivery import email as mail
from handout_builder.cli import main
from handout_builder.domain.problems import EmailFailed, InvalidOption
from handout_builder.sources.loader import load_brand, load_topic
from handout_builder.domain.personal import personal_copy
from handout_builder.service import check_review, render_topic

from tests.conftest import MINIMAL_TOPIC, SAMPLE, TEST_TODAY
from tests.lazy import lazy

pdfplumber = lazy("pdfplumber")

TO = "pat.ient@example.org"
NAME = "Zorblax Quennington"
WHEN = dt.datetime(2024, 3, 14, 9, 30, tzinfo=dt.timezone.utc)


def run(*args):
    return main([str(a) for a in args])


def parse(data: bytes) -> email.message.EmailMessage:
    return email.message_from_bytes(data, policy=email.policy.default)


def attachments(msg):
    return [(part.get_filename(), part.get_content()) for part in msg.iter_attachments()]


@pytest.fixture(scope="module")
def personal_pdf(renderer) -> bytes:
    """The sample rendered for one patient, once for this module, as `email` renders it (the
    review policy judged on TEST_TODAY, given explicitly)."""
    loaded = load_topic(SAMPLE)
    _, watermark = check_review(loaded, TEST_TODAY)
    return render_topic(loaded, renderer, watermark=watermark, personal=personal_copy(NAME)).data


@pytest.fixture(scope="module")
def sample_message(personal_pdf, default_brand):
    return mail.build_message(personal_pdf, load_topic(SAMPLE), default_brand, TO, when=WHEN)


# --------------------------------------------------------------------------------------
# A real SMTP server on loopback
# --------------------------------------------------------------------------------------


class Inbox:
    """aiosmtpd handler: keeps what arrives; refuses one recipient if asked to."""

    def __init__(self, refuse: str | None = None):
        self.refuse = refuse
        self.arrived: list[tuple[str, list[str], bytes, bool]] = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address == self.refuse:
            return f"550 5.1.1 <{address}>: Recipient address rejected: no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.arrived.append(
            (envelope.mail_from, list(envelope.rcpt_tos), envelope.content, session.authenticated)
        )
        return "250 Message accepted for delivery"


def accept_clinic_login(server, session, envelope, mechanism, auth_data):
    from aiosmtpd.smtp import AuthResult, LoginPassword

    ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
        b"clinic", b"right-password"
    )
    return AuthResult(success=ok, handled=False)  # False: aiosmtpd answers 535 itself


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp_server():
    """Start an aiosmtpd server on 127.0.0.1; returns (inbox, SmtpServer) factory."""
    started = []

    def start(inbox: Inbox | None = None, **options):
        from aiosmtpd.controller import Controller

        inbox = inbox or Inbox()
        controller = Controller(inbox, hostname="127.0.0.1", port=free_port(), **options)
        controller.start()
        started.append(controller)
        return inbox, controller.port

    yield start
    for controller in started:
        controller.stop()


# --------------------------------------------------------------------------------------
# The message
# --------------------------------------------------------------------------------------


@pytest.mark.pdf
def test_message_headers_are_generic(sample_message, personal_pdf):
    msg = parse(sample_message.as_bytes())
    assert msg["Subject"] == "Information from Riverside Family Clinic"
    assert msg["To"] == TO
    assert msg["From"] == "Riverside Family Clinic <no-reply@riverside-clinic.example>"
    assert msg["Date"] == "Thu, 14 Mar 2024 09:30:00 +0000"
    assert re.fullmatch(r"<[0-9a-f]{32}@riverside-clinic\.example>", msg["Message-ID"])
    assert "X-Unsent" not in msg
    topic = load_topic(SAMPLE).topic
    headers = " ".join(f"{k}: {v}" for k, v in msg.items())
    for private in (topic.title, topic.category, "calcification", "Calcification", NAME):
        assert private not in msg["Subject"]
    assert NAME not in headers and "Zorblax" not in msg.get_body(("plain",)).get_content()
    assert attachments(msg) == [("calcification.pdf", personal_pdf)]


@pytest.mark.pdf
def test_message_body_names_the_clinic_and_how_to_reach_it(sample_message):
    body = parse(sample_message.as_bytes()).get_body(("plain",)).get_content()
    assert body.startswith("Hello,")
    assert "Your care team at Riverside Family Clinic" in body
    contact = "Riverside Family Clinic · Phone 555-0100 · riverside-clinic.example · 1 River Road"
    assert contact in body
    assert "Calcification" not in body and "calcium" not in body


def test_spanish_topic_gets_a_spanish_message(write_topic, default_brand):
    loaded = load_topic(write_topic("language: es\n" + MINIMAL_TOPIC, "prueba.yaml"))
    msg = parse(mail.build_message(b"%PDF-1.7\n", loaded, default_brand, TO, when=WHEN).as_bytes())
    assert msg["Subject"] == "Información de Riverside Family Clinic"
    assert msg["Content-Language"] == "es"
    body = msg.get_body(("plain",)).get_content()
    assert body.startswith("Hola:") and "Su equipo de atención de Riverside Family Clinic" in body
    assert "Teléfono 555-0100" in body
    assert "Hello" not in body
    assert attachments(msg) == [("prueba.pdf", b"%PDF-1.7\n")]


@pytest.mark.pdf
def test_same_input_same_bytes_and_drafts_are_marked(personal_pdf, default_brand):
    loaded = load_topic(SAMPLE)
    one = mail.build_message(personal_pdf, loaded, default_brand, TO, when=WHEN).as_bytes()
    two = mail.build_message(personal_pdf, loaded, default_brand, TO, when=WHEN).as_bytes()
    assert one == two
    draft = mail.build_message(personal_pdf, loaded, default_brand, TO, when=WHEN, draft=True)
    assert draft["X-Unsent"] == "1"


@pytest.mark.parametrize(
    "address",
    ["not-an-address", "a@b.org\r\nBcc: evil@example.org", "Pat <pat@example.org>",
     "a@b.org, c@d.org", "pat@@example.org", "pat@exa mple.org", ""],
)
def test_bad_recipient_is_refused_without_repeating_it(address, default_brand):
    with pytest.raises(InvalidOption) as info:
        mail.build_message(b"%PDF", load_topic(SAMPLE), default_brand, address)
    text = str(info.value)
    assert "--to: This is not a single email address." in text
    assert not address or address not in text


def test_sender_from_brand_or_option(default_brand, brand_copy):
    loaded = load_topic(SAMPLE)
    msg = mail.build_message(b"%PDF", loaded, default_brand, TO, sender="desk@clinic.example")
    assert msg["From"].addresses[0].addr_spec == "desk@clinic.example"
    text = (brand_copy / "brand.yaml").read_text(encoding="utf-8")
    (brand_copy / "brand.yaml").write_text(text.replace("  web: riverside-clinic.example\n", ""))
    with pytest.raises(InvalidOption, match="--from"):
        mail.build_message(b"%PDF", loaded, load_brand(brand_copy), TO)


def test_size_budget():
    mail.check_size(2_000_000, 2_000_000, "x")
    with pytest.raises(EmailFailed) as info:
        mail.check_size(2_000_001, 2_000_000, "x")
    assert "x.pdf: The leaflet is 2.00 MB, over the 2.00 MB limit" in str(info.value)


# --------------------------------------------------------------------------------------
# Sending
# --------------------------------------------------------------------------------------


@pytest.mark.pdf
def test_sent_message_arrives_whole(smtp_server, sample_message, personal_pdf):
    inbox, port = smtp_server()
    mail.send_smtp(sample_message, mail.SmtpServer("127.0.0.1", port))
    [(sender, recipients, content, _)] = inbox.arrived
    assert sender == "no-reply@riverside-clinic.example" and recipients == [TO]
    msg = parse(content)
    assert msg["Subject"] == "Information from Riverside Family Clinic"
    assert attachments(msg) == [("calcification.pdf", personal_pdf)]


@pytest.mark.pdf
def test_login_with_the_right_password(smtp_server, sample_message):
    inbox, port = smtp_server(authenticator=accept_clinic_login, auth_require_tls=False)
    mail.send_smtp(sample_message, mail.SmtpServer("127.0.0.1", port, user="clinic",
                                                   password="right-password"))
    assert [arrived[3] for arrived in inbox.arrived] == [True]


@pytest.mark.pdf
def test_wrong_password_is_a_clear_error(smtp_server, sample_message):
    inbox, port = smtp_server(authenticator=accept_clinic_login, auth_require_tls=False)
    server = mail.SmtpServer("127.0.0.1", port, user="clinic", password="wrong-password")
    with pytest.raises(EmailFailed) as info:
        mail.send_smtp(sample_message, server)
    text = str(info.value)
    assert f"mail server 127.0.0.1:{port}: The server refused the user name or password" in text
    assert "The message was not sent." in text and "MAKE_HANDOUT_SMTP_PASSWORD" in text
    assert "wrong-password" not in text and "wrong-password" not in repr(server)
    assert inbox.arrived == []


@pytest.mark.pdf
def test_rejected_recipient_is_a_clear_error(smtp_server, sample_message):
    inbox, port = smtp_server(Inbox(refuse=TO))
    with pytest.raises(EmailFailed) as info:
        mail.send_smtp(sample_message, mail.SmtpServer("127.0.0.1", port))
    text = str(info.value)
    assert "The server refused the recipient address (550 5.1.1 <<recipient>>:" in text
    assert TO not in text
    assert inbox.arrived == []


@pytest.mark.pdf
def test_refused_connection_is_a_clear_error(sample_message):
    port = free_port()  # nothing listens there any more
    with pytest.raises(EmailFailed) as info:
        mail.send_smtp(sample_message, mail.SmtpServer("127.0.0.1", port))
    assert "The connection was refused" in str(info.value)


@pytest.mark.pdf
def test_silent_server_times_out(sample_message):
    with socket.socket() as silent:  # accepts connections (backlog) but never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        server = mail.SmtpServer("127.0.0.1", silent.getsockname()[1])
        with pytest.raises(EmailFailed) as info:
            mail.send_smtp(sample_message, server, timeout=0.3)
    assert "did not answer within 0.3 seconds" in str(info.value)


# --------------------------------------------------------------------------------------
# Hostile or broken servers: raw sockets on loopback
# --------------------------------------------------------------------------------------


@pytest.fixture
def raw_server():
    """A fake mail server on 127.0.0.1 that runs ``talk(connection, stop)`` for each client
    in a thread; returns a factory of SmtpServer. Stopped (and joined) after the test."""
    stop = threading.Event()
    threads, listeners = [], []

    def start(talk) -> mail.SmtpServer:
        listener = socket.socket()
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        listeners.append(listener)

        def serve():
            try:
                connection, _ = listener.accept()
            except OSError:
                return
            with connection:
                try:
                    talk(connection, stop)
                except OSError:  # the client hung up: what a bounded client does
                    pass

        thread = threading.Thread(target=serve, daemon=True)
        thread.start()
        threads.append(thread)
        return mail.SmtpServer("127.0.0.1", listener.getsockname()[1])

    yield start
    stop.set()
    for listener in listeners:
        listener.close()
    for thread in threads:
        thread.join(timeout=5)


def flood(first: bytes):
    """A server that answers with ``first``, then continuation lines without end (the
    client's EHLO never gets a final line)."""

    def talk(connection: socket.socket, stop: threading.Event) -> None:
        connection.sendall(first)
        if first.startswith(b"220 "):
            connection.recv(1024)  # EHLO
        line = b"250-" + b"X" * 60 + b"\r\n"
        while not stop.is_set():
            connection.sendall(line * 100)

    return talk


@pytest.mark.pdf
@pytest.mark.parametrize(
    "first", [b"220-", b"220 mail.example ESMTP\r\n"], ids=["greeting", "ehlo"]
)
def test_endless_reply_is_refused_quickly(raw_server, sample_message, first):
    server = raw_server(flood(first))
    started = time.monotonic()
    with pytest.raises(EmailFailed) as info:
        mail.send_smtp(sample_message, server, timeout=5, deadline=5)
    assert time.monotonic() - started < 4  # refused by its size, not by the deadline
    text = str(info.value)
    assert "reply is far too long (over 100 lines or 64 KB in one reply)" in text
    assert "The message was not sent." in text


@pytest.mark.pdf
def test_a_long_but_finite_reply_is_refused_too(raw_server, sample_message):
    def talk(connection, stop):  # one reply of 101 lines, then silence
        connection.sendall(b"220-x\r\n" * 100 + b"220 x\r\n")
        stop.wait(5)

    with pytest.raises(EmailFailed, match="reply is far too long"):
        mail.send_smtp(sample_message, raw_server(talk), timeout=5, deadline=5)


@pytest.mark.pdf
def test_trickling_server_is_cut_off_at_the_deadline(raw_server, sample_message):
    def trickle(connection, stop):  # a byte of the greeting every 0.2 s, never a whole line
        for byte in iter(lambda: b"2", None):
            if stop.wait(0.2):
                return
            connection.sendall(byte)

    server = raw_server(trickle)
    started = time.monotonic()
    with pytest.raises(EmailFailed) as info:
        mail.send_smtp(sample_message, server, timeout=1, deadline=2)
    elapsed = time.monotonic() - started
    assert 1.9 < elapsed < 3.5  # each byte came well within the 1 s wait for an answer
    assert "did not finish within 2 seconds" in str(info.value)


@pytest.mark.pdf
def test_slow_conversation_is_cut_off_at_the_deadline(raw_server, sample_message):
    """Each reply comes in time, but the conversation as a whole never ends."""

    def slow(connection, stop):
        connection.sendall(b"220 mail.example ESMTP\r\n")
        while not stop.is_set():
            if not connection.recv(1024):
                return
            stop.wait(0.6)
            connection.sendall(b"250 OK\r\n")

    started = time.monotonic()
    with pytest.raises(EmailFailed, match="did not finish within 1.5 seconds"):
        mail.send_smtp(sample_message, raw_server(slow), timeout=1, deadline=1.5)
    assert time.monotonic() - started < 3


@pytest.mark.pdf
def test_cli_hostile_server_is_exit_1(raw_server, capsys, monkeypatch):
    monkeypatch.setattr(mail, "SMTP_DEADLINE", 5.0)
    server = raw_server(flood(b"220-"))
    status = run("email", SAMPLE, "--to", TO, "--smtp", server.where)
    captured = capsys.readouterr()
    assert status == 1
    assert "reply is far too long" in captured.err and "not sent" in captured.err
    assert "Traceback" not in captured.err and "sent:" not in captured.out


@pytest.mark.pdf
def test_starttls_not_offered(smtp_server, sample_message):
    inbox, port = smtp_server()
    with pytest.raises(EmailFailed, match="does not offer STARTTLS"):
        mail.send_smtp(sample_message, mail.SmtpServer("127.0.0.1", port, starttls=True))
    assert inbox.arrived == []


@pytest.mark.pdf
def test_no_password_in_clear_to_another_machine(sample_message):
    server = mail.SmtpServer("smtp.example.org", 25, user="clinic", password="pw")
    with pytest.raises(EmailFailed, match="unencrypted"):
        mail.send_smtp(sample_message, server)  # refused before any connection is made


def _self_signed(tmp_path: Path) -> tuple[Path, Path, bytes]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(hours=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    pem = cert.public_bytes(serialization.Encoding.PEM)
    cert_file, key_file = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_file.write_bytes(pem)
    key_file.write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ))
    return cert_file, key_file, pem


@pytest.mark.pdf
def test_starttls_then_login(smtp_server, sample_message, tmp_path):
    cert_file, key_file, pem = _self_signed(tmp_path)
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_context.load_cert_chain(cert_file, key_file)
    # the server requires STARTTLS before anything, and offers login only over TLS
    inbox, port = smtp_server(
        tls_context=server_context, require_starttls=True, authenticator=accept_clinic_login
    )
    client_context = ssl.create_default_context(cadata=pem.decode())
    server = mail.SmtpServer(
        "127.0.0.1", port, starttls=True, user="clinic", password="right-password"
    )
    mail.send_smtp(sample_message, server, tls_context=client_context)
    assert [arrived[3] for arrived in inbox.arrived] == [True]
    # a certificate the client does not trust: refused, nothing sent
    with pytest.raises(EmailFailed, match="encrypted connection failed"):
        mail.send_smtp(sample_message, server)
    assert len(inbox.arrived) == 1


# --------------------------------------------------------------------------------------
# The command
# --------------------------------------------------------------------------------------


@pytest.mark.pdf
def test_cli_writes_a_draft(tmp_path, capsys, personal_pdf):
    target = tmp_path / "drafts"
    target.mkdir()
    assert run("email", SAMPLE, "--to", TO, "--patient-name", NAME, "--eml", target) == 0
    out = capsys.readouterr().out
    # a personal draft gets a new name of its own: never another patient's draft
    [draft] = target.iterdir()
    assert re.fullmatch(r"calcification\.personal-[0-9a-f]{12}\.eml", draft.name)
    assert out.startswith(f"wrote draft {draft} (attachment calcification.pdf, ")
    assert NAME not in out and TO not in out
    msg = parse(draft.read_bytes())
    assert msg["X-Unsent"] == "1" and msg["To"] == TO
    [(filename, data)] = attachments(msg)
    assert filename == "calcification.pdf" and data == personal_pdf
    pdf_file = tmp_path / "attached.pdf"
    pdf_file.write_bytes(data)
    with pdfplumber.open(pdf_file) as pdf:
        assert f"Prepared for: {NAME}" in pdf.pages[0].extract_text()


@pytest.mark.pdf
def test_cli_sends(smtp_server, capsys, personal_pdf):
    inbox, port = smtp_server()
    status = run("email", SAMPLE, "--to", TO, "--patient-name", NAME,
                 "--from", "desk@riverside-clinic.example", "--smtp", f"127.0.0.1:{port}")
    captured = capsys.readouterr()
    assert status == 0, captured.err
    assert captured.out.startswith(f"sent: 127.0.0.1:{port} accepted the message")
    assert NAME not in captured.out + captured.err and TO not in captured.out + captured.err
    [(sender, recipients, content, _)] = inbox.arrived
    assert (sender, recipients) == ("desk@riverside-clinic.example", [TO])
    msg = parse(content)
    assert "X-Unsent" not in msg
    assert attachments(msg) == [("calcification.pdf", personal_pdf)]


@pytest.mark.pdf
def test_cli_failure_is_exit_1_and_never_says_sent(capsys, monkeypatch):
    status = run("email", SAMPLE, "--to", TO, "--smtp", f"127.0.0.1:{free_port()}")
    captured = capsys.readouterr()
    assert status == 1
    assert "sent" not in captured.out
    assert "The connection was refused" in captured.err and "not sent" in captured.err
    # --user without the password in the environment: refused before any work
    monkeypatch.delenv(mail.PASSWORD_VARIABLE, raising=False)
    assert run("email", SAMPLE, "--to", TO, "--smtp", "127.0.0.1:25", "--user", "clinic") == 1
    assert "MAKE_HANDOUT_SMTP_PASSWORD is not set" in capsys.readouterr().err


@pytest.mark.pdf
def test_cli_refuses_an_attachment_over_the_budget(tmp_path, capsys):
    draft = tmp_path / "x.eml"
    assert run("email", SAMPLE, "--to", TO, "--eml", draft, "--max-size", "10kB") == 1
    err = capsys.readouterr().err
    assert "over the size budget of 10 KB" in err
    assert "--max-size" in err
    assert not draft.exists()


@pytest.mark.parametrize(
    "args",
    [
        ["--to", TO],  # neither --eml nor --smtp
        ["--to", TO, "--eml", "x.eml", "--smtp", "127.0.0.1:25"],  # both
        ["--eml", "x.eml"],  # no --to
        ["--to", TO, "--eml", "x.eml", "--starttls"],  # --starttls without --smtp
        ["--to", TO, "--eml", "x.eml", "--max-size", "lots"],
        ["--to", TO, "--eml", "x.eml", "--password", "pw"],  # no such option, by design
    ],
    ids=["no-way", "two-ways", "no-to", "starttls-eml", "bad-size", "password-option"],
)
def test_cli_usage_errors_exit_2(args, capsys):
    with pytest.raises(SystemExit) as info:
        run("email", SAMPLE, *args)
    assert info.value.code == 2
    assert "pw" not in capsys.readouterr().err.replace("pwd", "")


def test_cli_bad_server_and_address_exit_1(capsys):
    assert run("email", SAMPLE, "--to", "nobody", "--eml", "x.eml") == 1
    assert "--to: This is not a single email address." in capsys.readouterr().err
    assert run("email", SAMPLE, "--to", TO, "--smtp", "localhost") == 1
    err = capsys.readouterr().err
    assert "--smtp: 'localhost' is not a mail server written as HOST:PORT." in err
    assert not Path("x.eml").exists()


def test_cli_never_emails_a_draft_or_overdue_leaflet(tmp_path, write_topic, capsys):
    draft = write_topic(MINIMAL_TOPIC.replace("status: approved", "status: draft"), "d.yaml")
    assert "status: draft" in draft.read_text()
    target = tmp_path / "x.eml"
    assert run("email", draft, "--to", TO, "--eml", target) == 1
    assert "draft" in capsys.readouterr().err.lower()
    assert not target.exists()


@pytest.mark.pdf
def test_cli_personal_draft_names_are_new_each_time(tmp_path, capsys):
    target = tmp_path / "drafts"
    target.mkdir()
    for name in (NAME, "Another Patient"):
        assert run("email", SAMPLE, "--to", TO, "--patient-name", name, "--eml", target) == 0
    assert len(list(target.iterdir())) == 2
    assert NAME not in capsys.readouterr().out


@pytest.mark.pdf
def test_cli_personal_draft_never_goes_to_a_shared_folder(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "out").mkdir()
    library = tmp_path / "library"
    library.mkdir()
    (library / "manifest.json").write_text('{"format": 2, "generator": "make_handout 0"}')
    for eml in ("out/", "out/x.eml", str(library), str(library / "x.eml")):
        assert run("email", SAMPLE, "--to", TO, "--patient-name", NAME, "--eml", eml) == 1
        err = capsys.readouterr().err
        assert "--eml: A personal copy (--patient-name)" in err and NAME not in err
    assert list((tmp_path / "out").iterdir()) == [] and sorted(library.iterdir()) == [
        library / "manifest.json"]
    # without personal details the shared folder is fine
    assert run("email", SAMPLE, "--to", TO, "--eml", "out/") == 0
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["calcification.eml"]


def test_cli_eml_folder_that_does_not_exist_is_refused(tmp_path, capsys):
    missing = f"{tmp_path / 'nowhere'}/"
    assert run("email", SAMPLE, "--to", TO, "--eml", missing) == 1
    err = capsys.readouterr().err
    assert "--eml: The folder" in err and "does not exist" in err
    assert list(tmp_path.iterdir()) == []  # no file named like the folder

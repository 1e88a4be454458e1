"""The desk's settings file (``make-handout serve --config desk.yaml``) and password hashes.

The file belongs to whoever runs the server (it is not a topic): sign-in accounts with
hashed passwords, or a trusted reverse-proxy header; the SMTP server for email; limits.
Every key is optional; an empty file (or none) means: loopback only, no sign-in, no email.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import os
import secrets
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from handout_builder.domain.problems import InvalidOption, Problem

Role = Literal["front-desk", "content"]
#: scrypt parameters of new hashes (about 16 MiB and 50 ms per check).
_N, _R, _P = 2**14, 8, 1


def hash_password(password: str, n: int = _N) -> str:
    """A salted scrypt hash, written as ``scrypt$N$r$p$salt$hash`` (base64). ``n`` is the
    work factor (tests use a small one to stay fast; the hash records it)."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=n, r=_R, p=_P, dklen=32)
    b64 = lambda b: base64.b64encode(b).decode()  # noqa: E731
    return f"scrypt${n}${_R}${_P}${b64(salt)}${b64(digest)}"


def check_password(password: str, stored: str) -> bool:
    """Whether ``password`` matches a hash made by :func:`hash_password` (constant time)."""
    try:
        kind, n, r, p, salt, digest = stored.split("$")
        if kind != "scrypt":
            return False
        expected = base64.b64decode(digest)
        got = hashlib.scrypt(password.encode(), salt=base64.b64decode(salt), n=int(n), r=int(r),
                             p=int(p), dklen=len(expected), maxmem=64 * 1024 * 1024)
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got, expected)


class _Closed(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Account(_Closed):
    name: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._@-]+$")
    role: Role = "front-desk"
    password: str = Field(pattern=r"^scrypt\$", description="make-handout serve --hash-password")


class ProxySignIn(_Closed):
    """Sign-in done by a reverse proxy that sets ``header`` to the user name."""

    header: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9-]+$")
    #: Addresses the header is believed from (the proxy's); from anyone else it is ignored.
    trusted: list[str] = Field(default_factory=lambda: ["127.0.0.1", "::1"])
    #: Users with the content-staff role; everyone else the proxy signs in is front desk.
    content_staff: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _addresses(self) -> ProxySignIn:
        for address in self.trusted:
            ipaddress.ip_address(address)
        return self


class SignIn(_Closed):
    accounts: list[Account] = Field(default_factory=list)
    proxy: ProxySignIn | None = None


class Smtp(_Closed):
    host: str = Field(min_length=1, max_length=253)
    port: int = Field(default=25, ge=1, le=65535)
    starttls: bool = False
    user: str | None = None
    #: The login password; better in the environment variable MAKE_HANDOUT_SMTP_PASSWORD.
    password: str | None = Field(default=None, repr=False)
    sender: str | None = None  # None: no-reply@ the brand's web domain


class DeskConfig(_Closed):
    sign_in: SignIn | None = None
    smtp: Smtp | None = None
    #: Emails one member of staff (or, without sign-in, one address) may send per hour.
    emails_per_hour: int = Field(default=30, ge=1, le=10_000)
    #: Render workers (default: one per CPU).
    workers: int | None = Field(default=None, ge=1, le=64)
    #: Requests waiting for a worker beyond which the desk answers "busy, try again".
    queue: int = Field(default=32, ge=0, le=10_000)
    #: Bytes of non-personal leaflets (PDFs and previews) kept in memory.
    cache_bytes: int = Field(default=128_000_000, ge=0)
    #: Seconds one render may take before its worker is replaced.
    render_timeout: float = Field(default=60, gt=0, le=600)
    #: Session cookies only over HTTPS (set when a TLS reverse proxy is in front).
    secure_cookies: bool = False
    #: Keep the validated library on disk, so that a restart validates only the topic
    #: files that changed (library content only, never anything about a patient).
    library_cache: bool = True
    #: Its folder (None: $XDG_CACHE_HOME, or ~/.cache, then make_handout/desk).
    cache_folder: Path | None = None
    #: The key that signs session cookies; None: a new one at each start (signs everyone out).
    session_key: str | None = Field(default=None, min_length=32, repr=False)

    @property
    def signs_in(self) -> bool:
        return self.sign_in is not None and bool(self.sign_in.accounts or self.sign_in.proxy)

    def smtp_password(self) -> str | None:
        if self.smtp is None:
            return None
        return os.environ.get("MAKE_HANDOUT_SMTP_PASSWORD") or self.smtp.password


def load_config(path: Path | None) -> DeskConfig:
    """The settings in ``path`` (YAML), or the defaults; :class:`InvalidOption` naming the
    file and the field for anything wrong."""
    if path is None:
        return DeskConfig()
    shown = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
        data = yaml.safe_load(text) if text.strip() else {}
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        raise InvalidOption(Problem(shown, f"The desk settings cannot be read ({type(error).__name__}).",
                                    "Give a readable YAML file (see the README, 'The front desk').")) from None
    try:
        return DeskConfig.model_validate(data or {})
    except ValidationError as error:
        problems = [
            Problem(shown, f"{e['msg']}.", "See the README, 'The front desk', for the settings.",
                    field=".".join(str(part) for part in e["loc"]))
            for e in error.errors()
        ]
        raise InvalidOption(problems) from None

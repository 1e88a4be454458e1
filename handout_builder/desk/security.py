"""The desk's guards: security headers, request limits, CSRF tokens, sign-in, rate limits,
and the access log (which never holds a query string, a form value or an address).
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
import secrets
import time
from collections import deque
from dataclasses import dataclass

from handout_builder.desk.config import DeskConfig, check_password

log = logging.getLogger("handout_builder.desk")

#: The largest request body accepted (a form with a note of 500 characters is about 2 KB).
MAX_BODY = 16_384
#: Only plain forms are accepted: no uploads of any kind.
FORM_TYPE = "application/x-www-form-urlencoded"

CSP = "; ".join([
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self'",
    "connect-src 'self'",
    "frame-src 'self' blob:",  # the print frame: the PDF opens there for the print dialog
    "form-action 'self'",
    "base-uri 'none'",
    "frame-ancestors 'self'",
])
HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"SAMEORIGIN"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=(), payment=()"),
]


def _plain(status: int, text: str):
    body = text.encode()
    return [
        {"type": "http.response.start", "status": status, "headers": [
            (b"content-type", b"text/plain; charset=utf-8"),
            (b"content-length", str(len(body)).encode()), (b"cache-control", b"no-store"),
            *HEADERS]},
        {"type": "http.response.body", "body": body},
    ]


class Guard:
    """ASGI middleware: security headers on every response (``Cache-Control: no-store``
    unless a page says otherwise), bodies over :data:`MAX_BODY` refused (413), bodies other
    than a plain form refused (415: no uploads), and one access-log line per request: method,
    path (never the query string), status, milliseconds."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        started = time.perf_counter()
        headers = dict(scope["headers"])
        status_seen = [0]

        async def reply(messages):
            for message in messages:
                await send_with_headers(message)

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                status_seen[0] = message["status"]
                names = {name.lower() for name, _ in message.get("headers", [])}
                extra = [h for h in HEADERS if h[0] not in names]
                if b"cache-control" not in names:
                    extra.append((b"cache-control", b"no-store"))
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        try:
            if scope["method"] not in ("GET", "HEAD"):
                length = headers.get(b"content-length")
                kind = headers.get(b"content-type", b"").split(b";")[0].strip().decode("latin-1")
                if length is not None and (not length.isdigit() or int(length) > MAX_BODY):
                    return await reply(_plain(413, "This form is too large."))
                if length not in (None, b"0") and kind != FORM_TYPE:
                    return await reply(_plain(415, "Only plain forms are accepted here (no uploads)."))
                received = [0]

                async def counted():
                    message = await receive()
                    received[0] += len(message.get("body", b""))
                    if received[0] > MAX_BODY:
                        raise _TooLarge
                    return message

                try:
                    return await self.app(scope, counted, send_with_headers)
                except _TooLarge:
                    if status_seen[0] == 0:
                        return await reply(_plain(413, "This form is too large."))
                    raise
            return await self.app(scope, receive, send_with_headers)
        finally:
            log.info("%s %s %s %.0f ms", scope["method"], scope["path"], status_seen[0],
                     (time.perf_counter() - started) * 1000)


class _TooLarge(Exception):
    pass


# ------------------------------------------------------------------------- CSRF


def csrf_token(session: dict) -> str:
    """This session's CSRF token (made on first use); every form carries it."""
    token = session.get("csrf")
    if not token:
        token = session["csrf"] = secrets.token_urlsafe(32)
    return token


def csrf_ok(session: dict, sent: object) -> bool:
    token = session.get("csrf")
    return bool(token) and isinstance(sent, str) and hmac.compare_digest(token, sent)


# ------------------------------------------------------------------------- sign-in


@dataclass(frozen=True)
class User:
    name: str
    role: str  # "front-desk" or "content"

    @property
    def content_staff(self) -> bool:
        return self.role == "content"


def proxy_user(config: DeskConfig, client: str | None, headers) -> User | None:
    """The user a trusted reverse proxy signed in (its header), or None."""
    proxy = config.sign_in.proxy if config.sign_in else None
    if proxy is None or client is None:
        return None
    try:
        trusted = ipaddress.ip_address(client) in {ipaddress.ip_address(a) for a in proxy.trusted}
    except ValueError:
        return None
    name = headers.get(proxy.header.lower()) if trusted else None
    if not name or len(name) > 64:
        return None
    return User(name, "content" if name in proxy.content_staff else "front-desk")


def account_user(config: DeskConfig, name: str, password: str) -> User | None:
    """The account ``name`` if ``password`` is right (checked even for an unknown name, so
    the time taken does not tell which names exist)."""
    accounts = {a.name: a for a in (config.sign_in.accounts if config.sign_in else [])}
    account = accounts.get(name)
    stored = account.password if account else _DUMMY_HASH
    good = check_password(password, stored)
    return User(account.name, account.role) if account and good else None


def session_user(config: DeskConfig, session: dict) -> User | None:
    name = session.get("user")
    accounts = {a.name: a for a in (config.sign_in.accounts if config.sign_in else [])}
    account = accounts.get(name) if isinstance(name, str) else None
    return User(account.name, account.role) if account else None


_DUMMY_HASH = "scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="


# ------------------------------------------------------------------------- rate limits


class RateLimit:
    """At most ``count`` events per ``seconds`` for each key (a user, or an address)."""

    def __init__(self, count: int, seconds: float = 3600.0, clock=time.monotonic):
        self.count, self.seconds, self._clock = count, seconds, clock
        self._events: dict[str, deque[float]] = {}

    def _recent(self, key: str) -> deque[float]:
        now = self._clock()
        events = self._events.setdefault(key, deque())
        while events and events[0] <= now - self.seconds:
            events.popleft()
        if not events:
            del self._events[key]  # forgotten: the table does not grow with every key seen
            return self._events.setdefault(key, deque())
        return events

    def full(self, key: str) -> bool:
        """Whether ``key`` has used up its events (without counting one)."""
        return len(self._recent(key)) >= self.count

    def add(self, key: str) -> None:
        self._recent(key).append(self._clock())

    def allow(self, key: str) -> bool:
        """Count one event for ``key``, unless it has used them all up."""
        if self.full(key):
            return False
        self.add(key)
        return True

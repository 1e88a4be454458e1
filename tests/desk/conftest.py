"""Fixtures of the desk's tests.

Fast tests use :func:`desk_client`: the app in process, its catalogue loaded, no worker
started (every request they make is answered before a render). Tests that render or drive
a browser (marked ``pdf``) share one real server per session (:func:`live_desk`): uvicorn on
a free loopback port with two warm workers, a real SMTP server (aiosmtpd) on loopback, and one
Chromium (Debian's, ``/usr/bin/chromium``) for the whole session.
"""

from __future__ import annotations

import re
import socket
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from handout_builder.desk.config import DeskConfig, hash_password
from tests.conftest import BRANDS, TEST_TODAY
from tests.desk.library import make_library

FRONT_DESK = ("frontdesk", "front-desk password 1")
CONTENT = ("editor", "content password 22")
NURSE = ("nurse", "nurse password 333")  # front desk too; the email rate-limit test uses it up


def accounts_config(**extra) -> DeskConfig:
    """Two accounts (front desk and content staff); hashes made once per session."""
    return DeskConfig.model_validate({"sign_in": {"accounts": [
        {"name": FRONT_DESK[0], "role": "front-desk", "password": _HASHES[0]},
        {"name": CONTENT[0], "role": "content", "password": _HASHES[1]},
        {"name": NURSE[0], "role": "front-desk", "password": _HASHES[2]},
    ]}, **extra})


_HASHES = tuple(hash_password(a[1], n=2**10) for a in (FRONT_DESK, CONTENT, NURSE))


def token(html: str) -> str:
    return re.search(r'name="csrftoken" value="([^"]+)"', html).group(1)


@pytest.fixture
def library(tmp_path):
    return make_library(tmp_path / "library")


@pytest.fixture(scope="session")
def shared_library(tmp_path_factory):
    """The test library, for tests that do not change it."""
    return make_library(tmp_path_factory.mktemp("desk-shared") / "library")


@pytest.fixture(scope="session")
def desk_portal():
    """One event loop (in its own thread) for every in-process client: a TestClient used
    outside ``with`` starts a new loop and thread for each request (twice the cost of the
    request), and ``with`` would run the app's lifespan, which starts the workers."""
    import anyio.from_thread

    with anyio.from_thread.start_blocking_portal() as portal:
        yield portal


class PortalTransport:
    """Sends each request to the app in one call of the shared event loop (``portal``).

    Starlette's TestClient, given the same portal, crosses between the test's thread and the
    loop's about eight times per request (each ASGI message, the response body, the events
    it waits on): most of a fast test's request, for nothing the tests look at. This sends
    the request through httpx's ``ASGITransport`` (the same ASGI messages, the app's
    exceptions raised in the test) and hands back the whole response at once. Tests do not
    stream responses, and a TestClient without a portal (:func:`_client`) is unchanged.
    """

    def __init__(self, app, portal, client):
        import httpx2

        self.httpx = httpx2
        self.asgi = httpx2.ASGITransport(app=app, client=client)
        self.portal = portal

    def handle_request(self, request):
        if not isinstance(request.stream, self.httpx.AsyncByteStream):  # a generator's body
            request.stream = _AsyncChunks(request.stream)

        async def send():
            response = await self.asgi.handle_async_request(request)
            return response.status_code, response.headers.raw, await response.aread()

        status, headers, body = self.portal.call(send)
        return self.httpx.Response(status, headers=headers, content=body, request=request)

    def close(self) -> None:
        pass


def _AsyncChunks(chunks):
    """A request body given as an iterator, read by the app chunk by chunk as it arrives."""
    import httpx2

    class AsyncChunks(httpx2.AsyncByteStream):
        async def __aiter__(self):
            for chunk in chunks:
                yield chunk

    return AsyncChunks()


def _client(library, config, client, portal=None):
    from handout_builder.desk.app import Desk, create_app

    desk = Desk(library, [BRANDS["default"], BRANDS["harbour"]], config or DeskConfig(),
                workers=1, watch=None, today=lambda: TEST_TODAY)
    desk.catalogue.refresh()
    app = create_app(desk)
    if portal is None:  # a loop and a thread of its own for each request
        from starlette.testclient import TestClient

        return TestClient(app, client=client, follow_redirects=False)
    import httpx2

    transport = PortalTransport(app, portal, client)
    return httpx2.Client(transport=transport, base_url="http://testserver",
                         headers={"user-agent": "testclient"}, follow_redirects=False)


@pytest.fixture(scope="session")
def shared_client(shared_library, desk_portal):
    """One in-process desk without sign-in (no workers) for the read-only tests."""
    return _client(shared_library, None, ("127.0.0.1", 50000), desk_portal)


@pytest.fixture
def make_client(library, desk_portal):
    """A client of an in-process desk (no workers): ``make_client(config)``."""
    def make(config: DeskConfig | None = None, client=("127.0.0.1", 50000)):
        return _client(library, config, client, desk_portal)

    return make


@pytest.fixture
def desk_client(make_client):
    return make_client()


# ---------------------------------------------------------------------- the live server


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Mailbox:
    """Messages a real SMTP server on loopback received."""

    port: int
    messages: list = field(default_factory=list)


@pytest.fixture(scope="session")
def mailbox():
    from aiosmtpd.controller import Controller

    box = Mailbox(free_port())

    class Handler:
        async def handle_DATA(self, server, session, envelope):
            box.messages.append(envelope)
            return "250 OK"

    controller = Controller(Handler(), hostname="127.0.0.1", port=box.port)
    controller.start()
    yield box
    controller.stop()


@dataclass
class LiveDesk:
    url: str
    desk: object
    library: Path


@pytest.fixture(scope="session")
def live_desk(tmp_path_factory, mailbox):
    """One real desk for the session: uvicorn on loopback, 2 workers, sign-in, SMTP."""
    import uvicorn

    from handout_builder.desk.app import Desk, create_app

    library = make_library(tmp_path_factory.mktemp("desk") / "library")
    config = accounts_config(smtp={"host": "127.0.0.1", "port": mailbox.port,
                                   "sender": "desk@clinic.example"},
                             emails_per_hour=2, queue=32)
    desk = Desk(library, [BRANDS["default"], BRANDS["harbour"]], config, workers=2, watch=0.3,
                today=lambda: TEST_TODAY)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(desk), host="127.0.0.1", port=port,
                                           access_log=False, log_level="warning",
                                           proxy_headers=False))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "the desk did not start"
        time.sleep(0.05)
    yield LiveDesk(f"http://127.0.0.1:{port}", desk, library)
    server.should_exit = True
    thread.join(timeout=20)


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path="/usr/bin/chromium",
                                              args=["--no-sandbox"])
        yield chromium
        chromium.close()

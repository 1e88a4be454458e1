"""The desk under load and faults, on a real server with real workers (renders: ``pdf``)."""

from __future__ import annotations

import asyncio
import os
import signal
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.conftest import BRANDS, REPO, TEST_TODAY
from tests.desk.conftest import FRONT_DESK, NURSE, token

pytestmark = pytest.mark.pdf


def pdf_text(data: bytes) -> str:
    """The text of every page as PDFium reads it, runs of white space as one space (a long
    name may wrap in the "Prepared for" block)."""
    import pypdfium2

    document = pypdfium2.PdfDocument(data)
    try:
        text = " ".join(document[i].get_textpage().get_text_range() for i in range(len(document)))
    finally:
        document.close()
    return " ".join(text.split())


def signed_in(live_desk, account=FRONT_DESK):
    import httpx2 as httpx

    client = httpx.Client(base_url=live_desk.url, timeout=120, follow_redirects=False)
    html = client.get("/signin").text
    client.post("/signin", data={"csrftoken": token(html), "name": account[0],
                                 "password": account[1]})
    return client


def test_twenty_simultaneous_personal_copies_each_get_their_own(live_desk):
    names = [f"Quill Zephyrine-{n:02d}" for n in range(20)]
    clients = [signed_in(live_desk) for _ in names]
    forms = [token(c.get("/").text) for c in clients]
    start = threading.Barrier(len(names))

    def one(n: int):
        start.wait()
        return clients[n].post("/leaflet/heart-failure/copy", data={
            "csrftoken": forms[n], "lang": "en", "brand": "default", "action": "download",
            "patient_name": names[n], "clinician": "Dr Test", "date": "2026-11-25",
            "note": f"Note for patient {n:02d}"})

    with ThreadPoolExecutor(len(names)) as pool:
        responses = list(pool.map(one, range(len(names))))
    for n, response in enumerate(responses):
        assert response.status_code == 200, response.text[:300]
        assert response.headers["cache-control"] == "no-store"
        assert response.headers["content-disposition"] == 'attachment; filename="heart-failure.pdf"'
        text = pdf_text(response.content)
        assert names[n] in text and f"patient {n:02d}" in text
        assert not [other for other in names if other != names[n] and other in text]
        assert names[n].encode() not in response.content  # not in metadata either (text is subset-encoded)
    for client in clients:
        client.close()


def test_cached_leaflet_and_preview(live_desk):
    client = signed_in(live_desk)
    page = client.get("/leaflet/asthma?brand=harbour&lang=en")
    assert page.status_code == 200 and "1 page" in page.text
    first = client.get("/leaflet/asthma/pdf?brand=harbour&lang=en")
    again = client.get("/leaflet/asthma/pdf?brand=harbour&lang=en")
    assert first.content == again.content and "Asthma in adults" in pdf_text(first.content)
    assert first.headers["content-disposition"].startswith("inline")
    image = client.get("/leaflet/asthma/page/1?brand=harbour&lang=en")
    assert image.headers["content-type"] == "image/png" and image.content[:4] == b"\x89PNG"
    assert client.get("/leaflet/asthma/page/2?brand=harbour&lang=en").status_code == 404
    large = client.get("/leaflet/asthma/pdf?brand=harbour&lang=en&large=1")
    assert large.content != first.content
    client.close()


def test_an_edited_topic_is_picked_up_without_restart(live_desk):
    client = signed_in(live_desk)
    path = live_desk.library / "gout.yaml"
    before = path.read_text(encoding="utf-8")
    assert "Gout" in client.get("/leaflet/gout").text
    path.write_text(before.replace('title: "Gout"', 'title: "Gout (edited)"'), encoding="utf-8")
    deadline = time.monotonic() + 10
    while "Gout (edited)" not in client.get("/?q=gout").text:
        assert time.monotonic() < deadline, "the edit was not picked up"
        time.sleep(0.2)
    assert "Gout (edited)" in pdf_text(client.get("/leaflet/gout/pdf").content)
    client.close()


def test_a_personal_copy_that_is_refused_names_the_field_only(live_desk):
    client = signed_in(live_desk)
    form = token(client.get("/").text)
    response = client.post("/leaflet/heart-failure/copy", data={
        "csrftoken": form, "lang": "en", "action": "download", "patient_name": "สมชาย ใจดี",
        "date": "2026-11-25"})
    assert response.status_code == 422
    assert "Please check the personal copy" in response.text
    assert "สมชาย ใจดี" in response.text.split('id="patient_name"')[1]  # back in the form only
    assert "สมชาย ใจดี" not in response.text.split('id="patient_name"')[0]
    client.close()


def test_email_rate_limit(live_desk, mailbox):
    client = signed_in(live_desk, NURSE)
    form = token(client.get("/").text)
    data = {"csrftoken": form, "lang": "en", "action": "email", "to": "patient@example.org"}
    sent = len(mailbox.messages)
    codes = [client.post("/leaflet/gout/copy", data=data).status_code
             for _ in range(live_desk.desk.config.emails_per_hour + 1)]
    assert codes == [200] * live_desk.desk.config.emails_per_hour + [429]
    assert len(mailbox.messages) == sent + live_desk.desk.config.emails_per_hour
    assert "patient@example.org" not in client.get("/").text
    client.close()


def test_a_worker_killed_mid_render_fails_only_its_request(live_desk):
    """Kill every worker while one request renders: that request gets a plain "try again"
    page, the workers are replaced, and the next request is served."""
    client = signed_in(live_desk)
    pool = live_desk.desk.pool
    old = set(pool.pids)
    sent = threading.Event()
    for one in pool._workers:  # note when a worker has been handed the job
        def send(job, conn_send=one.conn.send):
            conn_send(job)
            sent.set()
        one.conn.send = send
    with ThreadPoolExecutor(1) as background:
        running = background.submit(client.get, "/leaflet/high-blood-pressure/pdf?large=1")
        assert sent.wait(30)  # a worker is rendering it (killed sooner, it would be replaced)
        for pid in old:
            os.kill(pid, signal.SIGKILL)
        response = running.result()
    assert response.status_code == 500 and "Please try again" in response.text
    again = client.get("/leaflet/high-blood-pressure/pdf?large=1")
    assert again.status_code == 200 and again.content.startswith(b"%PDF")
    assert old.isdisjoint(pool.pids)
    client.close()


# ---------------------------------------------------------------------- the pool itself


def with_pool(scenario) -> None:
    """Run ``scenario(pool)`` with a started one-worker pool of the default brand (no queue),
    on an event loop of its own (Playwright's may be running here); the pool is closed after."""
    from handout_builder.desk.pool import WorkerPool

    async def run():
        pool = WorkerPool({"default": BRANDS["default"]}, workers=1, queue=0, timeout=60)
        pool.start()
        try:
            await scenario(pool)
        finally:
            pool.close()

    with ThreadPoolExecutor(1) as thread:
        thread.submit(asyncio.run, run()).result()


def gout_job(library, previews: bool = False):
    """A pool's job: the library's gout leaflet, default brand."""
    from handout_builder import service
    from handout_builder.desk.worker import RenderJob

    info = service.read_leaflet(library / "gout.yaml", library, TEST_TODAY)
    return RenderJob(info.topic_bytes(), info.settings, "default", TEST_TODAY, previews=previews)


def test_busy_when_the_queue_is_full(library):
    """One worker, no queue: a second request is told "busy" at once, the first is served."""
    from handout_builder.desk.pool import Busy

    job = gout_job(library, previews=True)

    async def scenario(pool):
        running = asyncio.ensure_future(pool.run(job))
        await asyncio.sleep(0.05)
        with pytest.raises(Busy):
            await pool.run(job)
        first = await running
        assert first.ok and first.pages == 1 and len(first.images) == 1

    with_pool(scenario)


def test_a_desk_worker_renders_with_room_on_the_frame_stack(monkeypatch):
    """The worker's loop runs with room of its own on CPython's frame stack
    (render/stack_room.py), as the build's workers do."""
    import multiprocessing

    from handout_builder.desk import worker
    from handout_builder.render.stack_room import in_room

    class Warm:  # stands for the renderers: answers where it runs
        def __init__(self, brands):
            pass

        def run(self, job):
            return in_room()

    monkeypatch.setattr(worker, "_Warm", Warm)
    monkeypatch.setattr(worker, "_exit_with_parent", lambda parent: None)
    monkeypatch.setattr(worker.signal, "signal", lambda *a: None)  # a thread, not a process
    ours, theirs = multiprocessing.Pipe()
    serving = threading.Thread(target=worker.serve, args=(theirs, {}, os.getpid()), daemon=True)
    serving.start()
    try:
        assert ours.poll(30) and ours.recv() == "ready"
        ours.send("a job")
        assert ours.poll(30) and ours.recv() is True
    finally:
        ours.close()  # the worker's loop ends
        serving.join(30)
    assert not serving.is_alive()


def test_desk_workers_never_import_from_the_current_folder(tmp_path, monkeypatch):
    """A desk started in a folder that holds a package named like one its workers import
    first (``multiprocessing``, in a spawned worker's ``python -c``): they use the real one."""
    (tmp_path / "multiprocessing").mkdir()
    marker = tmp_path / "imported"
    (tmp_path / "multiprocessing" / "__init__.py").write_text(
        f"open({str(marker)!r}, 'w').close()\nraise ImportError('not this one')\n")
    monkeypatch.chdir(tmp_path)

    async def scenario(pool):
        pool._workers[0].wait_ready()

    with_pool(scenario)
    assert not marker.exists()


def test_ctrl_c_is_left_to_the_desk(library):
    """Ctrl-C in the desk's terminal reaches its workers too: they leave stopping to the desk
    (which stops them) instead of dying with a traceback each."""
    job = gout_job(library)

    async def scenario(pool):
        pool._workers[0].wait_ready()
        pid = pool.pids[0]
        os.kill(pid, signal.SIGINT)
        assert (await pool.run(job)).ok
        assert pool.pids[0] == pid  # the same worker served it

    with_pool(scenario)


def test_a_closed_pool_leaves_no_copies_of_the_fonts(tmp_path, monkeypatch):
    """A worker's renderers copy the bundled fonts into a temporary ``weasyprint-*`` folder;
    when the desk stops, the pool removes it with the worker's folder of temporary files."""
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # where the pool makes its folders

    async def scenario(pool):
        pool._workers[0].wait_ready()
        # in use while it runs
        assert len(list(tmp_path.glob("make-handout-desk-worker-*/weasyprint-*"))) == 1

    with_pool(scenario)
    assert not list(tmp_path.iterdir())


def test_a_killed_desks_worker_folders_are_removed_by_the_next_desk(tmp_path, monkeypatch):
    """A desk killed with ``kill -9`` cannot remove its workers' folders (its workers end
    on their own); the next desk removes them when it starts its workers, once they are a
    minute old (a desk holds a lock on each of its workers' folders while it runs)."""
    import subprocess
    import sys
    import tempfile

    from handout_builder.build.scratch import DESK_PREFIX, GRACE_SECONDS

    temp = tmp_path / "tmp"
    temp.mkdir()
    killed = ("import os, sys, tempfile; tempfile.tempdir = sys.argv[1]\n"
              "from handout_builder.desk.pool import WorkerPool\n"
              "from handout_builder.paths import DEFAULT_BRAND_DIR\n"
              "pool = WorkerPool({'default': DEFAULT_BRAND_DIR}, workers=1)\n"
              "pool.start(); pool._workers[0].wait_ready(); os._exit(9)\n")
    subprocess.run([sys.executable, "-c", killed, str(temp)], cwd=REPO, timeout=120)
    (left,) = temp.glob(DESK_PREFIX + "*")  # (its worker, mid-render, would leave files in it)
    (left / "weasyprint-left").mkdir()
    old = time.time() - 2 * GRACE_SECONDS
    os.utime(left, (old, old))
    monkeypatch.setattr(tempfile, "tempdir", str(temp))  # where the pool makes its folders

    async def scenario(pool):
        assert not left.exists()
        assert len(list(temp.glob(DESK_PREFIX + "*"))) == 1  # the new worker's

    with_pool(scenario)
    assert not list(temp.iterdir())


def test_a_killed_worker_leaves_no_copies_of_the_fonts(tmp_path, monkeypatch, library):
    """A worker killed mid-render (or for its time) cannot remove its renderers' temporary
    copies of the fonts: each worker keeps them in a folder of its own, which the pool
    removes when it replaces the worker."""
    import tempfile

    temp = tmp_path / "tmp"
    temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))  # where the pool makes the folders
    job = gout_job(library)

    async def scenario(pool):
        pool._workers[0].wait_ready()
        first = list(temp.glob("make-handout-desk-worker-*/weasyprint-*"))
        assert len(first) == 1  # in use while it runs
        os.kill(pool.pids[0], signal.SIGKILL)
        pool._workers[0].process.join(30)
        assert (await pool.run(job)).ok  # served by its replacement
        now = list(temp.glob("make-handout-desk-worker-*/weasyprint-*"))
        assert len(now) == 1 and now != first  # the killed worker's copy is gone

    with_pool(scenario)
    assert not list(temp.iterdir())

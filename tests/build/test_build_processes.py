"""``build`` and other processes: the output folder is locked while a build writes it, and a
killed build leaves no worker running and no staging folder behind for long. (Linux: the
tests read /proc.)"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest

from handout_builder.build import batch
from handout_builder.build.batch import BuildConfig, output_lock
from handout_builder.build.scratch import GRACE_SECONDS
from handout_builder.paths import DEFAULT_BRAND_DIR
from handout_builder.service import render_in_folder

from tests.conftest import BRANDS, MINIMAL_TOPIC, REPO as PROJECT_ROOT, TEST_TODAY


def make_library(folder: Path, count: int) -> Path:
    folder.mkdir(parents=True)
    for i in range(count):
        (folder / f"topic-{i}.yaml").write_text(
            MINIMAL_TOPIC.replace("Test topic", f"Topic {i}"), encoding="utf-8")
    return folder


def build_command(library: Path, out: Path, *extra: str) -> list[str]:
    return [sys.executable, str(PROJECT_ROOT / "make_handout.py"), "build", str(library),
            "--out", str(out), "--as-of", TEST_TODAY.isoformat(), *extra]


def manifest_matches_pdfs(out: Path) -> None:
    data = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert data["handouts"]
    for entry in data["handouts"]:
        pdf = (out / entry["output"]).read_bytes()
        assert hashlib.sha256(pdf).hexdigest() == entry["sha256"], entry["output"]


def _processes() -> dict[int, tuple[int, str]]:
    """pid -> (parent pid, state) of every process."""
    found = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        fields = text[text.rindex(")") + 2:].split()
        found[int(stat.parent.name)] = (int(fields[1]), fields[0])
    return found


def descendants(pid: int) -> set[int]:
    procs = _processes()
    found, todo = set(), [pid]
    while todo:
        parent = todo.pop()
        for child, (ppid, _state) in procs.items():
            if ppid == parent and child not in found:
                found.add(child)
                todo.append(child)
    return found


def alive(pids: set[int]) -> set[int]:
    procs = _processes()
    return {pid for pid in pids if pid in procs and procs[pid][1] != "Z"}  # zombies are gone


def wait_for(condition, seconds: float, step: float = 0.05):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(step)
    return condition()


# --------------------------------------------------------------------------------------
# The lock
# --------------------------------------------------------------------------------------


@pytest.mark.pdf
def test_a_second_build_waits_for_the_lock(tmp_path):
    library = make_library(tmp_path / "lib", 2)
    out = tmp_path / "out"
    out.mkdir()
    waited = threading.Event()
    done = threading.Event()

    class Watch(batch.Reporter):
        def waiting(self, out_dir):
            waited.set()

    config = BuildConfig(library=library, out_dir=out, brand_dir=BRANDS["default"],
                         jobs=1, as_of=TEST_TODAY)
    with output_lock(out):  # another build holds the folder
        worker = threading.Thread(target=lambda: (batch.build(config, Watch(), render=render_in_folder),
                                                         done.set()))
        worker.start()
        assert waited.wait(60)
        time.sleep(0.5)
        assert not done.is_set() and not (out / "manifest.json").exists()
        assert not list(out.glob(".building-*"))
    worker.join(120)
    assert done.is_set()
    manifest_matches_pdfs(out)


@pytest.mark.pdf
def test_two_builds_at_once_give_a_manifest_that_matches(tmp_path):
    library = make_library(tmp_path / "lib", 4)
    out = tmp_path / "out"
    runs = [subprocess.Popen(build_command(library, out, "--jobs", "1", "--force"),
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for _ in range(2)]
    results = [proc.communicate(timeout=300) for proc in runs]
    assert [proc.returncode for proc in runs] == [0, 0], results
    manifest_matches_pdfs(out)
    assert not list(out.glob(".building-*"))
    # the folder holds the manifest, the catalogue and the PDFs, no lock file
    assert sorted(p.name for p in out.iterdir()) == [
        "index.html", "manifest.json", *(f"topic-{i}.pdf" for i in range(4))]


# --------------------------------------------------------------------------------------
# kill -9
# --------------------------------------------------------------------------------------


@pytest.mark.pdf
def test_workers_exit_when_the_build_is_killed_and_the_next_build_cleans_up(tmp_path,
                                                                            monkeypatch):
    library = make_library(tmp_path / "lib", 12)
    temp = tmp_path / "tmp"  # the builds' temporary folder
    temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))  # the next build, run here
    # one long topic (about 40 pages), handed out first: one worker is still laying it out
    # when the other has written its first short leaflets, however fast the machine
    long_answer = " ".join(["A long answer that fills the page with words."] * 30)
    (library / "topic-long.yaml").write_text(MINIMAL_TOPIC.replace(
        "  - heading: First question\n    body: An answer.\n",
        "".join(f"  - heading: Question {n}\n    body: {long_answer}\n" for n in range(60)),
    ), encoding="utf-8")
    out = tmp_path / "out"
    proc = subprocess.Popen(build_command(library, out, "--jobs", "2"),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            env={**os.environ, "TMPDIR": str(temp)})
    try:
        # mid-build: both workers have started and short leaflets are being written
        assert wait_for(lambda: list(out.rglob("*.pdf")), 60)
        assert wait_for(lambda: len(descendants(proc.pid)) >= 2, 60)
        children = descendants(proc.pid)
        assert not (out / "manifest.json").exists()  # really mid-build
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    assert children
    wait_for(lambda: not alive(children), 10)  # each worker checks every half second
    survivors = alive(children)
    for pid in survivors:  # never leave them running, even when the test fails
        os.kill(pid, signal.SIGKILL)
    assert survivors == set()
    left = list(out.glob(".building-*"))
    assert left  # a killed build cannot clean up after itself...
    scratch = list(temp.glob("make-handout-workers-*"))
    assert len(scratch) == 1 and list(scratch[0].glob("weasyprint-*"))  # its workers' fonts
    old = time.time() - 2 * GRACE_SECONDS  # as if killed a while ago (see build/scratch.py)
    os.utime(scratch[0], (old, old))
    result = batch.build(BuildConfig(library=library, out_dir=out,
                                     brand_dir=DEFAULT_BRAND_DIR, jobs=1, as_of=TEST_TODAY),
                         render=render_in_folder)
    assert not list(out.glob(".building-*"))  # ...the next build does
    assert not list(temp.glob("make-handout-*"))  # and the killed build's temporary files
    assert len(result.built) + len(result.unchanged) == 13
    manifest_matches_pdfs(out)


@pytest.mark.pdf
def test_no_copies_of_the_fonts_are_left_in_the_temporary_folder(tmp_path):
    """WeasyPrint copies the bundled fonts into a ``weasyprint-*`` folder for each renderer
    and removes it only when the renderer is garbage-collected, which never happens in a
    process that ends with ``os._exit``, as the build's workers do."""
    temp = tmp_path / "tmp"
    temp.mkdir()
    env = {**os.environ, "TMPDIR": str(temp)}
    code = ("import os, sys; from handout_builder.paths import DEFAULT_BRAND_DIR;"
            "from handout_builder.render.pdf import Renderer;"
            "from handout_builder.sources.loader import load_brand;"
            "renderer = Renderer(load_brand(DEFAULT_BRAND_DIR));"
            "sys.argv[1] == 'close' and renderer.close(); os._exit(0)")
    for how in ("keep", "close"):
        subprocess.run([sys.executable, "-c", code, how], cwd=PROJECT_ROOT, env=env,
                       check=True, timeout=120)
        assert len(list(temp.glob("weasyprint-*"))) == 1  # left by "keep" only
    library = make_library(tmp_path / "lib", 3)
    result = subprocess.run(build_command(library, tmp_path / "out", "--jobs", "2"), env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert len(list(temp.glob("weasyprint-*"))) == 1  # the build's two workers left none


@pytest.mark.pdf
def test_a_build_with_a_long_temporary_folder_spawns_its_workers(tmp_path):
    """The fork server listens on a Unix socket in the temporary folder, whose path may not
    be longer than about 100 bytes: with a long ``TMPDIR`` the build spawns its workers
    instead of failing with "AF_UNIX path too long"."""
    temp = tmp_path / ("t" * max(1, 110 - len(str(tmp_path))))
    temp.mkdir()
    assert len(str(temp)) >= 110
    library = make_library(tmp_path / "lib", 3)
    result = subprocess.run(build_command(library, tmp_path / "out", "--jobs", "2"),
                            env={**os.environ, "TMPDIR": str(temp)}, capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert "built 3," in result.stdout
    manifest_matches_pdfs(tmp_path / "out")
    assert not list(temp.iterdir())  # nothing left behind there either


@pytest.mark.pdf
def test_workers_never_import_from_the_current_folder(tmp_path):
    """A build run in a folder that holds a package named like one the workers import: the
    fork server (a ``python -c`` process, whose first import folder is the current one) and
    the workers use the real one."""
    here = tmp_path / "here"
    (here / "weasyprint").mkdir(parents=True)
    marker = tmp_path / "imported"
    (here / "weasyprint" / "__init__.py").write_text(
        f"open({str(marker)!r}, 'w').close()\nraise ImportError('not this one')\n")
    library = make_library(tmp_path / "lib", 2)
    result = subprocess.run(build_command(library, tmp_path / "out", "--jobs", "2"), cwd=here,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert "built 2," in result.stdout
    assert not marker.exists()


def test_a_worker_watchdog_ends_its_process_when_the_parent_is_gone():
    # a child whose "parent" (a process id that is not its parent) is gone: it exits at once
    code = ("import os, time; from handout_builder.build.watchdog import exit_with_parent;"
            "exit_with_parent(os.getppid() + 10**7, every=0.05); time.sleep(600)")
    result = subprocess.run([sys.executable, "-c", code], cwd=PROJECT_ROOT, timeout=60)
    assert result.returncode == 1


@pytest.mark.pdf
def test_a_build_starts_the_workers_fork_server_before_it_plans(tmp_path):
    """The fork server imports the pipeline on a spare core while the build reads and hashes
    the library (``executor.warm_up``), not after; it still ends with the build."""
    library = make_library(tmp_path / "lib", 1)
    code = f"""
import os, sys
from multiprocessing import forkserver
from handout_builder.build import batch
from handout_builder.build.batch import BuildConfig
from handout_builder.paths import DEFAULT_BRAND_DIR
from handout_builder.service import render_in_folder

assert forkserver._forkserver._forkserver_pid is None  # nothing started it yet
seen = []
def discover(library):
    pid = forkserver._forkserver._forkserver_pid
    seen.append(pid is not None and os.waitpid(pid, os.WNOHANG) == (0, 0))  # running
    raise SystemExit(0 if seen[0] else 5)
batch.discover = discover
batch.build(BuildConfig(library={str(library)!r}, out_dir={str(tmp_path / 'out')!r},
                        brand_dir=DEFAULT_BRAND_DIR, jobs=2), render=render_in_folder)
"""
    result = subprocess.run([sys.executable, "-c", code], cwd=PROJECT_ROOT, timeout=120,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]


@pytest.mark.pdf
@pytest.mark.parametrize("command, started", [
    (["build", "LIB", "--out", "OUT", "--jobs", "2"], True),
    (["build", "LIB", "--out", "OUT", "--executor", "dask", "--scheduler", "tcp://127.0.0.1:9"],
     False),  # a cluster renders: no local workers
    (["check", "LIB"], False),
])
def test_the_command_line_starts_the_fork_server_before_it_imports_the_service(
        tmp_path, command, started):
    """``make-handout build`` starts the workers' fork server right after reading its options
    (``fork_server.warm_up``), so that the server imports WeasyPrint and the pipeline while
    the command imports the service and plans; no other command starts one."""
    library = make_library(tmp_path / "lib", 1)
    argv = [str(library) if a == "LIB" else str(tmp_path / "out") if a == "OUT" else a
            for a in command]
    code = f"""
import os, sys
from multiprocessing import forkserver

class Watch:  # looks when the service is first imported, and stops there
    def find_spec(self, name, path=None, target=None):
        if name == "handout_builder.service":
            pid = forkserver._forkserver._forkserver_pid
            running = pid is not None and os.waitpid(pid, os.WNOHANG) == (0, 0)
            os._exit(10 + running)
        return None

sys.meta_path.insert(0, Watch())
from handout_builder.cli import main
main({argv!r})
os._exit(3)  # the service was never imported
"""
    temp = tmp_path / "tmp"  # the fork server's socket folder, which os._exit leaves
    temp.mkdir()
    result = subprocess.run([sys.executable, "-c", code], cwd=PROJECT_ROOT, timeout=120,
                            capture_output=True, text=True, env={**os.environ, "TMPDIR": str(temp)})
    assert result.returncode == 10 + started, result.stderr[-2000:]


@pytest.mark.pdf
def test_a_worker_freezes_what_it_holds_before_it_renders(tmp_path, monkeypatch):
    """The pipeline, WeasyPrint and the renderer are out of the collector's sight in every
    worker (``gc.freeze``), so its collections walk only the documents' objects."""
    stats = tmp_path / "stats.jsonl"
    monkeypatch.setenv("MAKE_HANDOUT_POOL_STATS", str(stats))
    result = batch.build(BuildConfig(library=make_library(tmp_path / "lib", 2),
                                     out_dir=tmp_path / "out", brand_dir=DEFAULT_BRAND_DIR,
                                     jobs=2, as_of=TEST_TODAY), render=render_in_folder)
    assert len(result.built) == 2
    workers = [json.loads(line) for line in stats.read_text().splitlines()]
    workers = [w for w in workers if w["kind"] == "worker"]
    assert workers
    assert all(w["frozen"] > 20_000 for w in workers), workers  # tens of thousands of objects
    # and the kernel's share for bench/run.py: a worker copies pages it shares with the server
    assert all(w["faults"] > 1_000 and w["system"] >= 0 for w in workers), workers

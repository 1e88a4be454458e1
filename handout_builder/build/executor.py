"""Executors: where a build's render jobs run.

:class:`Executor` is the interface: run jobs, report each :class:`Outcome` as it ends.
:class:`ProcessPool` is today's implementation, worker processes on this machine
(:func:`run_jobs`); a distributed executor (Dask) is another. A job is plain, picklable
data; a worker renders with the function the build was given (the service's
``render_in_folder``), keeping one warm :class:`~handout_builder.render.pdf.Renderer` for
its whole life. One bad topic, or one crashed worker, fails that topic only.

Workers are started with the ``spawn`` method: a fresh interpreter that imports WeasyPrint
and loads Fontconfig itself. ``fork``, ``forkserver`` and ``spawn`` all work here and give the
same bytes (checked by rendering in a parent first, then in each kind of worker), but a forked
child inherits whatever the parent holds: Fontconfig's and Pango's caches and locks (the
test runner and a future server render in-process) and any threads, where a lock held at fork
time deadlocks the child; Python 3.12+ warns about forking a threaded process, and 3.14 no
longer forks by default. ``spawn`` is the same on every platform and costs about half a
second per worker, once, which a warm renderer pays back within a few documents.

Imports: domain, sources, render, output, build.plan, build.fingerprint.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import queue as queues
import signal
import threading
import time
import traceback
from collections import deque
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Protocol

from handout_builder.build.fingerprint import input_hash, settings_bytes
from handout_builder.build.plan import Source
from handout_builder.domain.options import RenderOptions
from handout_builder.domain.problems import Problem, UserError
from handout_builder.domain.review import ReviewStatus
from handout_builder.output.manifest import Entry
from handout_builder.render.pdf import Renderer
from handout_builder.sources.loader import LoadedTopic, load_brand

#: How often a worker checks that the build that started it is still alive.
PARENT_CHECK_SECONDS = 0.5
#: Documents a worker renders before it is replaced by a fresh one. WeasyPrint's native side
#: (Pango, HarfBuzz) keeps about 13 KiB per document even with a reused font configuration
#: (measured with bare WeasyPrint too; see bench/), so workers are recycled to keep memory
#: flat on any library size. A new worker costs about half a second: under 1% of 500 renders.
WORKER_DOCUMENTS = 500
#: Seconds one topic may take to render in ``build`` before its worker is stopped and the
#: topic reported as failed (``--timeout``). A leaflet takes about a second; the limit
#: only catches pathological inputs that lay out for minutes or hours.
DEFAULT_TIMEOUT = 120.0


class Rendered(Protocol):
    """What the render function returns (the service's ``RenderResult``)."""

    topic: LoadedTopic | None
    pdf: Any  # RenderedPdf, or None when there are problems
    review: ReviewStatus | None
    watermark_key: str | None
    path: Path | None
    problems: tuple[Problem, ...]
    refused: bool

class RenderInFolder(Protocol):
    """Renders one topic file with a warm renderer into a folder: the service's
    ``render_in_folder``, passed in by the caller (the build never imports the service).
    Must be a module-level function: worker processes find it by name."""

    def __call__(self, path: Path, renderer: Renderer, out_dir: Path, as_of: date | None,
                 allow_draft: bool) -> Rendered: ...

@dataclass(frozen=True)
class Job:
    """One topic to render, sent to a worker (must pickle)."""

    source: Source
    staging: Path  # a folder of its own: render_file writes the PDF there
    as_of: date | None = None  # review states are judged on this date (None: today)
    allow_draft: bool = False

@dataclass(frozen=True)
class Outcome:
    """What a worker returns for one job: an entry, or problems, or a bug's traceback."""

    source: Source
    entry: Entry | None = None
    staged: Path | None = None
    problems: tuple[Problem, ...] = ()
    bug: str | None = None  # a traceback (an exception that is not a UserError, or a crash)
    brand_problem: bool = False  # the worker could not set up the brand at all
    refused: bool = False  # the review policy refuses it: its old PDF must not stay published

    @property
    def ok(self) -> bool:
        return self.entry is not None


class Executor(Protocol):
    """Runs render jobs somewhere and reports each outcome as it ends (in any order)."""

    def run(self, jobs: list[Job], on_outcome: Callable[[Outcome], None]) -> None: ...


@dataclass(frozen=True)
class ProcessPool:
    """Today's executor: ``workers`` processes on this machine (see :func:`run_jobs`)."""

    workers: int
    brand_dir: Path
    shared: str  # the build's shared fingerprint (part of each entry's input hash)
    render_topic: RenderInFolder
    options: RenderOptions = RenderOptions()
    timeout: float = DEFAULT_TIMEOUT

    def run(self, jobs: list[Job], on_outcome: Callable[[Outcome], None]) -> None:
        run_jobs(jobs, self.workers, self.brand_dir, self.shared, on_outcome,
                 render=self.options, timeout=self.timeout, render_topic=self.render_topic)


_worker: dict[str, Any] = {}

def init_worker(brand_dir: str, render: RenderOptions = RenderOptions(),
                render_topic: RenderInFolder | None = None) -> None:
    """Pool initializer: build this worker's renderer once, for its whole life."""
    _worker["render"] = render_topic
    try:
        _worker["renderer"] = Renderer(load_brand(brand_dir), options=render)
    except UserError as error:
        _worker["error"] = error

def render_job(job: Job) -> Outcome:
    """Render one topic in this worker with the render function the build was given (the
    service's, the same code as ``make-handout render``)."""
    source = job.source
    if "error" in _worker:
        return Outcome(source, problems=tuple(_worker["error"].problems), brand_problem=True)
    try:
        written = _worker["render"](
            source.path, _worker["renderer"], job.staging, job.as_of, job.allow_draft
        )
    except Exception:
        return Outcome(source, bug=traceback.format_exc())
    if written.problems:
        return Outcome(source, problems=tuple(written.problems), refused=written.refused)
    assert written.topic is not None and written.review is not None and written.path is not None
    topic = written.topic.topic
    status = written.review
    entry = Entry(
        id=written.topic.id,
        source=source.rel,
        title=topic.title,
        category=topic.category,
        language=topic.language,
        output=written.path.name,
        pages=written.pdf.pages,
        bytes=len(written.pdf.data),
        sha256=hashlib.sha256(written.pdf.data).hexdigest(),
        # the bytes actually rendered (the file may have changed since it was planned)
        input_hash=input_hash(
            _worker["shared"], source.rel, written.topic.source, settings_bytes(source.path)
        ),
        reviewed=status.reviewed.isoformat() if status.reviewed else None,
        review_state=status.state.value,
        status=topic.status,
        next_review=status.next_review.isoformat() if status.next_review else None,
        watermark=written.watermark_key,
        example=status.example,
        codes=tuple(code.token for code in topic.codes),
    )
    return Outcome(source, entry=entry, staged=written.path)

def _timed_out(source: Source, seconds: float) -> Outcome:
    """A topic that took longer than the time limit: a problem with the input, not a bug."""
    return Outcome(source, problems=(Problem(
        str(source.path),
        f"Rendering this topic took longer than {seconds:g} seconds, so it was stopped "
        "(a leaflet normally takes a second or two).",
        "Look for very long text (a word or table that cannot be broken across lines, "
        "hundreds of pages); split the topic, or raise the limit with --timeout.",
    ),))

def _crash(source: Source, detail: str) -> Outcome:
    return Outcome(source, bug=f"The worker process rendering this topic stopped ({detail}).")

def run_jobs(
    jobs: list[Job],
    workers: int,
    brand_dir: Path,
    shared: str,
    on_outcome: Callable[[Outcome], None],
    work: Callable[[Job], Outcome] = render_job,
    render: RenderOptions = RenderOptions(),
    timeout: float = DEFAULT_TIMEOUT,
    render_topic: RenderInFolder | None = None,
) -> None:
    """Render ``jobs`` in ``workers`` processes, calling ``on_outcome`` as each one ends.

    At most one job per worker is in flight, so when a worker dies the suspects are known:
    they are retried one at a time in a fresh pool, and the one that kills its worker again
    is reported as crashed. Every other topic is still rendered. A pool is replaced by a
    fresh one after about :data:`WORKER_DOCUMENTS` documents per worker. A job that runs
    longer than ``timeout`` seconds (counted from the moment a worker starts it) is reported
    as failed (:func:`_timed_out`): the pool's workers are stopped and the other jobs in
    flight start again in a fresh pool. ``work`` and ``render_topic`` (what
    :func:`render_job` calls) must be module-level functions (workers import them by name).
    """
    context = multiprocessing.get_context("spawn")
    queue = deque(jobs)
    suspects: deque[Job] = deque()
    while queue or suspects:
        alone = bool(suspects)  # suspects run one at a time, so that a crash names its topic
        pending, limit = (suspects, 1) if alone else (queue, workers)
        before = set(multiprocessing.active_children())
        starts = context.Queue()  # workers say when they start a job (staging folder)
        pool = ProcessPoolExecutor(
            max_workers=max(1, min(limit, len(pending) or 1)),
            mp_context=context,
            initializer=_init_worker_with_shared,
            initargs=(str(brand_dir), shared, render, starts, os.getpid(), render_topic),
        )
        in_flight: dict[Any, Job] = {}
        started: dict[str, float] = {}
        budget = workers * WORKER_DOCUMENTS
        try:
            while pending or in_flight:
                while pending and len(in_flight) < limit and budget > 0:
                    job = pending.popleft()
                    in_flight[pool.submit(_timed_job, work, job)] = job
                    budget -= 1
                if not in_flight:
                    break  # this pool did its share: the next one starts with fresh workers
                done, _ = wait(in_flight, timeout=1.0, return_when=FIRST_COMPLETED)
                now = time.monotonic()
                while True:
                    try:
                        started.setdefault(starts.get_nowait(), now)
                    except queues.Empty:
                        break
                for future in done:
                    job = in_flight[future]
                    outcome = future.result()  # BrokenProcessPool when a worker died
                    del in_flight[future]
                    on_outcome(outcome)
                late = [f for f, job in in_flight.items()
                        if now - started.get(str(job.staging), now) >= timeout]
                if late:
                    for future in late:
                        on_outcome(_timed_out(in_flight.pop(future).source, timeout))
                    for process in set(multiprocessing.active_children()) - before:
                        process.kill()  # this pool's workers only
                    # the others were stopped through no fault of their own: start them again
                    pending.extendleft(reversed(list(in_flight.values())))
                    in_flight.clear()
                    break
        except BrokenProcessPool as error:
            if len(in_flight) == 1:
                (job,) = in_flight.values()
                on_outcome(_crash(job.source, str(error) if alone and str(error) else "crashed"))
            else:
                suspects.extend(in_flight.values())
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
            starts.close()
            starts.join_thread()

def _timed_job(work: Callable[[Job], Outcome], job: Job) -> Outcome:
    """Runs in a worker: tell the main process the job starts (its clock), then do it."""
    starts = _worker.get("starts")
    if starts is not None:
        starts.put(str(job.staging))
    return work(job)

def _init_worker_with_shared(
    brand_dir: str, shared: str, render: RenderOptions = RenderOptions(),
    starts: Any = None, parent: int | None = None, render_topic: RenderInFolder | None = None,
) -> None:
    # Ctrl-C is the main process's business: it stops handing out work, lets the workers
    # finish the document in hand, and writes the manifest of everything done so far.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if parent is not None:
        exit_with_parent(parent)
    _worker["shared"] = shared
    _worker["starts"] = starts
    init_worker(brand_dir, render, render_topic)

def exit_with_parent(parent: int, every: float = PARENT_CHECK_SECONDS) -> threading.Thread:
    """End this worker process as soon as ``parent`` (the build) is gone.

    A build killed with ``kill -9`` cannot stop its workers, and they would wait for work
    forever (they hold the pool's pipes themselves, so they never see it close). A daemon
    thread checks the parent process id; when the worker has been handed to another parent,
    it exits at once. Portable (no ``prctl``), and it works while a render is running.
    """

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(every)
        os._exit(1)

    thread = threading.Thread(target=watch, name="exit-with-parent", daemon=True)
    thread.start()
    return thread

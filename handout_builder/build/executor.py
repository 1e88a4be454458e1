"""Executors: where a build's render jobs run.

:class:`Executor` is the interface: run jobs, report each :class:`Outcome` as it ends.
:class:`ProcessPool` is the default implementation, worker processes on this machine
(:func:`run_jobs`); :class:`~handout_builder.build.dask_executor.DaskCluster` is another
(``build --executor dask``). A job is plain, picklable data; a worker renders with the
function the build was given (the service's ``render_in_folder``), keeping one warm
:class:`~handout_builder.render.pdf.Renderer` for its whole life. One bad topic, or one
crashed worker, fails that topic only. Both hand out the largest topics first
(:func:`longest_first`), so the build does not end waiting for one long leaflet.

Workers are forked from a fork server (the ``forkserver`` start method,
:mod:`~handout_builder.build.fork_server`) that has imported the pipeline and WeasyPrint once
(:mod:`~handout_builder.build.preload`): importing them is most of a worker's start-up
(about 1.5 CPU s on the development machine, which runs Python without bytecode caching),
and with a fresh interpreter per worker
(``spawn``) every worker, and every successor of a recycled one, paid it again. The fork
server is a fresh interpreter of its own, one thread, that has imported modules and done
nothing else: no font loaded, no Fontconfig or Pango state, no page laid out, so a child
forked from it inherits no lock or cache that another thread could hold (which is why the
build does not fork from its own process: it writes on threads, and the test runner and the
desk render in-process). Each worker then sets up its own renderer (Fontconfig, stylesheets)
as before. ``fork``, ``forkserver`` and ``spawn`` give the same bytes (checked by rendering in
a parent first, then in each kind of worker); where there is no fork server (Windows),
workers are spawned.

Imports: domain, sources, render, output, build.plan, build.fingerprint.
"""

from __future__ import annotations

import gc
import hashlib
import os
import signal
import tempfile
import time
import traceback
from collections import deque
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor
from concurrent.futures import wait as wait_futures
from multiprocessing.connection import wait as wait_connections
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any, Protocol

from handout_builder.build import fork_server
from handout_builder.build.fingerprint import (
    input_hash, topic_inputs,
)
from handout_builder.build.plan import Source
from handout_builder.build.scratch import Scratch
from handout_builder.build.watchdog import exit_with_parent
from handout_builder.domain.options import RenderOptions
from handout_builder.domain.problems import Problem, UserError
from handout_builder.domain.review import ReviewStatus
from handout_builder.output.manifest import Entry
from handout_builder.output.store import output_path, write_atomic
from handout_builder.render.pdf import Renderer
from handout_builder.render.stack_room import call_with_room
from handout_builder.sources.loader import LoadedTopic, load_brand

#: An environment variable naming a file: if set, the build's main process and each worker
#: append one JSON line of timings to it when they finish (``bench/run.py`` reads them).
STATS_VARIABLE = "MAKE_HANDOUT_POOL_STATS"
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

    @property
    def suffix(self) -> str: ...  # what follows the id in the file name (the naming rule)


class RenderInFolder(Protocol):
    """Renders one topic file with a warm renderer into a folder: the service's
    ``render_in_folder``, passed in by the caller (the build never imports the service).
    Must be a module-level function: worker processes find it by name."""

    def __call__(self, path: Path, renderer: Renderer, out_dir: Path | None,
                 as_of: date | None, allow_draft: bool) -> Rendered: ...

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
    #: The PDF on its way from a worker to ``staged`` (a :class:`StagingWriter` writes it);
    #: empty once written, so an outcome handed to the build holds no PDF in memory.
    pdf: bytes = field(default=b"", repr=False)

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
        run_jobs(longest_first(jobs), self.workers, self.brand_dir, self.shared, on_outcome,
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
        # rendered to bytes (out_dir None): the main process writes the file (StagingWriter),
        # so a worker never waits for the disk
        written = _worker["render"](
            source.path, _worker["renderer"], None, job.as_of, job.allow_draft
        )
        if written.problems:
            return Outcome(source, problems=tuple(written.problems), refused=written.refused)
        assert written.topic is not None
        target = output_path(job.staging, written.topic.id, suffix=written.suffix,
                             source=str(source.path))
    except UserError as error:
        return Outcome(source, problems=tuple(error.problems))
    except Exception:
        return Outcome(source, bug=traceback.format_exc())
    entry = entry_for(
        written, source.rel, target.name,
        # the bytes actually rendered (the file may have changed since it was planned)
        input_hash(_worker["shared"], source.rel, written.topic.source,
                   *topic_inputs(source.path, written.topic.source)),
    )
    return Outcome(source, entry=entry, staged=target, pdf=written.pdf.data)

def entry_for(written: Rendered, rel: str, output: str, digest: str) -> Entry:
    """The manifest entry of a rendered topic (``rel``, written as ``output``, input hash
    ``digest``), the same for every executor."""
    assert written.topic is not None and written.review is not None
    topic = written.topic.topic
    status = written.review
    return Entry(
        id=written.topic.id,
        source=rel,
        title=topic.title,
        category=topic.category,
        language=topic.language,
        output=output,
        pages=written.pdf.pages,
        bytes=len(written.pdf.data),
        sha256=hashlib.sha256(written.pdf.data).hexdigest(),
        input_hash=digest,
        reviewed=status.reviewed.isoformat() if status.reviewed else None,
        review_state=status.state.value,
        status=topic.status,
        next_review=status.next_review.isoformat() if status.next_review else None,
        watermark=written.watermark_key,
        example=status.example,
        codes=tuple(code.token for code in topic.codes),
    )


#: Threads that write staged PDFs (each write is flushed to disk: mostly waiting, no CPU).
WRITER_THREADS = 4


class StagingWriter:
    """Writes rendered PDFs into the build's staging folder on a few threads.

    Each file is written atomically and flushed to disk (``write_atomic``), which can take
    tens of milliseconds on a busy disk: done here, off the workers' path, a worker starts
    its next document at once. :meth:`done` hands back, in the calling thread, the outcomes
    whose file is safely written (or that failed to be: an output problem for that topic).
    """

    def __init__(self, threads: int = WRITER_THREADS):
        self.pool = ThreadPoolExecutor(threads, thread_name_prefix="make-handout-writer")
        self.pending: set[Future[Outcome]] = set()

    def put(self, outcome: Outcome) -> Outcome | None:
        """Write ``outcome``'s PDF; an outcome without one is handed back at once."""
        if not outcome.pdf:
            return outcome
        self.pending.add(self.pool.submit(_write_staged, outcome))
        return None

    def done(self, block: bool = False) -> list[Outcome]:
        """The outcomes written so far (with ``block``, wait for at least one if any)."""
        if block and self.pending:
            wait_futures(self.pending, return_when=FIRST_COMPLETED)
        finished = {future for future in self.pending if future.done()}
        self.pending -= finished
        return [future.result() for future in finished]

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)


def _write_staged(outcome: Outcome) -> Outcome:
    assert outcome.staged is not None
    try:
        write_atomic(outcome.staged, outcome.pdf)
    except UserError as error:
        return replace(outcome, entry=None, staged=None, pdf=b"", problems=tuple(error.problems))
    return replace(outcome, pdf=b"")


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

def longest_first(jobs: list[Job]) -> list[Job]:
    """``jobs``, the largest topic files first (ties in their order), so that a long topic
    never starts last and keeps one worker busy while the others wait at the end."""

    def size(job: Job) -> int:
        try:
            return job.source.path.stat().st_size
        except OSError:
            return 0  # the worker reports why it cannot be read

    return sorted(jobs, key=size, reverse=True)


#: Jobs handed to a worker ahead: the next one waits in its pipe while it renders, so a
#: worker never waits for the main process between documents.
AHEAD = 2
#: A worker's successor is started this many documents before the worker retires, so that it
#: has imported WeasyPrint and set up its renderer by the time it takes over.
SUCCESSOR_LEAD = 8
#: Worker processes that may die before their first job before the build gives up on them.
START_FAILURES = 3


def worker_context(render_topic: Callable[..., Any] | None = None) -> Any:
    """The multiprocessing context workers start in (:func:`fork_server.worker_context`): a
    fork server that has imported :data:`fork_server.PRELOAD` and ``render_topic``'s module
    where there is one, else ``spawn``."""
    return fork_server.worker_context(getattr(render_topic, "__module__", None))


def warm_up(render_topic: Callable[..., Any] | None = None) -> bool:
    """Start the fork server now (:func:`fork_server.warm_up`), so that it imports WeasyPrint
    and the pipeline while the build reads, hashes and plans. The CLI has usually started it
    already, before importing the service; then this does nothing. True if it is running."""
    return fork_server.warm_up(getattr(render_topic, "__module__", None))


class _Slot:
    """One worker process, its pipe, and the jobs handed to it (numbered, in order)."""

    def __init__(self, context: Any, args: tuple[Any, ...]):
        self.conn, child = context.Pipe(duplex=True)
        self.process = context.Process(target=_serve, args=(child, time.monotonic(), *args),
                                       daemon=True, name="make-handout worker")
        self.process.start()
        child.close()
        self.sent: dict[int, Job] = {}  # handed over, not finished
        self.running: int | None = None  # the job it said it started
        self.started = 0.0
        self.assigned = 0  # jobs handed to it in its life
        self.successor: _Slot | None = None
        self.dead = False
        self.closed = False

    def give(self, number: int, job: Job) -> None:
        self.sent[number] = job
        self.assigned += 1
        try:
            self.conn.send((number, job))
        except OSError:  # it died: its sentinel says so, and the job is handed back
            self.dead = True

    def close(self) -> None:
        """Ask it to exit (it has nothing in hand) and wait for it."""
        if not self.closed:
            self.closed = True
            try:
                self.conn.send(None)
            except OSError:
                pass
            self.process.join(5)
            if self.process.is_alive():
                self.process.kill()
                self.process.join()
            self.conn.close()

    def kill(self) -> None:
        self.closed = True
        self.process.kill()
        self.process.join()
        self.conn.close()


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

    Each worker is a process of its own with a pipe to this one: it is handed the next job
    while it renders (:data:`AHEAD`), says when it starts one, and sends each outcome back,
    so no worker waits for the main process and a crash or a time-out names its topic. A
    topic whose worker dies is tried once more in another worker; if it kills that one too it
    is reported as crashed, and every other topic is still rendered. A worker is replaced
    after :data:`WORKER_DOCUMENTS` documents by a successor started shortly before
    (:data:`SUCCESSOR_LEAD`), so no core waits for a start-up. A job that runs longer than
    ``timeout`` seconds (counted from the moment its worker starts it) is reported as failed
    (:func:`_timed_out`): that worker is stopped and replaced, the others carry on. ``work``
    and ``render_topic`` (what :func:`render_job` calls) must be module-level functions
    (workers import them by name). Outcomes arrive in any order.
    """
    if not jobs:
        return
    began, began_cpu = time.monotonic(), time.process_time()
    stats = os.environ.get(STATS_VARIABLE) or None
    context = worker_context(render_topic)
    # the workers' temporary files (WeasyPrint's copies of the fonts), removed when the build
    # ends whatever became of them: a worker killed for its time cannot remove its own (and
    # those of builds that were killed are removed first: build/scratch.py)
    temp = Scratch()
    args = (str(brand_dir), shared, render, os.getpid(), render_topic, work, stats, temp.path)
    queue: deque[tuple[int, Job]] = deque(enumerate(jobs))
    crashed: set[int] = set()  # jobs whose worker died once
    start_failures = 0
    writer = StagingWriter()

    def finished(outcome: Outcome) -> None:
        """A worker's outcome: written to staging first if it carries a PDF."""
        if writer.put(outcome) is not None:
            on_outcome(outcome)

    active = [_Slot(context, args) for _ in range(max(1, min(workers, len(jobs))))]
    try:
        while active:
            # hand out work: one running and one waiting per worker while there is plenty
            ahead = AHEAD if len(queue) >= AHEAD * len(active) else 1
            for slot in active:
                while (queue and not slot.dead and len(slot.sent) < ahead
                       and slot.assigned < WORKER_DOCUMENTS):
                    slot.give(*queue.popleft())
                if (slot.successor is None and queue
                        and slot.assigned >= WORKER_DOCUMENTS - SUCCESSOR_LEAD):
                    slot.successor = _Slot(context, args)
            # workers with nothing more to do leave; a retiring one hands over to its successor
            for slot in list(active):
                if slot.sent or slot.dead:
                    continue
                if queue and slot.assigned < WORKER_DOCUMENTS:
                    continue
                slot.close()
                active.remove(slot)
                _replace(slot, active, queue, context, args)
            if not active:
                break
            now = time.monotonic()
            running = [s for s in active if s.running is not None]
            wait_for = min([0.02 if writer.pending else 1.0]
                           + [s.started + timeout - now for s in running])
            ready = set(wait_connections(
                [s.conn for s in active] + [s.process.sentinel for s in active],
                timeout=max(0.0, wait_for)))
            for slot in list(active):
                if slot.conn in ready or slot.process.sentinel in ready or slot.dead:
                    if not _receive(slot, finished):
                        slot.dead = True
                if slot.dead:
                    start_failures += _bury(slot, queue, crashed, on_outcome)
                    active.remove(slot)
                    if start_failures >= START_FAILURES:
                        if slot.successor is not None:
                            slot.successor.kill()
                        _give_up(queue, active, on_outcome)
                        active.clear()
                        break
                    _replace(slot, active, queue, context, args)
            for outcome in writer.done():
                on_outcome(outcome)
            now = time.monotonic()
            for slot in list(active):
                if slot.running is not None and now - slot.started >= timeout:
                    late = slot.sent.pop(slot.running)
                    slot.kill()
                    on_outcome(_timed_out(late.source, timeout))
                    # the jobs waiting in its pipe were never started: hand them out again
                    queue.extendleft(reversed(list(slot.sent.items())))
                    active.remove(slot)
                    _replace(slot, active, queue, context, args)
        while writer.pending:
            for outcome in writer.done(block=True):
                on_outcome(outcome)
        if stats:
            _append_stats(stats, kind="main", jobs=len(jobs), wall=time.monotonic() - began,
                          cpu_before=began_cpu, cpu=time.process_time())
    finally:
        for slot in active:  # interrupted (Ctrl-C): stop every worker at once
            for each in (slot, slot.successor):
                if each is not None and not each.closed:
                    each.kill()
        writer.close()
        temp.remove()


def _replace(slot: _Slot, active: list[_Slot], queue: deque[tuple[int, Job]], context: Any,
             args: tuple[Any, ...]) -> None:
    """``slot`` has left: its successor (or a new worker) takes its place while there is work."""
    if queue:
        active.append(slot.successor or _Slot(context, args))
    elif slot.successor is not None:
        slot.successor.close()


def _receive(slot: _Slot, on_outcome: Callable[[Outcome], None]) -> bool:
    """Read what ``slot``'s worker has sent; False when it has died."""
    try:
        while slot.conn.poll():
            message = slot.conn.recv()
            if message[0] == "start":
                slot.running, slot.started = message[1], time.monotonic()
            else:
                _, number, outcome = message
                del slot.sent[number]
                slot.running = None
                on_outcome(outcome)
    except (EOFError, OSError):
        return False
    return slot.process.is_alive() or slot.process.exitcode is None


def _bury(slot: _Slot, queue: deque[tuple[int, Job]], crashed: set[int],
          on_outcome: Callable[[Outcome], None]) -> int:
    """A worker died: its topic in hand is tried once more (then reported as crashed), those
    waiting in its pipe go back to the queue. Returns 1 if it died before its first job."""
    slot.process.join()
    code = slot.process.exitcode
    slot.closed = True
    slot.conn.close()
    number = slot.running
    waiting = [(n, job) for n, job in slot.sent.items() if n != number]
    queue.extendleft(reversed(waiting))
    if number is None:
        return 1 if slot.assigned == len(waiting) else 0
    job = slot.sent[number]
    if number in crashed:
        detail = f"exit code {code}" if code is not None and code >= 0 else f"signal {-code}"
        on_outcome(_crash(job.source, detail if code is not None else "crashed"))
    else:
        crashed.add(number)
        queue.appendleft((number, job))
    return 0


def _give_up(queue: deque[tuple[int, Job]], active: list[_Slot],
             on_outcome: Callable[[Outcome], None]) -> None:
    """Worker processes keep dying before their first job: report what is left as crashed."""
    for slot in active:
        queue.extendleft(reversed(list(slot.sent.items())))
        for each in (slot, slot.successor):
            if each is not None and not each.closed:
                each.kill()
    while queue:
        _, job = queue.popleft()
        on_outcome(_crash(job.source, "no worker process could be started"))


def _serve(*args: Any) -> None:
    """A worker process (:func:`_serve_jobs`), its calls given room on CPython's frame stack
    (:mod:`handout_builder.render.stack_room`: without it, WeasyPrint's layout maps and unmaps
    a chunk of that stack thousands of times per document)."""
    call_with_room(_serve_jobs, *args)


def _serve_jobs(conn: Any, created: float, brand_dir: str, shared: str, render: RenderOptions,
                parent: int, render_topic: RenderInFolder | None, work: Callable[[Job], Outcome],
                stats: str | None = None, temp: str | None = None) -> None:
    """A worker process: set up the renderer once, then render what arrives until told to
    stop (None) or the pipe closes. With ``stats`` (a file), it appends its timings when it
    ends: start-up, waiting for its first job, waiting between jobs (idle), CPU. Its
    temporary files go into ``temp`` (the build removes that folder)."""
    if temp:
        tempfile.tempdir = temp
    # Ctrl-C is the main process's business: it stops the workers and writes the manifest
    # of everything done so far.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    exit_with_parent(parent)
    _worker["shared"] = shared
    init_worker(brand_dir, render, render_topic)
    # Everything the worker holds now (the pipeline, WeasyPrint, its renderer) lives as long
    # as it does: frozen out of the collector's sight, each collection while rendering walks
    # only the documents' own objects (a worker's collections took half the time in
    # bench/, about 2% of its CPU), and none writes to the pages shared with the fork server.
    gc.freeze()
    ready, ready_cpu = time.monotonic(), time.process_time()
    first_wait, idle, done = 0.0, 0.0, 0
    try:
        while True:
            waited = time.monotonic()
            try:
                message = conn.recv()
            except (EOFError, OSError):
                return
            if message is None:
                return
            if done:
                idle += time.monotonic() - waited
            else:
                first_wait = time.monotonic() - waited
            number, job = message
            conn.send(("start", number))
            try:
                outcome = work(job)
            except Exception:
                outcome = Outcome(job.source, bug=traceback.format_exc())
            conn.send(("done", number, outcome))
            done += 1
    finally:
        if "renderer" in _worker:
            _worker["renderer"].close()  # the worker ends with os._exit: no clean-up runs
        if stats:
            _append_stats(stats, kind="worker", jobs=done, start_up=ready - created,
                          first_wait=first_wait, idle=idle, cpu_start_up=ready_cpu,
                          cpu=time.process_time(), wall=time.monotonic() - created,
                          frozen=gc.get_freeze_count())


def _append_stats(file: str, **fields: Any) -> None:
    """One JSON line of timings (see :data:`STATS_VARIABLE`), with the process's system
    (kernel) CPU seconds and page faults; for benchmarks only."""
    import json
    import resource

    usage = resource.getrusage(resource.RUSAGE_SELF)
    with open(file, "a", encoding="utf-8") as out:
        out.write(json.dumps({"pid": os.getpid(), **fields, "system": usage.ru_stime,
                              "faults": usage.ru_minflt}) + "\n")

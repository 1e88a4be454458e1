"""Batch builds: a whole library of topics into one output folder, fast and incremental.

The build, as a numbered list of plain functions:

1. :func:`discover` finds every topic YAML under the library folder.
2. :func:`shared_fingerprint` hashes everything that shapes every PDF (code, templates,
   styles, fonts, the brand, package versions, options), once per build;
   :func:`input_hash` adds one topic's path and bytes.
3. :func:`plan` compares those hashes with ``OUT/manifest.json``: build, skip (unchanged and
   the PDF intact) or remove (the source is gone).
4. :func:`run_jobs` renders what must be built in worker processes. Each worker keeps one warm
   :class:`~handout_builder.render.pdf.Renderer` (fonts, stylesheets, image cache, Jinja environment)
   for its whole life and calls :func:`handout_builder.service.render_file`, the same
   function as ``make-handout render``. One bad topic, or one crashed worker, fails that
   topic only.
5. :func:`manifest_bytes` and :func:`write_catalogue` publish ``manifest.json`` and
   ``index.html`` atomically, also when the build is interrupted.

Workers are started with the ``spawn`` method: a fresh interpreter that imports WeasyPrint
and loads Fontconfig itself. ``fork``, ``forkserver`` and ``spawn`` all work here and give the
same bytes (checked by rendering in a parent first, then in each kind of worker), but a forked
child inherits whatever the parent holds: Fontconfig's and Pango's caches and locks (the
test runner and a future server render in-process) and any threads, where a lock held at fork
time deadlocks the child; Python 3.12+ warns about forking a threaded process, and 3.14 no
longer forks by default. ``spawn`` is the same on every platform and costs about half a
second per worker, once, which a warm renderer pays back within a few documents.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import queue as queues
import re
import shutil
import signal
import tempfile
import threading
import time
import traceback
from collections import deque
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, fields, replace
from datetime import date
from importlib import metadata
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import quote

from handout_builder import __version__
from handout_builder.domain.models import ID_PATTERN
from handout_builder.domain.options import RenderOptions
from handout_builder.domain.problems import InvalidBrand, InvalidTopic, Problem, UserError
from handout_builder.domain import review
from handout_builder.domain.review import ReviewStatus, classify, policy, render_permission, review_state
from handout_builder.output.store import make_folder, output_error, output_path, write_atomic
from handout_builder.paths import STYLES_DIR, TEMPLATES_DIR
from handout_builder.render.html import template_environment
from handout_builder.render.pdf import Renderer
from handout_builder.sources.library import LibrarySettings, library_for, settings_path_for, topic_files
from handout_builder.sources.loader import LoadedTopic, load_brand, load_topic_bytes, read_regular_file

try:
    import fcntl
except ImportError:  # pragma: no cover - not on POSIX: no output lock
    fcntl = None  # type: ignore[assignment]

MANIFEST_NAME = "manifest.json"
STAGING_PREFIX = ".building-"  # a build's temporary folder inside OUT
#: How often a worker checks that the build that started it is still alive.
PARENT_CHECK_SECONDS = 0.5
CATALOGUE_NAME = "index.html"
CATALOGUE_TEMPLATE = "catalogue.html.j2"  # shapes index.html only, so not part of input hashes
MANIFEST_FORMAT = 2  # 2: review status, next review date and watermark per handout
#: Python packages whose version can change a PDF's bytes; part of every input hash.
OUTPUT_PACKAGES = (
    "weasyprint", "pydyf", "tinycss2", "cssselect2", "fonttools", "pyphen", "pillow",
    "pydantic", "markdown-it-py", "PyYAML", "Jinja2", "MarkupSafe",
)
PACKAGE_DIR = Path(__file__).resolve().parent.parent
#: Documents a worker renders before it is replaced by a fresh one. WeasyPrint's native side
#: (Pango, HarfBuzz) keeps about 13 KiB per document even with a reused font configuration
#: (measured with bare WeasyPrint too; see bench/), so workers are recycled to keep memory
#: flat on any library size. A new worker costs about half a second: under 1% of 500 renders.
WORKER_DOCUMENTS = 500
#: Seconds one topic may take to render in ``build`` before its worker is stopped and the
#: topic reported as failed (``--timeout``). A leaflet takes about a second; the limit
#: only catches pathological inputs that lay out for minutes or hours.
DEFAULT_TIMEOUT = 120.0


# --------------------------------------------------------------------------------------
# Plain data
# --------------------------------------------------------------------------------------


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
class BuildConfig:
    """What one ``make-handout build`` was asked to do."""

    library: Path
    out_dir: Path
    brand_dir: Path
    jobs: int
    force: bool = False
    #: The variant (large print, archival, size budget): part of every input hash.
    render: RenderOptions = RenderOptions()
    #: The date review states are judged on (None: today, from ``review.today()``).
    as_of: date | None = None
    #: Print draft, withdrawn, never-reviewed and overdue topics with a watermark.
    allow_draft: bool = False
    #: Seconds one topic may take before its worker is stopped (see DEFAULT_TIMEOUT).
    timeout: float = DEFAULT_TIMEOUT

    @property
    def options(self) -> tuple[tuple[str, str], ...]:
        """The render options as they enter every input hash."""
        return tuple((name, str(value)) for name, value in sorted(asdict(self.render).items()))


@dataclass(frozen=True)
class Entry:
    """One handout in ``manifest.json``."""

    id: str
    source: str  # relative to the library folder, with forward slashes
    title: str
    category: str
    language: str
    output: str  # file name inside the output folder
    pages: int
    bytes: int
    sha256: str  # of the PDF
    input_hash: str  # of everything that shaped the PDF (see shared_fingerprint)
    reviewed: str | None  # the review date, YYYY-MM-DD, or null
    review_state: str  # current, due-soon, overdue, never-reviewed, draft, withdrawn, future-date
    status: str = "approved"  # the topic's status field
    next_review: str | None = None  # YYYY-MM-DD, or null when never reviewed
    watermark: str | None = None  # the watermark printed (a catalogue key), or null
    example: bool = False  # an example topic (always printed, marked EXAMPLE)


@dataclass(frozen=True)
class Source:
    """One topic file found in the library, with its input hash."""

    path: Path
    rel: str
    input_hash: str


@dataclass(frozen=True)
class Plan:
    build: list[Source]
    skip: list[Entry]
    remove: list[Entry]


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


@dataclass
class BuildResult:
    built: list[Entry] = field(default_factory=list)
    unchanged: list[Entry] = field(default_factory=list)
    removed: list[Entry] = field(default_factory=list)
    failed: list[Outcome] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def has_bug(self) -> bool:
        return any(outcome.bug for outcome in self.failed)


class Reporter:
    """Receives progress; the command line shows it (see ``progress.py``). Does nothing."""

    def waiting(self, out_dir: Path) -> None:
        """Another build holds ``out_dir``: this one waits until it has finished."""

    def start(self, to_build: int, unchanged: int, removed: int) -> None: ...

    def finished(self, outcome: Outcome) -> None: ...

    def close(self) -> None: ...


# --------------------------------------------------------------------------------------
# 1. Discover
# --------------------------------------------------------------------------------------


def discover(library: Path) -> list[Path]:
    """Every topic file under ``library``, by the same rule as ``check``
    (:func:`library.topic_files`: recursive, hidden files and folders left out)."""
    if not library.is_dir():
        raise InvalidTopic(
            Problem(str(library), "The library folder does not exist.",
                    "Name the folder that holds the topic YAML files (default: handouts/).")
        )
    found = topic_files(library)
    if not found:
        raise InvalidTopic(
            Problem(str(library), "There are no topic files (*.yaml) in this folder.",
                    "Check the folder name; nothing was built or removed.")
        )
    return found


# --------------------------------------------------------------------------------------
# 2. Input hashes
# --------------------------------------------------------------------------------------


def _file_digests(root: Path, skip: Callable[[Path], bool] = lambda p: False) -> list[str]:
    lines = []
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root)
        if (
            not path.is_file()
            or any(part.startswith(".") or part == "__pycache__" for part in rel.parts)
            or skip(path)
        ):
            continue
        lines.append(f"{rel.as_posix()} {hashlib.sha256(path.read_bytes()).hexdigest()}")
    return lines


def package_versions() -> list[str]:
    versions = []
    for name in OUTPUT_PACKAGES:
        try:
            versions.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            versions.append(f"{name} absent")
    return versions


def shared_fingerprint(brand_dir: Path, options: Iterable[tuple[str, str]] = ()) -> str:
    """SHA-256 of everything, except the topic, that shapes a PDF; computed once per build.

    The tool's version and code (including the message catalogues), the templates, the
    stylesheets and fonts in ``styles/`` (other brands' folders excepted), the brand folder,
    the versions of the packages that lay out and write the PDF, and the render options.
    System libraries (Pango, HarfBuzz) are not covered: use ``--force`` after upgrading them.
    """
    brand_dir = brand_dir.resolve()

    def other_brand(path: Path) -> bool:
        return any(
            (parent / "brand.yaml").is_file() and parent != brand_dir
            for parent in path.parents
            if parent.is_relative_to(STYLES_DIR) and parent != STYLES_DIR
        )

    parts = [f"make_handout {__version__}", *package_versions()]
    parts += [f"option {key}={value}" for key, value in sorted(options)]
    parts += ["[code]", *_file_digests(PACKAGE_DIR)]
    parts += ["[templates]", *_file_digests(
        TEMPLATES_DIR, skip=lambda path: path == TEMPLATES_DIR / CATALOGUE_TEMPLATE)]
    parts += ["[styles]", *_file_digests(STYLES_DIR, skip=other_brand)]
    parts += ["[brand]", *_file_digests(brand_dir)]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def input_hash(shared: str, rel: str, source: bytes, settings: bytes = b"") -> str:
    """The input hash of one topic: the shared fingerprint, its path (the default id), its
    bytes and the bytes of the ``library.yaml`` that applies to it (the review interval)."""
    digest = hashlib.sha256()
    for part in (shared.encode(), rel.encode(), source, settings):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


def file_sha256(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


# --------------------------------------------------------------------------------------
# 3. Plan
# --------------------------------------------------------------------------------------


def read_manifest(out_dir: Path) -> dict[str, Entry]:
    """The previous build's entries by source; empty when there is none or it is unreadable."""
    try:
        data = json.loads((out_dir / MANIFEST_NAME).read_text(encoding="utf-8"))
        if data.get("format") != MANIFEST_FORMAT:
            return {}
        names = {f.name for f in fields(Entry)}
        entries = [Entry(**{k: v for k, v in raw.items() if k in names}) for raw in data["handouts"]]
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return {}  # no manifest, or not ours: everything is built again
    # only "<id>[.variant].pdf" names: an edited manifest cannot make us read or delete elsewhere
    return {entry.source: entry for entry in entries if _safe_output(entry)}


_VARIANT_SUFFIXES = {
    RenderOptions(large_print=lp, archival=ar).file_suffix for lp in (False, True) for ar in (False, True)
}


def _safe_output(entry: Entry) -> bool:
    return (
        isinstance(entry.output, str) and isinstance(entry.id, str)
        and re.fullmatch(ID_PATTERN, entry.id) is not None
        and entry.output.startswith(entry.id)
        and entry.output[len(entry.id):] in _VARIANT_SUFFIXES
    )


def _output_file(out_dir: Path, entry: Entry) -> Path:
    """The entry's PDF, checked to be inside ``out_dir``."""
    return output_path(out_dir, entry.id, suffix=entry.output[len(entry.id):])


def is_intact(out_dir: Path, entry: Entry) -> bool:
    """The PDF is there and is the one the manifest describes."""
    return _safe_output(entry) and file_sha256(_output_file(out_dir, entry)) == entry.sha256


def plan(sources: list[Source], previous: dict[str, Entry], out_dir: Path, force: bool) -> Plan:
    """Which topics to build, which to leave as they are, which PDFs to remove."""
    build, skip = [], []
    for source in sources:
        old = previous.get(source.rel)
        if (
            not force
            and old is not None
            and old.input_hash == source.input_hash
            and is_intact(out_dir, old)
        ):
            skip.append(old)
        else:
            build.append(source)
    present = {source.rel for source in sources}
    remove = [entry for rel, entry in previous.items() if rel not in present]
    return Plan(build=build, skip=skip, remove=remove)


# --------------------------------------------------------------------------------------
# 4. Render, in worker processes
# --------------------------------------------------------------------------------------


def recheck_unchanged(
    entry: Entry, source: Source, config: BuildConfig, settings: LibrarySettings | None = None
) -> Entry | str:
    """Judge an unchanged handout's review state on ``config.as_of`` without rendering it.

    The state depends on the date, so a leaflet that was current when it was built may be
    overdue now. Returns the entry with its state brought up to date, or ``"rebuild"`` when
    its watermark must change, or ``"refuse"`` when the policy no longer lets it be printed.
    ``settings``: the library settings that apply to it (None: its folder's library.yaml).
    """
    if settings is None:
        settings = library_for(source.path).settings
    due = date.fromisoformat(entry.next_review) if entry.next_review else None
    reviewed = date.fromisoformat(entry.reviewed) if entry.reviewed else None
    state = classify(entry.status, reviewed, due, config.as_of, settings.due_soon_days)
    allowed, watermark = policy(state, config.allow_draft, entry.example)
    if not allowed:
        return "refuse"
    if watermark != entry.watermark:
        return "rebuild"
    return replace(entry, review_state=state.value)


def refusal(source: Source, data: bytes, config: BuildConfig, settings: LibrarySettings) -> Outcome:
    """The policy's own message for a topic it refuses, located in the file: from the bytes
    read for its input hash (nothing is read from disk again), by the one review decision."""
    loaded = load_topic_bytes(data, source.path)
    assert config.as_of is not None
    status = review_state(loaded.topic, config.as_of, settings)
    try:
        render_permission(status, str(source.path), False, loaded.positions)
    except UserError as error:
        return Outcome(source, problems=tuple(error.problems), refused=True)
    raise AssertionError(f"{source.rel}: the review policy was expected to refuse it")


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
            _worker["shared"], source.rel, written.topic.source, _settings_bytes(source.path)
        ),
        reviewed=status.reviewed.isoformat() if status.reviewed else None,
        review_state=status.state.value,
        status=topic.status,
        next_review=status.next_review.isoformat() if status.next_review else None,
        watermark=written.watermark_key,
        example=status.example,
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


# --------------------------------------------------------------------------------------
# 5. Publish
# --------------------------------------------------------------------------------------


def manifest_bytes(entries: Iterable[Entry], brand_name: str | None) -> bytes:
    data = {
        "format": MANIFEST_FORMAT,
        "generator": f"make_handout {__version__}",
        "brand": brand_name,
        # when the catalogue's template changes, the manifest changes and index.html is redone
        "catalogue_template": file_sha256(TEMPLATES_DIR / CATALOGUE_TEMPLATE),
        "handouts": [asdict(entry) for entry in sorted(entries, key=lambda e: (e.id, e.source))],
    }
    return (json.dumps(data, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def catalogue_html(entries: Iterable[Entry], brand_name: str | None) -> str:
    """``index.html``: the library grouped by category, each title linking its PDF."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for entry in sorted(entries, key=lambda e: (e.category.casefold(), e.title.casefold(), e.id)):
        groups.setdefault(entry.category, []).append(asdict(entry) | {"href": quote(entry.output)})
    env = template_environment((TEMPLATES_DIR,))
    return env.get_template(CATALOGUE_TEMPLATE).render(
        brand_name=brand_name, groups=list(groups.items()),
        count=sum(len(g) for g in groups.values()),
    )


def write_catalogue(out_dir: Path, entries: Iterable[Entry], brand_name: str | None) -> None:
    """Write ``index.html`` (atomically) unless it already holds exactly this catalogue."""
    path = out_dir / CATALOGUE_NAME
    html = catalogue_html(entries, brand_name).encode("utf-8")
    if not path.is_file() or path.read_bytes() != html:
        write_atomic(path, html)


# --------------------------------------------------------------------------------------
# The build
# --------------------------------------------------------------------------------------


@contextmanager
def output_lock(out_dir: Path, on_wait: Callable[[], None] = lambda: None) -> Iterator[None]:
    """Hold ``out_dir`` for one build: a second build into it waits (``on_wait`` is called
    once) until the first has written its manifest. An advisory lock (``flock``) on the folder
    itself, so nothing is left in it; it ends with the process, even after ``kill -9``.
    Without ``fcntl`` (Windows) there is no lock."""
    if fcntl is None:  # pragma: no cover - not on POSIX
        yield
        return
    try:
        fd = os.open(out_dir, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError as error:
        raise output_error(out_dir, error) from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            on_wait()
            fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # releases the lock


def remove_stale_staging(out_dir: Path) -> list[Path]:
    """Remove the temporary folders that a killed build left in ``out_dir``.

    Call it only while holding :func:`output_lock`: then no other build is writing there,
    so every staging folder is a dead build's."""
    removed = []
    for path in sorted(out_dir.glob(f"{STAGING_PREFIX}*")):
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
    return removed


def default_jobs() -> int:
    try:
        return len(os.sched_getaffinity(0)) or 1
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def build(
    config: BuildConfig, reporter: Reporter | None = None, *, render: RenderInFolder
) -> BuildResult:
    """Build the library: render what changed, skip what did not, remove what was deleted.

    Raises a :class:`UserError` only for problems that stop the whole build (no library
    folder, no topics, an unusable brand or output folder); a bad topic is a failed
    :class:`Outcome`. The output folder is locked while the build writes it (a second build
    waits, see :func:`output_lock`); staging folders left by a killed build are removed.
    ``render`` renders one topic in a worker (the service's ``render_in_folder``).
    """
    reporter = reporter or Reporter()
    started = time.perf_counter()
    if config.as_of is None:
        config = replace(config, as_of=review.today())  # the module's: tests pin it
    library, out_dir = config.library, config.out_dir
    paths = discover(library)
    shared = shared_fingerprint(config.brand_dir, config.options)
    sources, contents = [], {}
    for path in paths:
        rel = path.relative_to(library).as_posix()
        try:
            data = read_regular_file(path)  # never blocks on a FIFO or a device
        except OSError:
            data = b""  # the loader reports why it cannot be read
        digest = input_hash(shared, rel, data, _settings_bytes(path))
        sources.append(Source(path=path, rel=rel, input_hash=digest))
        contents[rel] = data
    make_folder(out_dir)  # an output problem (a file, read-only) stops the build here
    with output_lock(out_dir, on_wait=lambda: reporter.waiting(out_dir)):
        remove_stale_staging(out_dir)
        result = _build_locked(config, reporter, sources, shared, contents, render)
    result.seconds = time.perf_counter() - started
    return result


def _build_locked(
    config: BuildConfig, reporter: Reporter, sources: list[Source], shared: str,
    contents: dict[str, bytes], render: RenderInFolder,
) -> BuildResult:
    """The build, once it holds the output folder (see :func:`output_lock`)."""
    library, out_dir = config.library, config.out_dir
    previous = read_manifest(out_dir)
    the_plan = plan(sources, previous, out_dir, config.force)
    # Review states depend on the date: judge the unchanged handouts again.
    by_rel = {source.rel: source for source in sources}
    refused: list[Outcome] = []
    to_build, skip = list(the_plan.build), []
    for entry in the_plan.skip:
        source = by_rel[entry.source]
        settings = library_for(source.path).settings  # found once per topic, passed on
        verdict = recheck_unchanged(entry, source, config, settings)
        if verdict == "refuse":
            refused.append(refusal(source, contents[source.rel], config, settings))
        elif verdict == "rebuild":
            to_build.append(by_rel[entry.source])
        else:
            skip.append(verdict)
    the_plan = Plan(build=to_build, skip=skip, remove=the_plan.remove)
    result = BuildResult(unchanged=list(the_plan.skip))

    # The entries the output folder will hold, by source. A failed topic keeps its last good
    # PDF and entry (its old input hash makes the next build try again).
    entries: dict[str, Entry] = {entry.source: entry for entry in the_plan.skip}
    entries |= {s.rel: previous[s.rel] for s in the_plan.build
                if s.rel in previous and is_intact(out_dir, previous[s.rel])}
    changed = (
        bool(the_plan.build or the_plan.remove or refused)
        or not (out_dir / CATALOGUE_NAME).is_file()
    )
    if changed:
        brand_name = load_brand(config.brand_dir).brand.name  # a bad brand stops here
    else:
        brand_name = _previous_brand_name(out_dir)
    reporter.start(len(the_plan.build), len(the_plan.skip), len(the_plan.remove))

    def withdraw(outcome: Outcome) -> None:
        """A refused topic's previous PDF must not stay published."""
        old = entries.pop(outcome.source.rel, None) or previous.get(outcome.source.rel)
        if old is not None:
            _remove_unclaimed(out_dir, old, entries)


    staging_root = None
    brand_error: list[Problem] = []
    try:
        if the_plan.build:
            try:
                staging_root = Path(tempfile.mkdtemp(dir=out_dir, prefix=STAGING_PREFIX))
            except OSError as error:
                raise output_error(out_dir, error) from None
            jobs = [
                Job(source=s, staging=staging_root / str(i), as_of=config.as_of,
                    allow_draft=config.allow_draft)
                for i, s in enumerate(the_plan.build)
            ]

            def publish(outcome: Outcome) -> None:
                if outcome.brand_problem:
                    if not brand_error:
                        brand_error.extend(outcome.problems)
                    return
                if outcome.ok:
                    outcome = _claim(outcome, entries, library, result)
                if outcome.ok:
                    assert outcome.entry is not None and outcome.staged is not None
                    old = entries.get(outcome.source.rel)
                    target = out_dir / outcome.entry.output
                    try:
                        os.replace(outcome.staged, target)
                    except OSError as error:  # e.g. a folder where the PDF goes
                        outcome = replace(outcome, entry=None, problems=tuple(
                            output_error(target, error).problems))
                        result.failed.append(outcome)
                        reporter.finished(outcome)
                        return
                    entries[outcome.source.rel] = outcome.entry
                    result.built.append(outcome.entry)
                    if old and old.output != outcome.entry.output:
                        _remove_unclaimed(out_dir, old, entries)
                else:
                    if outcome.refused:
                        withdraw(outcome)
                    result.failed.append(outcome)
                reporter.finished(outcome)

            run_jobs(jobs, min(config.jobs, len(jobs)), config.brand_dir, shared, publish,
                     render=config.render, timeout=config.timeout, render_topic=render)
        for outcome in refused:
            withdraw(outcome)
            result.failed.append(outcome)
            reporter.finished(outcome)
        for entry in the_plan.remove:
            entries.pop(entry.source, None)
            _remove_unclaimed(out_dir, entry, entries)
            result.removed.append(entry)
    finally:
        reporter.close()
        if staging_root is not None:
            shutil.rmtree(staging_root, ignore_errors=True)
        final = list(entries.values())
        new_manifest = manifest_bytes(final, brand_name)
        manifest_path = out_dir / MANIFEST_NAME
        if changed or not manifest_path.is_file() or manifest_path.read_bytes() != new_manifest:
            write_atomic(manifest_path, new_manifest)
            write_catalogue(out_dir, final, brand_name)
    if brand_error:
        raise InvalidBrand(brand_error)
    return result


def _previous_brand_name(out_dir: Path) -> str | None:
    try:
        return json.loads((out_dir / MANIFEST_NAME).read_text(encoding="utf-8"))["brand"]
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _claim(outcome: Outcome, entries: dict[str, Entry], library: Path,
           result: BuildResult) -> Outcome:
    """Two topics with the same id: the one whose source sorts first keeps the output."""
    assert outcome.entry is not None
    rel = outcome.source.rel
    for other in list(entries.values()):
        if other.source == rel or other.output != outcome.entry.output:
            continue
        if other.source < rel:
            return _duplicate(outcome.source, outcome.entry.id, other.source)
        # the new topic wins; the other loses its entry and is reported
        del entries[other.source]
        loser = Source(path=library / other.source, rel=other.source, input_hash=other.input_hash)
        lost = _duplicate(loser, other.id, rel)
        result.failed.append(lost)
        if other in result.built:
            result.built.remove(other)
        if other in result.unchanged:
            result.unchanged.remove(other)
    return outcome


def _duplicate(source: Source, handout_id: str, owner: str) -> Outcome:
    return Outcome(source, problems=(Problem(
        str(source.path), f"The id '{handout_id}' is also the id of {owner}, so both would "
        f"be written to {handout_id}.pdf; {owner} keeps it.",
        "Give each topic its own id (or file name).", field="id"),))


def _remove_unclaimed(out_dir: Path, entry: Entry, entries: dict[str, Entry]) -> bool:
    """Delete ``entry``'s PDF unless another current entry writes the same file."""
    if any(other.output == entry.output for other in entries.values()):
        return False
    try:
        _output_file(out_dir, entry).unlink()
    except (OSError, UserError):
        return False
    return True


def _settings_bytes(topic_path: Path) -> bytes:
    """The ``library.yaml`` that applies to a topic (review interval), or nothing."""
    try:
        return read_regular_file(settings_path_for(topic_path))
    except OSError:
        return b""  # the loader reports why it cannot be read

"""The Dask executor: a build's render jobs on a Dask distributed cluster.

``make-handout build --executor dask --scheduler ADDRESS`` renders with the same service
function as ``make-handout render``, on the workers of a running Dask cluster; the planner,
the manifest and publishing stay in the build's own process (the client):

* Each Dask worker keeps one warm renderer per brand and render options:
  :class:`WarmRenderers`, a worker plugin registered by the client under a name made from the
  build's shared fingerprint. The brand travels as bytes (its files); the plugin writes them
  to a private folder in the worker's own Dask folder (where all our temporary files go,
  so that Dask removes them with the worker, even a killed one), checks that the worker's
  make_handout, assets and package versions give the same fingerprint as the client's
  (else every topic fails with a plain message: its PDFs would not be byte-identical), and
  sets up the renderer once.
* Inputs travel as bytes: the topic file, its ``library.yaml`` settings, its input hash and
  every other file of the library its render reads (:class:`TopicFiles`: its figures, a
  translation's source topic, and the names of the topic's translations, whose languages a
  brand with ``other_languages`` prints). The worker lays them out in a private folder of
  its own for the one task, renders there and names the client's file in any problem, so it
  never reads the library folder. Results come back as bytes with their SHA-256
  (:func:`render_task`). The client checks the hash and the output name, writes each PDF
  atomically into the build's staging folder and hands the outcome to the build, which
  moves it into place and keeps the manifest exactly as for the local pool. No shared disk
  is needed, and nothing half-written is published.
* A task that raises is tried once more (``retries``); a worker that dies is replaced by its
  nanny and the scheduler hands its task to another worker, up to the scheduler's
  ``distributed.scheduler.allowed-failures`` (docs/scale.md); then the topic is reported as
  failed (exit 3, like a crashed local worker), and every other topic is still rendered.
* ``--timeout`` is not enforced on a cluster (Dask has no per-task time limit).

``distributed`` is an optional extra (``pip install make-handout[dask]``); this module is
imported only when the Dask executor is chosen.

Imports: domain, sources, render, output, build.executor, build.fingerprint; distributed.
"""

from __future__ import annotations

import hashlib
import tempfile
from functools import lru_cache
from pathlib import PurePosixPath
import threading
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any, Protocol

from distributed import Client, WorkerPlugin, as_completed, get_worker
from distributed.scheduler import KilledWorker

from handout_builder.build.executor import (
    Job, Outcome, Rendered, StagingWriter, entry_for, longest_first,
)
from handout_builder.build.fingerprint import input_hash, shared_fingerprint, topic_inputs
from handout_builder.domain.options import RenderOptions
from handout_builder.domain.problems import Problem, UserError
from handout_builder.output.store import output_path
from handout_builder.render.pdf import Renderer
from handout_builder.render.stack_room import call_with_room
from handout_builder.sources.brand_files import MAX_RASTER_BYTES
from handout_builder.sources.confined import confinement_problem
from handout_builder.sources.library import (
    LibrarySettings, library_for, source_of, translation_files, translation_name,
)
from handout_builder.sources.loader import (
    declared_figures, declared_id, load_brand, read_regular_file,
)

#: A task that raises (not a topic's problem: those are results) is tried this many more times.
RETRIES = 1
#: Tasks in flight per worker thread: enough that no worker waits for the next one.
IN_FLIGHT_PER_THREAD = 4
#: A brand folder larger than this is not sent to the workers (a brand is a YAML file, a logo
#: and perhaps a stylesheet and a few images).
BRAND_BYTES_LIMIT = 64 * 1024 * 1024
#: Seconds the client waits to reach the scheduler.
CONNECT_TIMEOUT = 30


class RenderBytes(Protocol):
    """Renders one topic given as bytes with a warm renderer, writing nothing: the service's
    ``render_bytes`` (module level, so that workers find it by name)."""

    def __call__(self, data: bytes, name: str, renderer: Renderer, as_of: date | None,
                 allow_draft: bool, settings: LibrarySettings) -> Rendered: ...


def brand_files(brand_dir: Path) -> dict[str, bytes]:
    """The brand folder's files as bytes, by relative path (hidden files and folders left
    out, as the fingerprint leaves them out)."""
    root = brand_dir.resolve()
    files: dict[str, bytes] = {}
    total = 0
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root)
        if any(part.startswith(".") or part == "__pycache__" for part in rel.parts):
            continue
        if path.is_symlink() or not path.is_file():
            continue
        data = read_regular_file(path)
        total += len(data)
        if total > BRAND_BYTES_LIMIT:
            raise UserError([Problem(
                str(brand_dir), f"The brand folder holds more than "
                f"{BRAND_BYTES_LIMIT // (1024 * 1024)} MiB, too much to send to the cluster's "
                "workers.", "Keep only the brand's own files (brand.yaml, the logo, brand.css "
                "and its images) in the brand folder.")])
        files[rel.as_posix()] = data
    return files


def plugin_name(shared: str) -> str:
    """The name of the worker plugin of one brand and set of render options."""
    return f"make-handout-renderer-{shared[:24]}"


class WarmRenderers(WorkerPlugin):
    """On each worker: the brand's files in a private folder and one warm renderer for them.

    ``idempotent``: registering the same brand again (the next build) keeps the warm one.
    """

    idempotent = True

    def __init__(self, shared: str, files: dict[str, bytes], options: RenderOptions):
        self.shared = shared
        self.files = files
        self.options = options
        self.renderer: Renderer | None = None
        self.problems: tuple[Problem, ...] = ()
        self.lock = threading.Lock()  # one document at a time per renderer
        self.folder: tempfile.TemporaryDirectory[str] | None = None

    def __getstate__(self) -> dict[str, Any]:
        return {"shared": self.shared, "files": self.files, "options": self.options}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["shared"], state["files"], state["options"])  # type: ignore[misc]

    def setup(self, worker: Any = None) -> None:
        # the worker's own folder (Dask removes it when the worker ends, and the next worker
        # on the machine removes that of a worker that was killed): the brand's files, and
        # WeasyPrint's copies of the fonts, made while the renderer is set up
        scratch = getattr(worker, "local_directory", None)
        self.folder = tempfile.TemporaryDirectory(prefix="make-handout-brand-", dir=scratch)
        brand_dir = Path(self.folder.name) / "brand"
        for rel, data in self.files.items():
            path = brand_dir / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        brand_dir.mkdir(exist_ok=True)
        options = tuple((name, str(value)) for name, value in sorted(asdict(self.options).items()))
        if shared_fingerprint(brand_dir, options) != self.shared:
            self.problems = (Problem(
                "the Dask worker", "This worker's make_handout, its assets or the versions of "
                "the packages that lay out PDFs differ from the build's, so its leaflets would "
                "not be byte-identical.", "Install the same make-handout and package versions "
                "on the workers as where the build runs (docs/scale.md)."),)
            return
        try:
            with _temporary_files_in(scratch):
                self.renderer = Renderer(load_brand(brand_dir), options=self.options)
        except UserError as error:
            self.problems = tuple(error.problems)

    def teardown(self, worker: Any = None) -> None:
        if self.renderer is not None:
            self.renderer.close()
        if self.folder is not None:
            self.folder.cleanup()


@contextmanager
def _temporary_files_in(folder: str | None) -> Iterator[None]:
    """Temporary files made meanwhile go into ``folder`` (None: the usual one). For
    WeasyPrint's copies of the fonts, which it makes where :mod:`tempfile` says."""
    previous = tempfile.tempdir
    if folder:
        tempfile.tempdir = folder
    try:
        yield
    finally:
        tempfile.tempdir = previous


@dataclass(frozen=True)
class TopicFiles:
    """The library's files that one topic's render reads besides the topic itself, sent with
    it, by path relative to the topic's folder: ``files`` with their bytes (its figures, a
    translation's source topic and the source's figures, which loading the source checks),
    ``names`` whose names only are read (the topic's translations: their languages are listed
    on a brand with ``other_languages``)."""

    files: tuple[tuple[str, bytes], ...] = ()
    names: tuple[str, ...] = ()


def topic_files(path: Path, data: bytes,
                translations: Callable[[Path], dict[str, dict[str, Path]]] = translation_files,
                ) -> TopicFiles:
    """What :class:`TopicFiles` holds for the topic at ``path`` (read here, on the client).
    A figure that cannot be read here (missing, outside the topic's folder, not a regular
    file, too large) is not sent: the worker reports it as it would a missing one."""
    folder = path.parent
    files: dict[str, bytes] = {}

    def add_figures(topic: bytes) -> None:
        for name in declared_figures(topic):
            if name in files or confinement_problem(folder, name, "The figure") is not None:
                continue
            try:
                files[name] = read_regular_file(folder / name, limit=MAX_RASTER_BYTES)
            except OSError:
                continue

    add_figures(data)
    source = source_of(path)
    if source is not None:
        try:
            files[source.name] = read_regular_file(source)
        except OSError:
            pass
        else:  # the source is loaded (and its figures checked) for the drift check
            add_figures(files[source.name])
    named = translation_name(path)
    ids = {named[0] if named else path.stem, declared_id(data)}
    listed = translations(folder)
    names = sorted({file.relative_to(folder).as_posix() for key in ids if key in listed
                    for file in listed[key].values()} - {path.name, *files})
    return TopicFiles(tuple(sorted(files.items())), tuple(names))


def _relative(name: str) -> PurePosixPath | None:
    """``name`` as a path inside a folder, or None (absolute, ``..``, empty)."""
    rel = PurePosixPath(name)
    if rel.is_absolute() or not rel.parts or ".." in rel.parts or "\\" in name:
        return None
    return rel


def _lay_out_files(root: Path, topic_name: str, data: bytes, files: TopicFiles) -> Path:
    """Write a topic and its :class:`TopicFiles` under ``root`` as they were beside each
    other in the library; returns the topic's path there."""
    topic = root / PurePosixPath(topic_name).name
    for rel, content in ((topic.name, data), *files.files, *((n, b"") for n in files.names)):
        inside = _relative(rel)
        if inside is None:
            continue
        target = root.joinpath(*inside.parts)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)
    return topic


def _as_named(problem: Problem, here: str, there: str) -> Problem:
    """``problem`` with the worker's private folder ``here`` named as the client's ``there``."""
    def fix(text: str | None) -> str | None:
        return text.replace(here, there) if text else text

    return replace(problem, file=fix(problem.file), message=fix(problem.message),
                   fix=fix(problem.fix), value=fix(problem.value))


@dataclass(frozen=True)
class Rendition:
    """What a task sends back: the entry and the PDF's bytes, or the problems."""

    entry: Any = None  # an Entry
    pdf: bytes = field(default=b"", repr=False)
    problems: tuple[Problem, ...] = ()
    refused: bool = False
    brand_problem: bool = False


def render_task(shared: str, data: bytes, name: str, rel: str, settings: LibrarySettings,
                digest: str, as_of: date | None, allow_draft: bool,
                render: RenderBytes, files: TopicFiles = TopicFiles()) -> Rendition:
    """Runs on a Dask worker: one topic, from its bytes and those of the files it needs
    (``files``, laid out in a private folder for this task), with the worker's warm
    renderer. ``name`` is the topic's path on the client: problems name it."""
    worker = get_worker()
    plugin = worker.plugins[plugin_name(shared)]
    if plugin.problems:
        return Rendition(problems=plugin.problems, brand_problem=True)
    # in the worker's own folder, which goes with it (see WarmRenderers.setup)
    with tempfile.TemporaryDirectory(prefix="make-handout-topic-",
                                     dir=worker.local_directory) as private:
        root = Path(private).resolve() / "library"
        topic = _lay_out_files(root, name, data, files)
        with plugin.lock:  # room on the frame stack: see render/stack_room.py
            written = call_with_room(render, data, str(topic), plugin.renderer, as_of,
                                     allow_draft, settings)
    if written.problems:
        here, there = str(root), str(Path(name).parent)
        return Rendition(problems=tuple(_as_named(p, here, there) for p in written.problems),
                         refused=written.refused)
    assert written.topic is not None
    output = written.topic.id + written.suffix  # the service's naming rule
    return Rendition(entry=entry_for(written, rel, output, digest), pdf=written.pdf.data)


@dataclass(frozen=True)
class DaskCluster:
    """Renders a build's jobs on the Dask cluster whose scheduler is at ``scheduler``."""

    scheduler: str
    brand_dir: Path
    shared: str  # the build's shared fingerprint
    render_bytes: RenderBytes
    options: RenderOptions = RenderOptions()
    retries: int = RETRIES

    def run(self, jobs: list[Job], on_outcome: Callable[[Outcome], None]) -> None:
        files = brand_files(self.brand_dir)
        try:
            client = Client(self.scheduler, timeout=CONNECT_TIMEOUT, set_as_default=False)
        except (OSError, TimeoutError, ValueError) as error:
            raise UserError(Problem(
                self.scheduler, f"Could not reach the Dask scheduler ({type(error).__name__}).",
                "Start it (dask scheduler) or check the address given with --scheduler, for "
                "example tcp://scheduler:8786.")) from None
        with client:
            client.register_plugin(WarmRenderers(self.shared, files, self.options),
                                   name=plugin_name(self.shared))
            threads = sum(client.nthreads().values()) or 1
            window = max(2, IN_FLIGHT_PER_THREAD * threads)
            pending = iter(longest_first(jobs))
            # the translations of each folder, listed once for the whole build
            listing = lru_cache(maxsize=None)(translation_files)
            running = as_completed(loop=client.loop)
            by_future: dict[Any, Job] = {}

            def submit_next() -> None:
                for job in pending:
                    future = self._submit(client, job, on_outcome, listing)
                    if future is not None:
                        by_future[future] = job
                        running.add(future)
                        return

            writer = StagingWriter()
            try:
                for _ in range(window):
                    submit_next()
                for future in running:
                    job = by_future.pop(future)
                    outcome = writer.put(self._collect(future, job))
                    if outcome is not None:
                        on_outcome(outcome)
                    future.release()
                    submit_next()
                    for outcome in writer.done():
                        on_outcome(outcome)
                while writer.pending:
                    for outcome in writer.done(block=True):
                        on_outcome(outcome)
            finally:
                writer.close()

    def _submit(self, client: Any, job: Job, on_outcome: Callable[[Outcome], None],
                listing: Callable[[Path], dict[str, dict[str, Path]]] = translation_files,
                ) -> Any:
        """Send one topic's bytes with those of the files it needs; a topic whose settings
        cannot be read fails here."""
        source = job.source
        try:
            data = read_regular_file(source.path)
        except OSError:
            data = b""  # the worker's loader reports it as an empty topic
        try:
            settings = library_for(source.path).settings
        except UserError as error:
            on_outcome(Outcome(source, problems=tuple(error.problems)))
            return None
        digest = input_hash(self.shared, source.rel, data, *topic_inputs(source.path, data))
        files = topic_files(source.path, data, listing)
        return client.submit(
            render_task, self.shared, data, str(source.path), source.rel, settings, digest,
            job.as_of, job.allow_draft, self.render_bytes, files,
            key=f"make-handout-{digest[:32]}-{job.staging.name}", pure=False,
            retries=self.retries,
        )

    def _collect(self, future: Any, job: Job) -> Outcome:
        """The outcome of one task: its PDF checked, on its way into staging (written
        atomically by the :class:`StagingWriter`)."""
        source = job.source
        try:
            result: Rendition = future.result()
        except KilledWorker as error:
            return Outcome(source, bug=(
                "The Dask workers rendering this topic stopped "
                f"({getattr(error, 'allowed_failures', '?')} allowed failures exceeded): {error}"))
        except Exception:
            return Outcome(source, bug=traceback.format_exc())
        if result.entry is None:
            return Outcome(source, problems=result.problems, refused=result.refused,
                           brand_problem=result.brand_problem)
        entry = result.entry
        if hashlib.sha256(result.pdf).hexdigest() != entry.sha256 or len(result.pdf) != entry.bytes:
            return Outcome(source, bug="The PDF received from the Dask worker does not match "
                           "its SHA-256 (damaged in transit); it was not published.")
        suffix = self.options.file_suffix  # the service's naming rule: x.es.pdf for x.es.yaml
        if translation_name(source.path) is not None:
            suffix = f".{entry.language}{suffix}"
        try:
            target = output_path(job.staging, entry.id, suffix=suffix, source=str(source.path))
        except UserError as error:
            return Outcome(source, problems=tuple(error.problems))
        if target.name != entry.output:
            return Outcome(source, bug=f"The Dask worker named the PDF {entry.output!r} instead "
                           f"of {target.name!r}; it was not published.")
        return Outcome(source, entry=entry, staged=target, pdf=result.pdf)

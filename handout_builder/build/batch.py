"""Batch builds: a whole library of topics into one output folder, fast and incremental.

The build, as a numbered list of plain functions, each stage in its own module:

1. :func:`discover` finds every topic file under the library folder (the one rule,
   :func:`~handout_builder.sources.library.topic_files`).
2. :mod:`~handout_builder.build.fingerprint` hashes everything that shapes every PDF, once
   per build, and each topic's own inputs.
3. :mod:`~handout_builder.build.plan` (pure) compares those hashes with ``OUT/manifest.json``:
   build, skip (unchanged and the PDF intact) or remove (the source is gone), and judges the
   skipped handouts' review state again on the build's date.
4. An :class:`~handout_builder.build.executor.Executor` renders what must be built (today a
   :class:`~handout_builder.build.executor.ProcessPool`), with the render function the caller
   passes in: the service's ``render_in_folder``, the same code as ``make-handout render``
   (the build never imports the service).
5. :func:`build` applies the outcomes: moves each new PDF into place, withdraws refused ones,
   removes deleted ones, and publishes ``manifest.json`` (:mod:`~handout_builder.output.manifest`)
   and ``index.html`` (:mod:`~handout_builder.output.catalogue`) atomically, also when the
   build is interrupted.

Imports: domain, sources, render (through the executor), output, and the build's own modules.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any

from handout_builder.build.executor import (
    DEFAULT_TIMEOUT, Executor, Job, Outcome, ProcessPool, RenderInFolder, warm_up,
)
from handout_builder.build.fingerprint import (
    input_hash, shared_fingerprint, topic_inputs,
)
from handout_builder.build.plan import Plan, Source, plan, recheck_unchanged
from handout_builder.domain import review
from handout_builder.domain.options import RenderOptions
from handout_builder.domain.library import BRAND_NAME_PATTERN, BuildMatrix, InvalidLibrary
from handout_builder.domain.personal import COMMAND_LINE
from handout_builder.domain.problems import InvalidBrand, InvalidTopic, Problem, UserError
from handout_builder.paths import BUILTIN_BRANDS_DIR
from handout_builder.domain.review import render_permission, review_state
from handout_builder.output.catalogue import CATALOGUE_NAME, write_catalogue
from handout_builder.output.index import with_sha1, write_indexes
from handout_builder.output.manifest import (
    MANIFEST_NAME, Entry, entry_file, entry_key, is_intact, manifest_bytes, manifest_time,
    matrix_folder, previous_brand_name, read_manifest,
)
from handout_builder.output.store import make_folder, output_error, write_atomic
from handout_builder.sources.translations import check_translation
from handout_builder.sources.library import (
    SETTINGS_FILE_NAME, LibrarySettings, library_for, load_library, topic_files, translation_files,
)
from handout_builder.sources.loader import (
    declared_language, load_brand, load_topic_bytes, read_regular_file,
)

try:
    import fcntl
except ImportError:  # pragma: no cover - not on POSIX: no output lock
    fcntl = None  # type: ignore[assignment]

STAGING_PREFIX = ".building-"  # a build's temporary folder inside OUT


# --------------------------------------------------------------------------------------
# Plain data
# --------------------------------------------------------------------------------------


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
    #: Where the jobs run: "local" (a process pool) or "dask" (the cluster at ``scheduler``).
    executor: str = "local"
    #: The Dask scheduler's address (``tcp://host:8786``), for ``executor="dask"``.
    scheduler: str | None = None
    #: A matrix build from the command line, each overriding that part of library.yaml's
    #: ``matrix``: brand folders, language tags, variant names (standard, large-print,
    #: archival). All empty and no ``matrix`` in library.yaml: one brand, one variant.
    brands: tuple[Path, ...] = ()
    languages: tuple[str, ...] = ()
    variants: tuple[str, ...] = ()
    #: Also write the EHR-ready index (FHIR R4 Bundle and CSV), each leaflet's address under
    #: this base (an http(s) address ending with /; see output/index.py). None: no index.
    index_base: str | None = None

    @property
    def options(self) -> tuple[tuple[str, str], ...]:
        """The render options as they enter every input hash."""
        return tuple((name, str(value)) for name, value in sorted(asdict(self.render).items()))


@dataclass(frozen=True)
class Matrix:
    """The brands, languages and variants one build renders (see :func:`matrix_for`)."""

    brands: tuple[tuple[str, Path], ...]  # (name: the folder in OUT, brand folder)
    languages: tuple[str, ...] | None  # None: every language found
    variants: tuple[str, ...]


@dataclass(frozen=True)
class Cell:
    """One brand and one variant of a build: one warm renderer, one shared fingerprint.

    Without a matrix there is one cell (``brand`` None): today's build, into OUT itself. In a
    matrix build, the cell's leaflets go to ``OUT/<brand>/<language>/``."""

    brand_dir: Path
    render: RenderOptions
    brand: str | None = None
    variant: str | None = None

    @property
    def key(self) -> str:
        return "" if self.brand is None else f"{self.brand}|{self.variant}"

    @property
    def options(self) -> tuple[tuple[str, str], ...]:
        """The render options as they enter every input hash."""
        return tuple((name, str(value)) for name, value in sorted(asdict(self.render).items()))


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
    found = topic_files(library)  # and each translation beside its source (<id>.<lang>.pdf)
    found += [f for languages in translation_files(library).values() for f in languages.values()]
    if not found:
        raise InvalidTopic(
            Problem(str(library), "There are no topic files (*.yaml) in this folder.",
                    "Check the folder name; nothing was built or removed.")
        )
    return found


# --------------------------------------------------------------------------------------
# The matrix: brands x languages x variants
# --------------------------------------------------------------------------------------


def matrix_for(config: BuildConfig) -> Matrix | None:
    """The build matrix: the command line's parts, else those of ``library.yaml``'s
    ``matrix`` (in the library folder itself); None when neither names one (today's build).
    Raises a :class:`UserError` for a brand that cannot be found or two brands of one name."""
    settings_file = config.library / SETTINGS_FILE_NAME
    configured = load_library(settings_file).settings.matrix
    if configured is None and not (config.brands or config.languages or config.variants):
        return None
    configured = configured or BuildMatrix()
    if config.brands:
        brands = [(folder.name, folder) for folder in config.brands]
        where, field = COMMAND_LINE, "--brands"
    elif configured.brands:
        brands = [(name, _brand_named(config.library, name)) for name in configured.brands]
        where, field = str(settings_file), "matrix.brands"
    else:
        brands = [(config.brand_dir.name, config.brand_dir)]
        where, field = COMMAND_LINE, "--brand"
    seen: set[str] = set()
    for name, _ in brands:
        problem = None
        if not re.fullmatch(BRAND_NAME_PATTERN, name):
            problem = (f"The brand folder name '{name}' cannot be an output folder name.",
                       "Name brand folders with letters, digits, hyphens and underscores.")
        elif name in seen:
            problem = (f"Two brands are named '{name}': their leaflets would share OUT/{name}/.",
                       "Name each brand once (brand folders need different names).")
        if problem:
            raise InvalidLibrary(Problem(where, problem[0], problem[1], field=field))
        seen.add(name)
    languages = config.languages or configured.languages
    return Matrix(
        brands=tuple(brands),
        languages=tuple(languages) if languages else None,
        variants=tuple(dict.fromkeys(config.variants or configured.variants)),
    )


def _brand_named(library: Path, name: str) -> Path:
    """A brand named in ``library.yaml``: ``styles/<name>`` beside the library folder, else a
    built-in brand; never a folder outside those (a link out of ``styles/`` is refused)."""
    styles = library.resolve().parent / "styles"
    for root in (styles, BUILTIN_BRANDS_DIR):
        folder = root / name
        if folder.is_dir() and folder.resolve().is_relative_to(root.resolve()):
            return folder
    known = sorted({p.name for root in (styles, BUILTIN_BRANDS_DIR) if root.is_dir()
                    for p in root.iterdir() if (p / "brand.yaml").is_file()})
    raise InvalidLibrary(Problem(
        str(library / SETTINGS_FILE_NAME), f"There is no brand '{name}' (no folder {styles / name} "
        "and no built-in brand of that name).",
        "Name a brand folder in styles/ beside the library folder, or a built-in brand: "
        + ", ".join(known) + ".", field="matrix.brands"))


def variant_options(variant: str, max_bytes: int) -> RenderOptions:
    return RenderOptions(large_print=variant == "large-print", archival=variant == "archival",
                         max_bytes=max_bytes)


def cells_for(config: BuildConfig, the_matrix: Matrix | None) -> list[Cell]:
    """One cell per brand and variant (brand by brand); one cell without a matrix."""
    if the_matrix is None:
        return [Cell(config.brand_dir, config.render)]
    return [Cell(folder, variant_options(variant, config.render.max_bytes), brand=name,
                 variant=variant)
            for name, folder in the_matrix.brands for variant in the_matrix.variants]


def matrix_paths(library: Path, topics: list[Path], languages: tuple[str, ...] | None,
                 contents: dict[str, bytes]) -> list[Path]:
    """The files a matrix build renders: each topic file whose language is wanted, and each
    translation file (``<id>.<lang>.yaml``) into a wanted language; so a topic without a
    Spanish translation has no Spanish leaflet. Fills ``contents`` with what it read."""
    wanted = None if languages is None else {tag.casefold() for tag in languages}
    chosen = []
    for path in topics:
        rel = path.relative_to(library).as_posix()
        try:
            contents[rel] = read_regular_file(path)
        except OSError:
            contents[rel] = b""  # the loader reports why it cannot be read
        language = declared_language(contents[rel])
        if wanted is None or language is None or language.casefold() in wanted:
            chosen.append(path)  # a topic that cannot be read is reported in every cell
    for by_language in translation_files(library).values():
        chosen += [path for tag, path in by_language.items()
                   if wanted is None or tag.casefold() in wanted]
    unique = dict.fromkeys(chosen)  # the topics given may hold the translations already
    return sorted(unique, key=lambda p: p.relative_to(library).as_posix())


# --------------------------------------------------------------------------------------
# Refused on the build's date, without rendering
# --------------------------------------------------------------------------------------


def refusal(source: Source, data: bytes, config: BuildConfig, settings: LibrarySettings) -> Outcome:
    """The policy's own message for a topic it refuses, located in the file: from the bytes
    read for its input hash (nothing is read from disk again), by the one review decision."""
    loaded = load_topic_bytes(data, source.path)
    assert config.as_of is not None
    translated = check_translation(loaded)
    status = review_state(loaded.topic, config.as_of, settings,
                          translated.drift if translated is not None else ())
    try:
        render_permission(status, str(source.path), False, loaded.positions)
    except UserError as error:
        return Outcome(source, problems=tuple(error.problems), refused=True)
    raise AssertionError(f"{source.rel}: the review policy was expected to refuse it")


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
    config: BuildConfig, reporter: Reporter | None = None, *, render: RenderInFolder,
    render_bytes: Callable[..., Any] | None = None,
) -> BuildResult:
    """Build the library: render what changed, skip what did not, remove what was deleted.

    Raises a :class:`UserError` only for problems that stop the whole build (no library
    folder, no topics, an unusable brand or output folder); a bad topic is a failed
    :class:`Outcome`. The output folder is locked while the build writes it (a second build
    waits, see :func:`output_lock`); staging folders left by a killed build are removed.
    ``render`` renders one topic in a worker (the service's ``render_in_folder``). The jobs
    of each :class:`Cell` (a brand and a variant) run on a
    :class:`~handout_builder.build.executor.ProcessPool` of ``config.jobs`` workers, or with
    ``config.executor == "dask"`` on a Dask cluster
    (:class:`~handout_builder.build.dask_executor.DaskCluster`, rendering topics sent as
    bytes with ``render_bytes``, the service's ``render_bytes``). Without a matrix there is
    one cell: today's build.
    """
    reporter = reporter or Reporter()
    started = time.perf_counter()
    if config.as_of is None:
        config = replace(config, as_of=review.today())  # the module's: tests pin it
    library, out_dir = config.library, config.out_dir
    if config.executor != "dask":
        warm_up(render)  # the workers' fork server imports while this process plans
    paths = discover(library)
    the_matrix = matrix_for(config)
    cells = cells_for(config, the_matrix)
    contents: dict[str, bytes] = {}
    inputs: dict[str, tuple[bytes, bytes]] = {}  # what else each topic's leaflet depends on
    if the_matrix is not None:
        paths = matrix_paths(library, paths, the_matrix.languages, contents)
    for path in paths:
        rel = path.relative_to(library).as_posix()
        if rel not in contents:
            try:
                contents[rel] = read_regular_file(path)  # never blocks on a FIFO or a device
            except OSError:
                contents[rel] = b""  # the loader reports why it cannot be read
        inputs[rel] = topic_inputs(path, contents[rel])
    sources, shared = [], {}
    for cell in cells:
        shared[cell.key] = shared_fingerprint(cell.brand_dir, cell.options)
        for path in paths:
            rel = path.relative_to(library).as_posix()
            digest = input_hash(shared[cell.key], rel, contents[rel], *inputs[rel])
            sources.append(Source(path=path, rel=rel, input_hash=digest, cell=cell.key))
    make_folder(out_dir)  # an output problem (a file, read-only) stops the build here
    with output_lock(out_dir, on_wait=lambda: reporter.waiting(out_dir)):
        remove_stale_staging(out_dir)
        result = _build_locked(config, reporter, cells, sources, shared, contents, render,
                               render_bytes)
    result.seconds = time.perf_counter() - started
    return result


def _build_locked(
    config: BuildConfig, reporter: Reporter, cells: list[Cell], sources: list[Source],
    shared: dict[str, str], contents: dict[str, bytes], render: RenderInFolder,
    render_bytes: Callable[..., Any] | None = None,
) -> BuildResult:
    """The build, once it holds the output folder (see :func:`output_lock`)."""
    library, out_dir = config.library, config.out_dir
    previous = read_manifest(out_dir)
    written = manifest_time(out_dir)
    intact = {key for key, entry in previous.items() if is_intact(out_dir, entry, written)}
    the_plan = plan(sources, previous, intact, config.force)
    # Review states depend on the date: judge the unchanged handouts again.
    by_key = {source.key: source for source in sources}
    refused: list[Outcome] = []
    to_build, skip = list(the_plan.build), []
    found: dict[Path, LibrarySettings] = {}  # by folder: a matrix has many entries per topic
    for entry in the_plan.skip:
        source = by_key[entry_key(entry)]
        if source.path.parent not in found:
            found[source.path.parent] = library_for(source.path).settings  # passed on
        settings = found[source.path.parent]
        assert config.as_of is not None
        verdict = recheck_unchanged(entry, config.as_of, config.allow_draft, settings.due_soon_days)
        if verdict == "refuse":
            refused.append(refusal(source, contents[source.rel], config, settings))
        elif verdict == "rebuild":
            to_build.append(source)
        else:
            skip.append(verdict)
    the_plan = Plan(build=to_build, skip=skip, remove=the_plan.remove)
    result = BuildResult(unchanged=list(the_plan.skip))

    # The entries the output folder will hold, by key. A failed topic keeps its last good
    # PDF and entry (its old input hash makes the next build try again).
    entries = Entries()
    for entry in the_plan.skip:
        entries[entry_key(entry)] = entry
    for s in the_plan.build:
        if s.key in intact:
            entries[s.key] = previous[s.key]
    changed = (
        bool(the_plan.build or the_plan.remove or refused)
        or not (out_dir / CATALOGUE_NAME).is_file()
    )
    if changed:
        names = [load_brand(cell.brand_dir).brand.name for cell in cells]  # a bad brand stops here
        brand_name = names[0] if cells[0].brand is None else None
    else:
        brand_name = previous_brand_name(out_dir)
    reporter.start(len(the_plan.build), len(the_plan.skip), len(the_plan.remove))
    cell_of = {cell.key: cell for cell in cells}

    def withdraw(outcome: Outcome) -> None:
        """A refused topic's previous PDF must not stay published."""
        old = entries.pop(outcome.source.key, None) or previous.get(outcome.source.key)
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
                    outcome = _in_cell(outcome, cell_of[outcome.source.cell])
                    outcome = _claim(outcome, entries, library, result)
                if outcome.ok:
                    assert outcome.entry is not None and outcome.staged is not None
                    old = entries.get(outcome.source.key)
                    target = out_dir / outcome.entry.output
                    try:
                        if outcome.source.cell:
                            target.parent.mkdir(parents=True, exist_ok=True)
                        os.replace(outcome.staged, target)
                    except OSError as error:  # e.g. a folder where the PDF goes
                        outcome = replace(outcome, entry=None, problems=tuple(
                            output_error(target, error).problems))
                        result.failed.append(outcome)
                        reporter.finished(outcome)
                        return
                    entries[outcome.source.key] = outcome.entry
                    result.built.append(outcome.entry)
                    if old and old.output != outcome.entry.output:
                        _remove_unclaimed(out_dir, old, entries)
                else:
                    if outcome.refused:
                        withdraw(outcome)
                    result.failed.append(outcome)
                reporter.finished(outcome)

            for cell in cells:  # one warm renderer per brand and variant
                cell_jobs = [job for job in jobs if job.source.cell == cell.key]
                if not cell_jobs:
                    continue
                pool: Executor
                if config.executor == "dask":
                    from handout_builder.build.dask_executor import DaskCluster  # an extra

                    assert config.scheduler is not None and render_bytes is not None
                    pool = DaskCluster(config.scheduler, cell.brand_dir, shared[cell.key],
                                       render_bytes, options=cell.render)
                else:
                    pool = ProcessPool(
                        min(config.jobs, len(cell_jobs)), cell.brand_dir, shared[cell.key],
                        render, options=cell.render, timeout=config.timeout,
                    )
                pool.run(cell_jobs, publish)
        for outcome in refused:
            withdraw(outcome)
            result.failed.append(outcome)
            reporter.finished(outcome)
        for entry in the_plan.remove:
            entries.pop(entry_key(entry), None)
            _remove_unclaimed(out_dir, entry, entries)
            result.removed.append(entry)
    finally:
        reporter.close()
        if staging_root is not None:
            shutil.rmtree(staging_root, ignore_errors=True)
        final = list(entries.values())
        if config.index_base is not None:
            final = with_sha1(out_dir, final)
        new_manifest = manifest_bytes(final, brand_name)
        manifest_path = out_dir / MANIFEST_NAME
        if changed or not manifest_path.is_file() or manifest_path.read_bytes() != new_manifest:
            write_atomic(manifest_path, new_manifest)
            write_catalogue(out_dir, final, brand_name)
        if config.index_base is not None:
            write_indexes(out_dir, final, config.index_base)
        if any(cell.brand is not None for cell in cells):
            _remove_empty_folders(out_dir, cells)
    if brand_error:
        raise InvalidBrand(brand_error)
    return result


def _in_cell(outcome: Outcome, cell: Cell) -> Outcome:
    """A matrix build's leaflet: its brand, variant and folder (``<brand>/<language>/``)."""
    if cell.brand is None:
        return outcome
    entry = outcome.entry
    assert entry is not None
    folder = matrix_folder(cell.brand, entry.language)
    name = entry.output  # a translation's <id>.<lang>.pdf: the folder names the language
    if name.startswith(f"{entry.id}.{entry.language}."):
        name = entry.id + name[len(f"{entry.id}.{entry.language}"):]
    return replace(outcome, entry=replace(entry, brand=cell.brand, variant=cell.variant,
                                          output=f"{folder}/{name}"))


def _remove_empty_folders(out_dir: Path, cells: list[Cell]) -> None:
    """The language folders (and brand folders) a matrix build emptied."""
    for cell in cells:
        brand_dir = out_dir / str(cell.brand)
        if not brand_dir.is_dir() or brand_dir.is_symlink():
            continue
        for folder in [*brand_dir.iterdir(), brand_dir]:
            try:
                if folder.is_dir() and not folder.is_symlink() and not any(folder.iterdir()):
                    folder.rmdir()
            except OSError:
                pass


class Entries(dict[str, Entry]):
    """The entries the output folder will hold, by key, and which key holds each output file
    (so that claiming a file or removing one is a look-up, not a pass over every entry: a
    build of a million leaflets would otherwise take a million passes over a million)."""

    def __init__(self) -> None:
        super().__init__()
        self._owners: dict[str, str] = {}

    def __setitem__(self, key: str, entry: Entry) -> None:
        old = self.get(key)
        if old is not None and self._owners.get(old.output) == key:
            del self._owners[old.output]
        super().__setitem__(key, entry)
        self._owners[entry.output] = key

    def __delitem__(self, key: str) -> None:
        old = self[key]
        super().__delitem__(key)
        if self._owners.get(old.output) == key:
            del self._owners[old.output]

    def pop(self, key: str, default: Entry | None = None) -> Entry | None:  # type: ignore[override]
        if key not in self:
            return default
        entry = self[key]
        del self[key]
        return entry

    def owner(self, output: str) -> str | None:
        """The key of the entry that writes ``output``, or None."""
        return self._owners.get(output)


def _claim(outcome: Outcome, entries: Entries, library: Path, result: BuildResult) -> Outcome:
    """Two topics with the same id: the one whose source sorts first keeps the output."""
    assert outcome.entry is not None
    rel = outcome.source.rel
    key = entries.owner(outcome.entry.output)
    if key is None or key == outcome.source.key:
        return outcome
    other = entries[key]
    if other.source < rel:
        return _duplicate(outcome.source, outcome.entry.id, other.source)
    # the new topic wins; the other loses its entry and is reported
    del entries[key]
    loser = Source(path=library / other.source, rel=other.source, input_hash=other.input_hash,
                   cell=outcome.source.cell)
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


def _remove_unclaimed(out_dir: Path, entry: Entry, entries: Entries) -> bool:
    """Delete ``entry``'s PDF unless another current entry writes the same file."""
    if entries.owner(entry.output) is not None:
        return False
    try:
        entry_file(out_dir, entry).unlink()
    except (OSError, UserError):
        return False
    return True



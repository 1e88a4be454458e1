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
    DEFAULT_TIMEOUT, Executor, Job, Outcome, ProcessPool, RenderInFolder,
)
from handout_builder.build.fingerprint import input_hash, settings_bytes, shared_fingerprint
from handout_builder.build.plan import Plan, Source, plan, recheck_unchanged
from handout_builder.domain import review
from handout_builder.domain.options import RenderOptions
from handout_builder.domain.problems import InvalidBrand, InvalidTopic, Problem, UserError
from handout_builder.domain.review import render_permission, review_state
from handout_builder.output.catalogue import CATALOGUE_NAME, write_catalogue
from handout_builder.output.manifest import (
    MANIFEST_NAME, Entry, entry_file, is_intact, manifest_bytes, previous_brand_name, read_manifest,
)
from handout_builder.output.store import make_folder, output_error, write_atomic
from handout_builder.sources.library import LibrarySettings, library_for, topic_files
from handout_builder.sources.loader import load_brand, load_topic_bytes, read_regular_file

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
    found = topic_files(library)
    if not found:
        raise InvalidTopic(
            Problem(str(library), "There are no topic files (*.yaml) in this folder.",
                    "Check the folder name; nothing was built or removed.")
        )
    return found


# --------------------------------------------------------------------------------------
# Refused on the build's date, without rendering
# --------------------------------------------------------------------------------------


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
    run on a :class:`~handout_builder.build.executor.ProcessPool` of ``config.jobs`` workers,
    or with ``config.executor == "dask"`` on a Dask cluster
    (:class:`~handout_builder.build.dask_executor.DaskCluster`, rendering topics sent as
    bytes with ``render_bytes``, the service's ``render_bytes``).
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
        digest = input_hash(shared, rel, data, settings_bytes(path))
        sources.append(Source(path=path, rel=rel, input_hash=digest))
        contents[rel] = data
    make_folder(out_dir)  # an output problem (a file, read-only) stops the build here
    with output_lock(out_dir, on_wait=lambda: reporter.waiting(out_dir)):
        remove_stale_staging(out_dir)
        result = _build_locked(config, reporter, sources, shared, contents, render,
                               render_bytes)
    result.seconds = time.perf_counter() - started
    return result


def _build_locked(
    config: BuildConfig, reporter: Reporter, sources: list[Source], shared: str,
    contents: dict[str, bytes], render: RenderInFolder,
    render_bytes: Callable[..., Any] | None = None,
) -> BuildResult:
    """The build, once it holds the output folder (see :func:`output_lock`)."""
    library, out_dir = config.library, config.out_dir
    previous = read_manifest(out_dir)
    intact = {rel for rel, entry in previous.items() if is_intact(out_dir, entry)}
    the_plan = plan(sources, previous, intact, config.force)
    # Review states depend on the date: judge the unchanged handouts again.
    by_rel = {source.rel: source for source in sources}
    refused: list[Outcome] = []
    to_build, skip = list(the_plan.build), []
    for entry in the_plan.skip:
        source = by_rel[entry.source]
        settings = library_for(source.path).settings  # found once per topic, passed on
        assert config.as_of is not None
        verdict = recheck_unchanged(entry, config.as_of, config.allow_draft, settings.due_soon_days)
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
                if s.rel in intact}
    changed = (
        bool(the_plan.build or the_plan.remove or refused)
        or not (out_dir / CATALOGUE_NAME).is_file()
    )
    if changed:
        brand_name = load_brand(config.brand_dir).brand.name  # a bad brand stops here
    else:
        brand_name = previous_brand_name(out_dir)
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

            pool: Executor
            if config.executor == "dask":
                from handout_builder.build.dask_executor import DaskCluster  # optional extra

                assert config.scheduler is not None and render_bytes is not None
                pool = DaskCluster(config.scheduler, config.brand_dir, shared, render_bytes,
                                   options=config.render)
            else:
                pool = ProcessPool(
                    min(config.jobs, len(jobs)), config.brand_dir, shared, render,
                    options=config.render, timeout=config.timeout,
                )
            pool.run(jobs, publish)
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
        entry_file(out_dir, entry).unlink()
    except (OSError, UserError):
        return False
    return True



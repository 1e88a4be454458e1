"""Progress of a batch build: a bar on a terminal, plain lines in a log (CI, files, pipes)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, TextIO

from tqdm import tqdm

from handout_builder.build.batch import BuildResult, Reporter
from handout_builder.build.executor import Outcome


def waiting_line(out_dir: Path) -> str:
    return (f"waiting: another build is writing {out_dir}; this one starts when it has "
            "finished (Ctrl-C stops waiting)")


class LineReporter(Reporter):
    """One line per finished handout, for logs: ``[ 3/12] built a.yaml -> a.pdf (2 pages)``."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.total = 0
        self.done = 0

    def waiting(self, out_dir: Path) -> None:
        print(waiting_line(out_dir), file=self.stream, flush=True)

    def start(self, to_build: int, unchanged: int, removed: int) -> None:
        self.total = to_build
        print(
            f"building {to_build} handout{'' if to_build == 1 else 's'} "
            f"({unchanged} unchanged, {removed} to remove)",
            file=self.stream, flush=True,
        )

    def finished(self, outcome: Outcome) -> None:
        self.done += 1
        width = len(str(self.total))
        where = f"[{self.done:>{width}}/{self.total}]"
        if outcome.entry is not None:
            e = outcome.entry
            pages = "1 page" if e.pages == 1 else f"{e.pages} pages"
            line = f"{where} built {e.source} -> {e.output} ({pages})"
        else:
            line = f"{where} FAILED {outcome.source.rel}"
        print(line, file=self.stream, flush=True)


class BarReporter(Reporter):
    """A progress bar (tqdm) on the terminal."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.bar: Any = None

    def waiting(self, out_dir: Path) -> None:
        print(waiting_line(out_dir), file=self.stream, flush=True)

    def start(self, to_build: int, unchanged: int, removed: int) -> None:
        if to_build:
            self.bar = tqdm(total=to_build, desc="building", unit="pdf", file=self.stream,
                            dynamic_ncols=True)

    def finished(self, outcome: Outcome) -> None:
        if self.bar is not None:
            if outcome.entry is None:
                self.bar.write(f"FAILED {outcome.source.rel}", file=self.stream)
            self.bar.update(1)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


def reporter_for(stream: TextIO = sys.stderr, log: TextIO = sys.stdout) -> Reporter:
    """A bar when ``stream`` is a terminal; otherwise plain lines on ``log``."""
    isatty = getattr(stream, "isatty", None)
    return BarReporter(stream) if isatty and isatty() else LineReporter(log)


def summary(result: BuildResult) -> str:
    return (
        f"built {len(result.built)}, unchanged {len(result.unchanged)}, "
        f"removed {len(result.removed)}, failed {len(result.failed)} "
        f"in {result.seconds:.1f} s"
    )

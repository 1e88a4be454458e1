#!/usr/bin/env python3
"""Two versions of make_handout, side by side in one run (not part of the tests).

    git worktree add /tmp/before <commit>
    python bench/compare.py /tmp/before .          # before, after

Both trees are run through their own ``make_handout.py`` with this Python, alternately, so
that a noisy, shared machine slows both alike; read the ratios, not the seconds:

* ``render`` of the sample topic as a whole process (median of ``--repeat`` runs);
* ``build --jobs 2`` of a generated library of uneven topics (:mod:`bench.topics`: 1 to 12
  pages, long lists, long reference lists), into fresh folders, ``--rounds`` times.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.topics import uneven_topic  # noqa: E402


def timed(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("before", type=Path)
    parser.add_argument("after", type=Path)
    parser.add_argument("--topics", type=int, default=40)
    parser.add_argument("--repeat", type=int, default=9)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    trees = {"before": args.before.resolve(), "after": args.after.resolve()}
    sample = trees["after"] / "handouts" / "calcification.yaml"
    with tempfile.TemporaryDirectory() as tmp:
        library = Path(tmp) / "library"
        library.mkdir()
        for n in range(args.topics):
            (library / f"topic-{n:04d}.yaml").write_text(uneven_topic(n), encoding="utf-8")
        renders: dict[str, list[float]] = {name: [] for name in trees}
        builds: dict[str, list[float]] = {name: [] for name in trees}
        for i in range(args.repeat):
            for name, tree in (trees.items() if i % 2 else reversed(trees.items())):
                out = Path(tmp) / f"render-{name}-{i}"
                renders[name].append(timed([sys.executable, str(tree / "make_handout.py"),
                                            "render", str(sample), "--out", str(out)]))
        for i in range(args.rounds):
            for name, tree in (trees.items() if i % 2 else reversed(trees.items())):
                out = Path(tmp) / f"build-{name}-{i}"
                builds[name].append(timed([sys.executable, str(tree / "make_handout.py"), "build",
                                           str(library), "--out", str(out), "--jobs", "2"]))
        pages = 0
        for pdf in (Path(tmp) / f"build-after-0").glob("*.pdf"):
            info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True).stdout
            pages += int(next(line.split()[-1] for line in info.splitlines()
                              if line.startswith("Pages:")))
    render = {name: statistics.median(times) for name, times in renders.items()}
    build = {name: min(times) for name, times in builds.items()}
    print(f"render one topic (process, median of {args.repeat}): before {render['before']:.2f} s, "
          f"after {render['after']:.2f} s: after/before {render['after'] / render['before']:.3f}")
    print(f"build --jobs 2, {args.topics} uneven topics ({pages} pages), best of {args.rounds}: "
          f"before {build['before']:.1f} s, after {build['after']:.1f} s: "
          f"after/before {build['after'] / build['before']:.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

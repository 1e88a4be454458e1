#!/usr/bin/env python3
"""The work a build does, counted in machine instructions: ``build`` against the bare
WeasyPrint loop of ``bench/run.py`` (issue 13 §0). Not a test; needs valgrind.

    python bench/instructions.py                          # 16 uneven topics, --jobs 1 and 2
    python bench/instructions.py --topics 16 48 --jobs 2  # also per document (25 minutes)
    python bench/instructions.py --before /tmp/before     # also another checkout's build

Wall-clock and CPU seconds on a shared machine swing by more than the few per cent being
judged (``bench/run.py``'s notes). An instruction count does not: each contender runs
under ``valgrind --tool=callgrind``, every process it starts included (the fork server,
each worker, the bare loop's spawned workers), and the same run counted twice differs by
0.02% in one process, up to 0.3% with two workers (which worker renders which document, and
so what each one's caches already hold, changes from run to run). Callgrind's
``--dump-before=_Fork`` writes out a process's count just before it forks, so a forked
worker starts from zero and no instruction is counted twice.

What it does not see: time spent waiting (for the disk, the pipes, the fork server, a
worker with nothing to do), and the cost of memory (cache misses count as one instruction):
those are ``bench/run.py``'s to measure. What it does see, without noise, is whether the
build's own stages (loading, HTML, QR code, the checks on what is painted, the finisher,
the main process's planning, hand-over and manifest) have grown or shrunk, and their share
of the whole: with ``--before``, two versions compare within a fraction of a per cent.

Prints, per contender, the instructions of the whole run, of its main process, of its other
Python processes and of other programs (WeasyPrint's import looks for its libraries with
``ctypes.util.find_library``, which runs ``ldconfig`` and the C compiler: 86 programs per
process that imports it; the build's processes skip that search, ``render/pdf.py`` says
how), and the build over the bare loop on the same number of workers. Given two library
sizes, it also splits each contender's work into a part per document and a fixed part.
Callgrind runs code about 25 times slower: 16 topics take about five minutes per contender,
48 about fifteen; the contenders run two at a time.
"""

from __future__ import annotations

import argparse
import compileall
import os
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PYTHON = sys.executable

from bench.run import REAPER, prepare_bare  # noqa: E402
from bench.topics import make_library  # noqa: E402

VALGRIND = ["valgrind", "--tool=callgrind", "--trace-children=yes", "--dump-before=_Fork",
            "--vgdb=no", "--quiet"]


def counted(command: list[str], folder: Path, env: dict[str, str]) -> dict[str, int]:
    """Run ``command`` under callgrind (its output files in ``folder``); the instructions
    of the whole run and of its first process (the command itself)."""
    folder.mkdir()
    # under a child subreaper (bench/run.py's REAPER), which waits for every process the
    # command leaves behind (the build's fork server outlives it by a moment) to write its
    # count; valgrind runs the command in the process the reaper starts: the first to write
    reaped = [*REAPER, *VALGRIND, f"--callgrind-out-file={folder}/cg.%p", *command]
    subprocess.run(reaped, check=True, stdout=subprocess.DEVNULL, env=env)
    per_pid: dict[int, int] = {}
    commands: dict[int, str] = {}
    for file in folder.iterdir():
        pid = int(file.name.split(".")[1])
        for line in file.read_text(errors="replace").splitlines():
            if line.startswith("totals:"):
                per_pid[pid] = per_pid.get(pid, 0) + int(line.split()[1])
            elif line.startswith("cmd:"):
                commands[pid] = line[4:].strip()
    shutil.rmtree(folder)
    # the command itself; the other Python processes (the fork server and the workers it
    # forks carry its command line; spawned workers, the resource tracker); other programs
    # (what the libraries run, such as ldconfig while ctypes looks for a library)
    main_pid = next(pid for pid, cmd in commands.items() if cmd.startswith(" ".join(command[:2])))
    python = {pid for pid, cmd in commands.items() if cmd.split()[0] == command[0]}
    return {"all": sum(per_pid.values()), "main": per_pid[main_pid],
            "python": sum(per_pid[pid] for pid in python if pid != main_pid),
            "other": sum(n for pid, n in per_pid.items() if pid not in python),
            "others": len(per_pid) - len(python)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--topics", type=int, nargs="+", default=[16], metavar="N",
                        help="library sizes (two: also the work per document and the fixed "
                        "work, from the difference)")
    parser.add_argument("--seed", type=int, default=1, help="the generated library's seed")
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--before", type=Path, metavar="TREE",
                        help="also count another version's build (a checkout)")
    args = parser.parse_args()
    if not shutil.which("valgrind"):
        sys.exit("bench/instructions.py needs valgrind (apt-get install valgrind)")
    # as an installed package has it (see bench/run.py): compiling is not the build's work
    for tree in [ROOT, *([args.before] if args.before else [])]:
        compileall.compile_dir(str(Path(tree) / "handout_builder"), quiet=1)

    from handout_builder.paths import FONTS_DIR

    work = Path(tempfile.mkdtemp(prefix="handout-instructions-"))
    # the same hash seed for every run: a run's count then repeats within about 0.3%
    env = {**os.environ, "PYTHONHASHSEED": "0", "FONTCONFIG_FILE": str(FONTS_DIR / "fonts.conf")}
    env_bare = {**env, "PYTHONPATH": str(ROOT)}
    contenders = {}
    for n in args.topics:
        # a seeded library's first n topics are the same whatever its size (bench.topics)
        lib = work / f"lib{n}" / "handouts"
        html_dir, css, base_url = prepare_bare(make_library(lib, n, args.seed), lib.parent)

        def build(tree: Path, jobs: int, name: str, lib: Path = lib) -> dict[str, int]:
            out = work / f"{name}-out"
            return counted([PYTHON, str(tree / "make_handout.py"), "build", str(lib), "--out",
                            str(out), "--jobs", str(jobs), "--timeout", "86400"],
                           work / f"{name}-cg", env)

        def bare(jobs: int, name: str, html_dir: Path = html_dir, css: list[str] = css,
                 base_url: str = base_url) -> dict[str, int]:
            return counted([PYTHON, str(ROOT / "bench" / "run.py"), "--child", "bare-loop",
                            str(jobs), str(html_dir), str(work / f"{name}-out"), base_url,
                            *css], work / f"{name}-cg", env_bare)

        for jobs in args.jobs:
            contenders[n, f"build --jobs {jobs}"] = (
                lambda j=jobs, b=build, n=n: b(ROOT, j, f"build{j}-{n}"))
            contenders[n, f"bare loop, {jobs} worker(s)"] = (
                lambda j=jobs, b=bare, n=n: b(j, f"bare{j}-{n}"))
            if args.before:
                contenders[n, f"before: build --jobs {jobs}"] = (
                    lambda j=jobs, b=build, n=n: b(args.before.resolve(), j, f"before{j}-{n}"))
    print(f"{' and '.join(map(str, args.topics))} uneven topics (seed {args.seed}), counting "
          f"{len(contenders)} runs under callgrind, two at a time...", flush=True)
    # instruction counts do not depend on what else runs: two at a time, one per core
    with ThreadPoolExecutor(2) as pool:
        counts = dict(zip(contenders, pool.map(lambda run: run(), contenders.values())))
    shutil.rmtree(work)

    print("\n| topics | run | instructions, all processes | its main process | its other "
          "Python processes | other programs (how many) |")
    print("|---|---|---|---|---|---|")
    for (n, name), count in counts.items():
        print(f"| {n} | {name} | {count['all'] / 1e9:.3f} G | {count['main'] / 1e9:.3f} G "
              f"| {count['python'] / 1e9:.3f} G | {count['other'] / 1e9:.3f} G "
              f"({count['others']}) |")
    print()
    prefixes = ["", "before: "] if args.before else [""]
    for n in args.topics:
        for jobs in args.jobs:
            bare_all = counts[n, f"bare loop, {jobs} worker(s)"]["all"]
            for prefix in prefixes:
                ours = counts[n, f"{prefix}build --jobs {jobs}"]["all"]
                print(f"{n} topics: {prefix}build --jobs {jobs} over the bare loop on {jobs} "
                      f"worker(s): {100 * (ours / bare_all - 1):+.2f}% instructions")
            if args.before:
                after = counts[n, f"build --jobs {jobs}"]["all"]
                before = counts[n, f"before: build --jobs {jobs}"]["all"]
                print(f"{n} topics, --jobs {jobs}: after / before {after / before:.4f}")
    if len(args.topics) == 2:
        # the topics the larger library adds: their work per document, and what is left
        # (start-up, the first documents' warming of caches, the finish) as fixed work
        small, large = sorted(args.topics)
        for jobs in args.jobs:
            slopes = {}
            for name in [f"{prefix}build --jobs {jobs}" for prefix in prefixes] + [
                    f"bare loop, {jobs} worker(s)"]:
                slope = (counts[large, name]["all"] - counts[small, name]["all"]) / (large - small)
                fixed = counts[small, name]["all"] - small * slope
                slopes[name] = slope, fixed
                print(f"{name}: {slope / 1e9:.4f} G per document, {fixed / 1e9:.3f} G fixed")
            bare_slope, bare_fixed = slopes[f"bare loop, {jobs} worker(s)"]
            for prefix in prefixes:
                slope, fixed = slopes[f"{prefix}build --jobs {jobs}"]
                at_120 = (fixed + 120 * slope) / (bare_fixed + 120 * bare_slope) - 1
                print(f"{prefix}build --jobs {jobs} over the bare loop: "
                      f"{100 * (slope / bare_slope - 1):+.2f}% per document, "
                      f"{(fixed - bare_fixed) / 1e9:+.3f} G fixed; at 120 topics "
                      f"{100 * at_120:+.2f}%")
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Time of the quick loop (``pytest -m "not pdf"``, issue 9), side by side. Not a test.

    python bench/quick_loop.py                          # this checkout, 3 runs
    python bench/quick_loop.py ../other-checkout . --rounds 3  # two checkouts, alternating

Each checkout runs with its own ``.venv`` and ``-p no:cacheprovider`` (nothing written into
it). A round runs every checkout once, in alternating order; each run prints its wall time,
its CPU time (user + sys of pytest and every process it started), the load average at its
start, and pytest's summary line. The machine may be shared: compare CPU seconds, and wall
times only within a round. ``--env NAME=VALUE`` runs with one more environment variable
(e.g. ``--env PYTHONDONTWRITEBYTECODE=`` to see what compiling every module costs).
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import time
from pathlib import Path


def run_once(checkout: Path, env: dict[str, str], timeout: float) -> tuple[float, float, str]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(
        [str(checkout / ".venv" / "bin" / "python"), "-m", "pytest", "-m", "not pdf", "-q",
         "-p", "no:cacheprovider"],
        cwd=checkout, env=env, capture_output=True, text=True, timeout=timeout)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    summary = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else done.stderr[-200:]
    return wall, cpu, summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("checkouts", nargs="*", type=Path, default=[Path(".")])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--timeout", type=float, default=600, help="seconds per run")
    parser.add_argument("--env", action="append", default=[], metavar="NAME=VALUE")
    args = parser.parse_args()
    env = dict(os.environ)
    for item in args.env:
        name, _, value = item.partition("=")
        env[name] = value
        if not value:
            del env[name]
    results: dict[Path, list[tuple[float, float]]] = {c: [] for c in args.checkouts}
    for number in range(args.rounds):
        order = args.checkouts if number % 2 == 0 else args.checkouts[::-1]
        for checkout in order:
            load = os.getloadavg()[0]
            wall, cpu, summary = run_once(checkout.resolve(), env, args.timeout)
            results[checkout].append((wall, cpu))
            print(f"round {number + 1} {str(checkout):20} wall {wall:6.1f} s  cpu {cpu:6.1f} s  "
                  f"load {load:4.1f}  {summary}", flush=True)
    for checkout, runs in results.items():
        print(f"median {str(checkout):19} wall {statistics.median(r[0] for r in runs):6.1f} s  "
              f"cpu {statistics.median(r[1] for r in runs):6.1f} s  ({len(runs)} runs)")


if __name__ == "__main__":
    main()

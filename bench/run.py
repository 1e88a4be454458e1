#!/usr/bin/env python3
"""Benchmark of ``make-handout build`` (issues 3 and 13). Not part of the test suite.

    python bench/run.py                       # 120 uneven topics, everything below
    python bench/run.py --scaling-only --rounds 3
    python bench/run.py --scaling-only --topics 120 --rounds 2 --bare1   # issue 13's figures
    python bench/run.py --topics 60 --renders 300 --naive 10 --seed 2

Generates a seeded library of uneven topics (:mod:`bench.topics`: 1 to 12 pages, mean about
three, long lists, long reference lists) in a temporary folder and measures, side by side in
one run (the machine may be shared and noisy, so read the ratios; each round runs every
contender once, in alternating order, and the ratios are taken within a round: the targets
are judged on the median of the rounds' ratios, which compares runs made minutes apart, not
the fastest moments of two contenders; the ratios of the best times are printed too). The
package's bytecode is compiled first, as an installed package's is:

* ``build --jobs 1`` and ``--jobs 2`` (fresh output folders): PDFs/s and pages/s, and
  ``--jobs 2`` / ``--jobs 1`` (target >= 1.9x);
* the CPU seconds of each contender, every process it started included (each runs under a
  child subreaper, :data:`REAPER`, so the build's fork server and workers are counted), and
  the build's own timings (``MAKE_HANDOUT_POOL_STATS``): its main process's CPU before the
  first worker and in all, each worker's start-up, wait for its first job and idle time
  between jobs; with ``--bare1``, the bare loop on one worker too (two busy cores each do
  less per CPU second: that share of ``--jobs 2``'s extra CPU is not the pool's);
* the whole build against a bare WeasyPrint loop rendering the same HTML (made beforehand
  by the pipeline) with the same stylesheets on the same number of worker processes, as a
  whole process each (target: within 5%);
* what a build costs apart from rendering (its start-up, planning and finish) over the bare
  loop's start-up and finish: ``--fixed`` alternating pairs of runs on two short topics,
  the median of the gaps (each pair lasts a few seconds, so the machine's swings between
  minutes cancel out within it), also as a share of the race's bare loop;
* with ``--dask``, a two-worker Dask ``LocalCluster`` (started beforehand, as a cluster is)
  against the local pool (target >= 0.9x its throughput);
* the speed-up over a naive loop running ``render`` once per file (on ``--naive`` files);
* the pipeline's own cost per document over a bare WeasyPrint render of the same HTML with
  the same pre-parsed stylesheets and a reused font configuration (interleaved, in-process);
* a no-change rebuild as a fraction of a full build;
* a worker's memory: resident size after 100 and after ``--renders`` renders, and its peak;
* ``render`` of one topic as a whole process against a bare ``python -c "import weasyprint"``
  script rendering the same HTML (median of ``--repeat`` alternating runs).
"""

from __future__ import annotations

import argparse
import compileall
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PYTHON = sys.executable
CLI = [PYTHON, str(ROOT / "make_handout.py")]

from bench.topics import make_library  # noqa: E402


def timed(command: list[str], env: dict[str, str] | None = None, cwd: Path | None = None) -> float:
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, env=env, cwd=cwd)
    return time.perf_counter() - start


#: Runs a command as a child subreaper (Linux): every process it leaves behind (the fork
#: server and its workers outlive the build by a moment and are not the build's children)
#: is re-parented to this one and waited for, so RUSAGE_CHILDREN counts all their CPU.
REAPER = [PYTHON, "-c", """\
import ctypes, os, subprocess, sys
ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
code = subprocess.call(sys.argv[1:])
while True:
    try:
        os.wait()
    except ChildProcessError:
        break
sys.exit(code)
"""]


def read_stats(file: Path) -> str:
    """The build's own timings (executor.STATS_VARIABLE): its main process's CPU before the
    first worker and in all, each worker's start-up, first wait and idle time."""
    import json

    if not file.is_file():
        return "no timings"
    lines = [json.loads(line) for line in file.read_text().splitlines() if line.strip()]
    main = [x for x in lines if x["kind"] == "main"]
    workers = [x for x in lines if x["kind"] == "worker"]
    text = ", ".join(f"main CPU {m['cpu']:.2f} s ({m['cpu_before']:.2f} before the pool"
                     f"; {m.get('system', 0):.2f} system, {m.get('faults', 0)} page faults)"
                     for m in main)
    for w in workers:
        text += (f"; worker {w['jobs']} docs: start-up {w['start_up']:.2f} s wall "
                 f"({w['cpu_start_up']:.2f} CPU), first job after {w['first_wait']:.2f} s, "
                 f"idle {w['idle']:.2f} s, CPU {w['cpu']:.1f} s ({w.get('system', 0):.2f} "
                 f"system, {w.get('faults', 0)} page faults), life {w['wall']:.1f} s")
    return text


# --------------------------------------------------------------------------------------
# In-process measurements (run in child processes so each starts clean)
# --------------------------------------------------------------------------------------


def overhead_child(paths: list[str], rounds: int) -> None:
    """Pipeline (load, validate, HTML, PDF, write) against bare WeasyPrint, interleaved."""
    from handout_builder.render.html import render_html
    from handout_builder.sources.loader import load_brand, load_topic
    from handout_builder.paths import DEFAULT_BRAND_DIR
    from handout_builder.render.pdf import PDF_VARIANT, Renderer, _weasyprint
    from handout_builder.service import render_file

    wp = _weasyprint()
    brand = load_brand(DEFAULT_BRAND_DIR)
    renderer = Renderer(brand)
    out = Path(tempfile.mkdtemp())
    htmls = [render_html(load_topic(Path(p)), brand) for p in paths]
    base_url = str(brand.dir) + "/"
    bare_fonts = renderer.font_config  # reused, as a careful bare script would
    pipeline_times, bare_times = [], []
    for _ in range(rounds):
        for path, html in zip(paths, htmls):
            start = time.perf_counter()
            render_file(Path(path), renderer, out)
            pipeline_times.append(time.perf_counter() - start)
            start = time.perf_counter()
            wp.HTML(string=html, base_url=base_url).write_pdf(
                font_config=bare_fonts, stylesheets=renderer.stylesheets,
                pdf_variant=PDF_VARIANT, pdf_tags=True,
            )
            bare_times.append(time.perf_counter() - start)
    print(sum(pipeline_times) / len(pipeline_times), sum(bare_times) / len(bare_times))


def rss_kib() -> tuple[int, int]:
    status = Path("/proc/self/status").read_text()
    fields = dict(line.split(":", 1) for line in status.splitlines())
    return int(fields["VmRSS"].split()[0]), int(fields["VmHWM"].split()[0])


def render_and_record(job):
    """Runs in a build worker: render as usual, then note this worker's resident size."""
    from handout_builder.build import executor

    outcome = executor.render_job(job)
    with open(os.environ["BENCH_RSS_LOG"], "a", encoding="utf-8") as log:
        log.write(f"{os.getpid()} {rss_kib()[0]}\n")
    return outcome


def memory_child(paths: list[str], renders: int, brand_dir: str) -> None:
    """``renders`` documents through the real worker pool (one worker, recycled as in a build).

    Prints, per worker process: documents rendered, RSS after its 100th and its last.
    """
    from handout_builder.build import executor
    from handout_builder.build.plan import Source
    from handout_builder.service import render_in_folder

    out = Path(tempfile.mkdtemp())
    jobs = []
    for n in range(renders):
        path = Path(paths[n % len(paths)])
        jobs.append(executor.Job(Source(path, path.name, "x"), out / str(n)))
    outcomes = []
    executor.run_jobs(jobs, 1, Path(brand_dir), "bench", outcomes.append, work=render_and_record,
                   render_topic=render_in_folder)
    assert len(outcomes) == renders and all(o.ok for o in outcomes)
    by_worker: dict[str, list[int]] = {}
    for line in Path(os.environ["BENCH_RSS_LOG"]).read_text().splitlines():
        pid, rss = line.split()
        by_worker.setdefault(pid, []).append(int(rss))
    for sizes in by_worker.values():
        print(len(sizes), sizes[min(99, len(sizes) - 1)], sizes[-1], max(sizes))


def bare_memory_child(paths: list[str], renders: int) -> None:
    """Bare WeasyPrint, same HTML, reused font configuration: RSS after render 100 and last."""
    from handout_builder.render.html import render_html
    from handout_builder.sources.loader import load_brand, load_topic
    from handout_builder.paths import DEFAULT_BRAND_DIR
    from handout_builder.render.pdf import PDF_VARIANT, Renderer, _weasyprint

    wp = _weasyprint()
    brand = load_brand(DEFAULT_BRAND_DIR)
    renderer = Renderer(brand)
    htmls = [render_html(load_topic(Path(p)), brand) for p in paths]
    for n in range(1, renders + 1):
        wp.HTML(string=htmls[n % len(htmls)], base_url=str(brand.dir) + "/").write_pdf(
            font_config=renderer.font_config, stylesheets=renderer.stylesheets,
            pdf_variant=PDF_VARIANT, pdf_tags=True,
        )
        if n == min(100, renders):  # a short run (--renders under 100) reports its last
            at100 = rss_kib()[0]
    print(at100, rss_kib()[0])


BARE_SCRIPT = """\
import sys, weasyprint
from weasyprint.text.fonts import FontConfiguration
html, css, base, out = sys.argv[1:5]
fc = FontConfiguration()
sheets = [weasyprint.CSS(filename=css, font_config=fc),
          weasyprint.CSS(filename=sys.argv[5], font_config=fc)]
weasyprint.HTML(filename=html, base_url=base).write_pdf(
    out, font_config=fc, stylesheets=sheets, pdf_variant="pdf/ua-1", pdf_tags=True)
"""


_bare: dict = {}


def _bare_init(css_files: list[str], base_url: str) -> None:
    """A bare loop's worker: WeasyPrint, one font configuration, the stylesheets parsed once."""
    import weasyprint
    from weasyprint.text.fonts import FontConfiguration

    fc = FontConfiguration()
    _bare.update(wp=weasyprint, fc=fc, base=base_url,
                 sheets=[weasyprint.CSS(filename=f, font_config=fc) for f in css_files])


def _bare_render(job: tuple[str, str]) -> int:
    if os.environ.get("BENCH_BARE_ROOM"):  # --bare-room: as the build's workers render
        from handout_builder.render.stack_room import call_with_room

        return call_with_room(_bare_render_now, job)
    return _bare_render_now(job)


def _bare_render_now(job: tuple[str, str]) -> int:
    html, out = job
    data = _bare["wp"].HTML(filename=html, base_url=_bare["base"]).write_pdf(
        font_config=_bare["fc"], stylesheets=_bare["sheets"], pdf_variant="pdf/ua-1",
        pdf_tags=True)
    Path(out).write_bytes(data)
    return len(data)


def bare_loop_child(jobs: int, html_dir: str, out_dir: str, base_url: str,
                    css_files: list[str]) -> None:
    """The bare WeasyPrint loop on ``jobs`` worker processes (spawned, as ``build``'s are):
    every HTML file of ``html_dir`` to a PDF in ``out_dir``, handed out one at a time."""
    import multiprocessing

    import shutil

    htmls = sorted(Path(html_dir).glob("*.html"))
    Path(out_dir).mkdir(parents=True)
    work = [(str(h), str(Path(out_dir) / (h.stem + ".pdf"))) for h in htmls]
    # the workers' temporary files (WeasyPrint's copies of the fonts), removed afterwards:
    # the pool stops its workers without a clean-up, as the build's would be without theirs
    temp = Path(out_dir + ".tmp")
    temp.mkdir()
    os.environ["TMPDIR"] = str(temp)
    context = multiprocessing.get_context("spawn")
    with context.Pool(jobs, initializer=_bare_init, initargs=(css_files, base_url)) as pool:
        for _ in pool.imap_unordered(_bare_render, work, chunksize=1):
            pass
    shutil.rmtree(temp)


def start_local_cluster() -> str:
    """A two-worker Dask LocalCluster (processes, one thread each, loopback), kept for the
    whole run as a real cluster is; returns the scheduler's address."""
    from distributed import LocalCluster

    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                           host="127.0.0.1", dashboard_address=":0")
    _bare["cluster"] = cluster  # kept alive until the bench ends
    return cluster.scheduler_address


def prepare_bare(paths: list[Path], work: Path) -> tuple[Path, list[str], str]:
    """The pipeline's HTML of every topic and its stylesheets as files, for the bare loop."""
    from handout_builder.paths import DEFAULT_BRAND_DIR
    from handout_builder.render.html import render_html
    from handout_builder.render.pdf import BASE_STYLESHEET, SAFETY_STYLESHEET, brand_stylesheet
    from handout_builder.sources.loader import load_brand, load_topic

    brand = load_brand(DEFAULT_BRAND_DIR)
    html_dir = work / "html"
    html_dir.mkdir()
    for path in paths:
        (html_dir / (path.stem + ".html")).write_text(render_html(load_topic(path), brand),
                                                       encoding="utf-8")
    brand_css = work / "brand.css"
    brand_css.write_text(brand_stylesheet(brand), encoding="utf-8")
    css = [str(BASE_STYLESHEET), str(brand_css), str(SAFETY_STYLESHEET)]
    return html_dir, css, str(brand.dir) + "/"


# --------------------------------------------------------------------------------------
# The run
# --------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--topics", type=int, default=120)
    parser.add_argument("--seed", type=int, default=1, help="the generated library's seed")
    parser.add_argument("--rounds", type=int, default=2, help="rounds of the build race")
    parser.add_argument("--scaling-only", action="store_true",
                        help="only the build race (--jobs, bare loop, --dask)")
    parser.add_argument("--before", type=Path, metavar="TREE",
                        help="also race another version's make_handout.py (a checkout)")
    parser.add_argument("--before-jobs2-only", action="store_true",
                        help="race the other version with --jobs 2 only")
    parser.add_argument("--bare1", action="store_true",
                        help="also the bare loop on 1 worker (what two busy cores cost per "
                        "document, apart from the pool)")
    parser.add_argument("--bare-room", action="store_true",
                        help="also the bare loop on 2 workers rendering with the room on the "
                             "frame stack that the build's workers have (render/stack_room.py)")
    parser.add_argument("--dask", action="store_true",
                        help="also a two-worker Dask LocalCluster (make-handout[dask])")
    parser.add_argument("--renders", type=int, default=1000, help="renders for the memory figure")
    parser.add_argument("--naive", type=int, default=20, help="files in the naive render loop")
    parser.add_argument("--repeat", type=int, default=7, help="runs of the single-render race")
    parser.add_argument("--overhead", type=int, default=20, help="topics in the overhead test")
    parser.add_argument("--fixed", type=int, default=8, metavar="PAIRS",
                        help="pairs of two-topic runs for the start-up and finish figure "
                        "(0: none)")
    if sys.argv[1:2] == ["--child"]:  # internal: a measurement in a clean process
        kind, number, *rest = sys.argv[2:]
        if kind == "overhead":
            overhead_child(rest, int(number))
        elif kind == "bare-loop":
            bare_loop_child(int(number), rest[0], rest[1], rest[2], rest[3:])
        elif kind == "bare-memory":
            bare_memory_child(rest, int(number))
        else:
            memory_child(rest[1:], int(number), rest[0])
        return 0
    args = parser.parse_args()
    # an installed package has its bytecode compiled (pip does it), as WeasyPrint's is: a
    # checkout run with PYTHONDONTWRITEBYTECODE would compile the package at every start
    for tree in [ROOT, *([args.before] if args.before else [])]:
        compileall.compile_dir(str(Path(tree) / "handout_builder"), quiet=1)

    from handout_builder.paths import DEFAULT_BRAND_DIR, FONTS_DIR, STYLES_DIR

    env_fonts = {**os.environ, "FONTCONFIG_FILE": str(FONTS_DIR / "fonts.conf")}
    work = Path(tempfile.mkdtemp(prefix="handout-bench-"))
    lib = work / "handouts"
    paths = make_library(lib, args.topics, args.seed)
    n = args.topics
    rows = []

    def row(name: str, value: str, target: str = "", ok: bool | None = None) -> None:
        verdict = "" if ok is None else ("met" if ok else "MISSED")
        rows.append((name, value, target, verdict))
        print(f"  {name}: {value} {target} {verdict}", flush=True)

    print(f"library: {n} uneven topics (seed {args.seed}) in {lib}", flush=True)
    html_dir, css, base_url = prepare_bare(paths, work)
    env_bare = {**env_fonts, "PYTHONPATH": str(ROOT)}

    def build(jobs: int, out: Path, *extra: str, cli: list[str] = CLI,
              library: Path = lib) -> float:
        # no time limit per topic: on a starved machine a long topic can take minutes
        stats = out.with_name(out.name + ".stats")
        # run in the tree's own folder: before the workers were kept from importing from
        # the current folder, a tree's fork server imported the package found there
        took = timed([*REAPER, *cli, "build", str(library), "--out", str(out),
                      "--jobs", str(jobs), "--timeout", "86400", *extra],
                     env={**os.environ, "MAKE_HANDOUT_POOL_STATS": str(stats)},
                     cwd=Path(cli[-1]).parent)
        if stats.is_file():
            print(f"    {out.name}: {read_stats(stats)}", flush=True)
        return took

    def bare(jobs: int, out: Path, html: Path = html_dir, room: bool = False) -> float:
        start = time.perf_counter()
        env = {**env_bare, "BENCH_BARE_ROOM": "1"} if room else env_bare
        subprocess.run([*REAPER, PYTHON, __file__, "--child", "bare-loop", str(jobs),
                        str(html), str(out), base_url, *css], check=True, env=env)
        return time.perf_counter() - start

    fixed_gap: list[float] = []  # build minus bare loop, per pair
    if args.fixed:
        # what a build costs apart from rendering (start-up, planning, the manifest...) over
        # the bare loop's start-up and finish: two short topics, many alternating pairs (a
        # few seconds each, so the machine's swings between minutes cancel out in a pair)
        small = work / "small"
        make_library(small / "handouts", 2, args.seed + 1000)
        small_html, _, _ = prepare_bare(sorted((small / "handouts").glob("*.yaml")), small)
        pairs = []
        for r in range(args.fixed):
            one = lambda: build(2, small / f"o-{r}", library=small / "handouts")
            other = lambda: bare(2, small / f"b-{r}", html=small_html)
            if r % 2:
                b, o = other(), one()
            else:
                o, b = one(), other()
            pairs.append((o, b))
        fixed_gap = [o - b for o, b in pairs]
        row("start-up and finish: build --jobs 2 over the bare loop (2 workers), two short "
            "topics", f"{statistics.median(fixed_gap):+.2f} s median of {args.fixed} pairs "
            f"(build {statistics.median(o for o, _ in pairs):.2f} s, bare loop "
            f"{statistics.median(b for _, b in pairs):.2f} s; gaps "
            + ", ".join(f"{g:+.2f}" for g in fixed_gap) + ")")

    contenders = {
        "build1": lambda r: build(1, work / f"o1-{r}"),
        "build2": lambda r: build(2, work / f"o2-{r}"),
        "bare2": lambda r: bare(2, work / f"bare2-{r}"),
    }
    if args.bare1:
        contenders["bare1"] = lambda r: bare(1, work / f"bare1-{r}")
    if args.bare_room:
        contenders["bareroom2"] = lambda r: bare(2, work / f"bareroom2-{r}", room=True)
    if args.before:
        old = [PYTHON, str(args.before.resolve() / "make_handout.py")]
        if not args.before_jobs2_only:
            contenders["before1"] = lambda r: build(1, work / f"b1-{r}", cli=old)
        contenders["before2"] = lambda r: build(2, work / f"b2-{r}", cli=old)
    if args.dask:
        cluster = start_local_cluster()
        contenders["dask"] = lambda r: build(2, work / f"dask-{r}", "--executor", "dask",
                                             "--scheduler", cluster)
    times: dict[str, list[float]] = {name: [] for name in contenders}
    # CPU seconds of each contender's processes (its workers included; not the Dask
    # cluster's, which are not its children): unlike wall time, barely moved by other load
    cpu: dict[str, list[float]] = {name: [] for name in contenders}
    for r in range(args.rounds):
        names = list(contenders) if r % 2 == 0 else list(reversed(contenders))
        for name in names:
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            times[name].append(contenders[name](r))
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu[name].append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
        load = os.getloadavg()[0]
        print(f"  round {r + 1}: " + ", ".join(f"{k} {v[-1]:.1f} s ({cpu[k][-1]:.1f} s CPU)"
                                             for k, v in times.items())
              + f"; load average {load:.2f}", flush=True)
    import json

    manifest = json.loads((work / "o1-0" / "manifest.json").read_text(encoding="utf-8"))
    pages = [h["pages"] for h in manifest["handouts"]]
    assert len(pages) == n, "some generated topics failed to build"
    total = sum(pages)
    t1, t2, tb = min(times["build1"]), min(times["build2"]), min(times["bare2"])
    row("pages per topic", f"{min(pages)}-{max(pages)} (mean {statistics.mean(pages):.2f}, "
        f"{total} pages)")
    row("build --jobs 1", f"{n / t1:.2f} PDFs/s, {total / t1:.1f} pages/s ({t1:.1f} s, best "
        f"of {args.rounds})")
    row("build --jobs 2", f"{n / t2:.2f} PDFs/s, {total / t2:.1f} pages/s ({t2:.1f} s)")
    speedups = [a / b for a, b in zip(times["build1"], times["build2"])]
    speedup = statistics.median(speedups)
    row("--jobs 2 / --jobs 1", f"{speedup:.2f}x median of the rounds (rounds: "
        + ", ".join(f"{x:.2f}" for x in speedups) + f"); {t1 / t2:.2f}x best times",
        "(target >= 1.9x)", speedup >= 1.9)
    if args.bare1:
        bare_speedups = [a / b for a, b in zip(times["bare1"], times["bare2"])]
        row("bare loop: 2 workers / 1 worker", f"{min(times['bare1']) / tb:.2f}x best times; "
            f"{statistics.median(bare_speedups):.2f}x median (rounds: "
            + ", ".join(f"{x:.2f}" for x in bare_speedups) + "): the same ratio without the "
            "pipeline, on the same library and cores")
    row("bare WeasyPrint loop, 2 workers", f"{n / tb:.2f} PDFs/s ({tb:.1f} s)")
    c1, c2, cb = min(cpu["build1"]), min(cpu["build2"]), min(cpu["bare2"])
    cpu_over = statistics.median(a / b - 1 for a, b in zip(cpu["build2"], cpu["bare2"]))
    row("CPU seconds (least of the rounds)", f"build --jobs 1 {c1:.1f}, --jobs 2 {c2:.1f}, "
        f"bare loop {cb:.1f}: build --jobs 2 uses {100 * cpu_over:+.1f}% of the bare "
        f"loop's CPU (median of the rounds); {c1 / total:.3f} s per page with --jobs 1")
    if args.bare1:
        cb1 = min(cpu["bare1"])
        row("CPU: 2 workers / 1 worker", f"build {c2 / c1:.3f}, bare loop {cb / cb1:.3f} "
            f"(bare loop on 1 worker {cb1:.1f} s; build --jobs 1 uses "
            f"{100 * (c1 / cb1 - 1):+.1f}% of its CPU)")
    over = [a / b - 1 for a, b in zip(times["build2"], times["bare2"])]
    row("build --jobs 2 vs bare loop (2 workers)", f"{100 * statistics.median(over):+.1f}% "
        "median of the rounds (rounds: " + ", ".join(f"{100 * x:+.1f}%" for x in over)
        + f"); {100 * (t2 / tb - 1):+.1f}% best times", "(target <= +5%)",
        statistics.median(over) <= 0.05)
    if fixed_gap:
        row("of which start-up and finish (the two-topic pairs)",
            f"{100 * statistics.median(fixed_gap) / tb:+.1f}% of the bare loop's best time")
    if args.before and "before1" in times:
        before = [a / b for a, b in zip(times["before1"], times["before2"])]
        row("before: --jobs 2 / --jobs 1", f"{min(times['before1']) / min(times['before2']):.2f}x "
            f"best times; {max(before):.2f}x best round (rounds: "
            + ", ".join(f"{x:.2f}" for x in before) + ")")
    if args.before:
        gain = [b / a for a, b in zip(times["build2"], times["before2"])]
        row("--jobs 2: before / after (time)", ", ".join(f"{x:.3f}" for x in gain)
            + f"; CPU {min(cpu['before2']):.1f} s before, {min(cpu['build2']):.1f} s after")
        over_b = [b / c - 1 for b, c in zip(times["before2"], times["bare2"])]
        row("before: --jobs 2 vs bare loop", ", ".join(f"{100 * x:+.1f}%" for x in over_b))
    if args.bare_room:
        over_r = [b / c - 1 for b, c in zip(times["build2"], times["bareroom2"])]
        row("build --jobs 2 vs the bare loop with the same room on the frame stack",
            f"{100 * statistics.median(over_r):+.1f}% median of the rounds (rounds: "
            + ", ".join(f"{100 * x:+.1f}%" for x in over_r) + f"); CPU {min(cpu['bareroom2']):.1f} s"
            f" (bare loop without: {min(cpu['bare2']):.1f} s)")
    if args.dask:
        ratio = [b / d for b, d in zip(times["build2"], times["dask"])]
        best = t2 / min(times["dask"])
        row("dask LocalCluster (2 workers) / local pool (--jobs 2)",
            f"{best:.2f}x throughput best times; {max(ratio):.2f}x best round (rounds: "
            + ", ".join(f"{x:.2f}" for x in ratio) + ")", "(target >= 0.9x)", best >= 0.9)
        same_dask = all((work / "dask-0" / p.name).read_bytes() == p.read_bytes()
                        for p in (work / "o2-0").glob("*.pdf"))
        row("byte-identical dask vs local pool", str(same_dask), "", same_dask)
    same = all((work / "o1-0" / p.name).read_bytes() == (work / "o2-0" / p.name).read_bytes()
               for p in (work / "o1-0").glob("*.pdf"))
    row("byte-identical --jobs 1 vs --jobs 2", str(same), "", same)
    if args.scaling_only:
        return report(rows, n)
    t2 = times["build2"][0]
    o2 = work / "o2-0"

    t_none = min(timed([*CLI, "build", str(lib), "--out", str(o2), "--jobs", "2"])
                 for _ in range(3))
    row("no-change rebuild", f"{t_none:.2f} s = {100 * t_none / t2:.1f}% of a full build",
        "(target <= 3%)", t_none / t2 <= 0.03)

    naive = paths[: args.naive]
    t_naive = sum(timed([*CLI, "render", str(p), "--out", str(work / "naive")]) for p in naive)
    per_naive = t_naive / len(naive)
    row("naive loop (render per file)", f"{1 / per_naive:.2f} PDFs/s over {len(naive)} files")
    row("build --jobs 1 vs naive", f"{per_naive / (t1 / n):.1f}x")
    row("build --jobs 2 vs naive", f"{per_naive / (t2 / n):.1f}x", "(target >= 5x)",
        per_naive / (t2 / n) >= 5)

    sample = [str(p) for p in paths[: args.overhead]]
    out = subprocess.run([PYTHON, __file__, "--child", "overhead", "3", *sample],
                         check=True, capture_output=True, text=True).stdout.split()
    pipeline_s, bare_s = float(out[-2]), float(out[-1])
    over = pipeline_s / bare_s - 1
    row("pipeline per document", f"{pipeline_s * 1000:.0f} ms vs bare WeasyPrint "
        f"{bare_s * 1000:.0f} ms: {100 * over:+.1f}%", "(target <= 10%)", over <= 0.10)

    from handout_builder.build.executor import WORKER_DOCUMENTS

    log = work / "rss.log"
    out = subprocess.run(
        [PYTHON, __file__, "--child", "memory", str(args.renders), str(DEFAULT_BRAND_DIR),
         *[str(p) for p in paths[:50]]],
        check=True, capture_output=True, text=True, env={**os.environ, "BENCH_RSS_LOG": str(log)},
    ).stdout.splitlines()
    workers = [tuple(int(x) for x in line.split()) for line in out if line.strip()]
    peak = max(w[3] for w in workers)
    first = workers[0]
    growth = (first[2] - first[1]) / max(1, first[0] - 100)
    row("worker memory over "
        f"{args.renders} renders", f"{len(workers)} worker lives (recycled every "
        f"{WORKER_DOCUMENTS}); RSS {first[1] / 1024:.1f} MiB after render 100, "
        f"{first[2] / 1024:.1f} after {first[0]}; peak of any worker {peak / 1024:.1f} MiB",
        "(target: no growth per document: bounded)", peak - first[1] < 10 * 1024)
    bare_n = min(args.renders, WORKER_DOCUMENTS)
    out = subprocess.run(
        [PYTHON, __file__, "--child", "bare-memory", str(bare_n), *[str(p) for p in paths[:50]]],
        check=True, capture_output=True, text=True).stdout.split()
    b100, b_end = int(out[-2]), int(out[-1])
    row("growth within one life", f"ours {growth:+.1f} KiB/document; bare WeasyPrint "
        f"{(b_end - b100) / (bare_n - 100):+.1f} KiB/document (renders 100 to {bare_n})")

    # one topic, as a whole process, against a bare weasyprint script on the same HTML
    from handout_builder.render.html import render_html
    from handout_builder.sources.loader import load_brand, load_topic
    from handout_builder.render.pdf import brand_stylesheet

    brand = load_brand(DEFAULT_BRAND_DIR)
    html_file = work / "one.html"
    html_file.write_text(render_html(load_topic(paths[0]), brand), encoding="utf-8")
    brand_css = work / "brand.css"
    brand_css.write_text(brand_stylesheet(brand), encoding="utf-8")
    bare_script = [PYTHON, "-c", BARE_SCRIPT, str(html_file), str(STYLES_DIR / "leaflet.css"),
                   str(brand.dir) + "/", str(work / "bare.pdf"), str(brand_css)]
    ours = [*CLI, "render", str(paths[0]), "--out", str(work / "one")]
    ours_t, bare_t = [], []
    for _ in range(args.repeat):
        ours_t.append(timed(ours))
        start = time.perf_counter()
        subprocess.run(bare_script, check=True, env=env_fonts)
        bare_t.append(time.perf_counter() - start)
    o, b = statistics.median(ours_t), statistics.median(bare_t)
    row("render one topic (process)", f"{o:.2f} s vs bare weasyprint script {b:.2f} s: "
        f"{100 * (o / b - 1):+.0f}%", "(target <= 15%)", o / b - 1 <= 0.15)

    return report(rows, n)


def report(rows: list, n: int) -> int:
    print()
    print(f"{time.strftime('%Y-%m-%d')}, {platform.python_implementation()} "
          f"{platform.python_version()}, {os.cpu_count()} CPUs, {n} topics, load average "
          "(1, 5, 15 min) at the end " + ", ".join(f"{x:.2f}" for x in os.getloadavg()))
    print("| measure | result | target | |")
    print("|---|---|---|---|")
    for name, value, target, verdict in rows:
        print(f"| {name} | {value} | {target.strip('()')} | {verdict} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())

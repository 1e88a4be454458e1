#!/usr/bin/env python3
"""Benchmark of ``make-handout build`` (issue 3, section 7). Not part of the test suite.

    python bench/run.py                 # 200 topics, 1,000 renders for the memory figure
    python bench/run.py --topics 60 --renders 300 --naive 10

Generates a library of synthetic topics (2-3 pages each) in a temporary folder and measures,
side by side in one run (the machine may be shared and noisy, so read the ratios):

* PDFs per second with ``build --jobs 1`` and ``--jobs 2`` (fresh output folders);
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
import datetime
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PYTHON = sys.executable
CLI = [PYTHON, str(ROOT / "make_handout.py")]

WORDS = (
    "calcium blood heart doctor test result body tissue water sleep walk food salt sugar "
    "medicine dose morning evening week month pain swelling rest breath nurse clinic call "
    "help family daily check mild common normal sign change treatment visit question answer"
).split()
CATEGORIES = ["Heart, Blood and Circulation", "Bones and Joints", "Children's Health",
              "Diabetes", "Lungs and Breathing", "Medicines"]


def sentence(rng: random.Random) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(8, 16))]
    return " ".join(words).capitalize() + "."


def paragraph(rng: random.Random, sentences: int) -> str:
    return " ".join(sentence(rng) for _ in range(sentences))


def synthetic_topic(number: int) -> str:
    rng = random.Random(number)
    sections = []
    for s in range(rng.randint(3, 5)):
        body = "\n\n".join(paragraph(rng, rng.randint(3, 5)) for _ in range(2))
        if s % 3 == 1:
            body += "\n\n" + "\n".join(f"- {sentence(rng)}" for _ in range(4))
        sections.append(
            f"  - heading: Question {s + 1} about topic {number}?\n    body: |\n"
            + textwrap.indent(body, "      ")
        )
    key_points = "\n".join(f"  - {sentence(rng)}" for _ in range(4))
    return (
        f"title: Synthetic topic {number:04d}\n"
        f"category: \"{CATEGORIES[number % len(CATEGORIES)]}\"\n"
        f"summary: {sentence(rng)}\n"
        f"key_points:\n{key_points}\n"
        "sections:\n" + "\n".join(sections) + "\n"
        "references:\n"
        "  - title: A source\n    publisher: MedlinePlus\n"
        "    url: https://medlineplus.gov/\n    accessed: 2024-01-02\n"
        "status: approved\n"  # reviewed today, so the review policy prints it
        f"review:\n  reviewer: Dr Bench\n  reviewed: {datetime.date.today().isoformat()}\n"
        "copyright:\n  holder: Bench Clinic\n  year: 2024\n  notice: Example content.\n"
    )


def make_library(folder: Path, count: int) -> list[Path]:
    folder.mkdir(parents=True)
    paths = []
    for n in range(count):
        path = folder / f"topic-{n:04d}.yaml"
        path.write_text(synthetic_topic(n), encoding="utf-8")
        paths.append(path)
    return paths


def timed(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


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


# --------------------------------------------------------------------------------------
# The run
# --------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--topics", type=int, default=200)
    parser.add_argument("--renders", type=int, default=1000, help="renders for the memory figure")
    parser.add_argument("--naive", type=int, default=20, help="files in the naive render loop")
    parser.add_argument("--repeat", type=int, default=7, help="runs of the single-render race")
    parser.add_argument("--overhead", type=int, default=20, help="topics in the overhead test")
    if sys.argv[1:2] == ["--child"]:  # internal: a measurement in a clean process
        kind, number, *rest = sys.argv[2:]
        if kind == "overhead":
            overhead_child(rest, int(number))
        elif kind == "bare-memory":
            bare_memory_child(rest, int(number))
        else:
            memory_child(rest[1:], int(number), rest[0])
        return 0
    args = parser.parse_args()

    from handout_builder.paths import DEFAULT_BRAND_DIR, FONTS_DIR, STYLES_DIR

    env_fonts = {**os.environ, "FONTCONFIG_FILE": str(FONTS_DIR / "fonts.conf")}
    work = Path(tempfile.mkdtemp(prefix="handout-bench-"))
    lib = work / "handouts"
    paths = make_library(lib, args.topics)
    n = args.topics
    rows = []

    def row(name: str, value: str, target: str = "", ok: bool | None = None) -> None:
        verdict = "" if ok is None else ("met" if ok else "MISSED")
        rows.append((name, value, target, verdict))
        print(f"  {name}: {value} {target} {verdict}", flush=True)

    print(f"library: {n} topics in {lib}", flush=True)
    t1 = timed([*CLI, "build", str(lib), "--out", str(work / "o1"), "--jobs", "1"])
    t2 = timed([*CLI, "build", str(lib), "--out", str(work / "o2"), "--jobs", "2"])
    import json

    manifest = json.loads((work / "o1" / "manifest.json").read_text(encoding="utf-8"))
    pages = [h["pages"] for h in manifest["handouts"]]
    assert len(pages) == n, "some synthetic topics failed to build"
    row("pages per topic", f"{min(pages)}-{max(pages)} (mean {statistics.mean(pages):.1f})")
    row("build --jobs 1", f"{n / t1:.2f} PDFs/s ({t1:.1f} s)")
    row("build --jobs 2", f"{n / t2:.2f} PDFs/s ({t2:.1f} s)")
    row("--jobs 2 / --jobs 1", f"{t1 / t2:.2f}x", "(target >= 1.8x)", t1 / t2 >= 1.8)
    same = all((work / "o1" / p.name).read_bytes() == (work / "o2" / p.name).read_bytes()
               for p in (work / "o1").glob("*.pdf"))
    row("byte-identical --jobs 1 vs --jobs 2", str(same), "", same)

    t_none = min(timed([*CLI, "build", str(lib), "--out", str(work / "o2"), "--jobs", "2"])
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
    bare = [PYTHON, "-c", BARE_SCRIPT, str(html_file), str(STYLES_DIR / "leaflet.css"),
            str(brand.dir) + "/", str(work / "bare.pdf"), str(brand_css)]
    ours = [*CLI, "render", str(paths[0]), "--out", str(work / "one")]
    ours_t, bare_t = [], []
    for _ in range(args.repeat):
        ours_t.append(timed(ours))
        start = time.perf_counter()
        subprocess.run(bare, check=True, env=env_fonts)
        bare_t.append(time.perf_counter() - start)
    o, b = statistics.median(ours_t), statistics.median(bare_t)
    row("render one topic (process)", f"{o:.2f} s vs bare weasyprint script {b:.2f} s: "
        f"{100 * (o / b - 1):+.0f}%", "(target <= 15%)", o / b - 1 <= 0.15)

    print()
    print(f"{time.strftime('%Y-%m-%d')}, {platform.python_implementation()} "
          f"{platform.python_version()}, {os.cpu_count()} CPUs, {n} topics")
    print("| measure | result | target | |")
    print("|---|---|---|---|")
    for name, value, target, verdict in rows:
        print(f"| {name} | {value} | {target.strip('()')} | {verdict} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())

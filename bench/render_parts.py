#!/usr/bin/env python3
"""CPU per document of the parts of a build worker's render that a bare WeasyPrint loop does
not do (issue 13): the checks on what is painted, the PDF finisher, the rest of
``render/pdf.py`` around WeasyPrint, and the hand-over to the main process. Not a test.

    python bench/render_parts.py [--topics 20] [--rounds 1] [--large-print] [--draft]

Renders seeded uneven topics (:mod:`bench.topics`) with a build worker's own function
(``executor.render_job``, a warm renderer) and, alternating with each, a bare WeasyPrint
``write_pdf`` of the same HTML with the same stylesheets and font configuration; prints CPU
seconds per document (``time.process_time``: the machine may be shared), each part also as a
share of the bare render. Each document is also rendered bare a second time, the three in
an order that turns with each document: the gap between the two bare renders is the
measure's own error (what the order and the machine's swings alone move; ``--rounds 3``
puts every document in every place). The parts are timed by wrapping the functions that do
them, so the figures are the CPU spent inside each (the checks also compute style values
that drawing would compute later: part of their cost moves rather than adds).

To compare two commits, run it on each, alternately, in the same worktree.
"""

from __future__ import annotations

import argparse
import functools
import pickle
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.topics import make_library  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--topics", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--large-print", action="store_true")
    parser.add_argument("--draft", action="store_true", help="draft topics (watermarked)")
    args = parser.parse_args()

    from handout_builder.build import executor
    from handout_builder.build.plan import Source
    from handout_builder.domain.options import RenderOptions
    from handout_builder.paths import DEFAULT_BRAND_DIR
    from handout_builder.render import finish, painted, pdf
    from handout_builder import service

    wp = pdf._weasyprint()
    spent: dict[str, float] = {}
    inside = [0]

    def timed(owner: object, name: str, key: str | None = None, only_inside: bool = False,
              mark: bool = False) -> None:
        function = getattr(owner, name)

        @functools.wraps(function)
        def wrapper(*a, **k):
            if only_inside and not inside[0]:
                return function(*a, **k)  # the bare loop's own calls
            inside[0] += mark
            start = time.process_time()
            try:
                return function(*a, **k)
            finally:
                spent[key or name] = spent.get(key or name, 0.0) + time.process_time() - start
                inside[0] -= mark

        setattr(owner, name, wrapper)

    timed(painted, "contrast_problems")
    timed(painted, "safety_mark_problems")
    if hasattr(painted, "walk"):
        timed(painted, "walk")
    timed(pdf, "_text_smaller_than")
    timed(finish, "finish")
    timed(pdf.Renderer, "_check_painted")
    timed(pdf.Renderer, "_render_once", mark=True)
    timed(wp.HTML, "__init__", "weasyprint HTML()", only_inside=True)
    timed(wp.HTML, "render", "weasyprint render", only_inside=True)
    timed(wp.Document, "write_pdf", "weasyprint write_pdf", only_inside=True)

    folder = Path(tempfile.mkdtemp(prefix="render-parts-"))
    paths = make_library(folder / "handouts", args.topics, seed=args.seed)
    if args.draft:
        for path in paths:
            path.write_text(path.read_text().replace("status: approved", "status: draft"))
    options = RenderOptions(large_print=args.large_print)
    executor.init_worker(str(DEFAULT_BRAND_DIR), options, service.render_in_folder)
    executor._worker["shared"] = "bench"
    renderer = executor._worker["renderer"]
    render = executor._worker["render"]

    def render_timed(*a, **k):
        start = time.process_time()
        try:
            return render(*a, **k)
        finally:
            spent["render_in_folder"] = spent.get("render_in_folder", 0.0) + time.process_time() - start

    staging = folder / "staging"
    staging.mkdir()
    jobs = [executor.Job(Source(p, p.name, "bench"), staging, allow_draft=args.draft)
            for p in paths]
    htmls: list[str] = []  # the pipeline's own HTML, for the bare loop
    leaflet_part = service.leaflet_part

    def keep_html(*a, **k):
        part = leaflet_part(*a, **k)
        htmls.append(part.html)
        return part

    service.leaflet_part = keep_html
    for job in jobs:  # warm-up, and the HTML
        assert executor.render_job(job).ok
    service.leaflet_part = leaflet_part
    executor._worker["render"] = render_timed
    spent.clear()
    bare_options = dict(font_config=renderer.font_config, stylesheets=renderer.stylesheets,
                        pdf_variant=pdf.PDF_VARIANT, pdf_tags=True)
    # Three renders of each document, in an order that turns with each document and round:
    # the worker's, the bare one, and the bare one again. The last two do the same work, so
    # their gap is what the order and the machine alone move (up to 4% seen on this machine):
    # a smaller gap between the first two says nothing.
    cpu = {"job": 0.0, "bare": 0.0, "again": 0.0}
    order = tuple(cpu)
    pickle_cpu = 0.0
    for round_number in range(args.rounds):
        for number, (job, html) in enumerate(zip(jobs, htmls)):
            turn = (number + round_number) % len(order)
            for name in order[turn:] + order[:turn]:
                start = time.process_time()
                if name == "job":
                    outcome = executor.render_job(job)
                else:
                    wp.HTML(string=html, base_url=str(renderer.brand.dir) + "/").write_pdf(
                        **bare_options)
                cpu[name] += time.process_time() - start
            assert outcome.ok, outcome
            start = time.process_time()  # what the pipe does with it, both ends
            pickle.loads(pickle.dumps(("done", 0, outcome), protocol=pickle.HIGHEST_PROTOCOL))
            pickle_cpu += time.process_time() - start
    job_cpu, bare_cpu = cpu["job"], cpu["bare"]
    documents = len(jobs) * args.rounds

    def line(label: str, seconds: float) -> None:
        print(f"  {label:34} {1000 * seconds / documents:8.2f} ms  {100 * seconds / bare_cpu:6.2f}%")

    print(f"{documents} documents (large print: {args.large_print}, draft: {args.draft}); "
          "CPU per document, and as a share of the bare render")
    line("bare WeasyPrint write_pdf", bare_cpu)
    line("bare again (the measure's error)", cpu["again"])
    line("build worker's render_job", job_cpu)
    for key in ("weasyprint HTML()", "weasyprint render", "weasyprint write_pdf", "walk",
                "contrast_problems", "safety_mark_problems", "_text_smaller_than", "finish"):
        if key in spent:
            line(key + (" (inside write_pdf)" if key == "finish" else ""), spent[key])
    around = spent["_render_once"] - sum(spent[k] for k in (
        "weasyprint HTML()", "weasyprint render", "weasyprint write_pdf", "_check_painted"))
    around -= spent.get("walk", 0.0) + spent.get("_text_smaller_than", 0.0)
    line("render/pdf.py around WeasyPrint", around)
    line("before the PDF (load, HTML, QR...)", spent["render_in_folder"] - spent["_render_once"])
    line("render_job around the render", job_cpu - spent["render_in_folder"])
    line("pickling the outcome, both ends", pickle_cpu)


if __name__ == "__main__":
    main()

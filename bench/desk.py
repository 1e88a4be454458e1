"""Benchmark of the front desk (``make-handout serve``) on a generated library.

    python bench/desk.py [--topics 5000] [--searches 300] [--renders 15] [--time-limit 900]

Generates ``--topics`` topics (varied titles, six categories) in a temporary folder, starts
the desk on a free loopback port (uvicorn, two warm workers, no sign-in) and measures:

* loading the library into the search index (at start);
* search: the index query in the server process, and the whole HTTP answer of
  ``GET /?q=...&fragment=1`` (find-as-you-type), for rare words, common words and prefixes;
* a cached leaflet: the preview page, a page image and the PDF, after the first render;
* a personal copy: the whole HTTP answer, and the render in a warm worker, against a bare
  WeasyPrint render of the same HTML (same stylesheets and font configuration), interleaved.

Only loopback is used; every phase stops at ``--time-limit`` seconds in all. Not a test.
"""

from __future__ import annotations

import argparse
import platform
import random
import socket
import statistics
import sys
import tempfile
import threading
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SYLLABLES = ("ba ca da fe gi ho ku la me ni po ra se ti vo wu xa ye zo bri cla dre fro gla "
             "pli tra sto ner mol fen dar").split()
WORDS = ("calcium blood heart doctor test result body tissue water sleep walk food salt sugar "
         "medicine dose morning evening week month pain swelling rest breath nurse clinic call "
         "help family daily check mild common normal sign change treatment visit question").split()
CATEGORIES = ["Heart, Blood and Circulation", "Bones and Joints", "Children's Health",
              "Diabetes", "Lungs and Breathing", "Medicines"]


def pseudo_word(rng: random.Random) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4)))


def topic(number: int, today: date) -> tuple[str, list[str]]:
    rng = random.Random(number)
    title_words = [pseudo_word(rng) for _ in range(rng.randint(1, 3))]
    text = lambda n: " ".join(rng.choice(WORDS) for _ in range(n)).capitalize() + "."  # noqa: E731
    sections = "".join(
        f"  - heading: \"{text(5)[:-1]}?\"\n    body: |\n      {text(40)} {pseudo_word(rng)} {text(30)}\n"
        for _ in range(rng.randint(2, 4)))
    yaml = (f"id: topic-{number:05d}\ntitle: \"{' '.join(title_words).title()}\"\n"
            f"category: \"{CATEGORIES[number % len(CATEGORIES)]}\"\nstatus: approved\n"
            f"summary: \"{text(15)}\"\nkey_points:\n  - \"{text(10)}\"\n  - \"{text(8)}\"\n"
            f"sections:\n{sections}review:\n  reviewer: Dr Bench\n  reviewed: {today.isoformat()}\n"
            "copyright:\n  holder: Bench Clinic\n  year: 2026\n")
    return yaml, title_words


def percentiles(times: list[float]) -> str:
    ms = sorted(t * 1000 for t in times)
    p95 = ms[min(len(ms) - 1, int(len(ms) * 0.95))]
    return f"median {statistics.median(ms):.1f} ms, p95 {p95:.1f} ms (n={len(ms)})"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--topics", type=int, default=5000)
    parser.add_argument("--searches", type=int, default=300)
    parser.add_argument("--renders", type=int, default=15)
    parser.add_argument("--time-limit", type=float, default=900.0)
    args = parser.parse_args()
    deadline = time.monotonic() + args.time_limit

    import httpx2 as httpx
    import uvicorn

    from handout_builder import service
    from handout_builder.desk.app import Desk, create_app
    from handout_builder.desk.config import DeskConfig
    from handout_builder.desk.worker import RenderJob, _Warm
    from handout_builder.domain.personal import personal_copy
    from handout_builder.paths import DEFAULT_BRAND_DIR
    from handout_builder.render.pdf import PDF_VARIANT, _weasyprint

    print(f"make_handout desk benchmark, {date.today()}, {platform.python_implementation()} "
          f"{platform.python_version()}, {__import__('os').cpu_count()} CPUs, "
          f"WeasyPrint {__import__('weasyprint').__version__}")
    folder = Path(tempfile.mkdtemp(prefix="desk-bench-")) / "library"
    folder.mkdir()
    today = date.today()
    titles = []
    for n in range(args.topics):
        yaml, words = topic(n, today)
        (folder / f"topic-{n:05d}.yaml").write_text(yaml, encoding="utf-8")
        titles.append(words)
    print(f"library: {args.topics} topics in {folder}")

    desk = Desk(folder, [DEFAULT_BRAND_DIR], DeskConfig(queue=64), workers=2, watch=None)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(desk), host="127.0.0.1", port=port,
                                           access_log=False, log_level="warning",
                                           proxy_headers=False))
    start = time.perf_counter()
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            sys.exit("the desk did not start in time")
        time.sleep(0.05)
    print(f"start (index {len(desk.catalogue)} leaflets, start 2 workers): "
          f"{time.perf_counter() - start:.1f} s")
    client = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=120)
    rng = random.Random(7)
    try:
        # ---------------------------------------------------------------- search
        kinds = {
            "rare word (a title)": lambda: rng.choice(titles)[0],
            "prefix, 3 letters": lambda: rng.choice(titles)[0][:3],
            "common word": lambda: rng.choice(WORDS),
            "two words": lambda: f"{rng.choice(WORDS)} {rng.choice(WORDS)[:4]}",
        }
        for name, make in kinds.items():
            index_times, http_times, counts = [], [], []
            for _ in range(args.searches // len(kinds)):
                if time.monotonic() > deadline:
                    break
                query = make()
                t = time.perf_counter()
                found = desk.catalogue.search(query, limit=50)
                index_times.append(time.perf_counter() - t)
                counts.append(found.total)
                t = time.perf_counter()
                response = client.get("/", params={"q": query, "fragment": "1"})
                http_times.append(time.perf_counter() - t)
                assert response.status_code == 200
            print(f"search, {name} (median {statistics.median(counts):.0f} hits): index "
                  f"{percentiles(index_times)}; HTTP {percentiles(http_times)}")

        # ---------------------------------------------------------------- cached leaflets
        ids = [f"topic-{n:05d}" for n in rng.sample(range(args.topics), 5)]
        first, page_t, image_t, pdf_t = [], [], [], []
        for handout_id in ids:
            t = time.perf_counter()
            assert client.get(f"/leaflet/{handout_id}").status_code == 200
            first.append(time.perf_counter() - t)
            for _ in range(10):
                if time.monotonic() > deadline:
                    break
                for url, times in ((f"/leaflet/{handout_id}", page_t),
                                   (f"/leaflet/{handout_id}/page/1", image_t),
                                   (f"/leaflet/{handout_id}/pdf", pdf_t)):
                    t = time.perf_counter()
                    assert client.get(url).status_code == 200
                    times.append(time.perf_counter() - t)
        print(f"first preview (render + page images, uncached): {percentiles(first)}")
        print(f"cached preview page: {percentiles(page_t)}")
        print(f"cached page image: {percentiles(image_t)}")
        print(f"cached PDF: {percentiles(pdf_t)}")

        # ---------------------------------------------------------------- personal copies
        info = service.read_leaflet(folder / "topic-00001.yaml", folder, today)
        form_page = client.get(f"/leaflet/{info.id}").text
        import re

        token = re.search(r'name="csrftoken" value="([^"]+)"', form_page).group(1)
        http = []
        for n in range(args.renders):
            if time.monotonic() > deadline:
                break
            t = time.perf_counter()
            response = client.post(f"/leaflet/{info.id}/copy", data={
                "csrftoken": token, "action": "download", "patient_name": f"Bench Patient {n}",
                "clinician": "Dr Bench", "date": today.isoformat(), "note": "A short note."})
            http.append(time.perf_counter() - t)
            assert response.status_code == 200, response.text[:200]
        print(f"personal copy over HTTP (render in a warm worker, PDF back): {percentiles(http)}")

        warm = _Warm({"default": str(DEFAULT_BRAND_DIR)})
        renderer = warm.renderer("default", False)
        wp = _weasyprint()
        loaded = service.load_topic_bytes(info.source, info.name)
        ours, bare = [], []
        for n in range(args.renders):
            if time.monotonic() > deadline:
                break
            details = personal_copy(f"Bench Patient {n}", "Dr Bench", today.isoformat(), "A short note.")
            job = RenderJob(info.topic_bytes(), info.settings, "default", today, personal=details)
            t = time.perf_counter()
            assert warm.run(job).ok
            ours.append(time.perf_counter() - t)
            part = service.leaflet_part(loaded, renderer, personal=details)
            t = time.perf_counter()
            wp.HTML(string=part.html, base_url=str(renderer.brand.dir) + "/",
                    url_fetcher=renderer.fetcher).write_pdf(
                font_config=renderer.font_config, stylesheets=renderer.stylesheets,
                pdf_variant=PDF_VARIANT, pdf_tags=True)
            bare.append(time.perf_counter() - t)
        over = statistics.median(ours) / statistics.median(bare) - 1
        print(f"personal copy in a warm worker: {percentiles(ours)}; bare WeasyPrint, same "
              f"HTML: {percentiles(bare)}; ours/bare {100 * over:+.1f}% (target <= +10%)")
    finally:
        client.close()
        server.should_exit = True
        thread.join(timeout=30)


if __name__ == "__main__":
    main()

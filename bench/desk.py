"""Benchmark of the front desk (``make-handout serve``) on a generated library.

    python bench/desk.py [--topics 5000] [--searches 300] [--renders 15] [--time-limit 900]
                         [--startup-rounds 2] [--only startup,search,leaflets,copies]

Generates ``--topics`` topics (varied titles, six categories, keywords) in a temporary
folder, starts the desk on a free loopback port (uvicorn, two warm workers, no sign-in) and
measures:

* start-up, side by side and alternating (``--startup-rounds``), wall and CPU seconds:
  reading the library into the search index as before the library cache (every file
  validated), a first start with an empty cache (the same, and the cache written), and a
  restart with the cache (only changed files validated); then the desk's own start;
* search: the index query in the server process, side by side with the query as it was
  before (the old schema and SQL, kept below as ``OldIndex``, on the same rows), alternating,
  wall and CPU (the thread's); and the whole HTTP answer of ``GET /?q=...&fragment=1``
  (find-as-you-type), for rare words, common words and prefixes;
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
    keywords = "".join(f"  - {pseudo_word(rng)}\n" for _ in range(rng.randint(0, 3)))
    yaml = (f"id: topic-{number:05d}\ntitle: \"{' '.join(title_words).title()}\"\n"
            f"category: \"{CATEGORIES[number % len(CATEGORIES)]}\"\nstatus: approved\n"
            + (f"keywords:\n{keywords}" if keywords else "") +
            f"summary: \"{text(15)}\"\nkey_points:\n  - \"{text(10)}\"\n  - \"{text(8)}\"\n"
            f"sections:\n{sections}review:\n  reviewer: Dr Bench\n  reviewed: {today.isoformat()}\n"
            "copyright:\n  holder: Bench Clinic\n  year: 2026\n")
    return yaml, title_words


class OldIndex:
    """The search index and query as they were before this change (commit 852bae6): no
    prefix indexes, every hit ranked by bm25. Filled with the same rows as the desk's."""

    SCHEMA = """
    CREATE TABLE leaflet(rowid INTEGER PRIMARY KEY, path TEXT UNIQUE, id TEXT, language TEXT,
                         title TEXT, category TEXT, visible INTEGER);
    CREATE INDEX leaflet_id ON leaflet(id);
    CREATE VIRTUAL TABLE words USING fts5(title, keywords, category, text, codes,
                                          tokenize = "unicode61 remove_diacritics 2");
    """

    def __init__(self, catalogue) -> None:
        import sqlite3

        self.db = sqlite3.connect(":memory:", check_same_thread=False)
        self.db.executescript(self.SCHEMA)
        with catalogue._lock:
            leaflets = catalogue._db.execute("SELECT rowid, path, id, language, title, category, "
                                             "visible FROM leaflet").fetchall()
            words = catalogue._db.execute("SELECT rowid, title, keywords, category, text, codes "
                                          "FROM words").fetchall()
        self.db.executemany("INSERT INTO leaflet VALUES (?, ?, ?, ?, ?, ?, ?)", leaflets)
        self.db.executemany("INSERT INTO words(rowid, title, keywords, category, text, codes) "
                            "VALUES (?, ?, ?, ?, ?, ?)", words)
        self.db.commit()
        self.entries = catalogue._entries

    def search(self, query: str, limit: int = 50) -> tuple[int, list]:
        from handout_builder.desk.catalogue import fts_query

        match = fts_query(query)
        join = ("FROM words JOIN leaflet ON leaflet.rowid = words.rowid WHERE words MATCH ? "
                "AND leaflet.visible = 1")
        total = self.db.execute(f"SELECT count(*) {join}", [match]).fetchone()[0]
        rows = self.db.execute(
            f"SELECT leaflet.rowid {join} ORDER BY bm25(words, 10.0, 6.0, 3.0, 1.0, 8.0), "
            "leaflet.title LIMIT ?", [match, limit]).fetchall()
        return total, [self.entries[r[0]] for r in rows]


def timed(function, *args, **kwargs):
    """(result, wall seconds, CPU seconds of this thread)."""
    wall, cpu = time.perf_counter(), time.thread_time()
    result = function(*args, **kwargs)
    return result, time.perf_counter() - wall, time.thread_time() - cpu


def load_average() -> str:
    try:
        return " ".join(f"{x:.1f}" for x in __import__("os").getloadavg())
    except OSError:
        return "unknown"


def startup(folder: Path, rounds: int, deadline: float) -> Path:
    """Reading the library at start: before the cache, first start, restart (alternating).
    Returns the cache folder, warm, for the desk's own start."""
    import shutil

    from handout_builder.desk.catalogue import Catalogue

    cache = folder.parent / "cache"
    results: dict[str, list[tuple[float, float]]] = {}
    for _ in range(rounds):
        for name in ("before (no cache, every file validated)", "first start (empty cache)",
                     "restart (cache warm, nothing changed)"):
            if time.monotonic() > deadline:
                break
            if name.startswith("first"):
                shutil.rmtree(cache, ignore_errors=True)
            catalogue = Catalogue(folder, cache=None if name.startswith("before") else cache)
            _, wall, cpu = timed(catalogue.refresh)
            results.setdefault(name, []).append((wall, cpu))
            print(f"  start-up, {name}: {len(catalogue)} leaflets, wall {wall:.1f} s, CPU "
                  f"{cpu:.1f} s (load average {load_average()})", flush=True)
            del catalogue
    for name, runs in results.items():
        print(f"start-up, {name}: median wall {statistics.median(r[0] for r in runs):.1f} s, "
              f"CPU {statistics.median(r[1] for r in runs):.1f} s (n={len(runs)})")
    if not (cache / "key").exists():  # a warm cache for the desk's start
        Catalogue(folder, cache=cache).refresh()
    return cache


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
    parser.add_argument("--startup-rounds", type=int, default=2)
    parser.add_argument("--only", default="startup,search,leaflets,copies",
                        help="the parts to measure, separated by commas")
    args = parser.parse_args()
    parts = set(args.only.split(","))
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
    print(f"library: {args.topics} topics in {folder}; load average {load_average()}")

    cache = None
    if "startup" in parts:
        cache = startup(folder, args.startup_rounds, deadline)
    desk = Desk(folder, [DEFAULT_BRAND_DIR], DeskConfig(queue=64), workers=2, watch=None,
                library_cache=cache)
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
    print(f"desk start ({'cache warm' if cache else 'no cache'}: index {len(desk.catalogue)} "
          f"leaflets, start 2 workers): {time.perf_counter() - start:.1f} s")
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
        old = OldIndex(desk.catalogue) if "search" in parts else None
        for name, make in kinds.items():
            if old is None:
                break
            times: dict[str, list[float]] = {"old": [], "new": [], "old CPU": [], "new CPU": []}
            http_times, counts = [], []
            for n in range(args.searches // len(kinds)):
                if time.monotonic() > deadline:
                    break
                query = make()
                order = [("old", old.search), ("new", desk.catalogue.search)]
                for label, search in order if n % 2 else order[::-1]:  # alternating
                    found, wall, cpu = timed(search, query, limit=50)
                    times[label].append(wall)
                    times[label + " CPU"].append(cpu)
                    total = found[0] if label == "old" else found.total
                    counts.append(total)
                assert counts[-1] == counts[-2], (query, counts[-2:])  # the same leaflets found
                t = time.perf_counter()
                response = client.get("/", params={"q": query, "fragment": "1"})
                http_times.append(time.perf_counter() - t)
                assert response.status_code == 200
            if not http_times:
                break
            print(f"search, {name} (median {statistics.median(counts):.0f} hits), load average "
                  f"{load_average()}:\n  index before: {percentiles(times['old'])}, CPU "
                  f"{percentiles(times['old CPU'])}\n  index now:    {percentiles(times['new'])}, "
                  f"CPU {percentiles(times['new CPU'])}\n  HTTP now:     {percentiles(http_times)}",
                  flush=True)

        # ---------------------------------------------------------------- cached leaflets
        if "leaflets" in parts:
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
        if "copies" in parts:
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

#!/usr/bin/env python3
"""The manifest and the incremental state at scale (not part of the tests).

    python bench/manifest_scale.py                  # 100,000 entries
    python bench/manifest_scale.py --entries 20000 --pdf-bytes 80000

Writes an output folder of ``--entries`` fake leaflets (a matrix layout, ``--pdf-bytes``
each, default 2 KB to keep the disk use small: the hashing figures are scaled to real
leaflet sizes from the measured MB/s) and its manifest, then times what a build does besides
rendering when ONE topic changed, stage by stage, with this checkout's code:

* reading the previous manifest;
* checking that every PDF is intact: hashing each (SHA-256, as before), and today's quick
  check (size, and not modified since the manifest was written; hashed only otherwise);
* writing the new manifest (what is rewritten for one changed topic, in bytes);
* the catalogue (index.html) and the FHIR and CSV index.

Prints a table (seconds, bytes written) for docs/scale.md, "The manifest at scale".
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from handout_builder.output.store import write_atomic  # noqa: E402
from handout_builder.output.catalogue import catalogue_html  # noqa: E402
from handout_builder.output.index import csv_index, fhir_bundle, with_sha1  # noqa: E402
from handout_builder.output.manifest import (  # noqa: E402
    Entry, entry_key, is_intact, manifest_bytes, manifest_time, read_manifest,
)


def fake_entries(count: int, pdf_bytes: int, out: Path) -> list[Entry]:
    """``count`` leaflets: topics x 4 brands x 5 languages x 1 variant, each a fake PDF."""
    brands, languages = ("riverside", "harbour", "north", "valley"), ("en", "es", "fr", "zh", "vi")
    per_topic = len(brands) * len(languages)
    entries = []
    payload = os.urandom(pdf_bytes)
    for number in range(count):
        topic, rest = divmod(number, per_topic)
        brand, language = brands[rest // len(languages)], languages[rest % len(languages)]
        topic_id = f"topic-{topic:05d}"
        data = payload[:-8] + number.to_bytes(8, "big")
        output = f"{brand}/{language}/{topic_id}.pdf"
        path = out / output
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        entries.append(Entry(
            id=topic_id, source=f"{topic_id}.yaml" if language == "en" else
            f"{topic_id}.{language}.yaml", title=f"Topic {topic} about a common condition",
            category=f"Category {topic % 40}", language=language, output=output, pages=3,
            bytes=len(data), sha256=hashlib.sha256(data).hexdigest(),
            input_hash=hashlib.sha256(output.encode()).hexdigest(), reviewed="2026-01-02",
            review_state="current", next_review="2027-01-02",
            codes=(f"ICD-10-CM|E{topic % 90 + 10:02d}.{topic % 10}",), brand=brand,
            variant="standard"))
    return entries


def timed(what: str, function, rows: list, written: int | None = None):
    """Run ``function``; note its wall and CPU seconds (the CPU figure is what a busy,
    shared machine distorts least)."""
    started, cpu = time.perf_counter(), time.process_time()
    value = function()
    rows.append((what, time.perf_counter() - started, time.process_time() - cpu,
                 written if written is not None else ""))
    return value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--pdf-bytes", type=int, default=2_000)
    parser.add_argument("--real-pdf-bytes", type=int, default=80_000,
                        help="a typical leaflet's size, to scale the hashing figures (80 KB)")
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="manifest-scale-"))
    try:
        out = root / "out"
        started = time.perf_counter()
        entries = fake_entries(args.entries, args.pdf_bytes, out)
        print(f"{args.entries} fake leaflets written in {time.perf_counter() - started:.1f} s")
        rows: list = []
        plain = [replace(e, brand=None, variant=None) for e in entries]
        timed("manifest: serialise, indented (the one-brand form)",
              lambda: manifest_bytes(plain, None), rows)
        data = timed("manifest: serialise, one leaflet a line (the matrix form)",
                     lambda: manifest_bytes(entries, None), rows)
        (out / "manifest.json").write_bytes(data)
        previous = timed("manifest: read and parse", lambda: read_manifest(out), rows)
        assert len(previous) == args.entries
        timed("PDFs intact: SHA-256 of every PDF",
              lambda: [is_intact(out, e) for e in previous.values()], rows,
              args.entries * args.pdf_bytes)
        written = manifest_time(out)
        timed("PDFs intact: size, then mtime against the manifest's (today)",
              lambda: [is_intact(out, e, written) for e in previous.values()], rows)
        changed = dict(previous)
        first = entries[0]
        changed[entry_key(first)] = replace(first, input_hash="0" * 64)
        new = timed("manifest: serialise after one change",
                    lambda: manifest_bytes(changed.values(), None), rows, len(data))
        timed("manifest: atomic write (whole file)",
              lambda: write_atomic(out / "manifest.json", new), rows, len(new))
        html = timed("catalogue: index.html", lambda: catalogue_html(changed.values(), None),
                     rows)
        rows[-1] = (*rows[-1][:3], len(html.encode()))
        hashed = timed("index: SHA-1 of every PDF (first time)",
                       lambda: with_sha1(out, changed.values()), rows,
                       args.entries * args.pdf_bytes)
        fhir = timed("index: FHIR Bundle", lambda: fhir_bundle(hashed, "https://x.example/"), rows)
        rows[-1] = (*rows[-1][:3], len(fhir))
        table = timed("index: CSV", lambda: csv_index(hashed, "https://x.example/"), rows)
        rows[-1] = (*rows[-1][:3], len(table))
        print(f"\n| step ({args.entries:,} entries) | wall s | CPU s | bytes |")
        print("|---|---:|---:|---:|")
        for what, seconds, cpu, size in rows:
            shown = f"{size:,}" if size != "" else ""
            print(f"| {what} | {seconds:.2f} | {cpu:.2f} | {shown} |")
        for what, seconds, cpu, size in rows:
            if "every PDF" in what:
                per_file = cpu / args.entries * 1e6
                print(f"\n{what}: {per_file:.0f} us CPU a file at {args.pdf_bytes:,} bytes; "
                      f"SHA-256 of {args.real_pdf_bytes // 1000} KB (a leaflet) adds about "
                      f"{args.real_pdf_bytes / 1e9 * 1e6 / 1.0:.0f} us at 1 GB/s, and a read "
                      "from disk much more")
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()

"""The manifest at scale: the quick intact check, the one-line-per-leaflet form of a matrix
build's manifest, and the build's index of outputs (no pass over every entry per leaflet)."""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import replace

from handout_builder.build.batch import Entries
from handout_builder.output import manifest
from handout_builder.output.manifest import (
    Entry, entry_key, is_intact, manifest_bytes, manifest_time, read_manifest,
)

DATA = b"%PDF-1.7 a leaflet"
BASE = Entry(id="alpha", source="alpha.yaml", title="Alpha", category="C", language="en",
             output="alpha.pdf", pages=1, bytes=len(DATA), sha256=hashlib.sha256(DATA).hexdigest(),
             input_hash="1" * 64, reviewed=None, review_state="current")


def _published(tmp_path):
    (tmp_path / "alpha.pdf").write_bytes(DATA)
    (tmp_path / "manifest.json").write_bytes(manifest_bytes([BASE], "Clinic"))
    pdf, listed = tmp_path / "alpha.pdf", tmp_path / "manifest.json"
    os.utime(pdf, ns=(1_000_000_000_000, 1_000_000_000_000))
    os.utime(listed, ns=(2_000_000_000_000, 2_000_000_000_000))
    return pdf


def test_an_untouched_pdf_is_not_read_again(tmp_path, monkeypatch):
    _published(tmp_path)
    monkeypatch.setattr(manifest, "file_sha256", lambda path: 1 / 0)  # must not be called
    assert is_intact(tmp_path, BASE, manifest_time(tmp_path))


def test_a_pdf_changed_after_the_manifest_is_hashed(tmp_path):
    pdf = _published(tmp_path)
    pdf.write_bytes(DATA.upper())  # the same size, written later
    assert not is_intact(tmp_path, BASE, manifest_time(tmp_path))
    pdf.write_bytes(DATA + b"x")
    os.utime(pdf, ns=(1_000_000_000_000, 1_000_000_000_000))  # an old date, another size
    assert not is_intact(tmp_path, BASE, manifest_time(tmp_path))
    pdf.unlink()
    assert not is_intact(tmp_path, BASE, manifest_time(tmp_path))


def test_a_matrix_manifest_has_one_leaflet_a_line_and_reads_back(tmp_path):
    entries = [replace(BASE, output=f"{brand}/en/alpha.pdf", brand=brand, variant="standard",
                       codes=("ICD-10-CM|E11",)) for brand in ("north", "south")]
    data = manifest_bytes(entries, None)
    lines = data.decode().splitlines()
    assert sum(line.lstrip().startswith('{"id": "alpha"') for line in lines) == 2
    assert json.loads(data)["handouts"][0]["brand"] == "north"
    (tmp_path / "manifest.json").write_bytes(data)
    assert read_manifest(tmp_path) == {entry_key(e): e for e in entries}
    one_brand = manifest_bytes([BASE], "Clinic").decode()
    assert '\n    {\n      "id": "alpha",\n' in one_brand  # indented as it always was


def test_entries_know_who_writes_each_file():
    entries = Entries()
    entries["a.yaml"] = BASE
    assert entries.owner("alpha.pdf") == "a.yaml"
    entries["a.yaml"] = replace(BASE, output="alpha.large-print.pdf")
    assert entries.owner("alpha.pdf") is None and entries.owner("alpha.large-print.pdf") == "a.yaml"
    entries["b.yaml"] = replace(BASE, source="b.yaml", output="alpha.large-print.pdf")
    del entries["a.yaml"]  # b's claim stays
    assert entries.owner("alpha.large-print.pdf") == "b.yaml"
    assert entries.pop("b.yaml").source == "b.yaml" and entries.pop("b.yaml") is None
    assert entries.owner("alpha.large-print.pdf") is None and not entries

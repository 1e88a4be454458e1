"""The EHR-ready index: a FHIR R4 Bundle of DocumentReference (validated with fhir.resources)
and a CSV index, from a build's manifest entries."""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import json
from dataclasses import replace
from pathlib import Path

import pytest

from handout_builder.domain.problems import InvalidOption
from handout_builder.output.index import (
    CSV_COLUMNS, CSV_INDEX_NAME, FHIR_INDEX_NAME, index_base, with_sha1, write_indexes,
)
from handout_builder.output.manifest import Entry

BASE = Entry(id="alpha", source="alpha.yaml", title="Alpha", category="Heart", language="en",
             output="alpha.pdf", pages=2, bytes=0, sha256="", input_hash="1" * 64,
             reviewed="2026-01-02", review_state="current", next_review="2027-01-02")


def _publish(out: Path, entry: Entry, data: bytes) -> Entry:
    path = out / entry.output
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return replace(entry, bytes=len(data), sha256=hashlib.sha256(data).hexdigest())


@pytest.fixture
def written(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    entries = [
        _publish(out, replace(BASE, codes=("ICD-10-CM|E11.9", "LOINC|4548-4", "SNOMED CT|44054006",
                                           "RxNorm|860975")), b"%PDF-1.7 alpha"),
        _publish(out, replace(BASE, source="alpha.es.yaml", title="=Alfa", language="es",
                              output="clinic/es/alpha.large-print.pdf", brand="clinic",
                              variant="large-print", watermark="draft", review_state="draft",
                              reviewed=None, next_review=None), b"%PDF-1.7 alfa"),
    ]
    entries = with_sha1(out, entries)
    write_indexes(out, entries, index_base("https://leaflets.example.org/riverside"))
    return out, entries


def test_the_bundle_is_valid_fhir(written):
    from fhir.resources.R4B import __fhir_version__
    from fhir.resources.R4B.bundle import Bundle

    out, _ = written
    assert __fhir_version__ == "4.3.0"  # R4B: DocumentReference, Attachment, Bundle as in R4
    bundle = Bundle.model_validate_json((out / FHIR_INDEX_NAME).read_bytes())
    assert bundle.type == "collection" and len(bundle.entry) == 2
    for item in bundle.entry:
        assert item.resource.get_resource_type() == "DocumentReference"
    broken = json.loads((out / FHIR_INDEX_NAME).read_bytes())
    del broken["entry"][0]["resource"]["status"]  # required: the validator does check
    with pytest.raises(ValueError, match="status"):
        Bundle.model_validate(broken)


def test_each_leaflet_is_a_document_reference(written):
    out, entries = written
    data = json.loads((out / FHIR_INDEX_NAME).read_text(encoding="utf-8"))
    first, second = (item["resource"] for item in data["entry"])
    assert first["id"] == "alpha.en" and second["id"] == "alpha.clinic.es.large-print"
    assert first["type"]["coding"] == [
        {"system": "http://loinc.org", "code": "69730-0", "display": "Instructions"}]
    assert first["category"][1] == {"text": "Heart"}
    assert (first["status"], first["docStatus"], second["docStatus"]) == (
        "current", "final", "preliminary")  # a watermarked proof is not final
    attachment = first["content"][0]["attachment"]
    assert attachment["url"] == "https://leaflets.example.org/riverside/alpha.pdf"
    assert second["content"][0]["attachment"]["url"] == (
        "https://leaflets.example.org/riverside/clinic/es/alpha.large-print.pdf")
    assert attachment["size"] == len(b"%PDF-1.7 alpha")
    assert base64.b64decode(attachment["hash"]) == hashlib.sha1(b"%PDF-1.7 alpha").digest()
    assert (attachment["language"], attachment["contentType"], attachment["creation"]) == (
        "en", "application/pdf", "2026-01-02")
    assert first["context"]["period"] == {"start": "2026-01-02", "end": "2027-01-02"}
    assert [e["coding"][0] for e in first["context"]["event"]] == [
        {"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "E11.9"},
        {"system": "http://loinc.org", "code": "4548-4"},
        {"system": "http://snomed.info/sct", "code": "44054006"},
        {"system": "http://www.nlm.nih.gov/research/umls/rxnorm", "code": "860975"}]
    assert "context" not in second  # no codes, no review dates


def test_the_csv_index(written):
    out, entries = written
    rows = list(csv.DictReader(io.StringIO((out / CSV_INDEX_NAME).read_text(encoding="utf-8"))))
    assert tuple(rows[0]) == CSV_COLUMNS
    assert rows[0]["codes"] == "ICD-10-CM|E11.9 LOINC|4548-4 SNOMED CT|44054006 RxNorm|860975"
    assert rows[0]["sha1"] == entries[0].sha1 and rows[0]["brand"] == ""
    assert rows[1]["title"] == "'=Alfa"  # never run as a spreadsheet formula
    assert rows[1]["url"].endswith("/clinic/es/alpha.large-print.pdf")


def test_the_same_entries_give_the_same_bytes(written, tmp_path):
    out, entries = written
    before = {name: (out / name).read_bytes() for name in (FHIR_INDEX_NAME, CSV_INDEX_NAME)}
    write_indexes(out, list(reversed(entries)), "https://leaflets.example.org/riverside/")
    assert before == {name: (out / name).read_bytes() for name in (FHIR_INDEX_NAME, CSV_INDEX_NAME)}


@pytest.mark.parametrize("base", ["leaflets/", "ftp://x.example/", "https://x.example/\u202e",
                                  "javascript:alert(1)", "https://x .example/"])
def test_the_base_must_be_a_web_address(base):
    with pytest.raises(InvalidOption) as caught:
        index_base(base)
    assert caught.value.problems[0].field == "--index-base"

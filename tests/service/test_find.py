"""``service.find_leaflets`` and ``make-handout find --code``: leaflets by clinical code."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from handout_builder import service
from handout_builder.cli import main
from handout_builder.output.manifest import Entry, manifest_bytes, read_manifest

BASE = Entry(id="x", source="x.yaml", title="X", category="C", language="en", output="x.pdf",
             pages=1, bytes=1000, sha256="0" * 64, input_hash="1" * 64, reviewed="2026-01-01",
             review_state="current")


@pytest.fixture
def out(tmp_path: Path) -> Path:
    """A build's output folder: its manifest only (no PDF is needed to look up codes)."""
    entries = [
        replace(BASE, id="diabetes", source="diabetes.yaml", title="Type 2 diabetes",
                output="diabetes.pdf", codes=("ICD-10-CM|E11", "SNOMED CT|44054006")),
        replace(BASE, id="diabetes-es", source="diabetes.es.yaml", title="Diabetes tipo 2",
                language="es", output="diabetes-es.pdf", codes=("ICD-10-CM|E11",)),
        replace(BASE, id="foot-care", source="foot-care.yaml", title="Diabetic foot care",
                output="foot-care.pdf", codes=("ICD-10-CM|E11.621", "ICD-10-CM|E11")),
        replace(BASE, id="metformin", source="metformin.yaml", title="Metformin",
                output="metformin.pdf", codes=("RxNorm|860975",)),
        replace(BASE, id="plain", source="plain.yaml", title="No codes", output="plain.pdf"),
    ]
    folder = tmp_path / "out"
    folder.mkdir()
    (folder / "manifest.json").write_bytes(manifest_bytes(entries, "Clinic"))
    return folder


def test_the_manifest_records_codes_only_when_there_are_some(out):
    data = json.loads((out / "manifest.json").read_text())
    by_source = {h["source"]: h for h in data["handouts"]}
    assert by_source["metformin.yaml"]["codes"] == ["RxNorm|860975"]
    assert "codes" not in by_source["plain.yaml"]  # a library without codes: the same manifest
    assert read_manifest(out)["foot-care.yaml"].codes == ("ICD-10-CM|E11.621", "ICD-10-CM|E11")


def test_exact_matches_come_before_broader_categories(out):
    result = service.find_leaflets(out, "ICD-10-CM|E11.621")
    assert not result.problems and result.query == "ICD-10-CM|E11.621"
    assert [(f.title, f.match, f.code) for f in result.leaflets] == [
        ("Diabetic foot care", "exact", "ICD-10-CM|E11.621"),
        ("Diabetes tipo 2", "broader", "ICD-10-CM|E11"),
        ("Type 2 diabetes", "broader", "ICD-10-CM|E11"),
    ]


def test_language_filter(out):
    result = service.find_leaflets(out, "icd-10-cm|e11.9", language="es")
    assert [(f.file, f.language) for f in result.leaflets] == [("diabetes-es.pdf", "es")]
    assert service.find_leaflets(out, "ICD-10-CM|E11", language="fr").leaflets == ()


def test_other_systems_match_exactly(out):
    assert [f.id for f in service.find_leaflets(out, "SNOMED CT|44054006").leaflets] == ["diabetes"]
    assert [f.id for f in service.find_leaflets(out, "http://www.nlm.nih.gov/research/umls/"
                                                "rxnorm|860975").leaflets] == ["metformin"]
    assert service.find_leaflets(out, "RxNorm|6809").leaflets == ()


@pytest.mark.parametrize("code, words", [
    ("E11.9", "SYSTEM|CODE"),
    ("ICD-9|250.00", "ICD-10-CM, SNOMED CT, RxNorm, LOINC"),
    ("SNOMED CT|44054007", "check digit"),
])
def test_bad_codes_are_problems_not_exceptions(out, code, words):
    result = service.find_leaflets(out, code)
    (problem,) = result.problems
    assert problem.field == "--code" and words in problem.message and result.leaflets == ()


def test_no_build_is_a_problem(tmp_path):
    (problem,) = service.find_leaflets(tmp_path, "RxNorm|860975").problems
    assert "no manifest.json" in problem.message and "make-handout build" in problem.fix


def test_find_command_table_and_json(out, capsys):
    assert main(["find", "--code", "ICD-10-CM|E11.9", "--out", str(out)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["MATCH", "LANG", "FILE", "TITLE"]
    assert lines[1].split()[:3] == ["broader", "es", "diabetes-es.pdf"]
    assert lines[-1] == "3 leaflet(s) for ICD-10-CM|E11.9."
    assert main(["find", "--code", "LOINC|4548-4", "--lang", "en", "--out", str(out),
                 "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == {
        "query": "LOINC|4548-4", "language": "en", "leaflets": []}
    assert main(["find", "--code", "RxNorm|860975", "--out", str(out), "--format", "json"]) == 0
    (found,) = json.loads(capsys.readouterr().out)["leaflets"]
    assert found == {"id": "metformin", "title": "Metformin", "language": "en", "category": "C",
                     "file": "metformin.pdf", "code": "RxNorm|860975", "match": "exact",
                     "review_state": "current", "brand": None, "variant": None}


def test_find_command_refuses_a_bad_code_with_exit_1(out, capsys):
    assert main(["find", "--code", "LOINC|4548-5", "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert "--code" in err and "check digit" in err and "4548-4" in err
    with pytest.raises(SystemExit) as exited:
        main(["find", "--out", str(out)])  # --code is required: a usage error
    assert exited.value.code == 2


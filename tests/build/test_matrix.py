"""A build matrix: several brands, languages and variants in one build, one manifest, one
catalogue; incremental per topic and per brand (counted in renders)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from handout_builder.build import batch
from handout_builder.build.batch import BuildConfig, cells_for, matrix_for, matrix_paths
from handout_builder.cli import build_parser
from handout_builder.domain.library import InvalidLibrary
from handout_builder.paths import DEFAULT_BRAND_DIR
from handout_builder.service import render_in_folder
from handout_builder.sources.library import topic_files, translation_files
from tests.conftest import MINIMAL_TOPIC, REPO

ALPHA = MINIMAL_TOPIC.replace("Test topic", "Alpha") + "codes:\n  - {system: ICD-10-CM, code: E11}\n"
ALPHA_ES = "id: alpha\nlanguage: es\n" + MINIMAL_TOPIC.replace("Test topic", "Alfa")
BETA = MINIMAL_TOPIC.replace("Test topic", "Beta")
MATRIX = "matrix:\n  brands: [default, clinic]\n  languages: [en, es]\n"


def _translated(source: Path) -> str:
    """ALPHA_ES as a translation of ``source``: its provenance, language review and the
    fingerprint of the source text (tests/sources/test_translations.py tests drift)."""
    from handout_builder.domain.translation import fingerprint
    from handout_builder.sources.loader import load_topic

    parts = fingerprint(load_topic(source).topic)
    return (ALPHA_ES + "translation:\n  translator: Test (fictional)\n  method: professional\n"
            "  translated: 2024-01-02\n  review:\n    reviewer: Test reviewer\n"
            "    reviewed: 2024-01-03\n  fingerprint:\n"
            + "".join(f"    {name}: {value}\n" for name, value in parts.items()))


def _library(root: Path, matrix: str = MATRIX) -> Path:
    library = root / "handouts"
    library.mkdir(parents=True)
    (library / "alpha.yaml").write_text(ALPHA, encoding="utf-8")
    (library / "alpha.es.yaml").write_text(_translated(library / "alpha.yaml"), encoding="utf-8")
    (library / "beta.yaml").write_text(BETA, encoding="utf-8")
    (library / "library.yaml").write_text(matrix, encoding="utf-8")
    shutil.copytree(REPO / "styles" / "harbour", root / "styles" / "clinic")
    return library


def _config(library: Path, **kwargs) -> BuildConfig:
    return BuildConfig(library=library, out_dir=library.parent / "out", brand_dir=DEFAULT_BRAND_DIR,
                       jobs=1, **kwargs)


def _pdfs(out: Path) -> list[str]:
    return sorted(p.relative_to(out).as_posix() for p in out.rglob("*.pdf"))


@pytest.fixture(scope="module")
def steps(tmp_path_factory):
    """One matrix library built four times: first, unchanged, one topic changed, one brand
    changed. Each step: (the build's result, the output's PDFs, the manifest)."""
    import handout_builder.domain.review as review
    from tests.conftest import TEST_TODAY

    saved, review.today = review.today, lambda: TEST_TODAY  # explicit (conftest pins it too)
    try:
        library = _library(tmp_path_factory.mktemp("matrix"))
        out = library.parent / "out"
        taken = {}

        def step(name: str) -> None:
            result = batch.build(_config(library, index_base="https://leaflets.example.org/"),
                                 render=render_in_folder)
            manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
            taken[name] = (result, _pdfs(out), manifest,
                           {p: (out / p).read_bytes() for p in _pdfs(out)})

        step("first")
        step("unchanged")
        (library / "beta.yaml").write_text(BETA + "# edited\n", encoding="utf-8")
        step("topic")
        css = library.parent / "styles" / "clinic" / "brand.css"
        css.write_text(css.read_text(encoding="utf-8") + "\n/* edited */\n", encoding="utf-8")
        step("brand")
        taken["library"] = library
        return taken
    finally:
        review.today = saved


@pytest.mark.pdf
def test_every_combination_that_exists_is_built_in_the_documented_layout(steps):
    result, pdfs, manifest, _ = steps["first"]
    assert not result.failed and len(result.built) == 6
    assert pdfs == ["clinic/en/alpha.pdf", "clinic/en/beta.pdf", "clinic/es/alpha.pdf",
                    "default/en/alpha.pdf", "default/en/beta.pdf", "default/es/alpha.pdf"]
    # beta has no Spanish translation, so no Spanish leaflet
    by_output = {h["output"]: h for h in manifest["handouts"]}
    assert sorted(by_output) == pdfs  # one manifest for the whole output
    assert (by_output["clinic/es/alpha.pdf"]["brand"], by_output["clinic/es/alpha.pdf"]["variant"],
            by_output["clinic/es/alpha.pdf"]["source"]) == ("clinic", "standard", "alpha.es.yaml")
    assert by_output["default/en/alpha.pdf"]["codes"] == ["ICD-10-CM|E11"]
    assert by_output["clinic/es/alpha.pdf"]["codes"] == ["ICD-10-CM|E11"]  # its source's
    index = (steps["library"].parent / "out" / "index.html").read_text(encoding="utf-8")
    for pdf in pdfs:
        assert f'href="{pdf}"' in index  # one catalogue, linking every leaflet


@pytest.mark.pdf
def test_find_answers_from_the_matrix_build(steps, capsys):
    from handout_builder.cli import main

    out = steps["library"].parent / "out"
    assert main(["find", "--code", "ICD-10-CM|E11.9", "--out", str(out), "--format", "json"]) == 0
    found = json.loads(capsys.readouterr().out)["leaflets"]
    # the Spanish translation lists no codes: it has its source's (docs/languages.md)
    assert [(f["file"], f["brand"], f["variant"], f["match"]) for f in found] == [
        ("clinic/es/alpha.pdf", "clinic", "standard", "broader"),  # by title: Alfa, Alpha
        ("default/es/alpha.pdf", "default", "standard", "broader"),
        ("clinic/en/alpha.pdf", "clinic", "standard", "broader"),
        ("default/en/alpha.pdf", "default", "standard", "broader")]
    assert all((out / f["file"]).is_file() for f in found)
    assert main(["find", "--code", "ICD-10-CM|E11", "--lang", "es", "--out", str(out),
                 "--format", "json"]) == 0
    assert [(f["file"], f["language"], f["match"]) for f in json.loads(
        capsys.readouterr().out)["leaflets"]] == [("clinic/es/alpha.pdf", "es", "exact"),
                                                  ("default/es/alpha.pdf", "es", "exact")]


@pytest.mark.pdf
def test_the_fhir_and_csv_index_cover_the_whole_matrix(steps):
    import base64
    import csv
    import hashlib

    from fhir.resources.R4B.bundle import Bundle

    out = steps["library"].parent / "out"
    bundle = Bundle.model_validate_json((out / "leaflets.fhir.json").read_bytes())
    urls = {}
    for item in bundle.entry:
        attachment = item.resource.content[0].attachment
        urls[attachment.url] = attachment.hash
    _, pdfs, _, files = steps["brand"]
    assert sorted(urls) == [f"https://leaflets.example.org/{pdf}" for pdf in pdfs]
    for pdf in pdfs:  # the SHA-1 of the PDF as it is now (after the brand changed)
        assert urls[f"https://leaflets.example.org/{pdf}"] == hashlib.sha1(files[pdf]).digest()
    rows = list(csv.DictReader((out / "leaflets.csv").read_text(encoding="utf-8").splitlines()))
    assert sorted(row["file"] for row in rows) == pdfs
    # a translation is indexed under its source's codes (it lists none of its own)
    assert {row["file"]: row["codes"] for row in rows}["default/es/alpha.pdf"] == "ICD-10-CM|E11"
    events = {item.resource.content[0].attachment.url: [
        (coding.system, coding.code) for event in item.resource.context.event
        for coding in event.coding] for item in bundle.entry if item.resource.context.event}
    assert events["https://leaflets.example.org/clinic/es/alpha.pdf"] == [
        ("http://hl7.org/fhir/sid/icd-10-cm", "E11")]
    assert all(base64.b64decode(row["sha1"]) == hashlib.sha1(files[row["file"]]).digest()
               for row in rows)


@pytest.mark.pdf
def test_brands_differ_and_the_pdf_names_its_brand(steps):
    import pypdf

    _, _, _, files = steps["first"]
    assert files["clinic/en/alpha.pdf"] != files["default/en/alpha.pdf"]
    text = pypdf.PdfReader(steps["library"].parent / "out" / "clinic" / "es" / "alpha.pdf").pages[0]
    assert "Alfa" in text.extract_text()


@pytest.mark.pdf
def test_a_matrix_leaflet_is_byte_identical_to_a_one_brand_render(steps, tmp_path):
    from handout_builder.service import RenderRequest, render_leaflet
    from tests.conftest import TEST_TODAY

    library = steps["library"]
    single = render_leaflet(RenderRequest(topic=library / "alpha.yaml", brand=DEFAULT_BRAND_DIR,
                                          as_of=TEST_TODAY))
    assert single.data == steps["first"][3]["default/en/alpha.pdf"]


@pytest.mark.pdf
def test_nothing_changed_renders_nothing(steps):
    result, pdfs, manifest, files = steps["unchanged"]
    assert (len(result.built), len(result.unchanged)) == (0, 6)
    assert files == steps["first"][3] and manifest == steps["first"][2]


@pytest.mark.pdf
def test_one_changed_topic_renders_only_its_combinations(steps):
    result, _, _, files = steps["topic"]
    assert sorted(e.output for e in result.built) == ["clinic/en/beta.pdf", "default/en/beta.pdf"]
    assert len(result.unchanged) == 4
    assert files["default/en/beta.pdf"] == steps["first"][3]["default/en/beta.pdf"]  # a comment


@pytest.mark.pdf
def test_one_changed_brand_renders_only_that_brands_leaflets(steps):
    result, _, _, _ = steps["brand"]
    assert sorted(e.output for e in result.built) == [
        "clinic/en/alpha.pdf", "clinic/en/beta.pdf", "clinic/es/alpha.pdf"]
    assert len(result.unchanged) == 3


# ---- without rendering: what the matrix means -------------------------------------------


def test_translation_files_are_not_topic_files(tmp_path):
    library = _library(tmp_path)
    assert [p.name for p in topic_files(library)] == ["alpha.yaml", "beta.yaml"]
    assert translation_files(library) == {"alpha": {"es": library / "alpha.es.yaml"}}


def test_cells_are_brands_times_variants(tmp_path):
    library = _library(tmp_path, MATRIX + "  variants: [standard, large-print, archival]\n")
    the_matrix = matrix_for(_config(library))
    assert [name for name, _ in the_matrix.brands] == ["default", "clinic"]
    assert the_matrix.brands[1][1] == tmp_path / "styles" / "clinic"
    cells = cells_for(_config(library), the_matrix)
    assert [(c.brand, c.variant, c.render.file_suffix) for c in cells] == [
        ("default", "standard", ".pdf"), ("default", "large-print", ".large-print.pdf"),
        ("default", "archival", ".archival.pdf"), ("clinic", "standard", ".pdf"),
        ("clinic", "large-print", ".large-print.pdf"), ("clinic", "archival", ".archival.pdf")]


def test_the_command_line_overrides_library_yaml(tmp_path):
    library = _library(tmp_path)
    args = build_parser().parse_args(
        ["build", str(library), "--brands", str(DEFAULT_BRAND_DIR), "--languages", "es",
         "--variants", "large-print"])
    config = _config(library, brands=args.brands, languages=args.languages, variants=args.variants)
    the_matrix = matrix_for(config)
    assert the_matrix.brands == (("default", DEFAULT_BRAND_DIR),)
    assert (the_matrix.languages, the_matrix.variants) == (("es",), ("large-print",))
    paths = matrix_paths(library, topic_files(library), the_matrix.languages, {})
    assert [p.name for p in paths] == ["alpha.es.yaml"]  # English topics are not wanted


def test_without_a_matrix_the_build_is_todays(tmp_path):
    library = _library(tmp_path, "review_interval_months: 12\n")
    config = _config(library)
    assert matrix_for(config) is None
    (cell,) = cells_for(config, None)
    assert (cell.brand, cell.key, cell.brand_dir) == (None, "", DEFAULT_BRAND_DIR)


@pytest.mark.parametrize("matrix, words", [
    ("matrix:\n  brands: [nowhere]\n", "There is no brand 'nowhere'"),
    ("matrix:\n  brands: [clinic, clinic]\n", "Two brands are named 'clinic'"),
    ("matrix:\n  brands: [../styles/clinic]\n", "does not have the required form"),
    ("matrix:\n  variants: [poster]\n", "standard"),
])
def test_bad_matrices_are_located_errors(tmp_path, matrix, words):
    library = _library(tmp_path, matrix)
    with pytest.raises(InvalidLibrary) as caught:
        matrix_for(_config(library))
    problem = caught.value.problems[0]
    assert words in problem.message + problem.fix
    assert problem.file.endswith("library.yaml") and problem.field.startswith("matrix")


@pytest.mark.parametrize("option, value", [
    ("--variants", "poster"), ("--languages", "english!"), ("--brands", ","),
])
def test_bad_matrix_options_are_usage_errors(option, value, capsys):
    with pytest.raises(SystemExit) as exited:
        build_parser().parse_args(["build", option, value])
    assert exited.value.code == 2 and option in capsys.readouterr().err


def test_an_invalid_library_yaml_stops_the_build_before_anything_changes(tmp_path):
    from handout_builder.service import build_library

    library = _library(tmp_path, "matrix:\n  variants: poster\n")
    result = build_library(_config(library))
    (problem,) = result.problems
    assert problem.file.endswith("library.yaml") and problem.field == "matrix.variants"
    assert result.build is None and not (library.parent / "out").exists()

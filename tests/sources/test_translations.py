"""Translation files beside their sources: discovery, names, drift, missing parts, the
translators' PO round trip and fingerprint stamping (no PDFs)."""

from __future__ import annotations

import io
import shutil
from datetime import date
from pathlib import Path

import pytest

from handout_builder import service
from handout_builder.domain.problems import InvalidTopic
from handout_builder.sources.library import source_of, topic_files, translation_files
from handout_builder.sources.loader import load_topic
from handout_builder.sources.translations import check_translation
from tests.conftest import HANDOUTS, TEST_TODAY

LANGUAGES = ["ar", "es", "vi", "zh-Hans"]


@pytest.fixture
def library(tmp_path: Path) -> Path:
    """A copy of the sample library: the source, its figure and its four translations."""
    folder = tmp_path / "handouts"
    shutil.copytree(HANDOUTS, folder, ignore=shutil.ignore_patterns("*.json"))
    return folder


def test_translations_are_found_beside_their_source_and_not_as_topics(library):
    assert [p.name for p in topic_files(library)] == ["calcification.yaml"]
    found = translation_files(library)
    assert list(found) == ["calcification"] and list(found["calcification"]) == LANGUAGES
    assert source_of(found["calcification"]["es"]) == library / "calcification.yaml"


def test_the_samples_are_current_translations_with_provenance():
    status = service.translation_status(HANDOUTS, TEST_TODAY)
    states = {row.language: row.state for row in status.rows}
    assert states == {"en": "current", **{tag: "current" for tag in LANGUAGES}}
    assert status.exit_status == 0
    for tag in LANGUAGES:
        block = load_topic(HANDOUTS / f"calcification.{tag}.yaml").topic.translation
        assert block is not None and block.translator and block.review.is_reviewed


def _edit_source(library: Path) -> None:
    path = library / "calcification.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("Most of the time, you will not feel anything.",
                                 "Usually you will not feel anything."), encoding="utf-8")


def test_drift_is_reported_per_section_by_status_check_and_render(library, renderer):
    _edit_source(library)
    status = service.translation_status(library, TEST_TODAY)
    drifted = {row.language: row for row in status.rows if not row.source}
    assert {row.state for row in drifted.values()} == {"translation-outdated"}
    assert drifted["es"].drift == ('section 2 ("What are the symptoms?")',)
    assert status.exit_status == 1
    assert '"state": "translation-outdated"' in status.json()
    # check: one error per changed part, located at the fingerprint
    result = service.check_topics(service.CheckRequest((library / "calcification.es.yaml",),
                                                       as_of=TEST_TODAY))
    [finding] = [f for f in result.reports[0].findings if f.code == "translation.drift"]
    assert finding.severity == "error" and "section 2" in finding.message and finding.line
    assert result.exit_status == 1
    # render refuses it (nothing is laid out), even though it is an example
    rendered = service.render_leaflet(service.RenderRequest(
        topic=library / "calcification.es.yaml", brand=renderer.brand, as_of=TEST_TODAY),
        renderer)
    assert rendered.refused and "out of date" in rendered.problems[0].message
    assert rendered.problems[0].field == "translation.fingerprint"


def test_a_missing_section_is_an_error(library):
    path = library / "calcification.vi.yaml"
    text = path.read_text(encoding="utf-8")
    start = text.index("  - heading: Khi nào tôi nên nói chuyện với bác sĩ?")
    end = text.index("references:")
    path.write_text(text[:start] + text[end:], encoding="utf-8")
    with pytest.raises(InvalidTopic) as info:
        check_translation(load_topic(path))
    [problem] = info.value.problems
    assert problem.field == "sections" and "section(s) 6" in problem.message
    assert "never falls back" in problem.message


def test_a_translation_names_its_language_and_has_a_block(library):
    path = library / "calcification.es.yaml"
    text = path.read_text(encoding="utf-8").replace("language: es\n", "language: vi\n")
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InvalidTopic) as info:
        load_topic(path)
    assert any(p.field == "language" and "'es' translation" in p.message
               for p in info.value.problems)


def test_po_round_trip_keeps_sections_and_markdown(library):
    """Export, let a 'translator' fill every entry, import: the YAML that comes back holds
    exactly the translated texts, Markdown (tables, lists, callouts) unchanged."""
    from babel.messages.pofile import read_po, write_po

    source = library / "calcification.yaml"
    data, problems = service.export_translation(source, "es")
    assert problems == () and data is not None
    catalog = read_po(io.BytesIO(data))
    existing = {m.context: m.string for m in catalog if m.id}
    assert existing["sections.3.body"].startswith("Muchas cosas")  # the current translation
    for message in catalog:
        if message.id:
            message.string = message.id.replace("calcium", "CALCIUM")  # a visible 'translation'
    out = io.BytesIO()
    write_po(out, catalog)
    (library / "calcification.es.yaml").unlink()
    target, problems = service.import_translation(
        out.getvalue(), "t.po", source, translator="Agency (fictional)", method="professional",
        translated=date(2026, 11, 30))
    assert problems == () and target == library / "calcification.es.yaml"
    loaded = load_topic(target)
    original = load_topic(source).topic
    for ours, theirs in zip(loaded.topic.sections, original.sections, strict=True):
        assert ours.body == theirs.body.replace("calcium", "CALCIUM")
    assert "| Hypercalcemia | Too much CALCIUM in the blood. |" in loaded.topic.sections[2].body
    assert "::: help" in loaded.topic.sections[5].body
    assert loaded.topic.language == "es" and loaded.topic.translation.method == "professional"
    assert check_translation(loaded).drift == ()


def test_import_refuses_an_untranslated_entry(library):
    data, _ = service.export_translation(library / "calcification.yaml", "fr")
    target, problems = service.import_translation(
        data, "fr.po", library / "calcification.yaml", translator="X", method="professional",
        translated=date(2026, 11, 30))
    assert target is None and not (library / "calcification.fr.yaml").exists()
    assert "'title' is not translated" in problems[0].message


def test_stamp_records_the_new_fingerprint_and_keeps_the_rest(library):
    _edit_source(library)
    path = library / "calcification.ar.yaml"
    before = path.read_text(encoding="utf-8")
    changed, problems = service.stamp_translation(path)
    assert changed and problems == ()
    after = path.read_text(encoding="utf-8")
    assert check_translation(load_topic(path)).drift == ()
    kept = before.index("  fingerprint:")
    assert after[:kept] == before[:kept]  # comments and text kept as written
    assert after.count("section-2: ") == 1 and after != before
    assert service.stamp_translation(path) == (False, ())


def test_build_renders_each_translation_beside_its_source(library):
    """A plain build finds the translations too; each is written as <id>.<lang>.pdf, and its
    input hash covers its source (a changed source re-judges the translation)."""
    from handout_builder.build.batch import discover
    from handout_builder.build.fingerprint import source_bytes
    from handout_builder.service import _suffix
    from handout_builder.domain.options import RenderOptions

    found = [p.name for p in discover(library)]
    assert found == ["calcification.yaml"] + [f"calcification.{t}.yaml" for t in LANGUAGES]
    translation = load_topic(library / "calcification.zh-Hans.yaml")
    assert _suffix(translation, RenderOptions()) == ".zh-Hans.pdf"
    assert _suffix(load_topic(library / "calcification.yaml"), RenderOptions()) == ".pdf"
    before = source_bytes(library / "calcification.zh-Hans.yaml")
    assert source_bytes(library / "calcification.yaml") == b""
    _edit_source(library)
    assert source_bytes(library / "calcification.zh-Hans.yaml") != before


def test_translate_commands(library, tmp_path, capsys):
    """The three commands as a user runs them (exit codes, files written)."""
    import json

    from handout_builder.cli import main

    assert main(["translate-status", str(library), "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)["topics"]
    assert [(row["language"], row["state"]) for row in rows][1:] == [
        (tag, "current") for tag in LANGUAGES]
    po = tmp_path / "c.vi.po"
    assert main(["translate-export", str(library / "calcification.yaml"), "--language", "vi",
                 "--out", str(po)]) == 0
    assert 'msgctxt "sections.1.body"' in po.read_text(encoding="utf-8")
    # exported from the current translation: importing it again gives a current translation
    assert main(["translate-import", str(po), str(library / "calcification.yaml"),
                 "--translator", "Staff (fictional)", "--method", "bilingual-staff",
                 "--translated", "2026-11-30"]) == 0
    assert main(["translate-status", str(library)]) == 1  # a new import awaits its check
    assert "translation-not-reviewed" in capsys.readouterr().out


def test_the_manifest_keeps_a_translations_entry():
    """<id>.<lang>.pdf is a safe output name for a translation's entry (else every build
    would render the translations again); another language's name is not."""
    from handout_builder.output.manifest import Entry, safe_output

    def entry(output: str, language: str) -> Entry:
        return Entry(id="calcification", source="calcification.es.yaml", title="t",
                     category="c", language=language, output=output, pages=1, bytes=1,
                     sha256="0" * 64, input_hash="0" * 64, reviewed=None, review_state="current",
                     status="approved", next_review=None, watermark=None, example=False)

    assert safe_output(entry("calcification.es.pdf", "es"))
    assert safe_output(entry("calcification.zh-Hans.pdf", "zh-Hans"))
    assert not safe_output(entry("calcification.es.pdf", "vi"))
    assert not safe_output(entry("calcification.es/../x.pdf", "es"))

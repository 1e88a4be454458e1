"""`make-handout check`: reading levels against hand-computed values, every check on both
sides, the exit statuses and the JSON a CI reads. Every date is fixed (``AS_OF``)."""

from __future__ import annotations

import json
from pathlib import Path
from datetime import date

import pytest

from handout_builder.quality.checks import check_file
from handout_builder.cli import main
from handout_builder.quality.readability import level, sentences_of

from tests.conftest import SAMPLE

AS_OF = date(2026, 11, 25)

GOOD = """\
# yaml-language-server: $schema=topic.schema.json
title: Looking after your blood pressure
status: approved
category: Heart
key_points:
  - Take your medicine at the same time each day.
  - Call your doctor if you feel dizzy.
sections:
  - heading: Why does blood pressure matter?
    body: |
      Your doctor will check your blood pressure. High blood pressure can harm
      your heart and kidneys.
references:
  - title: High blood pressure
    publisher: MedlinePlus
    url: https://medlineplus.gov/highbloodpressure.html
    accessed: 2026-10-01
review:
  reviewer: Dr Test
  reviewed: 2026-10-01
copyright:
  holder: Test Clinic
"""


def findings(path, as_of=AS_OF):
    return check_file(path, as_of).findings


def codes(path, severity=None, as_of=AS_OF):
    return [f.code for f in findings(path, as_of) if severity in (None, f.severity)]


def run(*args):
    return main([str(a) for a in args])


# --------------------------------------------------------------------------------------
# Reading level. Expected values are computed by hand from the published formulas, with
# syllables counted by hand (as the CMU Pronouncing Dictionary counts them):
#   Flesch-Kincaid grade (Kincaid et al., 1975) = 0.39 W/S + 11.8 Y/W - 15.59
#   SMOG (McLaughlin, 1969)                     = 1.043 sqrt(30 P/S) + 3.1291
#   Fernandez-Huerta, as corrected and published by legible.es (and textstat's docs):
#                                                 206.84 - 60 Y/W - 1.02 W/S
# (W words, S sentences, Y syllables, P words of three syllables or more.)
# --------------------------------------------------------------------------------------

EASY = (
    "Your doctor will check your blood pressure. "  # 7 words, 9 syllables
    "High blood pressure can harm your heart and kidneys. "  # 9 words, 11 syllables
    "Take your medicine at the same time each day."  # 9 words, 11 syllables
)  # FK = 0.39 * 25/3 + 11.8 * 31/25 - 15.59 = 2.29
HARD = "Uncontrolled hypertension significantly increases cardiovascular morbidity."
# 6 words: un-con-trolled 3, hy-per-ten-sion 4, sig-nif-i-cant-ly 5, in-creas-es 3,
# car-di-o-vas-cu-lar 6, mor-bid-i-ty 4 = 25 syllables; FK = 0.39 * 6 + 11.8 * 25/6 - 15.59 = 35.92


def test_flesch_kincaid_grade_of_fixed_texts():
    assert abs(level(sentences_of(EASY), "en").grade - 2.29) <= 0.5
    assert abs(level(sentences_of(HARD), "en").grade - 35.92) <= 0.5


def test_smog_needs_thirty_sentences():
    # "family" has three syllables: 30 polysyllables in 30 sentences.
    thirty = sentences_of(" ".join(["My family sat down."] * 30))
    smog = level(thirty, "en").smog
    assert abs(smog - (1.043 * 30**0.5 + 3.1291)) <= 0.5  # 8.84
    assert level(sentences_of(" ".join(["The cat sat on the mat."] * 30)), "en").smog == pytest.approx(3.1, abs=0.5)
    assert level(thirty[:29], "en").smog is None


def test_fernandez_huerta_for_spanish():
    # el 1, ni-ño 2, co-me 2, pan 1 | la 1, ca-sa 2, es 1, gran-de 2: 8 words, 12 syllables, 2 sentences
    result = level(sentences_of("El niño come pan. La casa es grande."), "es")
    assert abs(result.ease - (206.84 - 60 * 12 / 8 - 1.02 * 8 / 2)) <= 0.5  # 112.76
    assert result.grade is None


def test_list_items_and_headings_count_as_sentences():
    sentences = sentences_of("Common causes are:\n\n- Swelling\n- A broken bone\n\nSee Dr. Avery today. Then rest.")
    assert [s.text for s in sentences] == [
        "Common causes are:", "Swelling", "A broken bone", "See Dr. Avery today.", "Then rest.",
    ]
    assert sentences[3].line == 5


# --------------------------------------------------------------------------------------
# The checks
# --------------------------------------------------------------------------------------


def test_good_topic_has_no_warnings(write_topic):
    path = write_topic(GOOD)
    assert codes(path, "error") == [] and codes(path, "warning") == []
    info = codes(path, "info")
    assert "review.current" in info and "reading.level" in info and "reading.smog-skipped" in info


def test_sample_passes_check(capsys):
    assert run("check", SAMPLE, "--as-of", AS_OF) == 0
    out = capsys.readouterr().out
    assert "0 error(s)" in out
    assert f"{SAMPLE} (example topic, review current, next review 2027-11-02)" in out


def test_default_checks_the_handouts_folder(capsys, monkeypatch, tmp_path):
    from tests.conftest import REPO

    monkeypatch.chdir(REPO)
    assert run("check", "--as-of", AS_OF, "--format", "json") == 0
    data = json.loads(capsys.readouterr().out)
    # library.yaml is not a topic; the translations beside the sample are checked after it
    assert [Path(f["file"]).name for f in data["files"]] == [
        "calcification.yaml", "calcification.ar.yaml", "calcification.es.yaml",
        "calcification.vi.yaml", "calcification.zh-Hans.yaml"]
    # ./handouts of the folder it runs in, wherever make_handout is installed
    (tmp_path / "handouts").mkdir()
    (tmp_path / "handouts" / "good.yaml").write_text(GOOD, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert run("check", "--as-of", AS_OF, "--format", "json") == 0
    data = json.loads(capsys.readouterr().out)
    assert [f["file"] for f in data["files"]] == ["handouts/good.yaml"]
    monkeypatch.chdir(tmp_path / "handouts")  # no handouts/ here: said so
    assert run("check", "--as-of", AS_OF) == 1
    out = capsys.readouterr().out
    assert out.startswith("handouts\n") and "The file does not exist." in out


@pytest.mark.parametrize(
    "as_of, code, severity",
    [
        (date(2027, 7, 2), "review.current", "info"),
        (date(2027, 7, 3), "review.due-soon", "warning"),  # 90 days before
        (date(2027, 10, 1), "review.due-soon", "warning"),
        (date(2027, 10, 2), "review.overdue", "error"),
    ],
)
def test_review_state_is_reported(write_topic, as_of, code, severity):
    # reviewed 2026-10-01 + 12 months = due 2027-10-01; due soon from 90 days before
    found = [f for f in findings(write_topic(GOOD), as_of) if f.code.startswith("review.")]
    assert [(f.code, f.severity) for f in found] == [(code, severity)]
    assert found[0].line == 20 and found[0].field == "review.reviewed"


@pytest.mark.parametrize(
    "change, code, severity",
    [
        (("status: approved", "status: draft"), "review.draft", "warning"),
        (("status: approved", "status: withdrawn"), "review.withdrawn", "info"),
        (("  reviewer: Dr Test\n", ""), "review.never-reviewed", "error"),
        (("reviewed: 2026-10-01", "reviewed: 2026-11-26"), "review.future-date", "error"),
    ],
)
def test_status_findings(write_topic, change, code, severity):
    found = {f.code: f.severity for f in findings(write_topic(GOOD.replace(*change)))}
    assert found[code] == severity


def test_references_without_url_or_date(write_topic):
    text = GOOD.replace("    url: https://medlineplus.gov/highbloodpressure.html\n", "").replace(
        "    accessed: 2026-10-01\n", "")
    found = [f for f in findings(write_topic(text)) if f.code.startswith("reference.")]
    assert [(f.code, f.line, f.column) for f in found] == [
        ("reference.no-url", 14, 5), ("reference.no-access-date", 14, 5),
    ]


@pytest.mark.parametrize(
    "accessed, stale", [("2023-11-25", False), ("2023-11-24", True)]
)  # three review intervals of 12 months before AS_OF is 2023-11-25
def test_stale_evidence(write_topic, accessed, stale):
    path = write_topic(GOOD.replace("accessed: 2026-10-01", f"accessed: {accessed}"))
    assert ("reference.stale" in codes(path, "warning")) is stale


def test_reading_level_above_target(write_topic):
    text = GOOD.replace("      Your doctor will check", f"      {HARD} Your doctor will check")
    found = [f for f in findings(write_topic(text)) if f.code.startswith("reading.")]
    warned = [f for f in found if f.severity == "warning"]
    assert [(f.field, f.line, f.column) for f in warned] == [("sections.1.body", 10, 5)]
    whole = [f for f in found if f.code == "reading.level" and f.field == ""]
    assert len(whole) == 1 and whole[0].value.startswith("grade ")
    hardest = [f for f in found if f.code == "reading.hard-sentence"][0]
    assert "Uncontrolled hypertension" in hardest.message
    assert (hardest.line, hardest.column) == (11, 7)


def test_reading_target_is_a_library_setting(write_topic):
    path = write_topic(GOOD)
    assert "reading.level" not in codes(path, "warning")
    write_topic("reading_grade_target: 1\n", "library.yaml")  # beside the topic
    assert "reading.level" in codes(path, "warning")


def test_long_sentence(write_topic):
    long = " ".join(["and then we walk"] * 7)
    path = write_topic(GOOD.replace("      your heart and kidneys.", f"      your heart {long}."))
    found = [f for f in findings(path) if f.code == "sentence.long"]
    assert len(found) == 1 and found[0].value == "35 words"
    assert (found[0].line, found[0].column) == (11, 51)  # where "High blood pressure..." starts


def test_passive_heavy_section(write_topic):
    passive = "The test is done by a nurse. Blood is taken from your arm. It is checked in a lab."
    path = write_topic(GOOD.replace("      your heart and kidneys.", f"      your heart. {passive}"))
    assert "sentence.passive" in codes(path, "warning")
    assert "sentence.passive" not in codes(write_topic(GOOD, "active.yaml"))


@pytest.mark.parametrize(
    "sentence, flagged",
    [
        ("You have hypertension.", True),
        ("You have high blood pressure (hypertension).", False),
        ("You have hypertension (high blood pressure).", False),
        ("This is called hypertension.", False),
        ("Hypertension means high blood pressure.", False),
        ("A myocardial infarction can follow.", True),
    ],
)
def test_jargon(write_topic, sentence, flagged):
    path = write_topic(GOOD.replace("      your heart and kidneys.", f"      your heart. {sentence}"))
    found = [f for f in findings(path) if f.code == "jargon"]
    assert bool(found) is flagged
    if flagged:
        assert found[0].line == 12 and "heart attack" in found[0].message + found[0].fix or \
            "high blood pressure" in found[0].message


def test_own_jargon_list(write_topic):
    write_topic("jargon_files: [local.yaml]\nstarter_jargon: false\n", "library.yaml")
    write_topic("language: en\nterms:\n  - {term: kidneys, plain: the organs that clean your blood}\n",
                "local.yaml")
    path = write_topic(GOOD)
    found = [f for f in findings(path) if f.code == "jargon"]
    assert [f.value for f in found] == ["kidneys"]


def test_starter_jargon_list_is_large_enough():
    from handout_builder.domain.library import LibrarySettings
    from handout_builder.sources.library import load_library
    from tests.conftest import HANDOUTS

    library = load_library(HANDOUTS / "library.yaml")
    assert library.settings == LibrarySettings()  # the shipped file states the defaults
    terms = {t.term: t.plain for t in library.jargon["en"]}
    assert len(terms) >= 50
    assert terms["hypertension"] == "high blood pressure"
    assert terms["myocardial infarction"] == "heart attack"


@pytest.mark.pdf
def test_broken_jargon_list_fails_check_but_not_render(write_topic, tmp_path):
    from handout_builder.cli import main

    write_topic("jargon_files: [local.yaml]\n", "library.yaml")
    write_topic("language: en\nterms:\n  - {term: kidneys}\n", "local.yaml")
    path = write_topic(GOOD)
    [f] = findings(path)
    assert f.severity == "error" and f.code == "library" and f.field == "terms.1.plain"
    assert main(["render", str(path), "--out", str(tmp_path / "out")]) == 0


def test_bad_library_file_is_an_error(write_topic, capsys):
    write_topic("review_interval_months: often\n", "library.yaml")
    path = write_topic(GOOD)
    [f] = findings(path)
    assert f.severity == "error" and f.code == "library" and f.line == 1


@pytest.mark.parametrize(
    "change, code",
    [
        (("key_points:\n  - Take your medicine at the same time each day.\n"
          "  - Call your doctor if you feel dizzy.\n", ""), "pemat.summary"),
        (("heading: Why does blood pressure matter?", "heading: More information"), "pemat.heading"),
        (("  - Take your medicine at the same time each day.\n  - Call your doctor if you feel dizzy.\n",
          "  - Blood pressure is a number.\n"), "pemat.action"),
    ],
)
def test_pemat_items(write_topic, change, code):
    assert code not in codes(write_topic(GOOD, "good.yaml"))
    assert code in codes(write_topic(GOOD.replace(*change)), "warning")


def test_schema_errors_are_reported_as_render_does(write_topic, capsys):
    path = write_topic(GOOD.replace("title:", "titel:"))
    assert run("check", path, "--as-of", AS_OF) == 1
    out = capsys.readouterr().out
    assert f"{path}:2:1" in out and "This field is not part of the format." in out
    assert "schema" in out


# --------------------------------------------------------------------------------------
# Exit status and output
# --------------------------------------------------------------------------------------


def test_warnings_fail_only_with_strict(write_topic):
    path = write_topic(GOOD.replace("status: approved", "status: draft"))
    assert run("check", path, "--as-of", AS_OF) == 0
    assert run("check", path, "--as-of", AS_OF, "--strict") == 1
    assert run("check", write_topic(GOOD, "good.yaml"), "--as-of", AS_OF, "--strict") == 0


def test_bad_as_of_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as info:
        run("check", "--as-of", "25/11/2026")
    assert info.value.code == 2


def test_text_output_is_a_table(write_topic, capsys):
    path = write_topic(GOOD.replace("status: approved", "status: draft"))
    run("check", path, "--as-of", AS_OF)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == f"{path} (draft)"
    assert lines[1].split() == ["location", "severity", "check", "value", "explanation"]
    row = next(line for line in lines if "review.draft" in line)
    assert row.split()[:4] == [f"{path}:3:1", "warning", "review.draft", "draft"]
    assert "status: Draft: not printed" in row
    assert lines[-1] == "1 file(s) checked: 0 error(s), 1 warning(s)."


def test_json_output_shape(write_topic, capsys):
    good = write_topic(GOOD, "good.yaml")
    overdue = write_topic(GOOD.replace("reviewed: 2026-10-01", "reviewed: 2024-10-01"), "old.yaml")
    broken = write_topic("title: [\n", "broken.yaml")
    assert run("check", good, overdue, broken, "--as-of", AS_OF, "--format", "json") == 1
    data = json.loads(capsys.readouterr().out)
    assert set(data) == {"format", "version", "as_of", "strict", "exit_status", "summary", "files"}
    assert (data["format"], data["version"], data["as_of"], data["exit_status"]) == (
        "make-handout-check", 1, "2026-11-25", 1)
    assert data["summary"]["files"] == 3 and data["summary"]["errors"] >= 2
    first, second, third = data["files"]
    assert set(first) == {"file", "id", "status", "review", "reading", "counts", "findings"}
    assert first["review"] == {
        "state": "current", "reviewed": "2026-10-01", "interval_months": 12,
        "next_review": "2027-10-01", "days_left": 310, "printable": True, "example": False, "drift": [],
    }
    assert set(first["reading"]) == {"language", "whole", "sections"}
    assert first["reading"]["sections"][0]["field"] == "sections.1.body"
    assert first["reading"]["sections"][0]["heading"] == "Why does blood pressure matter?"
    assert set(first["reading"]["whole"]) == {
        "words", "sentences", "flesch_kincaid_grade", "smog", "fernandez_huerta"}
    assert set(first["findings"][0]) == {
        "severity", "code", "file", "line", "column", "end_line", "end_column", "field", "value",
        "message", "fix"}
    assert second["review"]["state"] == "overdue"
    assert third["id"] is None and third["findings"][0]["code"] == "schema"
    assert third["findings"][0]["line"] == 2


def test_spanish_topic_uses_a_spanish_formula(write_topic):
    text = GOOD.replace("title:", "language: es\ntitle:", 1)
    report = check_file(write_topic(text), AS_OF)
    assert report.reading["whole"]["fernandez_huerta"] is not None
    assert report.reading["whole"]["flesch_kincaid_grade"] is None
    assert not any(f.code == "jargon" for f in report.findings)  # the starter list is English


def test_every_finding_code_is_documented():
    import re

    from handout_builder.quality import checks
    from tests.conftest import REPO

    source = (REPO / "handout_builder" / "quality" / "checks.py").read_text(encoding="utf-8")
    found = set(re.findall(r'"((?:review|reference|reading|sentence|pemat)\.[a-z-]+|jargon)"', source))
    doc = (REPO / "docs" / "checks.md").read_text(encoding="utf-8")
    assert len(found) >= 20
    for code in found | {"schema", "library", "no-topics"}:
        assert f"| `{code}` |" in doc, code
    assert f'"version": {checks.JSON_FORMAT_VERSION}' in doc


def test_empty_folder_fails(tmp_path, capsys):
    assert run("check", tmp_path, "--as-of", AS_OF) == 1
    assert "holds no topic files" in capsys.readouterr().out


def test_library_file_named_alone_is_checked_as_settings(write_topic, capsys):
    good = write_topic("reading_grade_target: 6\n", "library.yaml")
    assert run("check", good, "--as-of", AS_OF) == 0
    bad = write_topic("reading_grade_targt: 6\n", "sub/library.yaml")
    assert run("check", bad, "--as-of", AS_OF) == 1
    assert "Did you mean `reading_grade_target`?" in capsys.readouterr().out


@pytest.mark.parametrize("language", ["vi", "ar", "zh-Hans"])
def test_the_action_check_is_not_a_warning_in_a_language_it_cannot_read(write_topic, language):
    # Its verbs are English and Spanish: an Arabic or Vietnamese leaflet full of actions would
    # be warned about as having none. It says instead that this was not checked.
    text = GOOD.replace("title:", f"language: {language}\ntitle:", 1)
    codes = {f.code: f.severity for f in findings(write_topic(text))}
    assert "pemat.action" not in codes
    assert codes["pemat.action-not-checked"] == "info"

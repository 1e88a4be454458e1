"""One review policy for every command (check, render, build, email), and an example topic
that prints on any date. Dates are fixed (TEST_TODAY)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from handout_builder.build import batch

from handout_builder.domain import review
from handout_builder.build.batch import BuildConfig
from handout_builder.quality.checks import check_file
from handout_builder.cli import main
from handout_builder.domain.problems import RenderRefused
from handout_builder.sources.loader import load_topic
from handout_builder.service import check_review, render_in_folder

from tests.conftest import BRANDS, HANDOUTS, MINIMAL_TOPIC, SAMPLE, TEST_TODAY
from tests.lazy import lazy

pypdf = lazy("pypdf")

TEN_YEARS_AHEAD = TEST_TODAY.replace(year=TEST_TODAY.year + 10)
#: MINIMAL_TOPIC with a typo'd review date (2062 for 2026): line 8 of the file.
FUTURE = MINIMAL_TOPIC.replace("reviewed: 2024-01-02", "reviewed: 2062-01-02")
EXAMPLE_WORDS = "EXAMPLE · NOT MEDICAL ADVICE"


def run(*args) -> int:
    return main([str(a) for a in args])


def page_texts(path: Path) -> list[str]:
    """Each page's text, with runs of white space as one space (the watermark wraps)."""
    return [" ".join(page.extract_text().split()) for page in pypdf.PdfReader(path).pages]


def build_on(library: Path, out: Path, as_of: date, allow_draft: bool = False):
    return batch.build(BuildConfig(
        library=library, out_dir=out, brand_dir=BRANDS["default"], jobs=1,
        as_of=as_of, allow_draft=allow_draft,
    ), render=render_in_folder)


# --------------------------------------------------------------------------------------
# A review date in the future: refused by every command
# --------------------------------------------------------------------------------------


def test_render_refuses_a_future_review_date(write_topic, tmp_path, capsys):
    path = write_topic(FUTURE)
    out = tmp_path / "out"
    assert run("render", path, "--out", out) == 1
    err = capsys.readouterr().err
    assert (
        f"error: {path}:8:3: review.reviewed: The topic's review date is in the future: "
        "2062-01-02 is after 2026-11-25. It is not printed. Fix: Correct `review: reviewed` "
        "to the date of the review (YYYY-MM-DD); or print a proof with --allow-draft" in err
    )
    assert "--allow-draft" in err
    assert not out.exists()


@pytest.mark.pdf
def test_a_future_review_date_prints_only_as_a_watermarked_proof(write_topic, tmp_path, capsys):
    path = write_topic(FUTURE)
    assert run("render", path, "--out", tmp_path, "--allow-draft") == 0
    assert "review date 2062-01-02 is in the future, watermarked" in capsys.readouterr().out
    [text] = page_texts(tmp_path / "topic.pdf")
    assert text.count("NOT REVIEWED") == 2  # the diagonal watermark and the footer


def test_check_calls_a_future_review_date_an_error(write_topic, capsys):
    path = write_topic(FUTURE)
    assert run("check", path, "--format", "json") == 1
    [report] = json.loads(capsys.readouterr().out)["files"]
    assert report["review"]["state"] == "future-date"
    assert report["review"]["printable"] is False
    errors = [f["code"] for f in report["findings"] if f["severity"] == "error"]
    assert errors == ["review.future-date"]


def test_email_refuses_a_future_review_date(write_topic, tmp_path, capsys):
    draft = tmp_path / "x.eml"
    assert run("email", write_topic(FUTURE), "--to", "a@example.org", "--eml", draft) == 1
    assert "review date is in the future" in capsys.readouterr().err
    assert not draft.exists()


@pytest.mark.pdf
def test_build_refuses_a_future_review_date(tmp_path):
    library = tmp_path / "handouts"
    library.mkdir()
    (library / "ok.yaml").write_text(MINIMAL_TOPIC, encoding="utf-8")
    (library / "typo.yaml").write_text(FUTURE, encoding="utf-8")
    out = tmp_path / "out"
    result = build_on(library, out, TEST_TODAY)
    assert [e.id for e in result.built] == ["ok"]
    [failed] = result.failed
    assert failed.refused and "review date is in the future" in failed.problems[0].message
    assert not (out / "typo.pdf").exists()


@pytest.mark.pdf
def test_build_judges_unchanged_leaflets_by_the_same_rule(tmp_path):
    """A leaflet built when its review date had passed, then judged on an earlier day
    (``--as-of``) without re-rendering: its review is then in the future, and refused."""
    library = tmp_path / "handouts"
    library.mkdir()
    (library / "topic.yaml").write_text(MINIMAL_TOPIC, encoding="utf-8")  # reviewed 2024-01-02
    out = tmp_path / "out"
    assert [e.id for e in build_on(library, out, TEST_TODAY).built] == ["topic"]
    earlier = build_on(library, out, date(2023, 6, 1))
    assert earlier.built == [] and earlier.unchanged == []
    [failed] = earlier.failed
    assert failed.refused and "2024-01-02 is after 2023-06-01" in failed.problems[0].message
    assert not (out / "topic.pdf").exists()


TOPICS = {
    "current": MINIMAL_TOPIC,
    "future": FUTURE,
    "never-reviewed": MINIMAL_TOPIC.replace("  reviewer: Dr Test\n", ""),
    "draft": MINIMAL_TOPIC.replace("status: approved", "status: draft"),
    "withdrawn": MINIMAL_TOPIC.replace("status: approved", "status: withdrawn"),
}
DATES = [date(2023, 6, 1), TEST_TODAY, date(2028, 12, 1), date(2029, 1, 2), date(2029, 1, 3)]


@pytest.mark.parametrize("example", [False, True], ids=["topic", "example"])
@pytest.mark.parametrize("name", sorted(TOPICS))
def test_check_and_render_agree_on_every_date(write_topic, name, example):
    """``check``'s verdict and the printing policy of render/build/email are one rule."""
    text = TOPICS[name] + ("example: true\n" if example else "")
    path = write_topic(text)
    for as_of in DATES:
        report = check_file(path, as_of)
        try:
            _, watermark = check_review(load_topic(path), as_of)
            printed = True
        except RenderRefused:
            printed = False
        assert report.review.printable is printed, (name, as_of)
        review_errors = [f for f in report.findings
                         if f.severity == "error" and f.code.startswith("review.")]
        if "status: approved" in text:  # drafts and withdrawn topics are work, not errors
            assert bool(review_errors) is not printed, (name, as_of)
        if printed and example:  # marked by the template, not by a watermark
            assert watermark is None, (name, as_of)


# --------------------------------------------------------------------------------------
# The example topic: the quick start works on any date
# --------------------------------------------------------------------------------------


@pytest.mark.pdf
@pytest.mark.parametrize("today", [TEST_TODAY, TEN_YEARS_AHEAD], ids=["today", "ten-years-ahead"])
def test_quick_start_renders_the_sample_on_any_date(monkeypatch, tmp_path, capsys, today):
    """The README's quick start, `make-handout render handouts/calcification.yaml`, with the
    clock where it is and ten years ahead (the sample's review lapses on 2027-11-03)."""
    monkeypatch.setattr(review, "today", lambda: today)
    monkeypatch.chdir(tmp_path)
    assert run("render", SAMPLE) == 0
    captured = capsys.readouterr()
    written = tmp_path / "out" / "calcification.pdf"
    assert captured.out.startswith(f"wrote {Path('out') / 'calcification.pdf'} (5 pages, "
                                   "example topic, ")
    texts = page_texts(written)
    assert len(texts) == 5
    # never printed as a current leaflet: a banner on the first page, a mark in every footer
    assert "Example content for demonstration: this is not medical advice." in texts[0]
    for text in texts:
        assert f"Handout calcification · version 1.0 · {EXAMPLE_WORDS} Page" in text


@pytest.mark.pdf
def test_readme_build_works_ten_years_ahead(monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(review, "today", lambda: TEN_YEARS_AHEAD)
    out = tmp_path / "out"
    assert run("build", HANDOUTS, "--out", out, "--brand", BRANDS["harbour"], "--jobs", "1") == 0
    entries = {e["source"]: e for e in
               json.loads((out / "manifest.json").read_text(encoding="utf-8"))["handouts"]}
    assert len(entries) == 5  # the sample and its four translations (<id>.<lang>.pdf)
    for entry in entries.values():
        assert (entry["review_state"], entry["watermark"], entry["example"]) == (
            "overdue", None, True)
    assert "EXAMPLE, not medical advice" in (out / "index.html").read_text(encoding="utf-8")
    # built again, unchanged: judged again by the same rule, still printed, not re-rendered
    assert run("build", HANDOUTS, "--out", out, "--brand", BRANDS["harbour"], "--jobs", "1") == 0
    assert "built 0, unchanged 5" in capsys.readouterr().out


def test_check_reports_the_sample_as_an_example_on_any_date(monkeypatch, capsys):
    monkeypatch.setattr(review, "today", lambda: TEN_YEARS_AHEAD)
    assert run("check", SAMPLE, "--format", "json") == 0
    [report] = json.loads(capsys.readouterr().out)["files"]
    assert report["review"]["state"] == "overdue"
    assert report["review"]["example"] is True and report["review"]["printable"] is True
    codes = {f["code"]: f["severity"] for f in report["findings"]}
    assert codes["review.example"] == "info" and codes["review.overdue"] == "info"
    overdue = next(f for f in report["findings"] if f["code"] == "review.overdue")
    assert "still printed, marked EXAMPLE · NOT MEDICAL ADVICE" in overdue["message"]


def test_an_example_draft_is_still_a_draft(write_topic, tmp_path, capsys):
    path = write_topic(MINIMAL_TOPIC.replace("status: approved", "status: draft")
                       + "example: true\n")
    assert run("render", path, "--out", tmp_path) == 1
    assert "The topic is a draft" in capsys.readouterr().err
    assert not (tmp_path / "topic.pdf").exists()

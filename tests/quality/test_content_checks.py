"""check: callouts without content, unknown callout kinds, tables without a header row, and
the page budget of library.yaml."""

from __future__ import annotations

import tempfile

import pytest

from handout_builder import service
from handout_builder.quality.checks import check_file
from tests.conftest import MINIMAL_TOPIC, TEST_TODAY


def with_body(tmp_path, body: str):
    path = tmp_path / "topic.yaml"
    path.write_text(MINIMAL_TOPIC.replace(
        "    body: An answer.\n",
        "    body: |\n" + "".join(f"      {line}\n" for line in body.splitlines())))
    return path


def codes(path) -> list[str]:
    return [f.code for f in check_file(path, TEST_TODAY).findings if f.severity == "warning"]


def test_an_empty_callout_is_reported_at_its_line(tmp_path):
    path = with_body(tmp_path, "An answer.\n\n::: help\n:::\n\n::: tip\nKeep a list.\n:::")
    found = [f for f in check_file(path, TEST_TODAY).findings if f.code == "content.empty-callout"]
    assert len(found) == 1 and found[0].value == "::: help" and found[0].line == 8


def test_an_unknown_callout_kind_is_reported(tmp_path):
    path = with_body(tmp_path, "An answer.\n\n::: danger\nHot.\n:::")
    assert "content.callout-kind" in codes(path)


def test_a_table_without_header_text_is_reported(tmp_path):
    path = with_body(tmp_path, "An answer.\n\n|  |  |\n|---|---|\n| a | b |")
    assert "content.table-header" in codes(path)
    good = with_body(tmp_path, "An answer.\n\n| When | What |\n|---|---|\n| a | b |")
    assert "content.table-header" not in codes(good)


def test_no_budget_no_layout(tmp_path):
    path = with_body(tmp_path, "An answer.")
    result = service.check_topics(service.CheckRequest((path,), as_of=TEST_TODAY))
    assert not any(f.code == "layout.pages" for r in result.reports for f in r.findings)


@pytest.mark.pdf
def test_a_leaflet_over_the_page_budget_is_reported(tmp_path, monkeypatch):
    temp = tmp_path / "tmp"  # where WeasyPrint copies the fonts while the check lays out
    temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    (tmp_path / "library.yaml").write_text("page_budget: 1\n")
    long = "\n\n".join(f"Paragraph {i} has a sentence of plain words in it." for i in range(60))
    path = with_body(tmp_path, long)
    result = service.check_topics(service.CheckRequest((path,), as_of=TEST_TODAY))
    found = [f for r in result.reports for f in r.findings if f.code == "layout.pages"]
    assert len(found) == 1 and "page budget of 1" in found[0].message
    (tmp_path / "library.yaml").write_text("page_budget: 20\n")
    result = service.check_topics(service.CheckRequest((path,), as_of=TEST_TODAY))
    assert not any(f.code == "layout.pages" for r in result.reports for f in r.findings)
    assert not list(temp.iterdir())  # the check's renderer removed its copies of the fonts

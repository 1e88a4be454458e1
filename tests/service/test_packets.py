"""Packets: several leaflets in one PDF (``render A B --packet NAME``, ``service.render_packet``).

Each leaflet starts on a new sheet (a blank back after a leaflet with an odd number of pages),
keeps its own running header, "Page X of Y", review line and references; the outline has one
top-level entry per leaflet; the tags hold for the whole packet in PDFium and poppler as in
pikepdf; the personal details are printed once, on the first page.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from handout_builder import service
from handout_builder.cli import main
from handout_builder.domain.personal import personal_copy
from tests.conftest import MINIMAL_TOPIC, SAMPLE, TEST_TODAY
from tests.readers import page_texts

pytestmark = pytest.mark.pdf

NAME = "Ana Packetson"


@pytest.fixture(scope="module")
def packet(tmp_path_factory, renderer) -> tuple[service.PacketResult, Path]:
    """A one-page leaflet, then the three-page sample, for one patient."""
    folder = tmp_path_factory.mktemp("packet")
    first = folder / "short-one.yaml"
    first.write_text(MINIMAL_TOPIC)
    request = service.PacketRequest(
        topics=(first, SAMPLE), brand=renderer.brand, name="visit",
        personal=personal_copy(NAME, "Dr Example", "2026-11-20", "Take it slowly."),
        as_of=TEST_TODAY,
    )
    out = folder / "out"
    out.mkdir(mode=0o700)
    result = service.render_packet(request, renderer, out)
    assert result.ok, result.problems
    return result, result.path


def test_each_leaflet_starts_on_a_new_sheet_with_its_own_page_numbers(packet):
    result, path = packet
    short, sample = result.leaflet_pages
    assert short == 1 and sample >= 2
    assert result.pages == short + 1 + sample  # the blank back of the one-page leaflet
    texts = page_texts(path)
    assert len(texts) == result.pages
    assert "Page 1 of 1" in texts[0] and "Test topic" in texts[0]
    assert texts[1] == ""  # the back of the first sheet
    for number in range(1, sample + 1):
        page = texts[1 + number]
        assert f"Page {number} of {sample}" in page
        assert "Handout calcification" in page
    assert texts[2].count("Calcification") >= 1  # the sample starts on the third page (a front)
    assert not any(re.search(r"Page \d+ of " + str(result.pages), t) for t in texts)


def test_each_leaflet_keeps_its_review_line_and_references(packet):
    _, path = packet
    texts = page_texts(path)
    assert "Medical review: Dr Test" in texts[0]
    rest = " ".join(texts[2:])
    assert "Medical review: Dr. Jordan Avery" in rest and "References" in rest


def test_personal_details_once_on_the_first_page(packet):
    result, path = packet
    texts = page_texts(path)
    assert f"Prepared for: {NAME}" in texts[0]
    assert sum(t.count(NAME) for t in texts) == 1
    assert not any("Prepared for" in t for t in texts[1:])
    assert NAME not in path.name and "visit.personal-" in path.name
    assert result.personal


def test_outline_has_one_entry_per_leaflet_in_every_reader(packet):
    from tests.readers import pdfium_view, pikepdf_view, poppler_view, qpdf_check

    _, path = packet
    ref = pikepdf_view(path)
    assert [title for depth, title in ref.outline if depth == 0] == ["Test topic", "Calcification"]
    assert ref.title == "Test topic · Calcification"
    assert ref.roles["H1"] == 2
    assert ref.warnings == [] and qpdf_check(path) == []
    for read in (pdfium_view, poppler_view):
        seen = read(path)
        assert seen.warnings in ([], ["PDFium: page 2 has no content"])  # the blank back
        assert (seen.pages, seen.outline, seen.roles) == (ref.pages, ref.outline, ref.roles)


def test_problems_of_every_topic_come_back_together(tmp_path, renderer):
    bad = tmp_path / "bad.yaml"
    bad.write_text(MINIMAL_TOPIC.replace("title: Test topic\n", ""))
    draft = tmp_path / "draft.yaml"
    draft.write_text(MINIMAL_TOPIC.replace("status: approved", "status: draft"))
    request = service.PacketRequest(topics=(bad, draft, SAMPLE), brand=renderer.brand,
                                    name="visit", as_of=TEST_TODAY)
    result = service.render_packet(request, renderer, tmp_path)
    assert not result.ok and result.refused and result.pdf is None
    files = {problem.file for problem in result.problems}
    assert files == {str(bad), str(draft)}
    assert not (tmp_path / "visit.pdf").exists()


def test_a_packet_is_in_one_language(tmp_path, renderer):
    spanish = SAMPLE.with_name("calcification.es.yaml")
    request = service.PacketRequest(topics=(SAMPLE, spanish), brand=renderer.brand,
                                    name="visit", as_of=TEST_TODAY)
    result = service.render_packet(request, renderer, tmp_path)
    assert not result.ok and result.pdf is None
    assert "must be in one language; these are in en, es" in str(result.problems[0])
    assert not (tmp_path / "visit.pdf").exists()


def test_packet_name_must_be_a_file_name(tmp_path, renderer):
    request = service.PacketRequest(topics=(SAMPLE,), brand=renderer.brand, name="../up")
    result = service.render_packet(request, renderer, tmp_path)
    assert not result.ok and "cannot be used as an output file name" in str(result.problems[0])


def test_cli_packet_writes_one_pdf(tmp_path, capsys):
    out = tmp_path / "out"
    status = main(["render", str(SAMPLE), str(SAMPLE), "--packet", "twice", "--out", str(out),
                   "--as-of", TEST_TODAY.isoformat()])
    printed = capsys.readouterr().out
    assert status == 0 and "2 leaflets" in printed
    assert [p.name for p in out.iterdir()] == ["twice.pdf"]
    texts = page_texts(out / "twice.pdf")
    starts = [i for i, text in enumerate(texts) if "Page 1 of" in text]
    assert len(starts) == 2 and starts[1] % 2 == 0  # the second starts on a front (odd page)

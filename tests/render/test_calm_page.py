"""The page as a patient reads it: the sample, on letter (default brand) and A4 (harbour).

Line length from the PDF's text lines, the line under the title, the category in plain words,
disclaimers printed once, a plain zero, headings never alone at a page's foot; and figures
(the sample's diagram: tagged Figure with its alt text, kept with its caption, within the
column), as the PDF shows them.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from handout_builder.sources.loader import load_brand, load_topic
from handout_builder.sources.markdown import markdown_parser, inline_text
from tests.conftest import BRANDS, SAMPLE, TEST_TODAY

pytestmark = pytest.mark.pdf


@pytest.fixture(scope="module")
def harbour_pdf(tmp_path_factory) -> Path:
    from handout_builder.render.pdf import Renderer
    from handout_builder.service import render_file

    out = tmp_path_factory.mktemp("harbour")
    renderer = Renderer(load_brand(BRANDS["harbour"]))
    return render_file(SAMPLE, renderer, out, as_of=TEST_TODAY).path


@pytest.fixture(params=["letter", "a4"])
def page_pdf(request, sample_pdf, harbour_pdf) -> Path:
    return sample_pdf if request.param == "letter" else harbour_pdf


def raw_lines(path: Path) -> list[str]:
    text = subprocess.run(["pdftotext", "-raw", str(path), "-"], capture_output=True,
                          text=True, check=True).stdout
    return [line.strip() for line in text.splitlines() if line.strip()]


def paragraphs() -> list[str]:
    """The plain text of the sample's body paragraphs (not list items, cells or boxes)."""
    found = []
    for section in load_topic(SAMPLE).topic.sections:
        tokens = markdown_parser().parse(section.body)
        depth = 0
        for k, token in enumerate(tokens):
            if token.type.endswith("_open") and token.type != "paragraph_open":
                depth += 1
            elif token.type.endswith("_close") and token.type != "paragraph_close":
                depth -= 1
            elif token.type == "inline" and depth == 0:
                found.append(" ".join(inline_text(token, " ").split()))
    return found


def test_body_lines_are_50_to_75_characters(page_pdf):
    texts = paragraphs()
    measured = []
    for line in raw_lines(page_pdf):
        owner = next((p for p in texts if line in p and len(line) > 15), None)
        if owner is None:
            continue
        measured.append(len(line))
        assert len(line) <= 75, line
        if not owner.endswith(line):  # a full line, not a paragraph's last
            assert len(line) >= 50, line
    assert len(measured) >= 15  # the test really read the body


def test_category_and_review_dates_under_the_title(page_pdf):
    first = raw_lines(page_pdf)
    title = first.index("Calcification")
    assert first[title - 1] == "HEART, BLOOD AND CIRCULATION"
    assert first[title + 1] == "Last reviewed November 2, 2026 · Next review November 2, 2027"
    assert not any("Filed under" in line for line in first)


def test_disclaimers_are_printed_once(page_pdf):
    text = " ".join(raw_lines(page_pdf))
    assert text.count("not medical advice") == 1  # the banner (the footer says it in capitals)
    assert text.count("fictional demo") == 2  # the brand notice and the copyright holder


def test_zero_is_plain(page_pdf):
    import pdfplumber
    from fontTools.ttLib import TTFont

    from handout_builder.paths import FONTS_DIR

    with pdfplumber.open(page_pdf) as pdf:
        zeros = [c for page in pdf.pages for c in page.chars if c["text"] == "0"]
    assert zeros and all("Handout-Plain-Zero" in c["fontname"] for c in zeros)
    plain = TTFont(FONTS_DIR / "HandoutPlainZero_400Regular.ttf")
    slashed = TTFont(FONTS_DIR / "AtkinsonHyperlegible_400Regular.ttf")
    assert plain["glyf"]["zero"].numberOfContours == 2  # outer and counter: no slash
    assert slashed["glyf"]["zero"].numberOfContours == 3
    assert plain["hmtx"]["zero"][0] == slashed["hmtx"]["zero"][0]  # same width


def test_no_heading_ends_a_page(page_pdf):
    import pypdfium2

    headings = {s.heading for s in load_topic(SAMPLE).topic.sections} | {"Key points", "References"}
    pdf = pypdfium2.PdfDocument(page_pdf)
    try:
        for page in pdf:
            text = page.get_textpage().get_text_range()
            body = [line.strip() for line in text.splitlines() if line.strip()][:-2]  # footer
            assert body and body[-1] not in headings
            assert not body[-1].endswith(":")  # a list's introduction stays with the list
    finally:
        pdf.close()


def test_figure_is_tagged_with_alt_and_kept_with_its_caption(page_pdf):
    from tests.structure import read_tree

    figure = load_topic(SAMPLE).topic.sections[0].figures[0]
    tree = read_tree(page_pdf)
    try:
        figures = [e for e in tree.root.walk() if e.role == "Figure"]
        alts = [str(e.obj.get("/Alt", "")) for e in figures]
        assert figure.alt in alts
        captions = [e.text for e in tree.root.walk() if e.role == "Caption"]
        assert any(figure.caption in c and "CC0 1.0" in c for c in captions)
        diagram = figures[alts.index(figure.alt)]
        page_of_figure = {page for page, _ in diagram.content}
        caption = next(e for e in tree.root.walk() if e.role == "Caption")
        assert {page for e in caption.walk() for page, _ in e.content} == page_of_figure
        x0, y0, x1, y1 = (float(v) * 0.75 for v in diagram.obj.A.BBox)  # CSS px to pt
        width = float(tree.pdf.pages[next(iter(page_of_figure))].MediaBox[2])
        assert x0 >= 20 / 25.4 * 72 - 1 and x1 <= width - 20 / 25.4 * 72  # in the column
    finally:
        tree.pdf.close()

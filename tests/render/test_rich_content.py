"""Callouts and tables, as a reader of the PDF finds them (text, pages, tags), in the standard
leaflet and in large print. One topic, rendered once per variant for the whole module."""

from __future__ import annotations

from pathlib import Path

import pytest

from handout_builder.domain.options import RenderOptions
from handout_builder.render.html import markdown
from handout_builder.domain.wording import messages_for
from handout_builder.render.pdf import Renderer
from handout_builder.service import render_topic
from handout_builder.sources.loader import load_topic

from tests.conftest import MINIMAL_TOPIC

#: Five emergency boxes of six lines, three paragraphs apart: some reach a page's end.
BOXES = 5
SIGNS = [[f"Sign {box}.{i} to act on." for i in range(1, 7)] for box in range(BOXES)]
FILLER = [
    line
    for box in range(BOXES)
    for line in (
        *(f"Paragraph {box}.{i} says something plain about the topic, in a sentence or two "
          "of text that fills the page.\n" for i in range(3)),
        "::: help", "Get help right away if you have:", "",
        *(f"- {sign}" for sign in SIGNS[box]), ":::", "",
    )
]
ROWS = [f"| Day {i} | Calcium tablet number {i} | {i} mg |" for i in range(1, 41)]

RICH_TOPIC = MINIMAL_TOPIC.replace(
    "    body: An answer.\n",
    "    body: |\n"
    + "".join(f"      {line}\n" for line in (
        "An answer.", "",
        "::: tip", "Keep a list of your medicines.", ":::", "",
        "::: warning", "Do not stop a medicine on your own.", ":::", "",
        "::: ask", "- What does my result mean?", ":::", "",
        *FILLER,
        "| When | Medicine | Dose |", "|---|---|--:|", *ROWS,
    )),
)


def page_texts(path: Path) -> list[str]:
    import pypdfium2

    pdf = pypdfium2.PdfDocument(path)
    try:
        return [" ".join(page.get_textpage().get_text_range().split()) for page in pdf]
    finally:
        pdf.close()


@pytest.fixture(scope="module", params=["standard", "large-print"])
def rich_pdf(request, tmp_path_factory, default_brand) -> Path:
    folder = tmp_path_factory.mktemp(f"rich-{request.param}")
    topic = folder / "rich.yaml"
    topic.write_text(RICH_TOPIC)
    options = RenderOptions(large_print=request.param == "large-print")
    pdf = render_topic(load_topic(topic), Renderer(default_brand, options=options))
    path = folder / "rich.pdf"
    path.write_bytes(pdf.data)
    return path


def test_callout_html_has_heading_word_and_emergency_number():
    text = "::: help\nGet help if you have:\n\n- Chest pain.\n:::\n"
    html = str(markdown(text, messages_for("en"), "999"))
    assert '<section class="callout callout-help">' in html
    assert '<h3 class="callout-heading">When to get help</h3>' in html
    assert "In an emergency, call <strong>999</strong>." in html
    assert "911" not in html
    assert ":::" not in html
    spanish = str(markdown("::: ask\nx\n:::\n", messages_for("es")))
    assert "Pregunte a su equipo de salud" in spanish


def test_callout_number_is_escaped():
    html = str(markdown("::: help\nx\n:::\n", messages_for("en"), "<b>1</b>"))
    assert "<b>1</b>" not in html and "&lt;b&gt;" in html


def test_table_header_cells_head_their_columns():
    html = str(markdown("| A | B |\n|---|---|\n| 1 | 2 |\n"))
    assert html.count('<th scope="col">') == 2 and "<thead>" in html


@pytest.mark.pdf
def test_callouts_print_with_heading_words(rich_pdf):
    text = " ".join(page_texts(rich_pdf))
    for words in ("Tip Keep a list", "Warning Do not stop", "Ask your care team",
                  "When to get help In an emergency, call 911."):
        assert words in text


@pytest.mark.pdf
def test_callout_is_not_split_across_pages(rich_pdf):
    texts = page_texts(rich_pdf)
    pushed = 0
    for box, signs in enumerate(SIGNS):
        page = next(i for i, t in enumerate(texts) if signs[0] in t)
        assert all(sign in texts[page] for sign in signs)  # the whole box on one page
        last_paragraph = f"Paragraph {box}.2 "
        if last_paragraph not in texts[page]:  # the box moved to the next page whole
            assert last_paragraph in texts[page - 1]
            pushed += 1
    assert pushed >= 1  # so the test means something


@pytest.mark.pdf
def test_callouts_are_tagged_sections_with_a_heading(rich_pdf):
    from tests.structure import read_tree

    tree = read_tree(rich_pdf)
    try:
        boxes = [e for e in tree.root.walk() if e.role == "Sect"
                 and any(kid.role == "H3" for kid in e.kids)]
        words = {next(k for k in e.kids if k.role == "H3").text.strip() for e in boxes}
        assert words == {"Tip", "Warning", "Ask your care team", "When to get help"}
    finally:
        tree.pdf.close()


@pytest.mark.pdf
def test_table_is_tagged_with_scoped_header_cells(rich_pdf):
    from tests.structure import read_tree

    tree = read_tree(rich_pdf)
    try:
        cells = [e for e in tree.root.walk() if e.role == "TH"]
        assert cells and all(str(e.obj.A.get("/Scope")) == "/Column" for e in cells)
        assert {e.text.strip() for e in cells} == {"When", "Medicine", "Dose"}
        data = [e for e in tree.root.walk() if e.role == "TD"]
        assert len(data) >= 3 * len(ROWS)
        assert all(len(e.obj.A.get("/Headers", [])) == 1 for e in data)
    finally:
        tree.pdf.close()


@pytest.mark.pdf
def test_table_header_row_repeats_and_rows_stay_on_the_page(rich_pdf):
    import pdfplumber

    with pdfplumber.open(rich_pdf) as pdf:
        table_pages = [p for p in pdf.pages if "Calcium tablet number" in (p.extract_text() or "")]
        assert len(table_pages) >= 2  # the table runs over a page break
        for page in table_pages:
            words = page.extract_words()
            assert any(w["text"] == "Medicine" for w in words)  # the header row, again
            inside = [w for w in words if w["x1"] > page.width - 10 or w["x0"] < 10]
            assert inside == []
            doses = [w for w in words if w["text"] == "mg"]
            assert doses and all(w["x1"] < page.width - 30 for w in doses)
    text = " ".join(page_texts(rich_pdf))
    assert all(f"Calcium tablet number {i} " in text + " " for i in range(1, 41))

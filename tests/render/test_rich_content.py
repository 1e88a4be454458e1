"""Callouts, tables, QR codes and web addresses, as a reader of the PDF finds them (text, pages,
tags, the QR code decoded from the page image), in the standard leaflet (A4, harbour brand)
and in large print (letter, default brand). One topic, rendered once per variant."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pytest

from handout_builder.domain.options import RenderOptions
from handout_builder.render.html import markdown
from handout_builder.domain.wording import messages_for
from handout_builder.render.pdf import Renderer
from handout_builder.service import render_topic
from handout_builder.sources.loader import load_topic

from tests.conftest import BRANDS, MINIMAL_TOPIC
from tests.readers import page_texts
from handout_builder.sources.loader import load_brand

LONG_URL = ("https://www.example.org/patient-information/heart-and-circulation/"
            "calcification-of-the-arteries/what-it-means-for-you/index.html")
LINK_URL = "https://medlineplus.gov/ency/article/002321.htm"
PATTERN = "https://clinic.example/leaflets/{id}?lang={lang}"

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
        f"An answer: see [the guide]({LONG_URL}) or <{LINK_URL}>.", "",
        "::: tip", "Keep a list of your medicines.", ":::", "",
        "::: warning", "Do not stop a medicine on your own.", ":::", "",
        "::: ask", "- What does my result mean?", ":::", "",
        *FILLER,
        "| When | Medicine | Dose |", "|---|---|--:|", *ROWS,
    )),
) + f"references:\n  - title: A long address\n    publisher: Example\n    url: {LONG_URL}\n"


#: A photo-like PNG with alt text, and a decorative SVG (an artifact: no Figure, no alt).
FIGURES = """\
    figures:
      - file: pictures/pills.png
        alt: A round white tablet beside a glass of water.
        caption: Take the tablet with water.
        width: 50
      - file: pictures/wave.svg
        decorative: true
"""


def write_figures(folder: Path) -> None:
    from PIL import Image

    (folder / "pictures").mkdir()
    Image.new("RGB", (120, 80), (40, 90, 140)).save(folder / "pictures" / "pills.png")
    (folder / "pictures" / "wave.svg").write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 20">'
        '<path d="M0 10 Q25 0 50 10 T100 10" stroke="#1d4f7a" fill="none"/></svg>')


@pytest.fixture(scope="module", params=["standard", "large-print"])
def rich_pdf(request, tmp_path_factory, default_brand) -> Path:
    folder = tmp_path_factory.mktemp(f"rich-{request.param}")
    topic = folder / "rich.yaml"
    topic.write_text(RICH_TOPIC.replace("review:\n", FIGURES + "review:\n", 1))
    write_figures(folder)
    large = request.param == "large-print"
    if large:  # the default brand (letter), given an online address
        brand = replace(default_brand, brand=default_brand.brand.model_copy(
            update={"leaflet_url": PATTERN}))
    else:  # the harbour brand (A4, emergency number 999, its own leaflet_url)
        brand = load_brand(BRANDS["harbour"])
    pdf = render_topic(load_topic(topic), Renderer(brand, options=RenderOptions(large_print=large)))
    path = folder / "rich.pdf"
    path.write_bytes(pdf.data)
    return path


@pytest.fixture(scope="module")
def rich_tree(rich_pdf):
    """The structure tree of ``rich_pdf``, read once."""
    from tests.structure import read_tree

    tree = read_tree(rich_pdf)
    yield tree
    tree.pdf.close()


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
                  "When to get help In an emergency, call"):
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
def test_callouts_are_tagged_sections_with_a_heading(rich_tree):
    tree = rich_tree
    if tree:
        boxes = [e for e in tree.root.walk() if e.role == "Sect"
                 and any(kid.role == "H3" for kid in e.kids)]
        words = {next(k for k in e.kids if k.role == "H3").text.strip() for e in boxes}
        assert words == {"Tip", "Warning", "Ask your care team", "When to get help"}


@pytest.mark.pdf
def test_table_is_tagged_with_scoped_header_cells(rich_tree):
    tree = rich_tree
    if tree:
        cells = [e for e in tree.root.walk() if e.role == "TH"]
        assert cells and all(str(e.obj.A.get("/Scope")) == "/Column" for e in cells)
        assert {e.text.strip() for e in cells} == {"When", "Medicine", "Dose"}
        data = [e for e in tree.root.walk() if e.role == "TD"]
        assert len(data) >= 3 * len(ROWS)
        assert all(len(e.obj.A.get("/Headers", [])) == 1 for e in data)


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


def lines(path: Path) -> str:
    import subprocess

    return subprocess.run(["pdftotext", "-raw", str(path), "-"], capture_output=True,
                          text=True, check=True).stdout


def test_printed_address_rules():
    from handout_builder.render.html import BREAK, printed_address

    assert printed_address("https://a.example/b-c/d").replace(BREAK, "|") == "a.|example/|b-|c/|d"
    assert printed_address("http://a.example/").replace(BREAK, "|") == "http://a.|example"
    assert printed_address("https://a.example/").replace(BREAK, "") == "a.example"


@pytest.mark.pdf
def test_long_addresses_break_only_after_slash_dot_or_hyphen(rich_pdf):
    text = lines(rich_pdf)
    assert "https://" not in text and "http" not in text.replace("\n", "")
    for url in (LONG_URL, LINK_URL):
        shown = url.removeprefix("https://")
        pattern = "\n?".join(re.escape(char) for char in shown)
        found = re.findall(pattern, text)
        assert found, url
        for match in found:
            for before, after in re.findall(r"(.)\n(.)", match):
                assert before in "/.-", (before, after)
    assert re.search(r"\n", "".join(re.findall("\n?".join(map(re.escape, LONG_URL[8:])), text)))


@pytest.mark.pdf
def test_qr_code_decodes_to_the_online_address(rich_pdf, rich_tree):
    import pypdfium2
    import zxingcpp

    is_large = "large-print" in str(rich_pdf.parent.name)
    expected = ("https://clinic.example/leaflets/rich?lang=en" if is_large else
                "https://harbourside-health.example/leaflets/rich?lang=en")
    pdf = pypdfium2.PdfDocument(rich_pdf)
    try:
        scale = 150 / 72
        found = []
        for page in pdf:
            image = page.render(scale=scale).to_pil()
            found += [(code, image) for code in zxingcpp.read_barcodes(image)]
    finally:
        pdf.close()
    assert [code.text for code, _ in found] == [expected]
    code = found[0][0]
    width_px = abs(code.position.top_right.x - code.position.top_left.x)
    assert width_px / scale * 25.4 / 72 >= 20 * 33 / 41  # 2 cm with its quiet zone
    text = " ".join(page_texts(rich_pdf))
    assert expected.removeprefix("https://") in text  # the short address beside it
    alts = [str(e.obj.get("/Alt", "")) for e in rich_tree.root.walk() if e.role == "Figure"]
    assert f"QR code: a link to this leaflet online, {expected[8:]}" in alts


@pytest.mark.pdf
def test_figures_are_tagged_and_decorative_ones_are_not(rich_pdf, rich_tree):
    figures = [e for e in rich_tree.root.walk() if e.role == "Figure"]
    alts = [str(e.obj.get("/Alt", "")) for e in figures]
    assert "A round white tablet beside a glass of water." in alts
    assert all(alt.strip() for alt in alts)  # the decorative one is no Figure at all
    assert len(figures) == 3  # the logo, the photo, the QR code
    assert "Take the tablet with water." in " ".join(page_texts(rich_pdf))


def test_check_warns_about_a_blurred_figure(tmp_path):
    from handout_builder.quality.checks import check_file
    from tests.conftest import TEST_TODAY

    topic = tmp_path / "rich.yaml"
    topic.write_text(RICH_TOPIC.replace("review:\n", FIGURES + "review:\n", 1))
    write_figures(tmp_path)
    report = check_file(topic, TEST_TODAY)
    blurred = [f for f in report.findings if f.code == "figure.resolution"]
    assert len(blurred) == 1 and blurred[0].value == "pictures/pills.png"
    assert "120 pixels wide" in blurred[0].message and blurred[0].line is not None

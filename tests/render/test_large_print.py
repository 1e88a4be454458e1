"""Large print: the same leaflet re-flowed with every piece of text at 18 pt or more."""

from __future__ import annotations

import re

import pytest

import pdfplumber
from pypdf import PdfReader

from handout_builder.sources.loader import load_brand, load_topic
from handout_builder.domain.models import RUNNING_TITLE_MAX
from handout_builder.domain.options import RenderOptions
from handout_builder.render.pdf import Renderer
from handout_builder.service import render_file

from tests.conftest import BRANDS, SAMPLE, SAMPLE_FIGURES, copy_sample
from tests.structure import read_tree
from tests.render.test_pdf import chars_outside_page, text_of

pytestmark = pytest.mark.pdf


def sizes(path) -> list[float]:
    with pdfplumber.open(path) as pdf:
        return [c["size"] for page in pdf.pages for c in page.chars]


def no_space(text: str) -> str:
    return re.sub(r"\s+", "", text)


def test_every_character_is_at_least_18pt(large_print_pdf):
    found = sizes(large_print_pdf)
    assert found and min(found) >= 18 - 0.01


def test_running_header_footer_references_review_are_in_large_print(large_print_pdf):
    pages = len(PdfReader(large_print_pdf).pages)
    with pdfplumber.open(large_print_pdf) as pdf:
        lines = [ln for page in pdf.pages for ln in page.extract_text_lines()]
    wanted = [
        f"Page {pages} of {pages}",  # footer
        "Handout calcification",  # footer
        "Riverside Family Clinic",  # footer (and masthead)
        "Medical review:",  # review line
        "Accessed May 17, 2011.",  # references
        "© 2026",  # copyright
    ]
    for text in wanted:
        matching = [ln for ln in lines if text in ln["text"]]
        assert matching, text
        assert all(c["size"] >= 18 - 0.01 for ln in matching for c in ln["chars"]), text
    header = [ln for ln in lines if ln["text"] == "Calcification" and ln["top"] < 72]
    assert len(header) == pages - 1  # running title on every page but the first


def test_standard_leaflet_sizes(sample_pdf):
    found = sizes(sample_pdf)
    body = max(set(found), key=found.count)
    assert body >= 12 and min(found) >= 9


def test_same_content_more_pages(large_print_pdf, sample_pdf):
    large = read_tree(large_print_pdf).root.text
    standard = read_tree(sample_pdf).root.text
    # a table's header row is printed again on each page it runs onto (and tagged again)
    header = no_space(" ".join(load_topic(SAMPLE).topic.sections[2].body.split("|")[1:3]))
    assert header and header in no_space(standard)

    def once(text: str) -> str:
        first = text.index(header) + len(header)
        return text[:first] + text[first:].replace(header, "")

    assert once(no_space(large)) == once(no_space(standard))  # every word, in the same order
    assert len(PdfReader(large_print_pdf).pages) > len(PdfReader(sample_pdf).pages)


def test_nothing_clipped_or_outside_the_margins(large_print_pdf):
    assert chars_outside_page(large_print_pdf) == []
    with pdfplumber.open(large_print_pdf) as pdf:
        for page in pdf.pages:
            margin = 16 * 72 / 25.4 - 1
            for c in page.chars:
                assert margin <= c["x0"] and c["x1"] <= page.width - margin, c["text"]
                assert c["top"] >= 0 and c["bottom"] <= page.height


def test_single_column(large_print_pdf):
    """Each body line is one run of text: no second column beside it (the diagram's labels
    and a table's cells excepted: they sit side by side on purpose)."""
    labels = set(re.findall(r">([^<>]+)</text>", (SAMPLE_FIGURES / "where-calcium-goes.svg").read_text()))
    labels |= {cell.strip() for line in SAMPLE.read_text().splitlines()
               if line.strip().startswith("|") and "---" not in line
               for cell in line.strip().strip("|").split("|")}
    with pdfplumber.open(large_print_pdf) as pdf:
        for page in pdf.pages:
            body = page.crop((0, 32 * 72 / 25.4, page.width, page.height - 32 * 72 / 25.4))
            for line in body.extract_text_lines():
                if any(line["text"].startswith(label) or label in line["text"] for label in labels
                       if len(label) > 3):
                    continue
                chars = sorted(line["chars"], key=lambda c: c["x0"])
                gaps = [b["x0"] - a["x1"] for a, b in zip(chars, chars[1:])]
                assert max(gaps, default=0) < 36, line["text"]  # half an inch


def test_long_title_is_cut_in_the_running_header(write_topic, tmp_path):
    title = "A very long leaflet title that goes on and on about calcification of the arteries"
    text = SAMPLE.read_text(encoding="utf-8")
    text = re.sub(r"(?m)^title: .*$", f"title: {title}", text)
    text = re.sub(r"(?m)^short_title: .*\n", "", text)
    renderer = Renderer(load_brand(BRANDS["harbour"]), options=RenderOptions(large_print=True))
    copy_sample(write_topic(text, "long.yaml").parent)  # its figures beside it
    written = render_file(write_topic(text, "long.yaml"), renderer, tmp_path)
    topic = load_topic(write_topic(text, "long.yaml")).topic
    assert len(topic.running_title) <= RUNNING_TITLE_MAX
    assert topic.running_title.endswith("…") and title.startswith(topic.running_title[:-1])
    assert chars_outside_page(written.path) == []
    assert min(sizes(written.path)) >= 18 - 0.01
    pdf_text = text_of(written.path)
    assert pdf_text.count(topic.running_title) == written.pdf.pages - 1


def test_brand_css_that_shrinks_large_print_is_refused(brand_copy, write_topic, tmp_path):
    from handout_builder.domain.problems import RenderRefused

    (brand_copy / "brand.css").write_text(".key-points p { font-size: 10pt; }\n")
    renderer = Renderer(load_brand(brand_copy), options=RenderOptions(large_print=True))
    with pytest.raises(RenderRefused) as info:
        render_file(SAMPLE, renderer, tmp_path / "out")
    assert "smaller than 18 pt" in str(info.value) and ".key-points p (10.0 pt)" in str(info.value)
    assert "calcium" not in str(info.value)  # the rule is named, the text never quoted
    assert "brand.css" in str(info.value)
    assert not (tmp_path / "out").exists()
    # the standard leaflet of that brand is still made
    assert render_file(SAMPLE, Renderer(load_brand(brand_copy)), tmp_path / "std").pdf.pages

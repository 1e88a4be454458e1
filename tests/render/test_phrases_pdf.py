"""Other-language phrases in the PDF: each carries its own ``/Lang`` in the structure tree
(pikepdf, PDFium), poppler reads the tree, and a right-to-left phrase in an English line
keeps the order around it (pdftotext). The other languages' names on the last page carry
theirs too. One leaflet, rendered once."""

from __future__ import annotations

import ctypes
import re
import subprocess
from pathlib import Path

import pytest

from tests.conftest import BRANDS, TEST_TODAY

pytestmark = pytest.mark.pdf

TOPIC = """\
title: Phrases
language: en
category: Test
status: approved
key_points:
  - At the desk, ask for [una cita, por favor]{lang=es}.
sections:
  - heading: Greetings
    body: |
      Staff may greet you with [مرحبًا بكم]{lang=ar} 3 times a day.

      The leaflet is also in [中文]{lang=zh-Hans} and [Tiếng Việt]{lang=vi}.
review:
  reviewer: Dr Test
  reviewed: 2026-01-02
copyright:
  holder: Test Clinic
  year: 2026
"""
#: Invisible marks pdftotext writes around right-to-left runs.
BIDI_MARKS = re.compile("[\u200e\u200f\u202a-\u202e\u2066-\u2069]")


@pytest.fixture(scope="module")
def phrases_pdf(tmp_path_factory) -> Path:
    """The topic, with translations beside it (by name: the harbour brand lists them)."""
    from handout_builder.render.pdf import Renderer
    from handout_builder.service import render_file
    from handout_builder.sources.loader import load_brand

    folder = tmp_path_factory.mktemp("phrases")
    (folder / "phrases.yaml").write_text(TOPIC, encoding="utf-8")
    for tag in ("ar", "zh-Hans"):  # only their names are read for the list
        (folder / f"phrases.{tag}.yaml").write_text("", encoding="utf-8")
    harbour = Renderer(load_brand(BRANDS["harbour"]))
    return render_file(folder / "phrases.yaml", harbour, folder / "out", as_of=TEST_TODAY).path


def pikepdf_languages(path: Path) -> list[tuple[str, str, str]]:
    """(role, /Lang, text) of each structure element with its own /Lang, in tree order."""
    from tests.structure import read_tree

    tree = read_tree(path)
    return [(e.role, str(e.obj.Lang), e.text) for e in tree.root.walk() if "/Lang" in e.obj]


def pdfium_languages(path: Path) -> list[tuple[str, str]]:
    """(type, language) of each structure element PDFium reports a language for."""
    import pypdfium2 as pdfium
    import pypdfium2.raw as raw

    def text(function, *args) -> str:
        size = function(*args, None, 0)
        if size <= 2:
            return ""
        buffer = ctypes.create_string_buffer(size)
        function(*args, buffer, size)
        return buffer.raw[: size - 2].decode("utf-16-le")

    found = []

    def walk(element) -> None:
        lang = text(raw.FPDF_StructElement_GetLang, element)
        if lang:
            found.append((text(raw.FPDF_StructElement_GetType, element), lang))
        for i in range(raw.FPDF_StructElement_CountChildren(element)):
            kid = raw.FPDF_StructElement_GetChildAtIndex(element, i)
            if kid:
                walk(kid)

    pdf = pdfium.PdfDocument(path)
    try:
        for page in pdf:
            tree = raw.FPDF_StructTree_GetForPage(page.raw)
            for i in range(raw.FPDF_StructTree_CountChildren(tree)):
                walk(raw.FPDF_StructTree_GetChildAtIndex(tree, i))
            raw.FPDF_StructTree_Close(tree)
    finally:
        pdf.close()
    return found


def test_each_phrase_and_language_name_has_its_own_lang(phrases_pdf):
    found = pikepdf_languages(phrases_pdf)
    langs = [lang for _, lang, _ in found]
    # the phrases in order, then the last page's list of the other languages
    assert langs == ["es", "ar", "zh-Hans", "vi", "ar", "zh-Hans"]
    assert all(role == "Span" for role, _, _ in found)
    assert found[0][2] == "una cita, por favor"
    assert found[3][2] == "Tiếng Việt"
    # nothing repeats the document's own language
    import pikepdf

    with pikepdf.open(phrases_pdf) as pdf:
        assert str(pdf.Root.Lang) == "en"


def test_pdfium_reads_the_same_languages(phrases_pdf):
    assert pdfium_languages(phrases_pdf) == [
        ("Span", lang) for lang in ["es", "ar", "zh-Hans", "vi", "ar", "zh-Hans"]]


def test_poppler_reads_the_tree_without_complaint(phrases_pdf):
    """pdfinfo -struct does not print /Lang (poppler 22), but reads every element."""
    done = subprocess.run(["pdfinfo", "-struct", str(phrases_pdf)], capture_output=True,
                          text=True, check=True)
    assert done.stderr.strip() == ""
    assert done.stdout.count("Span (inline)") >= 6


def test_a_right_to_left_phrase_keeps_the_order_around_it(phrases_pdf):
    """The number after an Arabic phrase in an English line prints after it, on its right,
    and pdftotext gives the logical order. (WeasyPrint shapes each inline box on its own, so
    the phrase's span already keeps "3" out of the right-to-left run; the isolate characters
    the HTML gives it, tested in test_phrases_html.py, do the same for any other reader of
    the HTML. This guards the printed result.)"""
    import pdfplumber

    with pdfplumber.open(phrases_pdf) as pdf:
        chars = pdf.pages[0].chars
    start = "".join(c["text"] for c in chars).index("Staff may greet")
    line = [c for c in chars if abs(c["top"] - chars[start]["top"]) < 8]  # fonts differ in height
    arabic = [c for c in line if "\u0600" <= c["text"] <= "\u06ff"]
    [three] = [c for c in line if c["text"] == "3"]
    with_ = next(c for c in line if c["text"] == "w")  # "with", before the phrase
    assert with_["x1"] < min(c["x0"] for c in arabic) < max(c["x1"] for c in arabic) < three["x0"]
    out = subprocess.run(["pdftotext", "-enc", "UTF-8", str(phrases_pdf), "-"],
                         capture_output=True, text=True, check=True).stdout
    text = " ".join(BIDI_MARKS.sub("", out).split())
    # (pdftotext moves the space before a right-to-left run to its other side)
    assert re.search(r"greet you with ?مرحبًا بكم ?3 times a day", text), text
    assert "ask for una cita, por favor." in text

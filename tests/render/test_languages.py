"""Leaflets in other languages and scripts, checked as a reader would: the text (pdftotext,
logical order for right to left), the language in the catalogue, embedded fonts, no missing
glyphs, the size of a Chinese page; and scripts that are in no sample (Greek, Cyrillic,
Hebrew, Traditional Chinese)."""

from __future__ import annotations

import re
import subprocess
import textwrap
from pathlib import Path

import pytest

from tests.conftest import BRANDS, HANDOUTS, TEST_TODAY

pytestmark = pytest.mark.pdf

#: Paragraphs written for this test only (no sample holds them).
HELD_OUT = {
    "Greek": "Η ασβεστοποίηση είναι συσσώρευση ασβεστίου στους ιστούς του σώματος.",
    "Cyrillic": "Кальциноз — это отложение солей кальция в тканях организма.",
    "Hebrew": "הסתיידות היא הצטברות של סידן ברקמות הגוף.",
    "Vietnamese": "Người bệnh nên hỏi bác sĩ về kết quả chụp phim.",
}
TRADITIONAL = "鈣化是指鈣質在身體組織中慢慢沉積，使組織變硬。請與醫護團隊討論檢查結果。"
#: Invisible marks pdftotext writes around right-to-left runs.
BIDI_MARKS = re.compile("[\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def topic_text(language: str, title: str, body: str, extra: str = "") -> str:
    body = textwrap.indent(body, "      ")
    return (f"title: {title}\nlanguage: {language}\ncategory: Test\nstatus: approved\n"
            f"sections:\n  - heading: {title}\n    body: |\n{body}\n{extra}"
            "review:\n  reviewer: Dr Test\n  reviewed: 2026-01-02\n"
            "copyright:\n  holder: Test Clinic\n  year: 2026\n")


def text_of(path: Path) -> str:
    out = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True,
                         check=True).stdout
    return " ".join(BIDI_MARKS.sub("", out).split())


def fonts_of(path: Path) -> list[tuple[str, str]]:
    """(font name without subset tag, embedded yes/no) from pdffonts."""
    lines = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True,
                           check=True).stdout.splitlines()[2:]
    return [(line.split()[0].split("+")[-1], line.split()[-5]) for line in lines]


def catalog_lang(path: Path) -> str:
    import pikepdf

    with pikepdf.open(path) as pdf:
        return str(pdf.Root.Lang)


@pytest.fixture(scope="module")
def rendered(tmp_path_factory, renderer) -> dict[str, Path]:
    """Every PDF of this module, rendered once."""
    from handout_builder.render.pdf import Renderer
    from handout_builder.service import render_file
    from handout_builder.sources.loader import load_brand

    folder = tmp_path_factory.mktemp("languages")
    out = folder / "out"
    pdfs = {"ar": render_file(HANDOUTS / "calcification.ar.yaml", renderer, out,
                              as_of=TEST_TODAY).path}
    zh = (HANDOUTS / "calcification.zh-Hans.yaml").read_text(encoding="utf-8")
    # one page of Chinese: the sample's summary and key points, two paragraphs, the colophon
    from handout_builder.sources.loader import load_topic

    sample = load_topic(HANDOUTS / "calcification.zh-Hans.yaml").topic
    body = sample.sections[4].body.split("\n\n")[0]
    extra = "summary: " + sample.summary + "\nkey_points:\n" + "".join(
        f"  - {point}\n" for point in sample.key_points[:1])
    (folder / "zh-page.yaml").write_text(
        topic_text("zh-Hans", sample.title, body, extra), encoding="utf-8")
    pdfs["zh"] = render_file(folder / "zh-page.yaml", renderer, out, as_of=TEST_TODAY).path
    assert zh  # the sample was read
    held = "\n\n".join(HELD_OUT.values())
    (folder / "scripts.yaml").write_text(topic_text("en", "Scripts", held), encoding="utf-8")
    pdfs["scripts"] = render_file(folder / "scripts.yaml", renderer, out, as_of=TEST_TODAY).path
    (folder / "zh-hant.yaml").write_text(topic_text("zh-Hant", "鈣化", TRADITIONAL),
                                         encoding="utf-8")
    pdfs["zh-Hant"] = render_file(folder / "zh-hant.yaml", renderer, out, as_of=TEST_TODAY).path
    uk = topic_text("en", "Local wording", "Call {emergency_number} in an emergency.",
                    "references:\n  - title: A source\n    publisher: NHS\n"
                    "    accessed: 2026-03-04\n")
    (folder / "uk.yaml").write_text(uk, encoding="utf-8")
    harbour = Renderer(load_brand(BRANDS["harbour"]))
    pdfs["uk"] = render_file(folder / "uk.yaml", harbour, out, as_of=TEST_TODAY).path
    pdfs["us"] = render_file(folder / "uk.yaml", renderer, folder / "us", as_of=TEST_TODAY).path
    return pdfs


def test_arabic_reads_in_logical_order_with_its_language_and_fonts(rendered):
    text = text_of(rendered["ar"])
    # (pdftotext turns a lam-alef ligature round when it reorders a right-to-left line, so
    # these phrases avoid it)
    for phrase in ("النقاط الرئيسية", "الكالسيوم معدن يستخدمه جسمك لبناء عظام وأسنان قوية",
                   "ما أسبابه؟", "اتصل بالرقم", "911"):
        assert phrase in text
    # runs in Latin letters inside Arabic lines keep their own order
    assert "MedlinePlus, U.S. National Library of Medicine" in text
    assert "medlineplus.gov/ency/" in text
    assert catalog_lang(rendered["ar"]) == "ar"
    fonts = fonts_of(rendered["ar"])
    assert ("Noto-Sans-Arabic", "yes") in fonts and ("Noto-Sans-Arabic-Bold", "yes") in fonts
    assert all(embedded == "yes" for _, embedded in fonts)


def test_a_latin_phrase_in_arabic_has_its_own_language(rendered):
    """The sample marks "screening mammogram" as English: its Span says so (pikepdf and
    PDFium), and nothing else repeats the document's language."""
    from tests.render.test_phrases_pdf import pdfium_languages, pikepdf_languages

    assert [(role, lang) for role, lang, _ in pikepdf_languages(rendered["ar"])] == [
        ("Span", "en")]
    assert pikepdf_languages(rendered["ar"])[0][2].split() == ["screening", "mammogram"]
    assert pdfium_languages(rendered["ar"]) == [("Span", "en")]


def test_arabic_lists_number_from_the_right(rendered):
    """The list number sits at the right edge, its full stop on the left of the digit
    (WeasyPrint's own markers put it on the right: upstream issue 1620)."""
    import pdfplumber

    with pdfplumber.open(rendered["ar"]) as pdf:
        for page in pdf.pages:
            chars = page.chars
            ones = [c for c in chars if c["text"] == "1"]
            for one in ones:
                line = [c for c in chars if abs(c["top"] - one["top"]) < 1]
                stop = [c for c in line if c["text"] == "." and 0 < one["x0"] - c["x0"] < 8]
                if stop and max(c["x1"] for c in line) - one["x1"] < 2:
                    return  # a "1" at the right edge of its line, its full stop just left
    pytest.fail("no right-to-left list number found")


def test_a_page_of_chinese_is_small_and_uses_the_simplified_face(rendered):
    from pypdf import PdfReader

    path = rendered["zh"]
    assert len(PdfReader(path).pages) == 1
    assert path.stat().st_size < 300_000
    assert catalog_lang(path) == "zh-Hans"
    assert ("Noto-Sans-CJK-SC", "yes") in fonts_of(path)
    assert "钙化本身往往没有害处" in text_of(path) and "大多数人没有任何症状" in text_of(path)


def test_scripts_in_no_sample_print_with_every_letter(rendered):
    text = text_of(rendered["scripts"])
    for name, paragraph in HELD_OUT.items():
        if name == "Hebrew":  # pdftotext's order for a right-to-left run: check each word
            assert all(word.strip(".") in text for word in paragraph.split()), name
        else:
            assert paragraph in text, name
    fonts = dict(fonts_of(rendered["scripts"]))
    assert fonts.get("NotoSans-Regular") == "yes" or fonts.get("Noto-Sans") == "yes"
    assert any(name.startswith("Noto-Sans-Hebrew") for name in fonts)


def test_traditional_chinese_uses_the_traditional_face(rendered):
    text = text_of(rendered["zh-Hant"])
    assert TRADITIONAL.replace("，", "，") in text.replace(" ", "")
    assert ("Noto-Sans-CJK-TC", "yes") in fonts_of(rendered["zh-Hant"])
    assert "重點" not in text and "醫學審核" in text  # its own catalogue's wording


def test_local_wording_follows_the_brand(rendered):
    uk, us = text_of(rendered["uk"]), text_of(rendered["us"])
    assert "Call 999 in an emergency." in uk and "Accessed 4 March 2026." in uk
    assert "Call 911 in an emergency." in us and "Accessed March 4, 2026." in us

"""The PDF a reader gets: text, metadata, outline, fonts, pages, paper, safety."""

from __future__ import annotations

import collections
import re
import urllib.parse

import pytest

from handout_builder.domain.problems import InvalidBrand
from handout_builder.sources.loader import load_brand, load_topic
from handout_builder.paths import ASSETS_DIR, STYLES_DIR
from handout_builder.sources.text_rules import MAX_WORD_CHARACTERS
from handout_builder.render.pdf import Renderer
from handout_builder.service import render_file, render_topic

from tests.conftest import BRANDS, MINIMAL_TOPIC, REPO, SAMPLE
from tests.lazy import lazy

pdfplumber = lazy("pdfplumber")
pikepdf = lazy("pikepdf")
pypdf = lazy("pypdf")


def text_of(path) -> str:
    """The text a reader sees, page after page, in reading order (upright text: the letters
    of a diagonal watermark would fall between the words of whatever line they cross)."""
    with pdfplumber.open(path) as pdf:
        return "\n".join(
            page.filter(lambda o: o.get("object_type") != "char" or abs(o["matrix"][1]) < 0.01)
            .extract_text()
            for page in pdf.pages)


def flat(text: str) -> str:
    return re.sub(r"\s+", " ", text)


@pytest.mark.pdf
def test_sample_text(sample_pdf):
    topic = load_topic(SAMPLE).topic
    text = flat(text_of(sample_pdf))
    pages = len(pypdf.PdfReader(sample_pdf).pages)
    assert topic.title in text
    assert "Riverside Family Clinic" in text
    assert "HEART, BLOOD AND CIRCULATION Calcification Last reviewed November 2, 2026" in text
    assert "Key points" in text
    for section in topic.sections:
        assert section.heading in text
    assert "References" in text
    for number, ref in enumerate(topic.references, start=1):
        assert f"{number}. {ref.title}. {ref.publisher}." in text
        assert "Accessed May 17, 2011." in text
    assert "Medical review: Dr. Jordan Avery, MD (fictional reviewer). Last reviewed November 2, 2026." in text
    assert "© 2026 Riverside Family Clinic (a fictional demo clinic)." in text
    assert "fictional demo clinic" in text
    assert "Page 1 of" in text and f"Page {pages} of {pages}" in text
    assert "Handout calcification" in text


@pytest.mark.pdf
def test_sample_references_are_clickable(sample_pdf):
    uris = []
    for page in pypdf.PdfReader(sample_pdf).pages:
        for annot in page.get("/Annots") or []:
            action = annot.get_object().get("/A")
            if action and "/URI" in action:
                uris.append(action["/URI"])
    for ref in load_topic(SAMPLE).topic.references:
        assert ref.url in uris


@pytest.mark.pdf
def test_sample_metadata(sample_pdf):
    with pikepdf.open(sample_pdf) as pdf:
        info = pdf.docinfo
        assert str(info["/Title"]) == "Calcification"
        assert str(info["/Author"]) == "Riverside Family Clinic"
        assert str(info["/Subject"]) == "Heart, Blood and Circulation"
        assert "Heart, Blood and Circulation" in str(info["/Keywords"])
        assert str(pdf.Root.Lang) == "en"
        assert pdf.Root.ViewerPreferences.DisplayDocTitle
        with pdf.open_metadata() as xmp:
            assert xmp["dc:title"] == "Calcification"


@pytest.mark.pdf
def test_sample_outline(sample_pdf):
    def titles(outline):
        for item in outline:
            if isinstance(item, list):
                yield from titles(item)
            else:
                yield item.title

    found = list(titles(pypdf.PdfReader(sample_pdf).outline))
    topic = load_topic(SAMPLE).topic
    assert found[0] == topic.title
    assert [s.heading for s in topic.sections] == [t for t in found if t in {s.heading for s in topic.sections}]
    assert "References" in found


@pytest.mark.pdf
def test_only_bundled_fonts_embedded(sample_pdf):
    with pdfplumber.open(sample_pdf) as pdf:
        names = {char["fontname"].split("+")[-1] for page in pdf.pages for char in page.chars}
    assert names == {"Atkinson-Hyperlegible", "Atkinson-Hyperlegible-Bold",
                     "Handout-Plain-Zero", "Handout-Plain-Zero-Bold"}  # its plain 0


@pytest.mark.pdf
def test_text_sizes(sample_pdf):
    with pdfplumber.open(sample_pdf) as pdf:
        sizes = collections.Counter(round(c["size"], 1) for p in pdf.pages for c in p.chars)
    body_size = sizes.most_common(1)[0][0]
    assert body_size >= 12
    assert min(sizes) >= 9


@pytest.mark.pdf
def test_sample_on_letter(sample_pdf):
    box = pypdf.PdfReader(sample_pdf).pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (612, 792)


@pytest.mark.pdf
def test_second_brand_on_a4(tmp_path):
    brand = load_brand(BRANDS["harbour"])
    written = render_file(SAMPLE, Renderer(brand), tmp_path)
    reader = pypdf.PdfReader(written.path)
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)
    assert "Harbourside Health Centre" in text_of(written.path)


@pytest.mark.pdf
def test_unreviewed_leaflet_says_so(write_topic, renderer, tmp_path):
    text = MINIMAL_TOPIC.split("review:")[0] + "copyright:\n  holder: X\nstatus: approved\n"
    written = render_file(write_topic(text), renderer, tmp_path / "out", allow_draft=True)
    pdf_text = flat(text_of(written.path))
    assert "This information has not yet been medically reviewed." in pdf_text
    assert "Not yet medically reviewed" in pdf_text


@pytest.mark.pdf
def test_same_input_same_bytes(renderer, tmp_path):
    first = render_file(SAMPLE, renderer, tmp_path / "a").path.read_bytes()
    fresh = Renderer(load_brand(BRANDS["default"]))
    second = render_file(SAMPLE, fresh, tmp_path / "b").path.read_bytes()
    assert first == second


def chars_outside_page(path):
    outside = []
    with pdfplumber.open(path) as pdf:
        for page in pdf.pages:
            for c in page.chars:
                if c["x0"] < 0 or c["x1"] > page.width + 0.5 or c["bottom"] > page.height:
                    outside.append(c["text"])
    return outside


@pytest.mark.pdf
def test_long_word_and_url_wrap_inside_the_page(write_topic, renderer, tmp_path):
    # the longest word allowed (text_rules), wider than the page at this size
    word = "a" * MAX_WORD_CHARACTERS
    url = "https://example.org/" + "b" * 300  # a link's address may be longer
    bare = url[:MAX_WORD_CHARACTERS]
    text = MINIMAL_TOPIC.replace("An answer.", f"{word} [see]({url}) {bare}")
    written = render_file(write_topic(text), renderer, tmp_path / "out")
    assert chars_outside_page(written.path) == []
    with pdfplumber.open(written.path) as pdf:
        right_edge = max(c["x1"] for p in pdf.pages for c in p.chars)
        assert right_edge <= pdf.pages[0].width - 18 * 72 / 25.4 + 1  # inside the margin
    assert word in flat(text_of(written.path)).replace(" ", "")


@pytest.mark.pdf
def test_three_hundred_sections(write_topic, renderer, tmp_path):
    sections = "".join(
        f"  - heading: Question number {i}\n    body: Answer number {i}.\n" for i in range(300)
    )
    text = MINIMAL_TOPIC.replace(
        "  - heading: First question\n    body: An answer.\n", sections
    )
    written = render_file(write_topic(text), renderer, tmp_path / "out")
    pdf_text = text_of(written.path)
    assert "Question number 299" in pdf_text
    assert written.pdf.pages > 10
    assert chars_outside_page(written.path) == []


@pytest.mark.pdf
def test_headings_never_end_a_page(write_topic, renderer, tmp_path):
    long_body = " ".join(["Words that fill the page."] * 40)
    sections = "".join(
        f"  - heading: Heading {i}\n    body: {long_body}\n" for i in range(12)
    )
    text = MINIMAL_TOPIC.replace("  - heading: First question\n    body: An answer.\n", sections)
    written = render_file(write_topic(text), renderer, tmp_path / "out")
    with pdfplumber.open(written.path) as pdf:
        for page in pdf.pages:
            lines = [line["text"] for line in page.extract_text_lines()]
            body_lines = [ln for ln in lines if not ln.startswith(("Handout", "Page", "Riverside"))]
            assert not re.fullmatch(r"Heading \d+", body_lines[-1]), body_lines[-3:]


def test_fetcher_reads_only_the_package_assets_and_the_brand(renderer):
    fetcher = renderer.fetcher  # the default brand's renderer: what a render really uses
    assert fetcher.roots == (ASSETS_DIR, renderer.brand.dir)
    ok = fetcher.fetch((STYLES_DIR / "leaflet.css").as_uri())
    assert b"@font-face" in ok.read()
    assert fetcher.fetch((renderer.brand.dir / "logo.svg").as_uri()).read().startswith(b"<svg")
    for url in [
        "file:///etc/passwd",
        (REPO / "pyproject.toml").as_uri(),
        (STYLES_DIR / ".." / ".." / "paths.py").as_uri(),  # the package's code, beside assets/
        (BRANDS["harbour"] / "logo.svg").as_uri(),  # a brand folder not in use
        "http://127.0.0.1:9/x.png",
        "https://example.org/logo.png",
        "data:text/plain,hello",
    ]:
        with pytest.raises(Exception):
            fetcher.fetch(url)


@pytest.mark.pdf
def test_a_template_asking_for_outside_files_is_refused(tmp_path, brand_copy, write_topic):
    templates = brand_copy / "templates" / "parts"
    templates.mkdir(parents=True)
    secret = tmp_path / "secret.png"
    secret.write_bytes(b"not really")
    (templates / "masthead.html.j2").write_text(
        f'<img src="{secret.as_uri()}" alt="x"><img src="http://127.0.0.1:9/p.png" alt="y">'
    )
    brand = load_brand(brand_copy)
    with pytest.raises(InvalidBrand) as info:
        render_topic(load_topic(write_topic(MINIMAL_TOPIC)), Renderer(brand))
    text = str(info.value)
    assert urllib.parse.quote(str(secret)) in text or str(secret) in text
    assert "outside the project's style" in text


@pytest.mark.pdf
def test_brand_template_override(brand_copy, write_topic, tmp_path):
    parts = brand_copy / "templates" / "parts"
    parts.mkdir(parents=True)
    (parts / "masthead.html.j2").write_text(
        '<header class="masthead"><p class="clinic-name">OVERRIDDEN {{ brand.name }}</p></header>'
    )
    written = render_file(write_topic(MINIMAL_TOPIC), Renderer(load_brand(brand_copy)), tmp_path / "o")
    assert "OVERRIDDEN Riverside Family Clinic" in text_of(written.path)


@pytest.mark.pdf
def test_weasyprint_logs_nothing_for_the_sample(renderer, caplog):
    import logging

    loaded = load_topic(SAMPLE)
    with caplog.at_level(logging.DEBUG, logger="weasyprint"):
        render_topic(loaded, renderer)
    problems = [r for r in caplog.records if r.name == "weasyprint" and r.levelno >= logging.INFO]
    assert problems == []


# --------------------------------------------------------------------------------------
# The finisher works on WeasyPrint's and pydyf's internals: only the versions it knows
# --------------------------------------------------------------------------------------


def test_installed_weasyprint_and_pydyf_are_supported():
    from handout_builder.render.finish import check_versions

    check_versions()  # what setup.sh installed


@pytest.mark.parametrize(
    "weasyprint_version, pydyf_version",
    [("67.0", "0.13.0"), ("68.1", "0.13.0"), ("71.0", "0.13.0"), ("71.0b1", "0.13.0"), ("70.0", "0.14.0"),
     ("70.0", "0.10.0"), ("70.0", "1.0.0")],
)
def test_unknown_versions_are_refused_clearly(weasyprint_version, pydyf_version):
    from handout_builder.render.finish import check_versions

    with pytest.raises(RuntimeError) as info:
        check_versions(weasyprint_version, pydyf_version)
    message = str(info.value)
    assert f"WeasyPrint {weasyprint_version}" in message and f"pydyf {pydyf_version}" in message
    assert "WeasyPrint 69 to 70" in message and "github.com/Kozea/WeasyPrint/issues" in message


@pytest.mark.parametrize("weasyprint_version, pydyf_version",
                         [("69.0", "0.11.0"), ("69.1", "0.12.1"), ("70.1", "0.13.0")])
def test_known_versions_pass(weasyprint_version, pydyf_version):
    from handout_builder.render.finish import check_versions

    check_versions(weasyprint_version, pydyf_version)

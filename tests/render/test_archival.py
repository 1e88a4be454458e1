"""Archival copies: PDF/A-3u, still tagged (PDF/UA-1), with the topic's YAML embedded.

veraPDF (the reference PDF/A validator) needs a JVM and cannot run here. These tests check
the PDF/A-3 requirements that can be read from the file with pikepdf; the README lists what
they do not cover.
"""

from __future__ import annotations

import hashlib
import re

import pikepdf
import pytest

from handout_builder.cli import main
from handout_builder.sources.loader import load_brand, load_topic
from handout_builder.domain.options import RenderOptions
from handout_builder.render.pdf import Renderer
from handout_builder.service import render_file

from tests.conftest import BRANDS, MINIMAL_TOPIC, SAMPLE

pytestmark = pytest.mark.pdf


@pytest.fixture
def archive(archival_pdf):
    with pikepdf.open(archival_pdf) as pdf:
        yield pdf


def test_identifies_as_pdf_a_3u_and_pdf_ua_1(archive):
    assert archive.pdf_version == "1.7"
    with archive.open_metadata() as xmp:
        assert xmp.pdfa_status == "3U"
        assert xmp["pdfuaid:part"] == "1"
    # XMP needs an extension schema for pdfuaid (not a predefined PDF/A schema)
    xml = archive.Root.Metadata.read_bytes().decode()
    assert "<pdfaSchema:namespaceURI>http://www.aiim.org/pdfua/ns/id/</pdfaSchema:namespaceURI>" in xml
    assert "<pdfaSchema:prefix>pdfuaid</pdfaSchema:prefix>" in xml


def test_still_tagged(archive):
    assert archive.Root.MarkInfo.Marked is True
    assert "/StructTreeRoot" in archive.Root
    assert str(archive.Root.Lang) == "en"
    assert archive.Root.ViewerPreferences.DisplayDocTitle is True


def test_source_yaml_is_embedded_as_associated_file(archive):
    (filespec,) = archive.Root.AF
    assert filespec.AFRelationship == "/Source"
    assert str(filespec.F) == str(filespec.UF) == "calcification.yaml"
    assert str(filespec.Desc)
    stream = filespec.EF.F
    assert stream.Subtype == "/application/yaml"
    data = stream.read_bytes()
    assert data == SAMPLE.read_bytes()
    assert int(stream.Params.Size) == len(data)
    assert bytes(stream.Params.CheckSum) == hashlib.md5(data).digest()
    review = load_topic(SAMPLE).topic.review.reviewed
    # dated by the review (both dates), never by the time of the render
    assert str(stream.Params.ModDate) == review.strftime("D:%Y%m%d000000Z")
    assert str(stream.Params.CreationDate) == review.strftime("D:%Y%m%d000000Z")
    names = archive.Root.Names.EmbeddedFiles.Names
    assert str(names[0]) == "calcification.yaml" and names[1].objgen == filespec.objgen


def test_pdf_a_file_requirements(archive):
    assert archive.check_pdf_syntax() == []  # qpdf's structural check
    assert not archive.is_encrypted
    assert len(archive.trailer.ID) == 2
    (intent,) = archive.Root.OutputIntents
    assert intent.S == "/GTS_PDFA1"
    assert int(intent.DestOutputProfile.N) == 3  # an RGB ICC profile for RGB content
    # document information and XMP say the same
    info = archive.docinfo
    with archive.open_metadata() as xmp:
        assert xmp["dc:title"] == str(info.Title)
        assert xmp["dc:creator"] == [str(info.Author)]
        assert xmp["dc:description"] == str(info.Subject)
        assert xmp["pdf:Producer"] == str(info.Producer)
        assert xmp["xmp:CreatorTool"] == str(info.Creator)
    assert "/JavaScript" not in archive.Root.get("/Names", {})
    assert "/OpenAction" not in archive.Root


def test_fonts_embedded_with_unicode_maps_and_annotations_print(archive):
    fonts = 0
    for page in archive.pages:
        for font in page.Resources.Font.values():
            fonts += 1
            descendant = font.DescendantFonts[0] if "/DescendantFonts" in font else font
            descriptor = descendant.FontDescriptor
            assert any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3"))
            assert "/ToUnicode" in font  # the "u" of PDF/A-3u
        for annotation in page.get("/Annots", []):
            assert int(annotation.F) == 4  # Print, and nothing hidden
    assert fonts


def test_same_text_as_the_standard_leaflet(archival_pdf, sample_pdf):
    from tests.render.test_pdf import text_of

    assert text_of(archival_pdf) == text_of(sample_pdf)


def test_standard_leaflet_embeds_nothing(sample_pdf):
    with pikepdf.open(sample_pdf) as pdf:
        assert "/AF" not in pdf.Root
        assert "/EmbeddedFiles" not in pdf.Root.get("/Names", {})
        with pdf.open_metadata() as xmp:
            assert xmp.pdfa_status == ""


def test_same_input_same_bytes(archival_pdf, tmp_path):
    fresh = Renderer(load_brand(BRANDS["default"]), options=RenderOptions(archival=True))
    again = render_file(SAMPLE, fresh, tmp_path).path
    assert again.read_bytes() == archival_pdf.read_bytes()


def test_unreviewed_topic_has_no_source_date(write_topic, tmp_path):
    text = MINIMAL_TOPIC.split("review:")[0] + "copyright:\n  holder: X\n"
    renderer = Renderer(load_brand(BRANDS["default"]), options=RenderOptions(archival=True))
    written = render_file(write_topic(text), renderer, tmp_path / "out", allow_draft=True)
    with pikepdf.open(written.path) as pdf:
        params = pdf.Root.AF[0].EF.F.Params
        assert "/ModDate" not in params and "/CreationDate" not in params
        assert pdf.Root.AF[0].EF.F.read_bytes() == text.encode()


def test_cli_archival_large_print_names(tmp_path, capsys):
    assert main(["render", str(SAMPLE), "--out", str(tmp_path), "--archival", "--large-print"]) == 0
    written = tmp_path / "calcification.large-print.archival.pdf"
    assert sorted(p.name for p in tmp_path.iterdir()) == [written.name]
    assert re.search(rf"wrote {re.escape(str(written))} \(\d+ pages[,)]", capsys.readouterr().out)
    with pikepdf.open(written) as pdf, pdf.open_metadata() as xmp:
        assert xmp.pdfa_status == "3U"

"""Every variant of the leaflet reads the same in PDFium, poppler and pikepdf.

pikepdf, pypdf, qpdf and MuPDF find objects by number and forgive a broken cross-reference
stream; PDFium (Chrome, Edge) and poppler (Evince, Okular) do not. A leaflet that only the
lenient readers understand is broken for the patients who open it in a browser, so each
variant (standard, large print, archival, personal copy, draft proof; both sample brands) is
read by all three and by ``qpdf --check``: same title, author, language, outline, page count
and structure tree (headings, lists, links, figures with their alt text), and no reader
complaining. Each variant is rendered once per session.
"""

from __future__ import annotations

import re
from pathlib import Path

import pikepdf
import pytest

from handout_builder.sources.loader import load_brand, load_topic
from handout_builder.domain.options import RenderOptions
from handout_builder.render.pdf import Renderer
from handout_builder.domain.personal import personal_copy
from handout_builder.service import check_review, render_topic

from tests.conftest import BRANDS, SAMPLE, TEST_TODAY, copy_sample
from tests.readers import (
    ROLES,
    pdfium_text,
    pdfium_view,
    pikepdf_view,
    poppler_text,
    poppler_view,
    qpdf_check,
)

pytestmark = pytest.mark.pdf

VARIANTS = {
    "standard": ("default", RenderOptions(), None),
    "large-print": ("default", RenderOptions(large_print=True), None),
    "archival": ("default", RenderOptions(archival=True), None),
    "personal": ("default", RenderOptions(), "personal"),
    "draft": ("default", RenderOptions(), "draft"),
    "harbour": ("harbour", RenderOptions(), None),
    "harbour-large-print-archival": (
        "harbour", RenderOptions(large_print=True, archival=True), None
    ),
}


@pytest.fixture(scope="session")
def rendered_variants(tmp_path_factory) -> dict[str, Path]:
    """Every variant of the sample, rendered once."""
    out = tmp_path_factory.mktemp("readers")
    draft_source = copy_sample(
        out, SAMPLE.read_bytes().replace(b"\nstatus: approved\n", b"\nstatus: draft\n"))
    renderers: dict = {}
    paths = {}
    for name, (brand, options, kind) in VARIANTS.items():
        if (brand, options) not in renderers:
            renderers[brand, options] = Renderer(load_brand(BRANDS[brand]), options=options)
        renderer = renderers[brand, options]
        loaded = load_topic(draft_source if kind == "draft" else SAMPLE)
        _, watermark = check_review(loaded, TEST_TODAY, allow_draft=kind == "draft")
        if kind == "draft":
            assert watermark  # the proof really is watermarked
        personal = (
            personal_copy("Ana Example", "Dr Example", "2026-11-20", "Two tablets a day.")
            if kind == "personal" else None
        )
        pdf = render_topic(loaded, renderer, watermark=watermark, personal=personal)
        paths[name] = out / f"{name}.pdf"
        paths[name].write_bytes(pdf.data)
    return paths


@pytest.fixture(params=list(VARIANTS))
def leaflet(request, rendered_variants) -> Path:
    return rendered_variants[request.param]


@pytest.fixture(scope="session")
def expected_outline():
    topic = load_topic(SAMPLE).topic
    sections = ["Key points", *(s.heading for s in topic.sections), "References"]
    return [(0, topic.title), *((1, heading) for heading in sections)]


def test_reference_reading_is_complete(leaflet, expected_outline):
    """What pikepdf reads is what the leaflet holds (so the comparisons below mean something)."""
    ref = pikepdf_view(leaflet)
    assert ref.title == "Calcification"
    assert ref.author in ("Riverside Family Clinic", "Harbourside Health Centre")
    assert ref.lang == "en"
    assert ref.outline == expected_outline
    assert ref.roles["H1"] == 1 and ref.roles["H2"] == len(expected_outline) - 1
    assert all(ref.roles[role] for role in ROLES)
    assert ref.figure_alts and all(alt.strip() for alt in ref.figure_alts)
    assert ref.warnings == []


@pytest.mark.parametrize("read", [pdfium_view, poppler_view], ids=["pdfium", "poppler"])
def test_strict_readers_see_what_pikepdf_sees(leaflet, read):
    ref = pikepdf_view(leaflet)
    seen = read(leaflet)
    assert seen.warnings == []
    assert (seen.title, seen.author) == (ref.title, ref.author)
    if seen.lang is not None:
        assert seen.lang == ref.lang
    assert seen.pages == ref.pages
    assert seen.outline == ref.outline
    assert seen.roles == ref.roles
    if seen.figure_alts is not None:
        assert seen.figure_alts == ref.figure_alts


def test_text_extracts_cleanly_in_both(leaflet, expected_outline):
    text, problems = poppler_text(leaflet)
    assert problems == []
    for reader_text in (text, pdfium_text(leaflet)):
        flat = re.sub(r"\s+", " ", reader_text)
        for _, heading in expected_outline:
            assert heading in flat


def test_qpdf_check_is_clean(leaflet):
    assert qpdf_check(leaflet) == []


def _object_stream_numbers(pdf: pikepdf.Pdf, number: int) -> list[int]:
    stream = pdf.get_object((number, 0))
    header = stream.read_bytes()[: int(stream.First)].split()
    return [int(n) for n in header[0::2]]


def test_every_compressed_object_is_where_the_xref_stream_says(leaflet):
    """The root of the trouble: each type-2 cross-reference entry must name the slot of its
    own object in the object stream (PDFium and poppler look objects up that way)."""
    data = leaflet.read_bytes()
    start = int(re.search(rb"startxref\s+(\d+)\s+%%EOF\s*$", data)[1])
    number = int(re.match(rb"(\d+) 0 obj", data[start:])[1])
    with pikepdf.open(leaflet) as pdf:
        xref = pdf.get_object((number, 0))
        assert xref.Type == "/XRef"
        widths = [int(w) for w in xref.W]
        raw = xref.read_bytes()
        index = [int(i) for i in xref.get("/Index", [0, int(xref.Size)])]
        numbers = [n for first, count in zip(index[0::2], index[1::2])
                   for n in range(first, first + count)]
        size = sum(widths)
        assert len(raw) == size * len(numbers)
        streams: dict[int, list[int]] = {}
        wrong = []
        for row, obj in enumerate(numbers):
            fields, at = [], row * size
            for width in widths:
                fields.append(int.from_bytes(raw[at:at + width], "big") if width else 1)
                at += width
            if fields[0] != 2:
                continue
            if fields[1] not in streams:
                streams[fields[1]] = _object_stream_numbers(pdf, fields[1])
            slots = streams[fields[1]]
            if fields[2] >= len(slots) or slots[fields[2]] != obj:
                wrong.append(obj)
        assert wrong == []


def test_same_input_same_bytes_in_every_variant(rendered_variants, tmp_path):
    """The fix keeps output deterministic: the standard leaflet again, byte for byte."""
    renderer = Renderer(load_brand(BRANDS["default"]))
    loaded = load_topic(SAMPLE)
    again = render_topic(loaded, renderer).data
    assert again == rendered_variants["standard"].read_bytes()

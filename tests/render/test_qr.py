"""The leaflet's QR code (handout_builder/render/qr.py): segno's own symbol, found faster.

``qr.make`` chooses the data mask itself (segno's scoring, a line at a time) and builds the
symbol with segno's encoder steps: these tests hold it to ``segno.make`` module for module,
score for score, and decode what is printed. ``html.qr_code`` keeps the last codes made.
"""

from __future__ import annotations

import random
import string

import pytest
import segno

from handout_builder.render import html, qr
from tests.conftest import MINIMAL_TOPIC


def _addresses(count: int, seed: int) -> list[str]:
    """Addresses of every length a leaflet's could have and longer (QR versions 1 to about
    20), in the byte mode (ISO 8859-1 and UTF-8), with a few upper-case and numeric ones."""
    rng = random.Random(seed)
    chars = string.ascii_letters + string.digits + "/-_.?=&%~"
    found = ["A", "0", "HTTPS://X.EXAMPLE/LEAFLETS/1", "1234567890" * 30,
             "https://riverside-clinic.example/leaflets/calcification?lang=en",
             "https://clinic.example/folhetos/calcificação?lang=pt-BR",
             "https://clinic.example/leaflets/钙化?lang=zh-Hans"]
    for n in range(count):
        length = rng.choice([1, 8, 20, 40, 60, 80, 120, 200, 270])
        extra = "éüçñ中文" if n % 5 == 0 else ""
        found.append("https://" + "".join(rng.choice(chars + extra) for _ in range(length)))
    return found


def _segno(address: str):
    return segno.make(address, error="m", micro=False, boost_error=False)


def _same(mine, theirs) -> bool:
    return (mine.matrix == theirs.matrix and mine.mask == theirs.mask
            and mine.version == theirs.version and mine.error == theirs.error
            and mine.mode == theirs.mode)


def test_the_symbol_is_segnos_own_module_for_module():
    versions, masks = set(), set()
    for address in _addresses(12, seed=2):  # seeded to reach 9 versions and all 8 masks
        theirs = _segno(address)
        versions.add(theirs.version)
        masks.add(theirs.mask)
        assert _same(qr.make(address), theirs), address
    assert len(versions) >= 8  # the test covers small and large symbols
    assert len(masks) >= 6  # and most masks: the choice is not a constant


def test_each_mask_scores_as_segno_scores_it():
    from segno import encoder

    for address in _addresses(6, seed=7):
        matrix = qr._unmasked(address)[3]
        size = len(matrix)
        function = encoder.make_matrix(size, size)
        encoder.add_finder_patterns(function, size, size)
        encoder.add_alignment_patterns(function, size, size)
        function[-8][8] = 0x1
        expected = []
        for pattern in encoder.get_data_mask_functions(False):
            masked = [bytearray(row) for row in matrix]
            encoder.apply_mask(masked, pattern, size, size, lambda i, j: function[i][j] > 0x1)
            expected.append(encoder.evaluate_mask(masked, size, size))
        assert qr.mask_scores(address) == expected, address


def test_ties_go_to_the_first_mask_as_in_segno():
    # a tie of the lowest scores: segno keeps the first (its strict "lower than")
    for address in _addresses(80, seed=24):  # a tie at the 9th
        scores = qr.mask_scores(address)
        if scores.count(min(scores)) > 1:
            assert qr.make(address).mask == scores.index(min(scores)) == _segno(address).mask
            return
    raise AssertionError("no tie in the sample: widen it")


def test_without_segnos_internals_segno_chooses(monkeypatch):
    def renamed(address):  # as after a segno release that renamed an encoder step
        raise AttributeError("module 'segno.encoder' has no attribute 'make_final_message'")

    address = "https://riverside-clinic.example/leaflets/calcification?lang=en"
    monkeypatch.setattr(qr, "_unmasked", renamed)
    assert _same(qr.make(address), _segno(address))


def test_a_matrix_of_other_values_is_left_to_segno(monkeypatch):
    address = "https://riverside-clinic.example/leaflets/calcification?lang=en"
    segments, version, error, matrix = qr._unmasked(address)
    matrix[10][10] = 0x2  # a module segno's encoder never leaves unset

    monkeypatch.setattr(qr, "_unmasked", lambda _: (segments, version, error, matrix))
    assert qr._encode(address) is None
    assert _same(qr.make(address), _segno(address))


def _decoded(code) -> str:
    """The text zxing-cpp reads from ``code`` drawn at 4 pixels a module with its quiet zone."""
    import zxingcpp
    from PIL import Image

    size = len(code.matrix) + 8
    image = Image.new("L", (size, size), 255)
    for y, row in enumerate(code.matrix):
        for x, bit in enumerate(row):
            if bit:
                image.putpixel((x + 4, y + 4), 0)
    found = zxingcpp.read_barcodes(image.resize((size * 4, size * 4), Image.NEAREST))
    assert len(found) == 1
    return found[0].text


def test_the_code_decodes_to_its_address():
    for address in ("https://riverside-clinic.example/leaflets/calcification?lang=en",
                    "https://clinic.example/leaflets/钙化?lang=zh-Hans",
                    _addresses(1, seed=3)[-1]):
        assert _decoded(qr.make(address)) == address


def test_qr_code_keeps_each_address_its_own_code():
    html.qr_code.cache_clear()
    one = "https://riverside-clinic.example/leaflets/one?lang=en"
    other = "https://riverside-clinic.example/leaflets/two?lang=en"
    first = html.qr_code(one, "QR code: one")
    assert html.qr_code(other, "QR code: two") != first
    assert html.qr_code(one, "QR code: one") is first  # kept
    assert html.qr_code.cache_info().hits == 1
    # what is kept is what would be made afresh, alt text included
    assert first == html.qr_code.__wrapped__(one, "QR code: one")
    assert "<title>QR code: one</title>" in first
    assert "<title>QR code: une</title>" in html.qr_code(one, "QR code: une")
    assert html.qr_code(other, "QR code: two") == html.qr_code.__wrapped__(other, "QR code: two")


def test_a_leaflets_code_is_its_own_address(write_topic, default_brand):
    """Two topics rendered one after the other (the cache warm): each leaflet's HTML has the
    code of its own address, which decodes to it."""
    import re

    from handout_builder.sources.loader import load_topic

    brand = default_brand
    texts = {}
    for name in ("calcification", "calcification-two"):
        loaded = load_topic(write_topic(MINIMAL_TOPIC, f"{name}.yaml"))
        page = html.render_html(loaded, brand)
        texts[name] = re.search(r"<svg[^>]*qr-code.*?</svg>", page, re.S).group(0)
        address = f"https://riverside-clinic.example/leaflets/{name}?lang=en"
        code = qr.make(address)
        assert _decoded(code) == address
        drawn = code.svg_inline(scale=1, border=4, omitsize=True, svgclass="qr-code",
                                lineclass=None, dark="#000000")
        assert re.search(r' d="[^"]+"', drawn).group(0) in texts[name]
    assert texts["calcification"] != texts["calcification-two"]

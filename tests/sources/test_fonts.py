"""What the bundled fonts cover: recorded beside them (``coverage.json``) so that a process
does not read every font's character map, and used only while it matches every font file."""

from __future__ import annotations

import json
import shutil

import pytest

from handout_builder.sources import fonts

SMALL_FONTS = ("NotoSansHebrew-Bold.ttf", "NotoSansHebrew-Regular.ttf")


def test_the_recorded_coverage_is_what_the_bundled_fonts_have():
    recorded = json.loads(fonts.COVERAGE_FILE.read_text(encoding="utf-8"))
    assert recorded == fonts.coverage_record(fonts.bundled_font_files()), (
        "the fonts changed: run python -m handout_builder.sources.fonts")
    assert fonts.bundled_characters()._bundled == fonts.read_coverage(fonts.bundled_font_files())


@pytest.fixture
def small_fonts(tmp_path, monkeypatch):
    """Two of the bundled fonts in a folder of their own, with a record of its own."""
    for name in SMALL_FONTS:
        shutil.copy(fonts.FONTS_DIR / name, tmp_path / name)
    monkeypatch.setattr(fonts, "FONTS_DIR", tmp_path)
    monkeypatch.setattr(fonts, "COVERAGE_FILE", tmp_path / "coverage.json")
    paths = fonts.bundled_font_files()
    assert [p.name for p in paths] == sorted(SMALL_FONTS)
    return paths


def test_a_record_that_matches_every_font_is_used(small_fonts):
    record = fonts.coverage_record(small_fonts)
    record["ranges"] = [[0x5D0, 0x5D1], [0x41, 0x41]]  # not what they have: shows it is read
    fonts.COVERAGE_FILE.write_text(json.dumps(record), encoding="utf-8")
    assert fonts._bundled_coverage() == {0x41, 0x5D0, 0x5D1}


@pytest.mark.parametrize("damage", ["changed font", "added font", "removed font", "not json",
                                    "no fonts", "ranges not numbers", "missing"])
def test_a_record_that_does_not_match_the_fonts_is_not_used(small_fonts, damage):
    truth = fonts.read_coverage(small_fonts)
    assert 0x5D0 in truth and len(truth) > 50  # Hebrew alef, and more
    record = fonts.coverage_record(small_fonts)
    record["ranges"] = [[0x41, 0x41]]  # wrong: any use of it shows
    if damage == "changed font":
        record["fonts"][SMALL_FONTS[0]] = "0" * 64
    elif damage == "added font":
        record["fonts"]["Other.ttf"] = "0" * 64
    elif damage == "removed font":
        del record["fonts"][SMALL_FONTS[1]]
    elif damage == "no fonts":
        del record["fonts"]
    text = json.dumps(record)
    if damage == "not json":
        text = text[:-5]
    elif damage == "ranges not numbers":
        record["ranges"] = [["a", "b"]]
        text = json.dumps(record)
    if damage != "missing":
        fonts.COVERAGE_FILE.write_text(text, encoding="utf-8")
    assert fonts._bundled_coverage() == truth

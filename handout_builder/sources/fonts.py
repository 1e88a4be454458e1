"""Which characters the fonts can print (read from the font files' character maps).

The leaflet's fonts are the bundled ones (``assets/styles/fonts/``: Atkinson Hyperlegible,
Noto Sans with Vietnamese, Greek and Cyrillic, Noto Sans Hebrew, Noto Sans Arabic, a Hangul
subset) and Noto Sans CJK from Debian's fonts-noto-cjk package (``paths.CJK_FONTS_DIR``),
when installed. Every language's font order lists all of them (``leaflet.css``), so a
character prints when some font has it: :func:`font_coverage` (topic text) and
:func:`bundled_characters` (a patient's details) are the same set.

Reading the bundled fonts' maps takes about a quarter of a second, in every process that
checks text (each build worker, each ``render`` or ``check``), so what they cover is also
recorded beside them (:data:`COVERAGE_FILE`) with each font file's SHA-256: while every font
matches its record, the record is used; otherwise the fonts are read, as before. After
changing the fonts, write the record again: ``python -m handout_builder.sources.fonts``
(a test fails until then).

Imports: stdlib, fontTools and the font files.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection, Iterable, Iterator
from functools import cache
from pathlib import Path

from fontTools.ttLib import TTFont

from handout_builder.paths import CJK_FONT_FILES, CJK_FONTS_DIR, FONTS_DIR

#: The leaflet's Latin type face (every piece of English or Spanish text is printed in it).
FONT_FILES = ("AtkinsonHyperlegible_400Regular.ttf", "AtkinsonHyperlegible_400Regular_Italic.ttf",
              "AtkinsonHyperlegible_700Bold.ttf", "AtkinsonHyperlegible_700Bold_Italic.ttf")
FONT_NAME = "Atkinson Hyperlegible"
#: What the fonts cover, in words (for messages).
SCRIPTS = ("Latin (Vietnamese included), Greek, Cyrillic, Hebrew, Arabic, Chinese (Simplified "
           "and Traditional), Japanese and Korean")
#: The first code point of each block the CJK fonts provide (to say what to install).
_CJK_BLOCKS = ((0x2E80, 0x2FDF), (0x3000, 0x30FF), (0x3100, 0x31FF), (0x3400, 0x4DBF),
               (0x4E00, 0x9FFF), (0xAC00, 0xD7AF), (0xF900, 0xFAFF), (0xFF00, 0xFFEF),
               (0x20000, 0x2FA1F))


#: What the bundled fonts cover, with the SHA-256 of each font file it was read from.
COVERAGE_FILE = FONTS_DIR / "coverage.json"

#: The face of the collection read for coverage (Noto Sans CJK SC; all share one cmap).
_CJK_FACE = 2


def cjk_font_paths() -> list[Path]:
    """The Noto Sans CJK files that are installed (none on a machine without the package)."""
    return [CJK_FONTS_DIR / name for name in CJK_FONT_FILES if (CJK_FONTS_DIR / name).is_file()]


def is_cjk(char: str) -> bool:
    return any(start <= ord(char) <= end for start, end in _CJK_BLOCKS)


@cache
def _cmap(path: Path) -> frozenset[int]:
    if path.suffix.lower() == ".ttc":  # the faces of Noto Sans CJK share one character map
        with TTFont(path, lazy=True, fontNumber=_CJK_FACE) as font:
            return frozenset(font.getBestCmap() or {})
    with TTFont(path, lazy=True) as font:
        return frozenset(font.getBestCmap() or {})


def bundled_font_files() -> list[Path]:
    """The bundled font files (every one is in every language's font order)."""
    return sorted(FONTS_DIR.glob("*.[ot]tf"))


def _digests(paths: Iterable[Path]) -> dict[str, str]:
    return {path.name: hashlib.sha256(path.read_bytes()).hexdigest() for path in paths}


def _ranges(points: Iterable[int]) -> list[list[int]]:
    """``points`` as sorted, inclusive ``[first, last]`` runs."""
    runs: list[list[int]] = []
    for point in sorted(points):
        if runs and runs[-1][1] == point - 1:
            runs[-1][1] = point
        else:
            runs.append([point, point])
    return runs


def read_coverage(paths: list[Path]) -> frozenset[int]:
    """The code points the fonts ``paths`` have, read from their character maps."""
    return frozenset().union(*(_cmap(p) for p in paths))


def coverage_record(paths: list[Path]) -> dict[str, object]:
    """What :data:`COVERAGE_FILE` holds for the fonts ``paths``."""
    return {"about": "Code points the bundled fonts have. Written by python -m "
                     "handout_builder.sources.fonts; used only while every font matches.",
            "fonts": _digests(paths), "ranges": _ranges(read_coverage(paths))}


def _bundled_coverage() -> frozenset[int]:
    """The bundled fonts' code points: from the record while it matches every font file,
    else from the fonts themselves."""
    paths = bundled_font_files()
    try:
        record = json.loads(COVERAGE_FILE.read_text(encoding="utf-8"))
        if record["fonts"] == _digests(paths):
            return frozenset(p for first, last in record["ranges"] for p in range(first, last + 1))
    except (OSError, ValueError, TypeError, KeyError):  # missing or damaged: read the fonts
        pass
    return read_coverage(paths)


class _Characters(Collection[int]):
    """The code points some font of the leaflet has: the bundled fonts' at once, the CJK
    collection's (about 65,000 glyphs, a second to read) only when a character is not in
    the bundled ones, so that text without Chinese, Japanese or Korean never reads it."""

    def __init__(self) -> None:
        self._bundled = _bundled_coverage()
        self._cjk_points: frozenset[int] | None = None

    def _cjk(self) -> frozenset[int]:
        if self._cjk_points is None:  # found and read once, not once per character
            paths = cjk_font_paths()[:1]
            self._cjk_points = _cmap(paths[0]) if paths else frozenset()
        return self._cjk_points

    def __contains__(self, point: object) -> bool:
        return point in self._bundled or point in self._cjk()

    def __iter__(self) -> Iterator[int]:
        return iter(self._bundled | self._cjk())

    def __len__(self) -> int:
        return len(self._bundled | self._cjk())


@cache
def bundled_characters() -> Collection[int]:
    """Every code point some font of the leaflet has a glyph for."""
    return _Characters()


def font_coverage() -> Collection[int]:
    """Code points topic text may use (some font in every language's order has them)."""
    return bundled_characters()


if __name__ == "__main__":  # python -m handout_builder.sources.fonts: write the record
    record = coverage_record(bundled_font_files())
    COVERAGE_FILE.write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {COVERAGE_FILE} ({len(record['ranges'])} runs of code points)")

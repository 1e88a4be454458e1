"""Which characters the bundled fonts can print (read from the font files' character maps).

Two questions, two answers: :func:`font_coverage` is what topic text may use (every face of
the leaflet's type face has it: regular, bold, italics); :func:`bundled_characters` is what a
patient's details may use (some bundled font has it).

Imports: stdlib, fontTools and the bundled fonts.
"""

from __future__ import annotations

from functools import cache

from fontTools.ttLib import TTFont

from handout_builder.paths import FONTS_DIR

#: The font files every piece of topic text may be printed in (regular, bold, italics).
FONT_FILES = ("AtkinsonHyperlegible_400Regular.ttf", "AtkinsonHyperlegible_400Regular_Italic.ttf",
              "AtkinsonHyperlegible_700Bold.ttf", "AtkinsonHyperlegible_700Bold_Italic.ttf")
FONT_NAME = "Atkinson Hyperlegible"


@cache
def font_coverage() -> frozenset[int]:
    """Code points every bundled face of the font has a glyph for."""
    sets = []
    for name in FONT_FILES:
        with TTFont(FONTS_DIR / name, lazy=True) as font:
            sets.append(set(font.getBestCmap()))
    return frozenset(set.intersection(*sets))


@cache
def bundled_characters() -> frozenset[int]:
    """Every code point some bundled font (``assets/styles/fonts/``) has a glyph for."""
    found: set[int] = set()
    for path in sorted(FONTS_DIR.glob("*.[ot]tf")):
        with TTFont(path, lazy=True) as font:
            found.update(font.getBestCmap() or {})
    return frozenset(found)

"""Make the bundled Noto subsets in handout_builder/assets/styles/fonts/ (reproducibly).

The fonts come from Debian bookworm's fonts-noto-core package (version 20201225-1, SIL OFL
1.1). Unpack it and run this script with the folder holding its .ttf files:

    apt-get download fonts-noto-core            # fonts-noto-core_20201225-1_all.deb
    dpkg-deb -x fonts-noto-core_20201225-1_all.deb core
    .venv/bin/python tools/subset_fonts.py core/usr/share/fonts/truetype/noto

Each subset keeps its family name (the Noto fonts have no Reserved Font Name), every
OpenType layout feature (Arabic shaping, mark positioning for Vietnamese and combining
accents), no hinting, and the ranges below; the same input gives the same bytes.
Chinese, Japanese and Korean come whole from Debian's fonts-noto-cjk package instead
(found by fonts.conf; see FONTS.md): a subset would refuse Chinese text it did not foresee.
"""

from __future__ import annotations

import sys
from pathlib import Path

from fontTools import subset

TARGET = Path(__file__).resolve().parent.parent / "handout_builder/assets/styles/fonts"
#: Punctuation, digits and spaces every subset has, so a phrase is not split between fonts.
COMMON = "U+0020-0040,U+005B-0060,U+007B-007E,U+00A0-00BF,U+00D7,U+00F7,U+2000-206F,U+20AC"
LATIN_GREEK_CYRILLIC = ",".join([
    COMMON,
    "U+0041-005A,U+0061-007A,U+00C0-024F",  # Latin, Latin-1, Extended-A and -B
    "U+0250-02FF",  # IPA, spacing modifier letters
    "U+0300-036F",  # combining diacritical marks
    "U+0370-03FF,U+1F00-1FFF",  # Greek and Coptic, Greek Extended
    "U+0400-052F,U+1C80-1C8F,U+2DE0-2DFF,U+A640-A69F",  # Cyrillic and its supplements
    "U+1E00-1EFF",  # Latin Extended Additional (Vietnamese)
    "U+20A0-20CF,U+2100-214F,U+2190-21FF,U+2212,U+25CB,U+25E6,U+25AA,U+25CF",
])
HEBREW = ",".join([COMMON, "U+0591-05FF,U+FB1D-FB4F,U+20AA"])
ARABIC = ",".join([COMMON, "U+0600-06FF,U+0750-077F,U+08A0-08FF,U+FB50-FDFF,U+FE70-FEFF"])

FONTS = [
    ("NotoSans-Regular.ttf", LATIN_GREEK_CYRILLIC),
    ("NotoSans-Bold.ttf", LATIN_GREEK_CYRILLIC),
    ("NotoSans-Italic.ttf", LATIN_GREEK_CYRILLIC),
    ("NotoSans-BoldItalic.ttf", LATIN_GREEK_CYRILLIC),
    ("NotoSansHebrew-Regular.ttf", HEBREW),
    ("NotoSansHebrew-Bold.ttf", HEBREW),
    ("NotoSansArabic-Regular.ttf", ARABIC),
    ("NotoSansArabic-Bold.ttf", ARABIC),
]


def main(source_folder: str) -> None:
    for name, ranges in FONTS:
        options = subset.Options()
        options.layout_features = ["*"]
        options.hinting = False
        options.name_IDs = [0, 1, 2, 3, 4, 5, 6, 13, 14]
        options.notdef_outline = True
        font = subset.load_font(str(Path(source_folder) / name), options)
        subsetter = subset.Subsetter(options)
        subsetter.populate(unicodes=subset.parse_unicodes(ranges))
        subsetter.subset(font)
        font["head"].modified = font["head"].created  # same bytes on every run
        subset.save_font(font, str(TARGET / name), options)
        print(f"{name}: {(TARGET / name).stat().st_size:,} bytes")


if __name__ == "__main__":
    main(sys.argv[1])

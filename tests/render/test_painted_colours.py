"""Colours as the contrast check measures them (handout_builder/render/painted.py ``_rgba``):
whatever CSS colour syntax a brand uses, the sRGB a viewer shows for what WeasyPrint paints."""

from __future__ import annotations

import pytest
import tinycss2.color5

from handout_builder.render import painted


def measured(css: str) -> tuple[tuple[int, ...], float]:
    rgb, alpha = painted._rgba(tinycss2.color5.parse_color(css))
    return tuple(round(c * 255) for c in rgb), alpha


@pytest.mark.parametrize("css, rgb", [
    ("#767676", (118, 118, 118)),
    ("rgb(10 20 30)", (10, 20, 30)),
    ("hsl(120 100% 25%)", (0, 128, 0)),
    ("hwb(0 0% 0%)", (255, 0, 0)),
    # Lab and OKLab (painted in a PDF Lab space): the sRGB colour of the same appearance
    ("lab(54.29% 80.8 69.89)", (255, 0, 0)),  # CSS Color 4's sRGB red
    ("lch(54.29% 106.84 40.86)", (255, 0, 0)),
    ("oklch(62.8% 0.2577 29.23)", (255, 0, 0)),
    ("lab(50% 0 0)", (119, 119, 119)),  # mid grey: #777777
    ("oklch(50% 0 0)", (99, 99, 99)),  # #636363
    ("lab(100% 0 0)", (255, 255, 255)),
    ("color(xyz-d65 0.4124 0.2126 0.0193)", (255, 0, 0)),
    ("color(xyz-d50 0.4360 0.2225 0.0139)", (255, 0, 0)),
    ("device-cmyk(0 0 0 1)", (0, 0, 0)),  # CSS Color 5's naive conversion
    ("device-cmyk(0 0 0 0)", (255, 255, 255)),
    ("device-cmyk(1 0 0 0)", (0, 255, 255)),
    ("device-cmyk(0 0 0 0.5)", (128, 128, 128)),
    # other predefined spaces: WeasyPrint paints their channels as sRGB (and warns)
    ("color(display-p3 0.2 0.4 0.6)", (51, 102, 153)),
])
def test_every_colour_syntax_is_measured_as_it_is_shown(css, rgb):
    found, alpha = measured(css)
    assert all(abs(a - b) <= 1 for a, b in zip(found, rgb)), (css, found)
    assert alpha == 1.0


def test_alpha_is_kept_and_channels_clipped_to_the_gamut():
    assert measured("rgb(10 20 30 / 0.5)")[1] == 0.5
    assert measured("oklch(70% 0.4 140 / 0.25)") == (measured("oklch(70% 0.4 140)")[0], 0.25)
    assert all(0 <= c <= 255 for c in measured("lab(60% 120 -120)")[0])  # out of sRGB


def test_light_lab_text_is_low_contrast_on_white():
    text, _ = painted._rgba(tinycss2.color5.parse_color("lab(93% 0 0)"))
    assert painted.contrast(text, (1.0, 1.0, 1.0)) < 1.3
    text, _ = painted._rgba(tinycss2.color5.parse_color("lab(20% 0 0)"))
    assert painted.contrast(text, (1.0, 1.0, 1.0)) > 10


def test_a_colour_drawn_through_an_icc_profile_cannot_be_measured():
    colour = tinycss2.color5.parse_color("color(--brand-cmyk 0 0 0 1)")  # @color-profile
    with pytest.raises(painted._Unmeasurable):
        painted._rgba(colour)

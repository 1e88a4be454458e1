"""Other-language phrases in the leaflet's HTML (fast: no layout): ``lang`` on a span, and
``dir`` with directional isolates when the phrase's direction is not the leaflet's; the
language-assistance notice says its language when it is not the leaflet's."""

from __future__ import annotations

from handout_builder.render.html import markdown, markdown_inline, render_html
from handout_builder.sources.loader import load_brand, load_topic
from tests.conftest import BRANDS, MINIMAL_TOPIC

LRI, RLI, PDI = "\u2066", "\u2067", "\u2069"


def test_a_phrase_of_the_same_direction_only_gets_its_language():
    html = markdown("Ask for [una cita]{lang=es}.", language="en")
    assert html == '<p>Ask for <span lang="es">una cita</span>.</p>\n'


def test_a_phrase_of_the_other_direction_is_isolated():
    assert markdown_inline("Say [مرحبا]{lang=ar} 3 times", "en") == (
        f'Say <span lang="ar" dir="rtl">{RLI}مرحبا{PDI}</span> 3 times')
    assert markdown_inline("خذ [Ventolin 100]{lang=en} الآن", "ar") == (
        f'خذ <span lang="en" dir="ltr">{LRI}Ventolin 100{PDI}</span> الآن')


def test_a_phrase_inside_a_phrase_is_isolated_from_the_one_around_it():
    html = markdown_inline("[a [ب]{lang=ar} c [d]{lang=fr}]{lang=en}", "ar")
    assert html == (f'<span lang="en" dir="ltr">{LRI}a <span lang="ar" dir="rtl">{RLI}ب{PDI}'
                    f'</span> c <span lang="fr">d</span>{PDI}</span>')


def test_no_other_attribute_reaches_the_html():
    html = markdown('See [this]{lang=es .big #x style="color:red" onclick="x()"}.')
    assert html == '<p>See <span lang="es">this</span>.</p>\n'


def test_the_leaflet_renders_phrases_in_key_points_and_bodies(write_topic, default_brand):
    topic = MINIMAL_TOPIC.replace("An answer.", "Say [hola]{lang=es}.") + (
        "key_points:\n  - Say [مرحبا]{lang=ar}\n")
    html = render_html(load_topic(write_topic(topic)), default_brand)
    assert 'Say <span lang="es">hola</span>.' in html
    assert f'Say <span lang="ar" dir="rtl">{RLI}مرحبا{PDI}</span>' in html


def test_a_notice_in_english_in_another_leaflet_says_so(write_topic):
    harbour = load_brand(BRANDS["harbour"])
    chinese = MINIMAL_TOPIC.replace("title: Test topic", "title: 測試\nlanguage: zh-Hant")
    html = render_html(load_topic(write_topic(chinese)), harbour)
    assert '<p class="assistance" lang="en" dir="ltr">Free interpreting' in html
    english = render_html(load_topic(write_topic(MINIMAL_TOPIC, "en.yaml")), harbour)
    assert '<p class="assistance">Free interpreting' in english

"""The HTML stage: templates and Markdown are safe and complete (fast, no PDF)."""

from __future__ import annotations

import pytest
from jinja2 import UndefinedError

from handout_builder.render.html import markdown, render_html, template_environment
from handout_builder.sources.loader import load_topic

from tests.conftest import MINIMAL_TOPIC, SAMPLE


@pytest.mark.parametrize(
    "source, absent, present",
    [
        ("<script>alert(1)</script>", "<script", "&lt;script&gt;"),
        ("<b onclick='x()'>hi</b>", "<b ", "&lt;b onclick"),
        ("[click](javascript:alert(1))", "javascript:", "click"),
        ("[file](file:///etc/passwd)", "href", "file"),
        ("[rel](../secret.txt)", "href", "rel"),
        ("![a chart](http://tracker.example/pixel.png)", "<img", "a chart"),
        ("![local](file:///etc/passwd)", "passwd", "local"),
        ("<img src=x onerror=alert(1)>", "<img", "&lt;img"),
    ],
)
def test_markdown_never_executes_embeds_or_fetches(source, absent, present):
    html = str(markdown(source))
    assert absent not in html
    assert present in html


def test_markdown_features():
    html = str(markdown("**bold** *it*\n\n- a\n- b\n\n1. one\n2. two\n\n[w](https://w.org)"))
    for fragment in ("<strong>bold</strong>", "<em>it</em>", "<ul>", "<ol>", 'href="https://w.org"'):
        assert fragment in html


def test_links_whose_text_is_not_the_address_print_the_address():
    assert 'class="show-url"' in str(markdown("[MedlinePlus](https://medlineplus.gov)"))
    assert "show-url" not in str(markdown("<https://medlineplus.gov>"))


def test_body_headings_sit_below_section_headings():
    html = str(markdown("# Big\n\n## Less"))
    assert "<h3>Big</h3>" in html and "<h4>Less</h4>" in html and "<h1>" not in html


def test_topic_text_is_escaped(write_topic, default_brand):
    path = write_topic(MINIMAL_TOPIC.replace("Test topic", "Test <em>topic</em> & more"))
    html = render_html(load_topic(path), default_brand)
    assert "<title>Test &lt;em&gt;topic&lt;/em&gt; &amp; more</title>" in html


def test_sample_html_has_every_part(default_brand):
    loaded = load_topic(SAMPLE)
    html = render_html(loaded, default_brand)
    topic = loaded.topic
    assert '<html lang="en" dir="ltr">' in html
    assert f"<h1>{topic.title}</h1>" in html
    for section in topic.sections:
        assert f"<h2>{section.heading}</h2>" in html
    assert 'alt="Riverside Family Clinic logo' in html
    assert "Medical review:" in html


def test_unreviewed_topic_says_so(write_topic, default_brand):
    text = MINIMAL_TOPIC.split("review:")[0] + "copyright:\n  holder: X\n"
    html = render_html(load_topic(write_topic(text)), default_brand)
    assert "not yet been medically reviewed" in html
    assert "unreviewed-banner" in html


def test_templates_use_strict_undefined(default_brand):
    env = template_environment((default_brand.dir,))
    with pytest.raises(UndefinedError):
        env.from_string("{{ missing }}").render()

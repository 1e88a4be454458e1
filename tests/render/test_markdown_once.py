"""A Markdown field is parsed once: the text rules' tokens
(handout_builder.sources.markdown.parsed) are rendered by the HTML stage, which copies the
tokens it changes. The HTML must be what the leaflet's own parser renders from the text, and
the shared tokens must stay as parsed, however often they are rendered."""

from __future__ import annotations

import pytest

from handout_builder.domain.wording import messages_for
from handout_builder.render.html import html_markdown_parser, markdown, markdown_inline
from handout_builder.sources.markdown import _parsed, parsed
from tests.conftest import MINIMAL_TOPIC

#: Every construct the leaflet's Markdown renders, links of every kind and the tokens the
#: HTML rules change (links, table header cells, phrases) among them.
BLOCKS = [
    "Plain text -- with \"quotes\" and (c) replacements...",
    "[MedlinePlus](https://medlineplus.gov) and [it](https://a.example/it) and "
    "<https://medlineplus.gov/ency/article/000001.htm> and [same](https://same.example) "
    "[https://same.example](https://same.example)",
    "[bad](javascript:alert(1)) [file](file:///etc/passwd) [rel](../x) [mail](mailto:a@b.example) "
    "[call](tel:555-0100) [ref link][r]\n\n[r]: https://ref.example/path",
    "# Big\n\n## Less\n\n### Small",
    "| Dose | When |\n|---|---|\n| 1 tablet | morning |\n| **2** | [night](https://n.example) |",
    "Ask for [una cita]{lang=es} and [مرحبا]{lang=ar} and [a [ب]{lang=ar} c]{lang=en}.",
    "::: help\nCall us if it hurts.\n:::\n\n::: warning\nHot.\n:::\n\n::: tip\nRest.\n:::\n\n"
    "::: ask\nAsk [the nurse](https://nurse.example).\n:::",
    "![a tablet](tablet.png) `code` and\n\n    indented code\n\n```\nfenced\n```",
    "- one [link](https://l.example)\n- two\n  - nested\n\n1. first\n2. second\n\n> quoted",
    "<b>raw html</b> &amp; &#x202E; &copy; {emergency_number}",
]
INLINE = [
    "Take *one* tablet with [water](https://water.example).",
    "Say [مرحبا]{lang=ar} 3 times, see <https://a.example/b-c>.",
    "Plain key point.",
]


def _fresh(text: str, inline: bool):
    return _parsed.__wrapped__(text, inline)


@pytest.mark.parametrize("text", BLOCKS)
@pytest.mark.parametrize("language", ["en", "ar"])
def test_block_html_is_what_the_parser_renders(text, language):
    words = messages_for(language)
    env = {"messages": words, "emergency_number": "999", "language": language}
    expected = html_markdown_parser().render(text, dict(env))
    _parsed.cache_clear()
    parsed(text)  # as the text rules leave it
    assert str(markdown(text, words, "999", language)) == expected
    assert str(markdown(text, words, "999", language)) == expected  # again, from the same tokens
    assert _parsed.cache_info().misses == 1


@pytest.mark.parametrize("text", INLINE)
@pytest.mark.parametrize("language", ["en", "ar"])
def test_inline_html_is_what_the_parser_renders(text, language):
    expected = html_markdown_parser().renderInline(text, {"language": language})
    assert str(markdown_inline(text, language)) == expected
    assert str(markdown_inline(text, language)) == expected


@pytest.mark.parametrize("text", BLOCKS)
def test_rendering_leaves_the_shared_tokens_as_parsed(text):
    shared = parsed(text)
    markdown(text, messages_for("en"), "911", "en")
    markdown(text, messages_for("ar"), "911", "ar")
    assert shared == _fresh(text, False)
    assert parsed(text) is shared


@pytest.mark.parametrize("text", INLINE)
def test_rendering_inline_leaves_the_shared_tokens_as_parsed(text):
    shared = parsed(text, True)
    markdown_inline(text, "ar")
    assert shared == _fresh(text, True)


def test_a_link_marked_in_one_render_is_not_marked_in_the_shared_tokens():
    text = "[MedlinePlus](https://medlineplus.gov) and [x](javascript:alert(1))"
    html = str(markdown(text))
    assert 'class="show-url"' in html and "javascript" not in html
    [inline] = [t for t in parsed(text) if t.type == "inline"]
    links = [t for t in inline.children if t.type.startswith("link")]
    assert links and all(not t.meta and "class" not in t.attrs for t in links)


def test_the_text_rules_and_the_html_share_one_parse(write_topic, default_brand):
    from handout_builder.render.html import render_html
    from handout_builder.sources.loader import load_topic

    _parsed.cache_clear()
    loaded = load_topic(write_topic(MINIMAL_TOPIC.replace(
        "sections:\n  - heading: First question\n    body: An answer.\n",
        "summary: A *short* summary.\n"
        "key_points:\n  - Take it with [water](https://water.example).\n"
        "sections:\n  - heading: First question\n    body: |\n"
        "      An answer with a [link](https://a.example).\n\n      - one\n      - two\n")))
    parses = _parsed.cache_info().misses
    assert parses == 3  # the summary, the key point, the body: once each
    html = render_html(loaded, default_brand)
    assert _parsed.cache_info().misses == parses
    assert 'An answer with a <a href="https://a.example" class="show-url">link</a>' in html

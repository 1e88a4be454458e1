"""The Markdown dialect of topic text: one parser configuration for every stage.

CommonMark with raw HTML off (shown as text, never interpreted), no auto-linking, and
typographic replacements and smart quotes on, so that what the text rules and the reading
level see are the characters the leaflet prints. Two additions: tables (GitHub's pipe
tables) and callouts, blocks fenced by ``::: help`` (when to get help: the emergency box),
``::: warning``, ``::: tip`` or ``::: ask`` (ask your care team) and ``:::``
(mdit-py-plugins' container plugin). Three: a phrase in another language,
``[frase en español]{lang=es}`` (mdit-py-plugins' attributes on spans, with ``lang`` the only
attribute an author may give; :func:`phrases` lists them, and the text rules refuse any other
attribute and a tag that is not a known language). Every URL parses here; the HTML stage
(:mod:`handout_builder.render.html`) decides which links print and adds its own render rules
to a parser made by :func:`new_parser`.

Imports: markdown-it-py and mdit-py-plugins only.
"""

from __future__ import annotations

from functools import cache, lru_cache

from markdown_it import MarkdownIt
from markdown_it.token import Token
from mdit_py_plugins.attrs import attrs_plugin
from mdit_py_plugins.container import container_plugin

#: The kinds of callout box, as written after ``:::``.
CALLOUT_KINDS = ("help", "warning", "tip", "ask")
#: The one attribute an author may put on a phrase (``[...]{lang=es}``): no class, id or style.
PHRASE_ATTRIBUTES = ("lang",)


def new_parser() -> MarkdownIt:
    """A fresh parser with the topic format's Markdown configuration."""
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": True})
    md.enable(["replacements", "smartquotes", "table"])
    for kind in CALLOUT_KINDS:
        container_plugin(md, kind)
    # a phrase in another language: attributes after "[...]" only (not after links, code
    # or images), and only lang; anything else is kept aside in meta["insecure_attrs"]
    attrs_plugin(md, after=(), spans=True, allowed=PHRASE_ATTRIBUTES)
    md.validateLink = lambda url: True  # every URL parses; the HTML stage decides what prints
    return md


@cache
def markdown_parser() -> MarkdownIt:
    """The shared parser for reading topic text (tokens only; HTML comes from the render stage)."""
    return new_parser()


#: Markdown fields whose tokens are kept (:func:`parsed`): a few documents' worth.
PARSED_CACHE_SIZE = 256


def parsed(text: str, inline: bool = False) -> tuple[Token, ...]:
    """A Markdown field's tokens from :func:`markdown_parser` (``inline``: one line of
    inline text, no paragraphs), parsed once for the text rules and for the HTML stage,
    which reads the same field right after them. Shared: read them, never change them
    (the HTML stage copies the tokens it changes). Topic text only, never a personal detail."""
    return _parsed(text, bool(inline))  # one key per field, however the caller spells it


@lru_cache(maxsize=PARSED_CACHE_SIZE)
def _parsed(text: str, inline: bool) -> tuple[Token, ...]:
    md = markdown_parser()
    return tuple(md.parseInline(text) if inline else md.parse(text))


def inline_text(token: Token, line_break: str = "\n") -> str:
    """The text an ``inline`` token prints: its text and code, an image's alt text, and
    ``line_break`` for each line break (link addresses are not part of it)."""
    parts = []
    for child in token.children or []:
        if child.type in ("text", "code_inline", "image"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(line_break)
    return "".join(parts)


def link_addresses(token: Token) -> list[str]:
    """The address of every link in an ``inline`` token, in order."""
    return [str(child.attrGet("href") or "") for child in token.children or []
            if child.type == "link_open"]


def callout_kind(token: Token) -> str | None:
    """The callout kind of a ``container_<kind>_open`` token (else None)."""
    for kind in CALLOUT_KINDS:
        if token.type == f"container_{kind}_open":
            return kind
    return None


def phrases(token: Token) -> list[tuple[str | None, dict[str, str], str]]:
    """The other-language phrases of an ``inline`` token, in order: (its ``lang``, or None
    when it has none; any other attributes the author gave, which the leaflet refuses; its
    text)."""
    found = []
    children = token.children or []
    for i, child in enumerate(children):
        if child.type != "span_open":
            continue
        depth, end = 0, i
        for end in range(i, len(children)):
            depth += children[end].nesting if children[end].type in ("span_open", "span_close") else 0
            if depth == 0:
                break
        text = inline_text(Token("inline", "", 0, children=children[i + 1:end]), " ")
        lang = child.attrGet("lang")
        others = {str(k): str(v) for k, v in child.meta.get("insecure_attrs", {}).items()}
        found.append((str(lang) if lang is not None else None, others, text))
    return found

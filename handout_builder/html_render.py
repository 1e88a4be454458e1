"""HTML rendering: a loaded topic and brand become one HTML document (Jinja2 templates).

Templates are found by name on a search path: the brand's own ``templates/`` folder first,
then the project's ``templates/``, so a clinic can override one part without copying the
rest. The Jinja environment and the Markdown parser are built once and cached.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markdown_it import MarkdownIt
from markdown_it.renderer import RendererHTML
from markdown_it.token import Token
from markupsafe import Markup, escape

from .loader import LoadedBrand, LoadedTopic
from .messages import messages_for
from .paths import TEMPLATES_DIR

#: Link schemes that may become clickable. Anything else stays plain text.
LINK_SCHEMES = ("https://", "http://", "mailto:", "tel:")
#: Markdown headings inside a section body sit under the section's <h2>.
HEADING_SHIFT = 2


# --------------------------------------------------------------------------------------
# Markdown
# --------------------------------------------------------------------------------------


def _link_allowed(url: str) -> bool:
    return url.strip().lower().startswith(LINK_SCHEMES)


def _render_image(renderer: RendererHTML, tokens: Sequence[Token], idx: int, options, env) -> str:
    """Images are not part of topic format 1: print the alt text, fetch nothing."""
    alt = renderer.renderInlineAsText(tokens[idx].children or [], options, env)
    return str(escape(alt))


def _render_heading(renderer: RendererHTML, tokens: Sequence[Token], idx: int, options, env) -> str:
    token = tokens[idx]
    level = min(int(token.tag[1]) + HEADING_SHIFT, 6)
    return f"<h{level}>" if token.nesting == 1 else f"</h{level}>\n"


def _mark_links(state) -> None:
    """Decide how each link prints.

    A link whose scheme is not allowed (``javascript:``, ``file:``, relative paths...) loses
    its link and prints as plain text. A link whose text is not its address gets the class
    ``show-url``, so the printed page shows the address too.
    """
    for block in state.tokens:
        children = block.children or []
        for i, token in enumerate(children):
            if token.type != "link_open":
                continue
            href = str(token.attrGet("href") or "")
            end = next(
                j for j in range(i + 1, len(children))
                if children[j].type == "link_close" and children[j].level == token.level
            )
            if not _link_allowed(href):
                token.meta["plain"] = children[end].meta["plain"] = True
                continue
            text = "".join(
                t.content for t in children[i + 1 : end] if t.type in ("text", "code_inline")
            ).strip()
            bare = href.split("://", 1)[-1].removeprefix("mailto:").removeprefix("tel:")
            if text.rstrip("/") not in (href.rstrip("/"), bare.rstrip("/")):
                token.attrSet("class", "show-url")


def _render_link(renderer: RendererHTML, tokens: Sequence[Token], idx: int, options, env) -> str:
    if tokens[idx].meta.get("plain"):
        return ""
    return renderer.renderToken(tokens, idx, options, env)


@cache
def markdown_parser() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": True})
    md.enable(["replacements", "smartquotes"])
    md.validateLink = lambda url: True  # every URL parses; _mark_links decides what prints
    md.add_render_rule("image", _render_image)
    md.add_render_rule("heading_open", _render_heading)
    md.add_render_rule("heading_close", _render_heading)
    md.add_render_rule("link_open", _render_link)
    md.add_render_rule("link_close", _render_link)
    md.core.ruler.push("show_url", _mark_links)
    return md


def markdown(text: str) -> Markup:
    """Markdown block text to safe HTML (raw HTML is escaped, never interpreted)."""
    return Markup(markdown_parser().render(text))


def markdown_inline(text: str) -> Markup:
    """Markdown inline text (emphasis, links) to safe HTML, without a paragraph."""
    return Markup(markdown_parser().renderInline(text))


# --------------------------------------------------------------------------------------
# Templates
# --------------------------------------------------------------------------------------


@cache
def template_environment(search_path: tuple[Path, ...]) -> Environment:
    env = Environment(
        loader=FileSystemLoader([str(p) for p in search_path]),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["markdown"] = markdown
    env.filters["markdown_inline"] = markdown_inline
    return env


def template_search_path(brand: LoadedBrand) -> tuple[Path, ...]:
    own = brand.dir / "templates"
    return (own, TEMPLATES_DIR) if own.is_dir() else (TEMPLATES_DIR,)


def leaflet_context(loaded: LoadedTopic, brand: LoadedBrand) -> dict[str, Any]:
    """Everything the templates see: plain data, no I/O."""
    topic = loaded.topic
    return {
        "topic": topic,
        "handout_id": loaded.id,
        "brand": brand.brand,
        "logo_src": brand.brand.logo,  # relative to the brand folder (the document's base URL)
        "t": messages_for(topic.language),
        "personal": None,  # a PersonalCopy for one patient's copy (render_html(..., personal=))
        "watermark": None,  # the review-state watermark, when a proof is printed anyway
    }


def render_html(loaded: LoadedTopic, brand: LoadedBrand, **extra: Any) -> str:
    """The leaflet as one HTML document string."""
    env = template_environment(template_search_path(brand))
    context = leaflet_context(loaded, brand) | extra
    return env.get_template("leaflet.html.j2").render(context)

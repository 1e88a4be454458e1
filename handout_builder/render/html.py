"""HTML rendering: a loaded topic and brand become one HTML document (Jinja2 templates).

Templates are found by name on a search path: the brand's own ``templates/`` folder first,
then make_handout's own (``handout_builder/assets/templates/``), so a clinic can override
one part without copying the rest. The Jinja environment and the Markdown parser are built
once and cached.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

from jinja2 import (
    BaseLoader,
    Environment,
    StrictUndefined,
    TemplateNotFound,
    TemplateSyntaxError,
    pass_context,
    select_autoescape,
)
from jinja2.exceptions import SecurityError
from jinja2.loaders import split_template_path
from jinja2.sandbox import ImmutableSandboxedEnvironment
from markdown_it import MarkdownIt
from markdown_it.renderer import RendererHTML
from markdown_it.token import Token
from markupsafe import Markup, escape

from handout_builder.sources.confined import confined_file, read_confined
from handout_builder.domain.models import online_address
from handout_builder.domain.problems import InvalidBrand, Problem, UserError
from handout_builder.sources.loader import LoadedBrand, LoadedTopic
from handout_builder.domain.locale import (
    catalogue_candidates,
    direction,
    primary_subtag,
    region_subtag,
)
from handout_builder.domain.models import Topic
from handout_builder.domain.wording import messages_for
from handout_builder.paths import TEMPLATES_DIR
from handout_builder.render import qr
from handout_builder.sources.markdown import CALLOUT_KINDS, callout_kind, new_parser, parsed

#: Link schemes that may become clickable. Anything else stays plain text.
LINK_SCHEMES = ("https://", "http://", "mailto:", "tel:")
#: Markdown headings inside a section body sit under the section's <h2>.
HEADING_SHIFT = 2
#: An invisible break opportunity (ZERO WIDTH SPACE): printed web addresses may break only
#: there, after "/", "." or "-"; nothing is drawn and text extraction leaves it out.
BREAK = "\u200b"
#: The scheme left off printed addresses: a browser adds it (http:// stays, it is not implied).
IMPLIED_SCHEME = "https://"
#: QR codes kept (an address and its alt text: nothing personal; a few kilobytes each).
QR_CACHE_SIZE = 256


# --------------------------------------------------------------------------------------
# Markdown
# --------------------------------------------------------------------------------------


def _link_allowed(url: str) -> bool:
    return url.strip().lower().startswith(LINK_SCHEMES)


def printed_address(url: str) -> str:
    """A web address as printed on paper: without ``https://`` (unambiguous: a browser adds
    it), and with an invisible break opportunity after each "/", "." and "-" past the scheme,
    so a long address breaks only there, without an inserted hyphen."""
    url = url.strip()
    scheme = ""
    if url.lower().startswith(IMPLIED_SCHEME):
        url = url[len(IMPLIED_SCHEME):]
    elif "://" in url:
        scheme, url = url.split("://", 1)
        scheme += "://"
    elif url.lower().startswith(("mailto:", "tel:")):
        return url
    rest = url.rstrip("/") if url.count("/") == 1 and url.endswith("/") else url
    out = []
    for i, char in enumerate(rest):
        out.append(char)
        if char in "/.-" and i + 1 < len(rest) and rest[i + 1] not in "/.-":
            out.append(BREAK)
    return scheme + "".join(out)


def _render_image(renderer: RendererHTML, tokens: Sequence[Token], idx: int, options, env) -> str:
    """Images are not part of topic format 1: print the alt text, fetch nothing."""
    alt = renderer.renderInlineAsText(tokens[idx].children or [], options, env)
    return str(escape(alt))


def _render_heading(renderer: RendererHTML, tokens: Sequence[Token], idx: int, options, env) -> str:
    token = tokens[idx]
    level = min(int(token.tag[1]) + HEADING_SHIFT, 6)
    return f"<h{level}>" if token.nesting == 1 else f"</h{level}>\n"


def _mark_links(state) -> None:
    """The parser's core rule of :func:`mark_links`."""
    mark_links(state.tokens)


def mark_links(tokens: Sequence[Token]) -> None:
    """Decide how each link prints (marks ``tokens``: a copy, never the shared ones).

    A link whose scheme is not allowed (``javascript:``, ``file:``, relative paths...) loses
    its link and prints as plain text. A link whose text is not its address gets the class
    ``show-url``, so the printed page shows the address too.
    """
    for block in tokens:
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
                children[end].meta["shown"] = href
            elif end == i + 2 and children[i + 1].type == "text":  # the address is the text
                children[i + 1].content = address_text(children[i + 1].content)


def _render_callout(renderer: RendererHTML, tokens: Sequence[Token], idx: int, options, env) -> str:
    """A callout box: a section with its heading word (an icon beside it, from the
    stylesheet) and, for "when to get help", the brand's emergency number first."""
    token = tokens[idx]
    if token.nesting != 1:
        return "</section>\n"
    kind = callout_kind(token) or "tip"
    words = env.get("messages") or messages_for("en")
    html = (f'<section class="callout callout-{kind}">\n'
            f'<h3 class="callout-heading">{escape(words.format(f"callout_{kind}"))}</h3>\n')
    if kind == "help":
        number = escape(env.get("emergency_number") or "911")
        html += ('<p class="callout-call">'
                 f'{words.format("emergency_call", number=Markup(f"<strong>{number}</strong>"))}'
                 '</p>\n')
    return html


def _render_header_cell(renderer: RendererHTML, tokens: Sequence[Token], idx: int, options, env) -> str:
    """A table's header cell heads its column (``scope="col"``, tagged TH with a scope)."""
    tokens[idx].attrSet("scope", "col")
    return renderer.renderToken(tokens, idx, options, env)


#: Directional isolates (they print nothing): LEFT-TO-RIGHT ISOLATE and RIGHT-TO-LEFT
#: ISOLATE start one, POP DIRECTIONAL ISOLATE ends it.
ISOLATES = {"ltr": "\u2066", "rtl": "\u2067"}
POP_ISOLATE = "\u2069"


def _render_phrase(renderer: RendererHTML, tokens: Sequence[Token], idx: int, options, env) -> str:
    """A phrase in another language (``[...]{lang=es}``): a ``<span lang>``, which the PDF
    tags as a Span with its own ``/Lang`` (:mod:`handout_builder.render.finish`). A phrase
    whose direction differs from the leaflet's (English in Arabic, Arabic in English) also
    gets ``dir`` and is isolated, as ``unicode-bidi: isolate`` would isolate it (WeasyPrint
    has no ``unicode-bidi``): its text sits between a directional isolate and U+2069 (which
    print nothing), so the words around it keep their order."""
    token = tokens[idx]
    enclosing = env.setdefault("phrase_directions", [])  # of the phrases this one is inside
    if token.nesting != 1:
        if enclosing:
            enclosing.pop()
        return POP_ISOLATE + "</span>" if token.meta.get("isolated") else "</span>"
    lang = str(token.attrGet("lang") or "")  # the text rules refused a phrase without one
    ours = direction(lang)
    around = enclosing[-1] if enclosing else direction(env.get("language") or "en")
    enclosing.append(ours)
    html = f'<span lang="{escape(lang)}"'
    if ours == around:
        return html + ">"
    depth = 0
    for close in tokens[idx:]:
        depth += close.nesting if close.type in ("span_open", "span_close") else 0
        if depth == 0:
            close.meta["isolated"] = True
            break
    return html + f' dir="{ours}">{ISOLATES[ours]}'


def _render_link(renderer: RendererHTML, tokens: Sequence[Token], idx: int, options, env) -> str:
    token = tokens[idx]
    if token.meta.get("plain"):
        return ""
    html = renderer.renderToken(tokens, idx, options, env)
    if "shown" in token.meta:  # the address after the link text: a printed page has no links
        html += f' <span class="shown-url">({address_html(token.meta["shown"])})</span>'
    return html


#: WORD JOINER: no break here. Put after every other punctuation mark of a printed address
#: ("?", "=", "&", ...), where the line breaking rules of text would allow a break.
JOIN = "\u2060"


def address_text(url: str) -> str:
    """:func:`printed_address`, with a word joiner after every punctuation mark that is not a
    break opportunity: the line breaks after "/", "." and "-" only. (An address part longer
    than the line still wraps, rather than run off the page.)"""
    out = []
    for part in printed_address(url).split(BREAK):
        out.append("".join(
            char + JOIN if not char.isalnum() and i + 1 < len(part) else char
            for i, char in enumerate(part)))
    return BREAK.join(out)


def address_html(url: str) -> Markup:
    """:func:`address_text`, escaped for a template."""
    return escape(address_text(url))


@lru_cache(maxsize=QR_CACHE_SIZE)
def qr_code(address: str, alt: str) -> Markup:
    """A QR code of ``address`` as inline SVG (vector: sharp at any size), with ``alt`` as
    its title: WeasyPrint tags it as a Figure with that alt text. Error correction M (15%),
    the standard 4-module quiet zone; segno's symbol (:func:`handout_builder.render.qr.make`).
    Kept for the last :data:`QR_CACHE_SIZE` addresses: a topic rendered again (another
    variant, a personal copy, the desk) reuses its code."""
    code = qr.make(address)
    svg = code.svg_inline(scale=1, border=4, omitsize=True, svgclass="qr-code", lineclass=None,
                          dark="#000000")
    head, rest = svg.split(">", 1)
    return Markup(f'{head} role="img"><title>{escape(alt)}</title>{rest}')


@cache
def html_markdown_parser() -> MarkdownIt:
    """The topic format's Markdown parser (:mod:`handout_builder.sources.markdown`) with the
    leaflet's HTML rules: images print their alt text, headings shift under the section's
    heading, links decide how they print (:func:`_mark_links`)."""
    md = new_parser()
    md.add_render_rule("image", _render_image)
    md.add_render_rule("heading_open", _render_heading)
    md.add_render_rule("heading_close", _render_heading)
    md.add_render_rule("link_open", _render_link)
    md.add_render_rule("link_close", _render_link)
    md.core.ruler.push("show_url", _mark_links)
    for kind in CALLOUT_KINDS:
        md.add_render_rule(f"container_{kind}_open", _render_callout)
        md.add_render_rule(f"container_{kind}_close", _render_callout)
    md.add_render_rule("th_open", _render_header_cell)
    md.add_render_rule("span_open", _render_phrase)
    md.add_render_rule("span_close", _render_phrase)
    return md


def markdown(text: str, messages: Any = None, emergency_number: str | None = None,
             language: str | None = None) -> Markup:
    """Markdown block text to safe HTML (raw HTML is escaped, never interpreted); callouts
    take their heading words from ``messages`` and the emergency number given; ``language``
    is the leaflet's (a phrase of the other direction is isolated)."""
    env = {"messages": messages, "emergency_number": emergency_number, "language": language}
    return _rendered(text, False, env)


def _rendered(text: str, inline: bool, env: dict[str, Any]) -> Markup:
    """What ``html_markdown_parser().render(text, env)`` (or ``renderInline``) returns, from
    the tokens the text rules parsed (:func:`~handout_builder.sources.markdown.parsed`: the
    same parser but for :func:`mark_links`, applied here to :func:`_changeable` copies)."""
    md = html_markdown_parser()
    tokens = _changeable(parsed(text, inline))
    mark_links(tokens)
    return Markup(md.renderer.render(tokens, md.options, env))


#: The tokens :func:`mark_links` and the render rules change (attributes, ``meta``; the
#: text of a link's address): each is copied, with every sibling of one that is a child.
CHANGED_TOKENS = frozenset({"link_open", "link_close", "th_open", "span_open", "span_close"})


def _changeable(tokens: Sequence[Token]) -> list[Token]:
    """``tokens`` with a copy of each one that rendering changes (:data:`CHANGED_TOKENS`):
    the shared tokens stay as parsed."""
    out = []
    for token in tokens:
        children = token.children
        if children and any(child.type in CHANGED_TOKENS for child in children):
            token = _copy(token, [_copy(child, child.children) for child in children])
        elif token.type in CHANGED_TOKENS:
            token = _copy(token, children)
        out.append(token)
    return out


def _copy(token: Token, children: list[Token] | None) -> Token:
    """A token with its own ``attrs`` and ``meta``, and ``children``."""
    return Token(type=token.type, tag=token.tag, nesting=token.nesting, attrs=dict(token.attrs),
                 map=token.map, level=token.level, children=children, content=token.content,
                 markup=token.markup, info=token.info, meta=dict(token.meta), block=token.block,
                 hidden=token.hidden)


def _language(context: Any) -> str | None:
    return getattr(context.get("topic"), "language", None)


@pass_context
def _markdown_filter(context: Any, text: str) -> Markup:
    """The templates' ``markdown`` filter: the leaflet's wording, language and the brand's
    number."""
    brand = context.get("brand")
    return markdown(text, context.get("t"), getattr(brand, "emergency_number", None),
                    _language(context))


def markdown_inline(text: str, language: str | None = None) -> Markup:
    """Markdown inline text (emphasis, links) to safe HTML, without a paragraph."""
    return _rendered(text, True, {"language": language})


@pass_context
def _markdown_inline_filter(context: Any, text: str) -> Markup:
    """The templates' ``markdown_inline`` filter, in the leaflet's language."""
    return markdown_inline(text, _language(context))


# --------------------------------------------------------------------------------------
# Templates
# --------------------------------------------------------------------------------------


#: Largest template file read (a template is a few kilobytes of HTML).
MAX_TEMPLATE_BYTES = 200_000
#: The only templates a brand may override: the parts. ``leaflet.html.j2`` carries the
#: document head (PDF metadata) and the safety marks (draft watermark, "not reviewed" notice).
BRAND_OVERRIDABLE = "parts/"


class ConfinedLoader(BaseLoader):
    """Finds templates by name on a search path, reading only regular files inside it.

    Each folder is ``(folder, brand)``: a template found there must be a regular file whose
    real path (symlinks resolved) stays inside that folder, or the render stops with a
    located :class:`InvalidBrand` error instead of reading it. A brand folder is consulted
    only for the parts (:data:`BRAND_OVERRIDABLE`).
    """

    def __init__(self, search_path: Sequence[tuple[Path, bool]]):
        self.search_path = tuple(search_path)

    def get_source(self, environment: Environment, template: str):
        pieces = split_template_path(template)  # refuses '..'
        for folder, brand in self.search_path:
            candidate = folder.joinpath(*pieces)
            if not os.path.lexists(candidate):
                continue
            if brand and not template.startswith(BRAND_OVERRIDABLE):
                raise InvalidBrand(Problem(
                    str(candidate), f"A brand cannot override {template}: it holds the "
                    "document's metadata and the safety marks (draft watermark, "
                    "\"not reviewed\" notice).",
                    "Delete it and override the parts in templates/parts/ instead.",
                ))
            real = confined_file(folder, Path(*pieces), what="The template", error=InvalidBrand,
                                 shown=str(candidate))
            source = read_confined(real, MAX_TEMPLATE_BYTES, error=InvalidBrand,
                                   shown=str(candidate))
            try:
                text = source.decode("utf-8")
            except UnicodeDecodeError:
                raise InvalidBrand(Problem(str(candidate), "The template is not UTF-8 text.",
                                           "Save it as UTF-8.")) from None
            stamp = os.stat(real).st_mtime_ns

            def uptodate(real: Path = real, stamp: int = stamp) -> bool:
                try:
                    return os.stat(real).st_mtime_ns == stamp
                except OSError:
                    return False

            return text, str(candidate), uptodate
        raise TemplateNotFound(template)


class LeafletSandbox(ImmutableSandboxedEnvironment):
    """Jinja's immutable sandbox, with ``*`` and ``**`` bounded (no gigabyte strings)."""

    intercepted_binops = frozenset({"*", "**"})
    MAX_SIZE = 100_000

    def call_binop(self, context, operator: str, left: Any, right: Any) -> Any:
        sized = (str, bytes, list, tuple)
        if operator == "*" and (isinstance(left, sized) or isinstance(right, sized)):
            times, seq = (right, left) if isinstance(left, sized) else (left, right)
            if isinstance(times, int) and len(seq) * times > self.MAX_SIZE:
                raise SecurityError("the result of '*' is too large")
        if operator == "**" and isinstance(right, (int, float)) and abs(right) > 64:
            raise SecurityError("the exponent of '**' is too large")
        return super().call_binop(context, operator, left, right)


@cache
def template_environment(search_path: tuple[Path, ...]) -> Environment:
    """The sandboxed, autoescaping, strict Jinja environment for one search path.

    The last folder is the project's own; every folder before it is a brand's, so it is
    limited to the parts. Every folder confines what it serves. The sandbox refuses attribute tricks (``cycler.__init__.__globals__``...)
    in any template, ours included.
    """
    env = LeafletSandbox(
        loader=ConfinedLoader([(p, i < len(search_path) - 1) for i, p in enumerate(search_path)]),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["markdown"] = _markdown_filter
    env.filters["markdown_inline"] = _markdown_inline_filter
    env.filters["ltr"] = ltr
    env.filters["isolate"] = isolate
    env.filters["address"] = address_html
    return env


def template_search_path(brand: LoadedBrand) -> tuple[Path, ...]:
    own = brand.dir / "templates"
    return (own, TEMPLATES_DIR) if own.is_dir() else (TEMPLATES_DIR,)


def _template_problem(error: Exception, search_path: tuple[Path, ...]) -> Problem | None:
    """A located problem when ``error`` arose in a brand's template (else None: our bug)."""
    brand_folders = search_path[:-1]
    where: tuple[str, int | None] | None = None
    if isinstance(error, TemplateSyntaxError) and error.filename:
        where = (error.filename, error.lineno)
    else:
        tb = error.__traceback__
        while tb is not None:  # Jinja maps template frames to the template file and line
            name = tb.tb_frame.f_code.co_filename
            if name.endswith(".j2"):
                where = (name, tb.tb_lineno)
            tb = tb.tb_next
    if where is None or not any(Path(where[0]).is_relative_to(f) for f in brand_folders):
        return None
    if isinstance(error, SecurityError):
        what = ("The template uses something the sandbox forbids (internal attributes or "
                "functions).")
        fix = "Use only the values and filters the leaflet templates use (see docs/brands.md)."
    else:
        what = f"The template cannot be used: {error}."
        fix = ("Compare it with make_handout's own version of the same part (in the "
               "package: handout_builder/assets/templates/parts/).")
    return Problem(where[0], what, fix, line=where[1])


def leaflet_context(loaded: LoadedTopic, brand: LoadedBrand) -> dict[str, Any]:
    """Everything the templates see: plain data, no I/O."""
    topic = _localised(loaded.topic, brand)
    assistance = _assistance(brand, topic.language)
    return {
        "topic": topic,
        "direction": direction(topic.language),
        "ltr": ltr,
        "handout_id": loaded.id,
        "brand": brand.brand,
        "logo_src": brand.brand.logo,  # relative to the brand folder (the document's base URL)
        "t": messages_for(topic.language, region_subtag(brand.brand.locale)),
        "other_languages": (),  # (tag, name, direction) of the leaflet's other languages
        "translation": None,  # the translation's provenance line(s), when it is one
        "assistance": assistance[0] if assistance else None,
        # the notice's own language when it is not the leaflet's (the English one, printed
        # for a language the brand has none for): its lang and dir, else None
        "assistance_language": (assistance[1], direction(assistance[1]))
        if assistance and assistance[1] else None,
        "personal": None,  # a PersonalCopy for one patient's copy (render_html(..., personal=))
        "watermark": None,  # the review-state watermark, when a proof is printed anyway
        "online": _online(loaded, brand),
        "figures": {},  # section index -> its figures (figure_context), from the service
        "next_review": None,  # the date the next medical review is due (from the service)  # the QR code and address of the online copy, or None
    }


#: The placeholder topic text uses for the brand's emergency number.
EMERGENCY_PLACEHOLDER = "{emergency_number}"


def _substitute(value: Any, number: str) -> Any:
    if isinstance(value, str):
        return value.replace(EMERGENCY_PLACEHOLDER, number)
    if isinstance(value, dict):
        return {k: _substitute(v, number) for k, v in value.items()}
    if isinstance(value, list):
        return [_substitute(v, number) for v in value]
    return value


def _localised(topic: Topic, brand: LoadedBrand) -> Topic:
    """The topic with ``{emergency_number}`` replaced by the brand's number (911, 999...)."""
    data = topic.model_dump()
    if EMERGENCY_PLACEHOLDER not in str(data):
        return topic
    return Topic.model_validate(_substitute(data, brand.brand.emergency_number))


def _assistance(brand: LoadedBrand, language: str) -> tuple[str, str | None] | None:
    """The brand's language-assistance notice for ``language`` (its exact tag, its catalogue's
    tag, its primary subtag, else English), with the emergency number filled in, and the
    notice's tag when it is in another language than the leaflet (the English fall-back)."""
    notices = brand.brand.language_assistance
    own = (language, *catalogue_candidates(language))
    for tag in (*own, "en"):
        if tag in notices:
            other = None if tag in own or primary_subtag(language) == tag else tag
            return notices[tag].replace(EMERGENCY_PLACEHOLDER, brand.brand.emergency_number), other
    return None


def isolate(text: str) -> str:
    """A value inside a sentence of another direction (an English name or title in an Arabic
    leaflet): a first-strong isolate (U+2068 ... U+2069, which print nothing), so the bidi
    algorithm keeps its words, commas and brackets in their own order."""
    return f"\u2068{text}\u2069"


def ltr(text: str) -> Markup:
    """Text that must read left to right whatever the paragraph (a phone number, an address
    in a right-to-left leaflet): an isolated left-to-right run."""
    return Markup('<span dir="ltr">\u2066{}\u2069</span>').format(text)


def figure_context(figures: Sequence[Any]) -> dict[int, list[dict[str, Any]]]:
    """The checked figures (:class:`~handout_builder.sources.figures.FigureFile`) as the
    templates see them, by section index: the image's URL and what is printed with it."""
    by_section: dict[int, list[dict[str, Any]]] = {}
    for found in figures:
        figure = found.figure
        by_section.setdefault(found.section, []).append({
            "src": found.path.as_uri(),  # percent-encoded: safe in an attribute and in url()
            "alt": figure.alt, "decorative": figure.decorative, "caption": figure.caption,
            "credit": figure.credit, "licence": figure.licence, "width": figure.width,
        })
    return by_section


def _online(loaded: LoadedTopic, brand: LoadedBrand) -> dict[str, Any] | None:
    pattern = brand.brand.leaflet_url
    if pattern is None:
        return None
    language = loaded.topic.language
    address = online_address(pattern, loaded.id, language)
    words = messages_for(language)
    alt = words.format("qr_alt", address=printed_address(address).replace(BREAK, ""))
    return {"address": address, "shown": address_html(address), "qr": qr_code(address, alt)}


def render_html(loaded: LoadedTopic, brand: LoadedBrand, **extra: Any) -> str:
    """The leaflet as one HTML document string."""
    search_path = template_search_path(brand)
    env = template_environment(search_path)
    context = leaflet_context(loaded, brand) | extra
    try:
        return env.get_template("leaflet.html.j2").render(context)
    except UserError:
        raise
    except Exception as error:  # located in a brand's template: the brand's fault
        problem = _template_problem(error, search_path)
        if problem is None:
            raise
        raise InvalidBrand(problem) from None

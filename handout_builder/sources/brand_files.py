"""Checks on the files a brand supplies, before WeasyPrint ever sees them.

A brand can be hostile. Its ``brand.css`` may only ask for images inside the brand folder
or make_handout's own assets (checked here, with the line and column of
each ``url()``, rather than failing deep inside WeasyPrint); ``@import`` and ``@font-face``
are refused. Every
image it uses, the logo first, is checked cheaply before layout:

* an SVG is parsed with ``defusedxml`` (no DOCTYPE, no entities, no external resources), and
  refused when it has scripts, event handlers, references outside itself, too many elements,
  too deep a tree, or ``<use>`` references that expand to too many painted elements (a
  "billion laughs" made of ``<use>``, which would take WeasyPrint minutes per page);
* a raster image (PNG, JPEG, GIF, WebP) is identified from its header only, and refused when
  its pixel size is out of bounds (a small file can declare a huge picture).
"""

from __future__ import annotations

import os
import re
import stat
import warnings
import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

import tinycss2
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring
from PIL import Image, UnidentifiedImageError

from handout_builder.domain.problems import InvalidBrand, Problem
from handout_builder.sources.confined import confined_file, read_confined

MAX_CSS_BYTES = 200_000
MAX_SVG_BYTES = 1_000_000
MAX_RASTER_BYTES = 20_000_000
#: Elements in the SVG file, nesting depth, and elements painted once <use> is expanded.
MAX_SVG_ELEMENTS = 5_000
MAX_SVG_DEPTH = 40
MAX_SVG_PAINTED = 20_000
#: Raster images: pixels a side and in all (a logo needs a few hundred pixels).
MAX_RASTER_SIDE = 6_000
MAX_RASTER_PIXELS = 25_000_000
IMAGE_SUFFIXES = frozenset({".svg", ".png", ".jpg", ".jpeg", ".gif", ".webp"})
IMAGE_FIX = "Use a plain SVG (shapes and paths), or a PNG a few hundred pixels wide."

_SVG_FORBIDDEN = {"script": "a script", "foreignObject": "foreign content (foreignObject)"}
_URL_IN_TEXT = re.compile(r"url\(\s*['\"]?\s*([^'\")\s]*)", re.IGNORECASE)


# --------------------------------------------------------------------------------------
# Images
# --------------------------------------------------------------------------------------


def image_problem(path: Path) -> str | None:
    """Why the image at ``path`` (a regular file) may not be used, or ``None``."""
    if path.suffix.lower() == ".svg":
        return _svg_problem(path)
    return _raster_problem(path)


def _svg_problem(path: Path) -> str | None:
    if path.stat().st_size > MAX_SVG_BYTES:
        return f"is larger than {MAX_SVG_BYTES // 1000} KB"
    data = read_confined(path, MAX_SVG_BYTES, error=InvalidBrand, shown=str(path))
    try:
        root = fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException:
        return "declares a DOCTYPE or entities, which SVG images may not use here"
    except ET.ParseError as exc:
        return f"is not a well-formed SVG file ({exc})"

    ids: dict[str, ET.Element] = {}
    count = 0
    stack = [(root, 1)]
    while stack:
        element, depth = stack.pop()
        count += 1
        if count > MAX_SVG_ELEMENTS:
            return f"has more than {MAX_SVG_ELEMENTS} elements"
        if depth > MAX_SVG_DEPTH:
            return f"nests elements more than {MAX_SVG_DEPTH} deep"
        name = _local(element.tag)
        if name in _SVG_FORBIDDEN:
            return f"contains {_SVG_FORBIDDEN[name]}"
        for key, value in element.attrib.items():
            attribute = _local(key)
            if attribute.lower().startswith("on"):
                return f"has an event handler ({attribute})"
            if attribute == "href" and not value.strip().startswith("#"):
                return f"refers to something outside itself ({value[:80]!r})"
            if attribute == "id":
                ids.setdefault(value, element)
            if _outside_url(value):
                return f"refers to something outside itself ({_outside_url(value)!r})"
        text = element.text or ""
        if name == "style" and ("@import" in text.lower() or _outside_url(text)):
            return "has a style sheet that asks for other files"
        stack.extend((child, depth + 1) for child in element)

    painted: dict[int, int] = {}

    def paint(element: ET.Element, chain: int) -> int:
        """Elements painted for ``element``, <use> references expanded (memoised)."""
        key = id(element)
        if key in painted:
            if painted[key] < 0:
                raise _TooMuch("has <use> references that refer back to themselves")
            return painted[key]
        if chain > 2 * MAX_SVG_DEPTH:
            raise _TooMuch(f"chains <use> references more than {MAX_SVG_DEPTH} deep")
        painted[key] = -1  # in progress
        total = 1 + sum(paint(child, chain + 1) for child in element)
        if _local(element.tag) == "use":
            href = next((v for k, v in element.attrib.items() if _local(k) == "href"), "")
            target = ids.get(href.strip()[1:])
            if target is not None:
                total += paint(target, chain + 1)
        if total > MAX_SVG_PAINTED:
            raise _TooMuch(
                f"expands through <use> references to more than {MAX_SVG_PAINTED} painted "
                "elements (it would take minutes to draw)"
            )
        painted[key] = total
        return total

    try:
        paint(root, 0)
    except _TooMuch as exc:
        return str(exc)
    return None


class _TooMuch(Exception):
    pass


def _local(name: str) -> str:
    """An XML name without its ``{namespace}``."""
    return name.rsplit("}", 1)[-1]


def _outside_url(text: str) -> str | None:
    """The first ``url(...)`` in ``text`` that is not a reference inside the same file."""
    for match in _URL_IN_TEXT.finditer(text):
        if not match.group(1).startswith("#"):
            return match.group(0)[:80]
    return None


def _raster_problem(path: Path) -> str | None:
    if path.stat().st_size > MAX_RASTER_BYTES:
        return f"is larger than {MAX_RASTER_BYTES // 1_000_000} MB"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as image:  # reads the header only
                width, height = image.size
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        return (f"declares a picture far larger than {MAX_RASTER_PIXELS // 1_000_000} "
                "megapixels")
    except (UnidentifiedImageError, OSError, ValueError):
        return "is not an image that can be read (damaged, or not a PNG, JPEG, GIF or WebP)"
    if max(width, height) > MAX_RASTER_SIDE or width * height > MAX_RASTER_PIXELS:
        return (
            f"is {width} x {height} pixels; the largest accepted is {MAX_RASTER_SIDE} pixels "
            f"a side and {MAX_RASTER_PIXELS // 1_000_000} megapixels"
        )
    return None


def check_logo(brand_dir: Path, logo: str) -> None:
    """Raise a located :class:`InvalidBrand` when the brand's logo is unsafe or unusable."""
    shown = str(brand_dir / "brand.yaml")
    path = confined_file(brand_dir, logo, what="The logo file", error=InvalidBrand,
                         shown=shown, field="logo")
    reason = image_problem(path)
    if reason is not None:
        raise InvalidBrand(Problem(shown, f"The logo file '{logo}' {reason}.", IMAGE_FIX,
                                   field="logo"))


# --------------------------------------------------------------------------------------
# brand.css
# --------------------------------------------------------------------------------------


def brand_css(brand_dir: Path, roots: tuple[Path, ...]) -> str | None:
    """The text of ``brand_dir/brand.css`` (None without one), after checking what it asks for.

    Raises :class:`InvalidBrand` with every problem, each at its line and column: an
    ``@import``; a URL that is not a file inside ``roots`` (the network, any other file);
    a file that is not an image (the stylesheet itself, say); an unsafe image.
    """
    path = brand_dir / "brand.css"
    if not os.path.lexists(path):
        return None
    shown = str(path)
    real = confined_file(brand_dir, "brand.css", what="The stylesheet", error=InvalidBrand,
                         shown=shown, fix="Make brand.css a plain file in the brand folder.")
    data = read_confined(real, MAX_CSS_BYTES, error=InvalidBrand, shown=shown)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidBrand(Problem(shown, "brand.css is not UTF-8 text.", "Save it as UTF-8."))
    problems: list[Problem] = []
    base = path.as_uri()
    allowed = tuple(root.resolve() for root in roots)
    fix = ("Use only images (SVG, PNG, JPEG, GIF, WebP) in the brand folder, "
           "by a relative path, e.g. url(pattern.svg).")
    for url, token in _css_urls(tinycss2.parse_component_value_list(text, skip_comments=True)):
        where = dict(line=token.source_line, column=token.source_column)
        if url is None:  # @import or @font-face
            problems.append(Problem(
                shown, f"brand.css may not use @{token.lower_value}.",
                "Put all the brand's rules in brand.css itself; the fonts are the bundled "
                "ones (font_family in brand.yaml)." , **where))
            continue
        reason = _css_url_problem(urljoin(base, url.strip()), allowed)
        if reason is not None:
            problems.append(Problem(shown, f"brand.css asks for {url[:100]!r}: {reason}.", fix,
                                    **where))
    if problems:
        raise InvalidBrand(problems)
    return text


def _css_urls(tokens):
    """``(url, token)`` for every URL in a tinycss2 token list; ``(None, token)`` for
    ``@import`` and ``@font-face`` (a brand's own font could draw any glyph as blank)."""
    for token in tokens:
        if token.type == "url":
            yield token.value, token
        elif token.type == "at-keyword" and token.lower_value in ("import", "font-face"):
            yield None, token
        elif token.type == "function":
            if token.lower_name in ("url", "src"):
                for argument in token.arguments:
                    if argument.type == "string":
                        yield argument.value, argument
            yield from _css_urls(token.arguments)
        elif token.type in ("() block", "[] block", "{} block"):
            yield from _css_urls(token.content)


def _css_url_problem(url: str, roots: tuple[Path, ...]) -> str | None:
    parts = urlsplit(url)
    if parts.scheme != "file" or parts.netloc not in ("", "localhost"):
        return "make_handout never reads the network or data: addresses"
    path = Path(unquote(parts.path))
    real = path.resolve()
    if not any(real.is_relative_to(root) for root in roots):
        return "it is outside the brand folder"
    try:
        mode = os.stat(real).st_mode
    except OSError:
        return "the file does not exist"
    if not stat.S_ISREG(mode):
        return "it is not a regular file"
    if real.suffix.lower() not in IMAGE_SUFFIXES:
        return "it is not an image (SVG, PNG, JPEG, GIF or WebP)"
    reason = image_problem(real)
    return None if reason is None else f"the image {reason}"

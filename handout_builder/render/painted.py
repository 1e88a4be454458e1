"""Checks on what is actually painted: WeasyPrint's laid-out boxes, after every stylesheet.

A brand's ``brand.css`` (and its template parts) can do anything CSS can, so the checks that
matter for a patient run on the layout, not on ``brand.yaml``:

* :func:`laid_out_boxes` walks every page's box tree (margin boxes, and the fixed and
  absolutely positioned boxes, included); the large-print size check uses it too;
* :func:`contrast_problems`: every piece of painted text against the nearest painted
  background below it (its ancestors' backgrounds, the page, the paper), with the text's
  alpha and every ancestor's opacity applied; WCAG 2 AA: 4.5:1, or 3:1 for large text
  (18 pt, or 14 pt bold);
* :func:`safety_mark_problems`: the draft watermark is painted, visibly, on every page and
  its word is in every page's footer; the "not yet medically reviewed" notice is painted on
  the first page.

Pure functions of the laid-out document; only :mod:`handout_builder.render.pdf` calls them.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

#: WCAG 2 AA contrast for text, and for large text (18 pt, or 14 pt bold: in CSS pixels).
MIN_CONTRAST = 4.5
MIN_CONTRAST_LARGE = 3.0
LARGE_PX = 18 * 4 / 3
LARGE_BOLD_PX = 14 * 4 / 3
#: The watermark is pale on purpose, but never invisible: its painted colour must differ
#: from the background by at least this ratio (the standard one is 1.5:1), at this size.
MIN_WATERMARK_CONTRAST = 1.3
MIN_WATERMARK_PX = 24 * 4 / 3
#: Footer word and notice: at least this size.
MIN_MARK_PX = 8 * 4 / 3
WATERMARK_CLASS = "watermark"
NOTICE_CLASS = "unreviewed-banner"

RGB = tuple[float, float, float]


@dataclass(frozen=True)
class SafetyMarks:
    """What must be visible whatever the brand: the watermark word and the review notice."""

    watermark: str | None = None  # on every page, across it and in the footer
    notice: str | None = None  # "not yet medically reviewed", on the first page


@dataclass(frozen=True)
class Laid:
    page: int  # 1-based
    box: Any
    ancestors: tuple[Any, ...]  # page box first


def laid_out_boxes(document: Any) -> Iterator[Laid]:
    """Every laid-out box of every page, in tree order, with its ancestors."""
    for number, page in enumerate(document.pages, start=1):
        stack: list[tuple[Any, tuple[Any, ...]]] = [(page._page_box, ())]
        while stack:
            box, ancestors = stack.pop()
            yield Laid(number, box, ancestors)
            # getattr: an absolutely positioned or fixed box sits behind a placeholder that
            # forwards its attributes, children included
            children = getattr(box, "children", None) or ()
            stack.extend((child, (*ancestors, box)) for child in reversed(children))


def _is_text(box: Any) -> bool:
    from weasyprint.formatting_structure import boxes

    return isinstance(box, boxes.TextBox) and bool(box.text.strip())


def _classes(box: Any) -> set[str]:
    element = getattr(box, "element", None)
    if element is None or not hasattr(element, "get"):
        return set()
    return set((element.get("class") or "").split())


def _inside(laid: Laid, css_class: str) -> bool:
    return any(css_class in _classes(b) for b in (*laid.ancestors, laid.box))


def describe(laid: Laid) -> str:
    """The element a box belongs to, as ``<p class="category">`` (never its text)."""
    from weasyprint.formatting_structure import boxes

    if any(isinstance(b, boxes.MarginBox) for b in laid.ancestors):
        return "the running header or footer (@page margin boxes)"
    for box in (laid.box, *reversed(laid.ancestors)):
        tag = getattr(box, "element_tag", None)
        if tag:
            classes = " ".join(sorted(_classes(box)))
            return f'<{tag} class="{classes}">' if classes else f"<{tag}>"
    return "the page"


# --------------------------------------------------------------------------------------
# Colour
# --------------------------------------------------------------------------------------


def _rgba(color: Any) -> tuple[RGB, float]:
    srgb = color.to("srgb") if getattr(color, "space", "srgb") != "srgb" else color
    r, g, b = (min(max(float(c), 0.0), 1.0) for c in srgb.coordinates)
    alpha = float(srgb.alpha)
    return (r, g, b), alpha


def _over(top: RGB, alpha: float, below: RGB) -> RGB:
    return tuple(t * alpha + b * (1 - alpha) for t, b in zip(top, below))  # type: ignore


def _luminance(rgb: RGB) -> float:
    def channel(c: float) -> float:
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: RGB, b: RGB) -> float:
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def _hex(rgb: RGB) -> str:
    return "#" + "".join(f"{round(c * 255):02x}" for c in rgb)


class _Unmeasurable(Exception):
    pass


def painted_colours(laid: Laid, memo: dict[int, Any] | None = None) -> tuple[RGB, RGB]:
    """The text colour as painted (alpha and opacities applied) and the colour beneath it.

    The background is built up from white paper through the page's background, the root
    element's (painted over the whole page) and each ancestor's, each with the opacity of
    the boxes it belongs to. Raises ``_Unmeasurable`` over a background image. ``memo``
    (one per document) keeps what was found for each ancestor, as text boxes share them.
    """
    memo = {} if memo is None else memo
    chain = (*laid.ancestors, laid.box)
    below = _beneath(chain, len(chain) - 1, memo)
    if below is None:
        raise _Unmeasurable
    background, opacity = below
    opacity *= float(laid.box.style["opacity"])
    rgb, alpha = _rgba(laid.box.style["color"])
    return _over(rgb, alpha * opacity, background), background


def _beneath(chain: tuple[Any, ...], index: int, memo: dict[int, Any]) -> tuple[RGB, float] | None:
    """What is painted beneath ``chain[index]`` (colour), and its ancestors' opacity."""
    from weasyprint.formatting_structure import boxes

    if index == 0:  # the page: paper, the page's background, the root element's
        page = chain[0]
        key = id(page)
        if key not in memo:
            background: RGB | None = (1.0, 1.0, 1.0)
            root = next((c for c in page.children if not isinstance(c, boxes.MarginBox)), None)
            for box in (page, root):
                if box is None or background is None:
                    continue
                background = _layer(box, background, 1.0)
            memo[key] = None if background is None else (background, float(page.style["opacity"]))
        return memo[key]
    parent = chain[index - 1]
    key = id(parent)
    if key not in memo:
        below = _beneath(chain, index - 1, memo)
        if below is None:
            memo[key] = None
        else:
            background, opacity = below
            if index - 1 > 0:
                opacity *= float(parent.style["opacity"])
                if index - 1 == 1 and not isinstance(parent, boxes.MarginBox):
                    memo[key] = (background, opacity)  # the root: painted with the page
                else:
                    layered = _layer(parent, background, opacity)
                    memo[key] = None if layered is None else (layered, opacity)
            else:
                memo[key] = below
    return memo[key]


def _layer(box: Any, background: RGB, opacity: float) -> RGB | None:
    """``background`` with ``box``'s own background painted over it (None: an image)."""
    style = box.style
    if any(image[0] != "none" for image in style["background_image"]):
        return None
    rgb, alpha = _rgba(style["background_color"])
    return _over(rgb, alpha * opacity, background) if alpha > 0 else background


# --------------------------------------------------------------------------------------
# The checks
# --------------------------------------------------------------------------------------


def _visible(laid: Laid) -> bool:
    return laid.box.style["visibility"] == "visible" and float(laid.box.style["opacity"]) > 0


@dataclass(frozen=True)
class ColourRule:
    """A rule of the brand's stylesheet that sets a colour, a background or an opacity."""

    line: int
    selector: str
    matchers: tuple[Any, ...]  # cssselect2 compiled selectors


_COLOUR_PROPERTIES = {"color", "background", "background-color", "background-image", "opacity"}


def colour_rules(css: str) -> list[ColourRule]:
    """The rules of ``css`` that can change how text contrasts, with their line."""
    import cssselect2
    import tinycss2

    rules: list[ColourRule] = []
    for rule in tinycss2.parse_stylesheet(css, skip_comments=True, skip_whitespace=True):
        if rule.type != "qualified-rule":
            continue
        names = {d.lower_name for d in tinycss2.parse_blocks_contents(rule.content)
                 if d.type == "declaration"}
        if not names & _COLOUR_PROPERTIES:
            continue
        try:
            matchers = tuple(cssselect2.compile_selector_list(rule.prelude))
        except cssselect2.SelectorError:
            continue
        selector = " ".join(tinycss2.serialize(rule.prelude).split())
        rules.append(ColourRule(rule.source_line, selector, matchers))
    return rules


def _responsible(laid: Laid, rules: list[ColourRule], wrappers: dict[int, Any]) -> str:
    """`` (brand.css line N: selector)`` for the rule nearest the text that sets a colour."""
    for box in (laid.box, *reversed(laid.ancestors)):
        element = getattr(box, "element", None)
        wrapper = wrappers.get(id(element)) if element is not None else None
        if wrapper is None:
            continue
        matching = [r for r in rules
                    if any(m.pseudo_element is None and m.test(wrapper) for m in r.matchers)]
        if matching:
            rule = matching[-1]  # the last one in the file wins, for equal specificity
            return f" Set by brand.css line {rule.line}: {rule.selector}"
    return ""


def _wrappers(document: Any) -> dict[int, Any]:
    """cssselect2 wrappers of the document's elements, by ``id`` of the element."""
    import cssselect2
    from weasyprint.formatting_structure import boxes

    page = document.pages[0]._page_box
    root = next((c for c in page.children if not isinstance(c, boxes.MarginBox)), None)
    element = getattr(root, "element", None)
    if element is None:
        return {}
    return {id(w.etree_element): w
            for w in cssselect2.ElementWrapper.from_html_root(element).iter_subtree()}


def contrast_problems(document: Any, rules: list[ColourRule] | None = None) -> list[str]:
    """One sentence per element whose painted text is below the WCAG AA contrast.

    With the brand stylesheet's ``rules`` (:func:`colour_rules`), each names the rule that
    most likely set the colour.
    """
    from weasyprint.formatting_structure import boxes

    found: dict[str, str] = {}
    memo: dict[int, Any] = {}
    wrappers: dict[int, Any] | None = None
    for laid in laid_out_boxes(document):
        if not isinstance(laid.box, boxes.TextBox) or not laid.box.text.strip():
            continue
        if not _visible(laid) or _inside(laid, WATERMARK_CLASS):
            continue
        try:
            text, background = painted_colours(laid, memo)
        except _Unmeasurable:
            where = describe(laid)
            found.setdefault(where, f"Text in {where} sits on a background image, whose "
                             "contrast cannot be checked.")
            continue
        style = laid.box.style
        large = style["font_size"] >= LARGE_PX or (
            style["font_size"] >= LARGE_BOLD_PX and style["font_weight"] >= 700
        )
        needed = MIN_CONTRAST_LARGE if large else MIN_CONTRAST
        ratio = contrast(text, background)
        if ratio < needed - 1e-9:
            where = describe(laid)
            if where in found:
                continue
            if rules and wrappers is None:
                wrappers = _wrappers(document)
            rule = _responsible(laid, rules, wrappers) if rules and wrappers else ""
            found[where] = (
                f"Text in {where} is painted {_hex(text)} on {_hex(background)}: contrast "
                f"{ratio:.2f}:1, below {needed:g}:1 (WCAG AA{', large text' if large else ''})."
                + (f"{rule}." if rule else "")
            )
    return list(found.values())


def safety_mark_problems(document: Any, marks: SafetyMarks) -> list[str]:
    """What keeps a safety mark from being seen, one sentence each (empty: all is well)."""
    problems: list[str] = []
    pages = len(document.pages)
    if marks.watermark:
        word = "".join(marks.watermark.split())
        across: dict[int, str] = {}
        footer: dict[int, str] = {}
        for laid in laid_out_boxes(document):
            if _is_text(laid.box) and _visible(laid):
                if _inside(laid, WATERMARK_CLASS):
                    if _watermark_visible(laid, document):
                        across[laid.page] = across.get(laid.page, "") + laid.box.text
                elif _in_margin(laid) and laid.box.style["font_size"] >= MIN_MARK_PX:
                    footer[laid.page] = footer.get(laid.page, "") + laid.box.text
            elif laid.box is not None and _covers(laid):
                problems.append(
                    f"{describe(laid)} is positioned with a background, so it could be "
                    f"painted over the {marks.watermark} watermark."
                )
        missing = [n for n in range(1, pages + 1) if word not in "".join(across.get(n, "").split())]
        if missing:
            problems.append(
                f"The {marks.watermark} watermark is not painted visibly across page(s) "
                f"{_pages(missing)} (hidden, transparent, too small, moved or transformed)."
            )
        missing = [n for n in range(1, pages + 1) if word not in "".join(footer.get(n, "").split())]
        if missing:
            problems.append(
                f"The word {marks.watermark} is missing from the running footer of page(s) "
                f"{_pages(missing)}."
            )
    if marks.notice:
        shown = "".join(
            laid.box.text for laid in laid_out_boxes(document)
            if laid.page == 1 and _is_text(laid.box) and _visible(laid)
            and _inside(laid, NOTICE_CLASS) and laid.box.style["font_size"] >= MIN_MARK_PX
            and _on_page(laid, document)
        )
        if "".join(marks.notice.split()) not in "".join(shown.split()):
            problems.append(
                "The \"not yet medically reviewed\" notice is not painted visibly on the "
                "first page."
            )
    return list(dict.fromkeys(problems))


def _pages(numbers: list[int]) -> str:
    return ", ".join(str(n) for n in numbers[:10]) + (" ..." if len(numbers) > 10 else "")


def _in_margin(laid: Laid) -> bool:
    from weasyprint.formatting_structure import boxes

    return any(isinstance(b, boxes.MarginBox) for b in laid.ancestors)


def _on_page(laid: Laid, document: Any) -> bool:
    """The centre of the text box is on the page (before any transform)."""
    page = laid.ancestors[0]
    box = laid.box
    x = box.position_x + box.width / 2
    y = box.position_y + box.height / 2
    return 0 <= x <= page.margin_width() and 0 <= y <= page.margin_height()


def _watermark_visible(laid: Laid, document: Any) -> bool:
    style = laid.box.style
    text = laid.box.text.strip()
    if style["font_size"] < MIN_WATERMARK_PX or laid.box.width < 0.3 * style["font_size"] * len(text):
        return False  # too small, or squeezed (letter-spacing)
    if not _on_page(laid, document):
        return False
    mark = next(b for b in (*laid.ancestors, laid.box) if WATERMARK_CLASS in _classes(b))
    for box in laid.ancestors:
        if box is mark:
            # only a rotation, as the project's stylesheet gives it
            if any(name != "rotate" for name, *_ in box.style["transform"]) or box.style["clip"]:
                return False
        elif box.style["transform"] or box.style["overflow"] != "visible" or box.style["clip"]:
            return False
    try:
        text, background = painted_colours(laid)
    except _Unmeasurable:
        return False
    return contrast(text, background) >= MIN_WATERMARK_CONTRAST


def _covers(laid: Laid) -> bool:
    """A positioned box (not the watermark) that paints a background could hide the mark."""
    style = laid.box.style
    if style["position"] in ("static", None) or _inside(laid, WATERMARK_CLASS):
        return False
    _, alpha = _rgba(style["background_color"])
    return alpha > 0 or any(image[0] != "none" for image in style["background_image"])

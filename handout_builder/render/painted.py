"""Checks on what is actually painted: WeasyPrint's laid-out boxes, after every stylesheet.

A brand's ``brand.css`` (and its template parts) can do anything CSS can, so the checks that
matter for a patient run on the layout, not on ``brand.yaml``:

* :func:`walk` walks every page's box tree once (margin boxes, and the fixed and
  absolutely positioned boxes, included), carrying down what each box's ancestors make of
  it; every check below, and the large-print size check, reads that one walk;
* :func:`contrast_problems`: every piece of painted text against the nearest painted
  background below it (its ancestors' backgrounds, the page, the paper), with the text's
  alpha and every ancestor's opacity applied; WCAG 2 AA: 4.5:1, or 3:1 for large text
  (18 pt, or 14 pt bold); each pair of painted colours is worked out once per document;
* :func:`safety_mark_problems`: the draft watermark is painted, visibly, on every page and
  its word is in every page's footer; the "not yet medically reviewed" notice is painted on
  the first page.

Pure functions of the laid-out document; only :mod:`handout_builder.render.pdf` calls them.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import repeat
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


class Node:
    """One laid-out box met by :func:`walk`, with what its ancestors make of it.

    What every check asks of a box's ancestors is carried down the walk instead of being
    looked up in them box by box: whether it is inside the watermark, the review notice or a
    page margin box, and (worked out on demand, once per box: :meth:`beneath`) the colour
    painted beneath its content and the opacity its ancestors give it.
    """

    __slots__ = ("page", "box", "parent", "watermark", "notice", "margin", "text", "_beneath")

    def __init__(self, page: int, box: Any, parent: Node | None, watermark: bool,
                 notice: bool, margin: bool):
        self.page = page
        self.box = box
        self.parent = parent
        self.watermark = watermark  # this box or an ancestor has the watermark's class
        self.notice = notice  # ... the review notice's class
        self.margin = margin  # an ancestor is a page margin box
        self.text = False  # a text box that holds more than white space
        self._beneath: Any = _UNKNOWN

    @property
    def ancestors(self) -> tuple[Any, ...]:
        """Its ancestors' boxes, the page box first."""
        boxes_up = []
        node = self.parent
        while node is not None:
            boxes_up.append(node.box)
            node = node.parent
        return tuple(reversed(boxes_up))

    def laid(self) -> Laid:
        return Laid(self.page, self.box, self.ancestors)

    def beneath(self) -> tuple[RGB, float] | None:
        """What is painted beneath this box's content (the colour) and the opacity this box
        and its ancestors give it; None over a background image.

        The background is built up from white paper through the page's background, the root
        element's (painted over the whole page) and each box's own, each with the opacity
        of the boxes it belongs to.
        """
        if self._beneath is _UNKNOWN:
            self._beneath = self._work_out_beneath()
        return self._beneath

    def _work_out_beneath(self) -> tuple[RGB, float] | None:
        box = self.box
        parent = self.parent
        if parent is None:  # the page: paper, the page's background, the root element's
            from weasyprint.formatting_structure import boxes

            background: RGB | None = (1.0, 1.0, 1.0)
            root = next((c for c in box.children if not isinstance(c, boxes.MarginBox)), None)
            for layer in (box, root):
                if layer is None or background is None:
                    continue
                background = _layer(layer, background, 1.0)
            return None if background is None else (background, float(box.style["opacity"]))
        below = parent.beneath()
        if below is None:
            return None
        background, opacity = below
        opacity *= float(box.style["opacity"])
        if parent.parent is None:
            from weasyprint.formatting_structure import boxes

            if not isinstance(box, boxes.MarginBox):
                return (background, opacity)  # the root: painted with the page
        layered = _layer(box, background, opacity)
        return None if layered is None else (layered, opacity)


_UNKNOWN = object()


@dataclass(frozen=True)
class Walked:
    """Every laid-out box of a document, once (:func:`walk`)."""

    pages: tuple[Any, ...]  # the page boxes
    nodes: tuple[Node, ...]  # every box of every page, in tree order
    texts: tuple[Node, ...]  # the text boxes that hold more than white space, in tree order


def walk(document: Any) -> Walked:
    """Walk every page's box tree once (margin boxes, and the fixed and absolutely positioned
    boxes, included), for every check of this module and the large-print size check."""
    from weasyprint.formatting_structure import boxes

    text_box = boxes.TextBox
    margin_box = boxes.MarginBox
    nodes: list[Node] = []
    texts: list[Node] = []
    pages = []
    for number, page in enumerate(document.pages, start=1):
        page_box = page._page_box
        pages.append(page_box)
        stack: list[tuple[Any, Node | None]] = [(page_box, None)]
        while stack:
            box, parent = stack.pop()
            if parent is None:
                watermark = notice = margin = False
            else:
                watermark, notice = parent.watermark, parent.notice
                margin = parent.margin or isinstance(parent.box, margin_box)
            element = getattr(box, "element", None)
            if element is not None and hasattr(element, "get"):
                classes = element.get("class")
                if classes:
                    names = classes.split()
                    watermark = watermark or WATERMARK_CLASS in names
                    notice = notice or NOTICE_CLASS in names
            node = Node(number, box, parent, watermark, notice, margin)
            nodes.append(node)
            if isinstance(box, text_box) and box.text.strip():
                node.text = True
                texts.append(node)
            # getattr: an absolutely positioned or fixed box sits behind a placeholder that
            # forwards its attributes, children included
            children = getattr(box, "children", None)
            if children:
                stack.extend(zip(reversed(children), repeat(node)))
    return Walked(tuple(pages), tuple(nodes), tuple(texts))


def _classes(box: Any) -> set[str]:
    element = getattr(box, "element", None)
    if element is None or not hasattr(element, "get"):
        return set()
    return set((element.get("class") or "").split())


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


#: CSS Color 4's conversion matrices (https://www.w3.org/TR/css-color-4/#color-conversion-code):
#: Bradford adaptation from the D50 white to D65, and XYZ (D65) to linear-light sRGB.
_D50_TO_D65 = ((0.955473421488075, -0.02309845494876471, 0.06325924320057072),
               (-0.0283697093338637, 1.0099953980813041, 0.021041441191917323),
               (0.012314014864481998, -0.020507649298898964, 1.330365926242124))
_XYZ_D65_TO_LINEAR_SRGB = ((3.2409699419045226, -1.537383177570094, -0.4986107602930034),
                           (-0.9692436362808796, 1.8759675015077202, 0.04155505740717559),
                           (0.05563007969699366, -0.20397695888897652, 1.0569715142428786))
#: Spaces WeasyPrint paints in a PDF Lab colour space, by the white of the XYZ it goes through.
_LAB_D50 = ("lab", "lch", "xyz-d50")
_LAB_D65 = ("oklab", "oklch", "xyz-d65")


def _times(matrix: tuple[tuple[float, ...], ...], vector: Any) -> tuple[float, ...]:
    return tuple(sum(m * v for m, v in zip(row, vector)) for row in matrix)


def _gamma(linear: float) -> float:
    """sRGB's transfer function (linear light to the encoded channel)."""
    if abs(linear) <= 0.0031308:
        return 12.92 * linear
    return (1 if linear > 0 else -1) * (1.055 * abs(linear) ** (1 / 2.4) - 0.055)


def _rgba(color: Any) -> tuple[RGB, float]:
    """A painted colour as sRGB channels (0 to 1, clipped to the gamut) and its alpha, as
    WeasyPrint paints it (``pdf/stream.py``, ``set_color``): sRGB, hsl() and hwb() in sRGB;
    lab(), lch(), oklab(), oklch() and XYZ in a PDF Lab space, which a viewer shows as the
    same colour in sRGB (CSS Color 4's conversion); device-cmyk() by CSS Color 5's naive
    conversion; other predefined spaces (display-p3, rec2020...) painted as if their
    channels were sRGB's (WeasyPrint warns). Raises
    ``_Unmeasurable`` for a colour drawn through an ICC profile (``@color-profile``)."""
    space = getattr(color, "space", "srgb")
    if space == "srgb":
        channels = color.coordinates
    elif space in ("hsl", "hwb"):
        channels = color.to("srgb").coordinates
    elif space in _LAB_D50 or space in _LAB_D65:
        if space in _LAB_D50:
            xyz = _times(_D50_TO_D65, color.to("xyz-d50").coordinates)
        else:
            xyz = color.to("xyz-d65").coordinates
        channels = tuple(_gamma(c) for c in _times(_XYZ_D65_TO_LINEAR_SRGB, xyz))
    elif space == "device-cmyk":  # CSS Color 5's naive conversion, as browsers show it
        c, m, y, k = (float(v or 0) for v in color.coordinates)
        channels = tuple(1 - min(1.0, v * (1 - k) + k) for v in (c, m, y))
    elif space.startswith("--"):
        raise _Unmeasurable(space)
    else:
        channels = tuple(c or 0 for c in color.coordinates[:3])
        channels = (*channels, 0.0, 0.0)[:3]
    r, g, b = (min(max(float(c or 0), 0.0), 1.0) for c in channels)
    return (r, g, b), float(color.alpha)


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


def painted_colours(node: Node) -> tuple[RGB, RGB]:
    """The text colour of a text box as painted (its alpha, its own opacity and its
    ancestors' applied) and the colour beneath it (:meth:`Node.beneath`). Raises
    ``_Unmeasurable`` over a background image."""
    assert node.parent is not None  # a text box is never a page
    below = node.parent.beneath()
    if below is None:
        raise _Unmeasurable
    background, opacity = below
    style = node.box.style
    opacity *= float(style["opacity"])
    rgb, alpha = _rgba(style["color"])
    return _over(rgb, alpha * opacity, background), background


def _layer(box: Any, background: RGB, opacity: float) -> RGB | None:
    """``background`` with ``box``'s own background painted over it (None: an image, or a
    colour drawn through an ICC profile)."""
    style = box.style
    if any(image[0] != "none" for image in style["background_image"]):
        return None
    colour = style["background_color"]
    if getattr(colour, "alpha", None) == 0:
        return background  # transparent, as most boxes are
    try:
        rgb, alpha = _rgba(colour)
    except _Unmeasurable:
        return None
    return _over(rgb, alpha * opacity, background) if alpha > 0 else background


# --------------------------------------------------------------------------------------
# The checks
# --------------------------------------------------------------------------------------


def _visible(box: Any) -> bool:
    return box.style["visibility"] == "visible" and float(box.style["opacity"]) > 0


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


def contrast_problems(document: Any, rules: list[ColourRule] | None = None,
                      walked: Walked | None = None) -> list[str]:
    """One sentence per element whose painted text is below the WCAG AA contrast.

    With the brand stylesheet's ``rules`` (:func:`colour_rules`), each names the rule that
    most likely set the colour. ``walked``: the document's :func:`walk`, if already made.
    """
    walked = walk(document) if walked is None else walked
    found: dict[str, str] = {}
    wrappers: dict[int, Any] | None = None
    # a leaflet paints a few colours over a few backgrounds: each pair is worked out once
    # (the key is everything the painted colours and their ratio depend on)
    colours: dict[int, tuple[Any, tuple[RGB, float]]] = {}  # id(colour): (colour, its rgba)
    ratios: dict[tuple[RGB, float, RGB], tuple[RGB, float]] = {}
    for node in walked.texts:
        box = node.box
        style = box.style
        if node.watermark or not _visible(box):
            continue
        below = node.parent.beneath()  # type: ignore[union-attr]  (a text box has a parent)
        if below is None:
            where = describe(node.laid())
            found.setdefault(where, f"Text in {where} sits on a background image (or a colour "
                             "drawn through an ICC profile), whose contrast cannot be checked.")
            continue
        background, opacity = below
        colour = style["color"]
        known = colours.get(id(colour))
        if known is None:
            try:
                known = colours[id(colour)] = (colour, _rgba(colour))
            except _Unmeasurable as profile:
                where = describe(node.laid())
                found.setdefault(where, f"Text in {where} is painted through the colour profile "
                                 f"{profile}, whose contrast cannot be checked: give it an sRGB "
                                 "colour (#rrggbb, rgb(), hsl()) or a Lab one (lab(), oklch()).")
                continue
        rgb, alpha = known[1]
        key = (rgb, alpha * (opacity * float(style["opacity"])), background)
        worked_out = ratios.get(key)
        if worked_out is None:
            text = _over(rgb, key[1], background)
            worked_out = ratios[key] = (text, contrast(text, background))
        text, ratio = worked_out
        size = style["font_size"]
        large = size >= LARGE_PX or (size >= LARGE_BOLD_PX and style["font_weight"] >= 700)
        needed = MIN_CONTRAST_LARGE if large else MIN_CONTRAST
        if ratio < needed - 1e-9:
            laid = node.laid()
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


def safety_mark_problems(document: Any, marks: SafetyMarks,
                         walked: Walked | None = None) -> list[str]:
    """What keeps a safety mark from being seen, one sentence each (empty: all is well).
    ``walked``: the document's :func:`walk`, if already made."""
    problems: list[str] = []
    if not marks.watermark and not marks.notice:
        return problems
    walked = walk(document) if walked is None else walked
    pages = len(walked.pages)
    if marks.watermark:
        word = "".join(marks.watermark.split())
        across: dict[int, str] = {}
        footer: dict[int, str] = {}
        for node in walked.nodes:
            box = node.box
            if node.text and _visible(box):
                if node.watermark:
                    if _watermark_visible(node):
                        across[node.page] = across.get(node.page, "") + box.text
                elif node.margin and box.style["font_size"] >= MIN_MARK_PX:
                    footer[node.page] = footer.get(node.page, "") + box.text
            elif box is not None and _covers(node):
                problems.append(
                    f"{describe(node.laid())} is positioned with a background, so it could be "
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
            node.box.text for node in walked.texts
            if node.page == 1 and _visible(node.box) and node.notice
            and node.box.style["font_size"] >= MIN_MARK_PX and _on_page(node)
        )
        if "".join(marks.notice.split()) not in "".join(shown.split()):
            problems.append(
                "The \"not yet medically reviewed\" notice is not painted visibly on the "
                "first page."
            )
    return list(dict.fromkeys(problems))


def _pages(numbers: list[int]) -> str:
    return ", ".join(str(n) for n in numbers[:10]) + (" ..." if len(numbers) > 10 else "")


def _on_page(node: Node) -> bool:
    """The centre of the text box is on the page (before any transform)."""
    page = node
    while page.parent is not None:
        page = page.parent
    box = node.box
    x = box.position_x + box.width / 2
    y = box.position_y + box.height / 2
    return 0 <= x <= page.box.margin_width() and 0 <= y <= page.box.margin_height()


def _watermark_visible(node: Node) -> bool:
    box = node.box
    style = box.style
    text = box.text.strip()
    if style["font_size"] < MIN_WATERMARK_PX or box.width < 0.3 * style["font_size"] * len(text):
        return False  # too small, or squeezed (letter-spacing)
    if not _on_page(node):
        return False
    ancestors = node.ancestors
    mark = next(b for b in (*ancestors, box) if WATERMARK_CLASS in _classes(b))
    for each in ancestors:
        if each is mark:
            # only a rotation, as the project's stylesheet gives it
            if any(name != "rotate" for name, *_ in each.style["transform"]) or each.style["clip"]:
                return False
        elif each.style["transform"] or each.style["overflow"] != "visible" or each.style["clip"]:
            return False
    try:
        text_colour, background = painted_colours(node)
    except _Unmeasurable:
        return False
    return contrast(text_colour, background) >= MIN_WATERMARK_CONTRAST


def _covers(node: Node) -> bool:
    """A positioned box (not the watermark) that paints a background could hide the mark."""
    style = node.box.style
    if style["position"] in ("static", None) or node.watermark:
        return False
    alpha = float(style["background_color"].alpha)
    return alpha > 0 or any(image[0] != "none" for image in style["background_image"])

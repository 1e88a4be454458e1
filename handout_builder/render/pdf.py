"""PDF writing: the only module that talks to WeasyPrint.

A :class:`Renderer` is built once per brand and reused for every document (one
``FontConfiguration`` shared by every stylesheet and by ``write_pdf``, stylesheets parsed
once), so a batch stays fast and its memory flat. Rendering is strict and sandboxed:

* fonts come only from the bundled ``assets/styles/fonts/`` (Fontconfig is pointed at our
  own ``fonts.conf`` before WeasyPrint loads, so the machine's installed fonts are never
  consulted);
* the URL fetcher reads only files inside the package's assets (:mod:`handout_builder.paths`)
  and the brand folder: no network, nothing else on disk; any other request stops the render;
* what a brand supplies is checked before WeasyPrint reads it (:mod:`.brand_files`: the
  logo, ``brand.css`` and the images it names), and what it paints is checked after layout
  (:mod:`.painted`: contrast of all text, the safety marks on every page), with
  ``assets/styles/safety.css`` always the last stylesheet;
* any warning or error that WeasyPrint logs fails the render instead of leaving a silently
  broken leaflet.

:class:`~handout_builder.domain.options.RenderOptions` choose the variant: large print (one more
stylesheet, ``assets/styles/large-print.css``), archival (PDF/A-3u, still tagged, with the topic's
YAML embedded as its source) and the size budget (images are reduced step by step before the
render gives up). :mod:`handout_builder.render.finish` completes the tagging WeasyPrint leaves
unfinished (running header and footer as artifacts, printable links, PDF/A details).
"""

from __future__ import annotations

import logging
import mimetypes
import os
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timezone
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from handout_builder.sources.brand_files import IMAGE_FIX, IMAGE_SUFFIXES, brand_css, check_logo, image_problem
from handout_builder.domain.problems import InvalidBrand, Problem, RenderRefused
from handout_builder.sources.loader import LoadedBrand
from handout_builder.domain.options import RenderOptions, format_size
from handout_builder.render.painted import SafetyMarks, colour_rules
from handout_builder.paths import ASSETS_DIR, FONTS_DIR, STYLES_DIR

BASE_STYLESHEET = STYLES_DIR / "leaflet.css"
LARGE_PRINT_STYLESHEET = STYLES_DIR / "large-print.css"
#: Applied after every other stylesheet: the safety marks (watermark, review notice).
SAFETY_STYLESHEET = STYLES_DIR / "safety.css"
PAPER_SIZES = {"letter": "letter", "a4": "A4"}
PDF_VARIANT = "pdf/ua-1"
#: Large print: no piece of text may be smaller than this (a brand.css could make it so).
LARGE_PRINT_MIN_PT = 18
#: Archival copies: PDF/A-3u (Unicode text, associated files allowed), tagged as PDF/UA-1 too.
ARCHIVAL_VARIANT = "pdf/a-3u"
#: What is tried, in order, while a PDF is over its size budget: WeasyPrint's image options
#: (largest resolution kept, JPEG quality). The first step is the untouched leaflet.
IMAGE_REDUCTIONS: tuple[dict[str, Any], ...] = (
    {},
    {"dpi": 300, "jpeg_quality": 85},
    {"dpi": 150, "jpeg_quality": 75},
    {"dpi": 96, "jpeg_quality": 60},
)
#: MIME type of the embedded topic source (RFC 9512), given by its own URL fetcher.
SOURCE_MIME_TYPE = "application/yaml"
#: The URL under which the embedded source is handed to WeasyPrint (served from memory).
_SOURCE_URL = "make-handout:topic-source"
#: WeasyPrint would date the embedded source with the current time when given no date; a
#: topic without a review date gets this placeholder, which pdf_finish removes.
_NO_DATE = datetime(2000, 1, 1, tzinfo=timezone.utc)
#: The language of the blank page behind a leaflet with an odd number of pages (it has no text).
BLANK_LANGUAGE = "und"


@contextmanager
def _libraries_by_soname() -> Iterator[None]:
    """While WeasyPrint loads Pango, HarfBuzz and Fontconfig, try only the names the
    dynamic loader knows (the sonames, such as ``libpango-1.0.so.0``), without searching.

    WeasyPrint tries several names per library, Windows' and macOS' first. For each name the
    loader does not know, cffi asks :func:`ctypes.util.find_library`, which on Linux starts
    ``ldconfig``, ``gcc`` and ``ld``: about 200 processes and 0.4 to 0.8 s for every process
    that imports WeasyPrint (each ``render``, build worker and desk worker; WeasyPrint issue
    #1125). The soname in WeasyPrint's list is then loaded directly, exactly as before.
    WeasyPrint prints a notice when no name loads; it is held back here, and the caller then
    imports WeasyPrint again with the search (and its notice) as usual.
    """
    import ctypes.util
    import io
    from contextlib import redirect_stdout

    search = ctypes.util.find_library
    ctypes.util.find_library = lambda name: None
    try:
        with redirect_stdout(io.StringIO()):
            yield
    finally:
        ctypes.util.find_library = search


@cache
def _weasyprint() -> Any:
    """Import WeasyPrint (heavy) on first use, after pinning Fontconfig to our fonts.

    Refuses WeasyPrint and pydyf versions that the PDF finisher was not written for
    (:func:`handout_builder.render.finish.check_versions`).
    """
    from handout_builder.render.finish import check_versions, record_languages

    check_versions()
    os.environ["FONTCONFIG_FILE"] = str(FONTS_DIR / "fonts.conf")
    try:
        with _libraries_by_soname():
            import weasyprint
    except OSError:  # a system whose libraries only a search finds: WeasyPrint's own way
        import weasyprint
    from weasyprint.pdf import tags

    record_languages(tags)  # each other-language element's own /Lang (finish.py says how)
    return weasyprint


def import_weasyprint() -> None:
    """Import WeasyPrint now, as rendering would (for a process that forks the workers)."""
    _weasyprint()


@dataclass(frozen=True)
class RenderedPdf:
    data: bytes
    pages: int
    #: The pages of each leaflet, in order (a packet has several; blank backs not counted).
    leaflet_pages: tuple[int, ...] = ()


@dataclass(frozen=True)
class SourceFile:
    """The topic file a leaflet is made from; archival copies embed it."""

    name: str
    data: bytes
    #: The date its content was last approved (the medical review), if any.
    reviewed: date | None = None


@dataclass(frozen=True)
class LeafletPart:
    """One leaflet's HTML, and what goes with it, for :meth:`Renderer.render_packet`."""

    html: str
    #: Used in error messages.
    source_name: str
    #: Embedded in archival copies.
    source: SourceFile | None = None
    #: Must be visible on its pages as painted.
    marks: SafetyMarks = SafetyMarks()
    #: Files outside the brand and assets that it may show: its figures (checked, real paths).
    files: tuple[Path, ...] = ()


class _Refused(Exception):
    """Raised by the fetcher for a URL outside the allowed folders."""


@cache
def _fetcher_class() -> type:
    urls = _weasyprint().urls

    class ProjectFetcher(urls.URLFetcher):
        """Serves ``file:`` URLs under the allowed roots; refuses everything else."""

        def __init__(self, roots: tuple[Path, ...]):
            super().__init__(fail_on_errors=True)
            self.roots = tuple(root.resolve() for root in roots)
            self.refused: list[str] = []
            self.unsafe: dict[str, str] = {}  # images refused by brand_files.image_problem
            self.files: frozenset[Path] = frozenset()  # the figures of the leaflet laid out

        def fetch(self, url: str, headers: Any = None) -> Any:
            parts = urlsplit(url)
            if parts.scheme != "file" or parts.netloc not in ("", "localhost"):
                self.refused.append(url)
                raise _Refused(url)
            path = Path(unquote(parts.path)).resolve()
            allowed = path in self.files or any(path.is_relative_to(root) for root in self.roots)
            if not allowed or not path.is_file():
                self.refused.append(url)
                raise _Refused(url)
            if path.suffix.lower() in IMAGE_SUFFIXES:  # whoever asks (a template part, say)
                reason = image_problem(path)
                if reason is not None:
                    self.unsafe[url] = reason
                    raise _Refused(url)
            content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            return urls.URLFetcherResponse(
                path.as_uri(), body=path.read_bytes(), headers={"Content-Type": content_type}
            )

    return ProjectFetcher


@cache
def _source_fetcher_class() -> type:
    urls = _weasyprint().urls

    class SourceFetcher(urls.URLFetcher):
        """Serves the topic source, from memory, at one URL, with its MIME type."""

        def __init__(self, data: bytes):
            super().__init__(fail_on_errors=True)
            self.data = data

        def fetch(self, url: str, headers: Any = None) -> Any:
            if url != _SOURCE_URL:
                raise _Refused(url)
            return urls.URLFetcherResponse(
                url, body=self.data, headers={"Content-Type": SOURCE_MIME_TYPE}
            )

    return SourceFetcher


def _source_attachment(source: SourceFile) -> Any:
    """The topic source as an associated file, through WeasyPrint's public API: name,
    description, relationship, MIME type (from its fetcher) and, as both its dates, the date
    of its medical review (never the time of the render: same input, same bytes)."""
    reviewed = source.reviewed
    dated = (
        datetime(reviewed.year, reviewed.month, reviewed.day, tzinfo=timezone.utc)
        if reviewed is not None else _NO_DATE
    )
    return _weasyprint().Attachment(
        url=_SOURCE_URL,
        url_fetcher=_source_fetcher_class()(source.data),
        name=source.name,
        description="The topic file (YAML) this leaflet was made from",
        relationship="Source",
        created=dated,
        modified=dated,
    )


class _LogCapture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@contextmanager
def strict_weasyprint_logs() -> Iterator[_LogCapture]:
    """Collect what WeasyPrint logs at WARNING or above while the block runs."""
    logger = logging.getLogger("weasyprint")
    capture = _LogCapture()
    logger.addHandler(capture)
    try:
        yield capture
    finally:
        logger.removeHandler(capture)


def brand_stylesheet(brand: LoadedBrand) -> str:
    """The CSS generated from ``brand.yaml``: colours and paper size (values are validated)."""
    b = brand.brand
    return (
        f":root {{ --primary: {b.colours.primary}; --accent: {b.colours.accent}; "
        f"--text: {b.colours.text}; }}\n"
        f"@page {{ size: {PAPER_SIZES[b.paper]}; }}\n"
    )


def _selector(box: Any, inside: str) -> str:
    """A CSS selector for ``box``'s element: ``.key-points p``, ``span.write-in-value``."""
    tag = str(box.element_tag or "")
    if tag.startswith("@") or tag.startswith("::"):
        return tag  # a page margin box, or generated content
    element = box.element
    classes = str(element.get("class") or "").split() if element is not None else []
    if classes:
        return tag + "".join(f".{name}" for name in classes)
    return f"{inside} {tag}".strip()


def _reason(message: str) -> str:
    """A WeasyPrint log line, completed when it ends without its reason (``...: ``)."""
    if message.rstrip().endswith(":"):
        return (message.rstrip() + " it could not be read (too large, damaged or not the "
                "format its name says).")
    return message


def _text_smaller_than(document: Any, points: float, walked: Any = None) -> list[str]:
    """Where text (margin boxes included) is laid out under ``points``: the element, as a CSS
    selector, and its size; never the text itself, which may be a patient's details.
    ``walked``: the document's :func:`~handout_builder.render.painted.walk`, if already made."""
    from handout_builder.render.painted import walk

    limit = points * 4 / 3 - 0.01  # CSS pixels
    found: list[str] = []
    for node in (walk(document) if walked is None else walked).texts:
        box = node.box
        if box.style["font_size"] < limit:
            # the selector of the nearest element with a class (or the page margin box)
            inside = ""
            for ancestor in node.ancestors:
                tag = str(getattr(ancestor, "element_tag", "") or "")
                element = getattr(ancestor, "element", None)
                if (element is not None and hasattr(element, "get") and element.get("class")) \
                        or tag.startswith("@"):
                    inside = _selector(ancestor, inside)
            size = box.style["font_size"] * 3 / 4
            found.append(f"{_selector(box, inside) or 'the page'} ({size:.1f} pt)")
    return found


#: WeasyPrint's message for a character no bundled font has (one per character and place).
_NOTDEF = ".notdef glyph rendered"


def _layout_problems(source_name: str, messages: list[str]) -> list[Problem]:
    """WeasyPrint's warnings as problems; missing glyphs become one problem, not one a character.

    Topic text is checked against the font when it is loaded (``text_rules``, located at the
    character), so what reaches this point is text from elsewhere: the brand, a template, or
    a personal copy's details. The characters are not quoted: they may be a patient's name.
    """
    notdef = [m for m in messages if _NOTDEF in m]
    problems = [Problem(source_name, f"Layout problem reported by WeasyPrint: {m}")
                for m in messages if _NOTDEF not in m]
    if notdef:
        problems.append(Problem(
            source_name,
            f"Some text from outside the topic file ({len(notdef)} place(s)) uses characters "
            "no bundled font has; they would print as empty "
            "boxes.",
            "Check the brand's brand.yaml texts and templates, and the personal details given "
            "on the command line, for letters outside the Latin script.",
        ))
    return problems or [Problem(source_name, "Layout problem reported by WeasyPrint: "
                                "rendering stopped")]


class Renderer:
    """Everything expensive, built once for a brand and a set of stylesheet variants."""

    def __init__(
        self,
        brand: LoadedBrand,
        variants: tuple[Path, ...] = (),
        options: RenderOptions = RenderOptions(),
    ):
        wp = _weasyprint()
        from weasyprint.text.fonts import FontConfiguration

        self.brand = brand
        self.options = options
        if options.large_print:
            variants = (*variants, LARGE_PRINT_STYLESHEET)
        self.font_config = FontConfiguration()
        self.image_cache: dict[str, dict] = {}  # the logo is read and parsed once per step
        roots = (ASSETS_DIR, brand.dir)
        self.fetcher = _fetcher_class()(roots)
        # what the brand supplies is checked before WeasyPrint reads it (located errors)
        check_logo(brand.dir, brand.brand.logo)
        own_css = brand_css(brand.dir, roots)
        sources: list[dict[str, Any]] = [
            {"filename": str(BASE_STYLESHEET)},
            {"string": brand_stylesheet(brand), "base_url": str(STYLES_DIR) + "/"},
        ]
        if own_css is not None:
            sources.append({"string": own_css, "base_url": str(brand.dir / "brand.css")})
        sources += [{"filename": str(path)} for path in (*variants, SAFETY_STYLESHEET)]
        #: The brand stylesheet's colour rules, named in contrast problems.
        self.colour_rules = colour_rules(own_css) if own_css is not None else []
        #: Where problems of what the brand paints are reported: its stylesheet, if any.
        self.brand_source = str(brand.dir / ("brand.css" if own_css is not None else "brand.yaml"))
        with strict_weasyprint_logs() as logs:
            try:
                self.stylesheets = [
                    wp.CSS(**source, font_config=self.font_config, url_fetcher=self.fetcher)
                    for source in sources
                ]
            except wp.urls.FatalURLFetchingError:  # a BaseException: never let it escape
                raise InvalidBrand([
                    Problem(str(brand.dir / "brand.css"), f"The stylesheets asked for {url}, "
                            "which make_handout does not read.",
                            "Use only images in the brand folder (the fonts are the bundled ones).")
                    for url in dict.fromkeys(self.fetcher.refused) or ["a file"]
                ]) from None
        if logs.messages:
            raise RenderRefused(
                [Problem(str(brand.dir), f"Stylesheet problem: {m}") for m in logs.messages]
            )

    def close(self) -> None:
        """Remove the copies of the bundled fonts that WeasyPrint's font configuration wrote
        to a temporary folder (``weasyprint-*``) for this renderer's stylesheets.

        WeasyPrint removes that folder when the configuration is garbage-collected, which
        never happens in a process that ends with ``os._exit``, as the build's workers do
        (forked from the fork server): each worker left a folder of fonts behind, about
        250 KB, for every worker of every build. Call this when the renderer is done; it
        cannot render afterwards.
        """
        self.font_config.__del__()  # WeasyPrint's own clean-up (it is safe to run twice)

    def render(
        self,
        html: str,
        source_name: str,
        source: SourceFile | None = None,
        marks: SafetyMarks = SafetyMarks(),
    ) -> RenderedPdf:
        """Lay out ``html`` and return the PDF, within the size budget.

        ``source_name`` is used in error messages; ``source`` is embedded in archival copies;
        ``marks`` must be visible on the pages as painted (else the brand is refused), and all
        text must reach the WCAG AA contrast.
        While the PDF is over budget, it is rendered again with images reduced
        (:data:`IMAGE_REDUCTIONS`); when even the last step is too large, the render is
        refused with the sizes and what to do.
        """
        return self.render_packet([LeafletPart(html, source_name, source, marks)])

    def render_packet(self, parts: list[LeafletPart], title: str | None = None) -> RenderedPdf:
        """Several leaflets in one PDF (:meth:`render` is the packet of one).

        Each leaflet is laid out on its own (its own running header, "Page X of Y" within
        it, every check of :meth:`render`), then their pages are put together in order; a
        leaflet with an odd number of pages is followed by a blank page, so that each one
        starts on a new sheet when printed on both sides. The outline and the structure
        tree hold every leaflet; ``title`` (default: the first leaflet's) names the PDF.
        """
        budget = self.options.max_bytes
        sizes: list[int] = []
        last = IMAGE_REDUCTIONS[-1]
        tried = (
            f"even with images reduced to {last['dpi']} dpi "
            f"(JPEG quality {last['jpeg_quality']})"
        )
        for images in IMAGE_REDUCTIONS:
            pdf = self._render_once(parts, images, title)
            if len(pdf.data) <= budget:
                return pdf
            if sizes and len(pdf.data) == sizes[-1]:
                tried = "and it has no images to reduce"
                break
            sizes.append(len(pdf.data))
        raise RenderRefused(
            Problem(
                parts[0].source_name,
                f"The {'leaflet' if len(parts) == 1 else 'packet'} is "
                f"{format_size(len(pdf.data))}, over the size budget of "
                f"{format_size(budget)}, {tried}.",
                "Use a smaller logo (an SVG, or a PNG a few hundred pixels wide) in the brand "
                "folder and smaller figures beside the topic, or raise the budget with "
                "--max-size.",
            )
        )

    def _render_once(
        self, parts: list[LeafletPart], images: dict[str, Any], title: str | None = None
    ) -> RenderedPdf:
        from handout_builder.render.finish import add_pdfua_identification, finish

        archival = self.options.archival
        options: dict[str, Any] = {
            "pdf_variant": ARCHIVAL_VARIANT if archival else PDF_VARIANT,
            "pdf_tags": True,
            # one image cache per reduction step: a cached image keeps the step's resolution
            "cache": self.image_cache.setdefault(str(sorted(images.items())), {}),
            **images,
        }
        documents = [self._lay_out(part, options) for part in parts]
        counts = tuple(len(document.pages) for document in documents)
        document = documents[0]
        if len(documents) > 1:
            pages = []
            for laid in documents:
                pages += laid.pages
                if len(laid.pages) % 2 and laid is not documents[-1]:
                    pages += self._blank_page(options)
            document = documents[0].copy(pages)
        if title is not None:
            document.metadata.title = title
        if archival:  # PDF/A-3u says so in XMP; add that it is PDF/UA-1 as well
            document.metadata.generate_rdf_metadata = add_pdfua_identification(
                document.metadata.generate_rdf_metadata
            )
        sources = [part.source for part in parts if part.source is not None]
        write_options: dict[str, Any] = {}
        if archival and sources:
            write_options["attachments"] = [_source_attachment(source) for source in sources]
        dated_source = bool(sources) and all(source.reviewed is not None for source in sources)
        with strict_weasyprint_logs() as logs, warnings.catch_warnings():
            # WeasyPrint 70 opens its bundled sRGB profile (the PDF/A output intent)
            # and never closes it; that ResourceWarning is about WeasyPrint, not us.
            warnings.simplefilter("ignore", ResourceWarning)
            data = document.write_pdf(
                finisher=lambda _document, pdf: finish(
                    pdf, archival=archival, dated_source=dated_source
                ),
                **options,
                **write_options,
            )
        if logs.messages:
            raise RenderRefused(_layout_problems(
                parts[0].source_name, [_reason(m) for m in logs.messages]))
        return RenderedPdf(data=data, pages=len(document.pages), leaflet_pages=counts)

    def _blank_page(self, options: dict[str, Any]) -> list[Any]:
        """One empty page of the brand's paper size (the back of a leaflet's last sheet)."""
        wp = _weasyprint()
        paper = wp.CSS(string=brand_stylesheet(self.brand), font_config=self.font_config)
        blank = wp.HTML(string=f'<html lang="{BLANK_LANGUAGE}"><body></body></html>').render(
            font_config=self.font_config, stylesheets=[paper], **options)
        return list(blank.pages)

    def _lay_out(self, part: LeafletPart, options: dict[str, Any]) -> Any:
        """One leaflet laid out (a WeasyPrint document), with every check on what it paints."""
        wp = _weasyprint()
        source_name = part.source_name
        self.fetcher.refused.clear()
        self.fetcher.unsafe.clear()
        self.fetcher.files = frozenset(part.files)
        with strict_weasyprint_logs() as logs:
            try:
                document = wp.HTML(
                    string=part.html, base_url=str(self.brand.dir) + "/",
                    url_fetcher=self.fetcher,
                ).render(font_config=self.font_config, stylesheets=self.stylesheets, **options)
            except wp.urls.FatalURLFetchingError:
                document = None
        templates = self.brand.dir / "templates"
        if self.fetcher.unsafe:
            raise InvalidBrand([
                Problem(str(templates) if templates.is_dir() else source_name,
                        f"The image {url} {reason}.", IMAGE_FIX)
                for url, reason in self.fetcher.unsafe.items()
            ])
        if self.fetcher.refused:
            # brand.css was checked before: what asks now is a template part of the brand
            raise InvalidBrand(
                [
                    Problem(
                        str(templates) if templates.is_dir() else source_name,
                        f"The leaflet asked for {url}, which is outside the project's style, "
                        "font and logo folders; make_handout reads nothing else.",
                        "Remove the reference from the brand's template parts (they may use "
                        "only images in the brand folder).",
                    )
                    for url in dict.fromkeys(self.fetcher.refused)
                ]
            )
        if logs.messages or document is None:
            raise RenderRefused(
                _layout_problems(source_name, [_reason(m) for m in logs.messages])
            )
        from handout_builder.render.painted import walk

        walked = walk(document)  # once, for every check of what is painted
        self._check_painted(document, part.marks, walked)
        if self.options.large_print:
            small = _text_smaller_than(document, LARGE_PRINT_MIN_PT, walked)
            if small:
                raise RenderRefused(
                    Problem(
                        source_name,
                        f"In large print, some text is smaller than {LARGE_PRINT_MIN_PT} pt "
                        f"(for example the CSS rule for {small[0]}).",
                        f"Remove the font sizes from {self.brand.dir / 'brand.css'}, or make "
                        f"them at least {LARGE_PRINT_MIN_PT} pt.",
                    )
                )
        return document

    def _check_painted(self, document: Any, marks: SafetyMarks, walked: Any = None) -> None:
        """Refuse the brand when a safety mark is not visible, or text is below WCAG AA."""
        from handout_builder.render.painted import contrast_problems, safety_mark_problems

        problems = [
            Problem(self.brand_source, message,
                    "Remove the rules in brand.css (or the brand's template parts) that hide, "
                    "restyle, move or cover the watermark, the page footer or the review notice.")
            for message in safety_mark_problems(document, marks, walked)
        ] + [
            Problem(self.brand_source, message,
                    "Give that element a darker text colour or a lighter background in "
                    "brand.css (4.5:1 for body text, 3:1 from 18 pt or 14 pt bold), and no "
                    "opacity below 1.")
            for message in contrast_problems(document, self.colour_rules, walked)
        ]
        if problems:
            raise InvalidBrand(problems)

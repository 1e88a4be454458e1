"""PDF writing: the only module that talks to WeasyPrint.

A :class:`Renderer` is built once per brand and reused for every document (one
``FontConfiguration`` shared by every stylesheet and by ``write_pdf``, stylesheets parsed
once), so a batch stays fast and its memory flat. Rendering is strict and sandboxed:

* fonts come only from ``styles/fonts/`` (Fontconfig is pointed at our own ``fonts.conf``
  before WeasyPrint loads, so the machine's installed fonts are never consulted);
* the URL fetcher reads only files inside the project's ``styles/`` folder and the brand
  folder: no network, nothing else on disk; any other request stops the render;
* any warning or error that WeasyPrint logs fails the render instead of leaving a silently
  broken leaflet.
"""

from __future__ import annotations

import logging
import mimetypes
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from .errors import Problem, RenderRefused
from .loader import LoadedBrand
from .paths import FONTS_DIR, STYLES_DIR

BASE_STYLESHEET = STYLES_DIR / "leaflet.css"
PAPER_SIZES = {"letter": "letter", "a4": "A4"}
PDF_VARIANT = "pdf/ua-1"


@cache
def _weasyprint() -> Any:
    """Import WeasyPrint (heavy) on first use, after pinning Fontconfig to our fonts."""
    os.environ["FONTCONFIG_FILE"] = str(FONTS_DIR / "fonts.conf")
    import weasyprint

    return weasyprint


@dataclass(frozen=True)
class RenderedPdf:
    data: bytes
    pages: int


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

        def fetch(self, url: str, headers: Any = None) -> Any:
            parts = urlsplit(url)
            if parts.scheme != "file" or parts.netloc not in ("", "localhost"):
                self.refused.append(url)
                raise _Refused(url)
            path = Path(unquote(parts.path)).resolve()
            if not any(path.is_relative_to(root) for root in self.roots) or not path.is_file():
                self.refused.append(url)
                raise _Refused(url)
            content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            return urls.URLFetcherResponse(
                path.as_uri(), body=path.read_bytes(), headers={"Content-Type": content_type}
            )

    return ProjectFetcher


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


class Renderer:
    """Everything expensive, built once for a brand and a set of stylesheet variants."""

    def __init__(self, brand: LoadedBrand, variants: tuple[Path, ...] = ()):
        wp = _weasyprint()
        from weasyprint.text.fonts import FontConfiguration

        self.brand = brand
        self.font_config = FontConfiguration()
        self.image_cache: dict[str, Any] = {}  # the logo is read and parsed once
        self.fetcher = _fetcher_class()((STYLES_DIR, brand.dir))
        sources: list[dict[str, Any]] = [
            {"filename": str(BASE_STYLESHEET)},
            {"string": brand_stylesheet(brand), "base_url": str(STYLES_DIR) + "/"},
        ]
        own_css = brand.dir / "brand.css"
        if own_css.is_file():
            sources.append({"filename": str(own_css)})
        sources += [{"filename": str(path)} for path in variants]
        with strict_weasyprint_logs() as logs:
            self.stylesheets = [
                wp.CSS(**source, font_config=self.font_config, url_fetcher=self.fetcher)
                for source in sources
            ]
        if logs.messages:
            raise RenderRefused(
                [Problem(str(brand.dir), f"Stylesheet problem: {m}") for m in logs.messages]
            )

    def render(self, html: str, source_name: str, **options: Any) -> RenderedPdf:
        """Lay out ``html`` and return the PDF. ``source_name`` is used in error messages."""
        wp = _weasyprint()
        self.fetcher.refused.clear()
        options = {"pdf_variant": PDF_VARIANT, "pdf_tags": True, "cache": self.image_cache,
                   **options}
        with strict_weasyprint_logs() as logs:
            try:
                document = wp.HTML(
                    string=html, base_url=str(self.brand.dir) + "/", url_fetcher=self.fetcher
                ).render(font_config=self.font_config, stylesheets=self.stylesheets, **options)
                data = document.write_pdf(**options)
            except wp.urls.FatalURLFetchingError:
                data = None
        if self.fetcher.refused:
            raise RenderRefused(
                [
                    Problem(
                        source_name,
                        f"The leaflet asked for {url}, which is outside the project's style, "
                        "font and logo folders; make_handout reads nothing else.",
                        "Remove the reference (images and files are not part of the topic "
                        "format).",
                    )
                    for url in dict.fromkeys(self.fetcher.refused)
                ]
            )
        if logs.messages or data is None:
            raise RenderRefused(
                [Problem(source_name, f"Layout problem reported by WeasyPrint: {m}")
                 for m in logs.messages or ["rendering stopped"]]
            )
        return RenderedPdf(data=data, pages=len(document.pages))

"""The pipeline, written down once: load, validate, render HTML, write PDF, publish.

The command line, the batch runner and any later server call these plain functions.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .html_render import render_html
from .loader import LoadedTopic, load_topic
from .pdf import RenderedPdf, Renderer
from .personal import PersonalCopy
from .publish import output_path, write_atomic


@dataclass(frozen=True)
class Written:
    """One leaflet that was rendered and published."""

    loaded: LoadedTopic
    path: Path
    pdf: RenderedPdf


def render_topic(
    loaded: LoadedTopic, renderer: Renderer, personal: PersonalCopy | None = None
) -> RenderedPdf:
    """Stages 3 and 4: HTML from the templates, then the PDF.

    ``personal`` (one patient's details) is printed on the first page only: the output name
    and the PDF metadata come from the topic and the brand, never from it.
    """
    html = render_html(loaded, renderer.brand, personal=personal)
    return renderer.render(html, source_name=str(loaded.path))


def render_file(
    path: Path, renderer: Renderer, out_dir: Path, personal: PersonalCopy | None = None
) -> Written:
    """All stages for one topic file; raises a UserError subclass when the input is at fault."""
    loaded = load_topic(path)  # 1-2: load and validate
    target = output_path(out_dir, loaded.id, source=str(path))  # <id>.pdf, whatever `personal`
    pdf = render_topic(loaded, renderer, personal)  # 3-4: HTML, PDF
    write_atomic(target, pdf.data)  # 5: publish
    return Written(loaded=loaded, path=target, pdf=pdf)

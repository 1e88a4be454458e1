"""The pipeline, written down once: load, validate, render HTML, write PDF, publish.

The command line, the batch runner and any later server call these plain functions.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .html_render import render_html
from .loader import LoadedTopic, load_topic
from .pdf import RenderedPdf, Renderer, SourceFile
from .publish import output_path, write_atomic


@dataclass(frozen=True)
class Written:
    """One leaflet that was rendered and published."""

    loaded: LoadedTopic
    path: Path
    pdf: RenderedPdf


def render_topic(loaded: LoadedTopic, renderer: Renderer) -> RenderedPdf:
    """Stages 3 and 4: HTML from the templates, then the PDF."""
    html = render_html(loaded, renderer.brand)
    topic = loaded.topic
    reviewed = topic.review.reviewed if topic.review is not None and topic.is_reviewed else None
    source = SourceFile(name=loaded.path.name, data=loaded.source, reviewed=reviewed)
    return renderer.render(html, source_name=str(loaded.path), source=source)


def render_file(path: Path, renderer: Renderer, out_dir: Path) -> Written:
    """All stages for one topic file; raises a UserError subclass when the input is at fault."""
    loaded = load_topic(path)  # 1-2: load and validate
    target = output_path(
        out_dir, loaded.id, suffix=renderer.options.file_suffix, source=str(path)
    )
    pdf = render_topic(loaded, renderer)  # 3-4: HTML, PDF
    write_atomic(target, pdf.data)  # 5: publish
    return Written(loaded=loaded, path=target, pdf=pdf)

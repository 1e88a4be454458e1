"""The pipeline, written down once: load, validate, render HTML, write PDF, publish.

The command line, the batch runner and any later server call these plain functions.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from .html_render import render_html
from .library import library_for
from .loader import LoadedTopic, load_topic
from .messages import messages_for
from .painted import SafetyMarks
from .pdf import RenderedPdf, Renderer, SourceFile
from .personal import PersonalCopy
from .publish import output_path, write_atomic
from . import review
from .review import ReviewStatus, render_permission, review_state


@dataclass(frozen=True)
class Written:
    """One leaflet that was rendered and published."""

    loaded: LoadedTopic
    path: Path
    pdf: RenderedPdf
    review: ReviewStatus


def check_review(
    loaded: LoadedTopic, as_of: date | None = None, allow_draft: bool = False
) -> tuple[ReviewStatus, str | None]:
    """Stage 2b, the rendering policy: the review status and the watermark to print (or None).

    Raises RenderRefused for a draft, withdrawn, never-reviewed or overdue topic unless
    ``allow_draft``. ``as_of`` defaults to today.
    """
    settings = library_for(loaded.path).settings
    status = review_state(loaded.topic, as_of or review.today(), settings)
    key = render_permission(status, str(loaded.path), allow_draft, loaded.positions)
    watermark = messages_for(loaded.topic.language).format(key) if key else None
    return status, watermark


def render_topic(
    loaded: LoadedTopic,
    renderer: Renderer,
    *,
    watermark: str | None = None,
    personal: PersonalCopy | None = None,
) -> RenderedPdf:
    """Stages 3 and 4: HTML from the templates, then the PDF.

    ``personal`` (one patient's details) is printed on the first page only: the output name
    and the PDF metadata come from the topic and the brand, never from it.
    """
    html = render_html(loaded, renderer.brand, watermark=watermark, personal=personal)
    topic = loaded.topic
    reviewed = topic.review.reviewed if topic.review is not None and topic.is_reviewed else None
    source = SourceFile(name=loaded.path.name, data=loaded.source, reviewed=reviewed)
    marks = SafetyMarks(  # must be visible as painted, whatever the brand's CSS
        watermark=watermark,
        notice=None if topic.is_reviewed else messages_for(topic.language).not_reviewed_banner,
    )
    return renderer.render(html, source_name=str(loaded.path), source=source, marks=marks)


def render_file(
    path: Path,
    renderer: Renderer,
    out_dir: Path,
    *,
    as_of: date | None = None,
    allow_draft: bool = False,
    personal: PersonalCopy | None = None,
) -> Written:
    """All stages for one topic file; raises a UserError subclass when the input is at fault."""
    loaded = load_topic(path)  # 1-2: load and validate
    status, watermark = check_review(loaded, as_of, allow_draft)  # 2b: may it be printed?
    target = output_path(  # <id>[.variant].pdf, whatever `personal`
        out_dir, loaded.id, suffix=renderer.options.file_suffix, source=str(path)
    )
    pdf = render_topic(loaded, renderer, watermark=watermark, personal=personal)  # 3-4: HTML, PDF
    write_atomic(target, pdf.data)  # 5: publish
    return Written(loaded=loaded, path=target, pdf=pdf, review=status)

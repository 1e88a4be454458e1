"""The pipeline, written down once: load, validate, render HTML, write PDF, publish.

The command line, the batch runner and any later server call these plain functions.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from handout_builder.render.html import render_html
from handout_builder.sources.fonts import bundled_characters
from handout_builder.sources.library import library_for
from handout_builder.sources.loader import LoadedTopic, load_topic
from handout_builder.domain.wording import messages_for
from handout_builder.render.painted import SafetyMarks
from handout_builder.render.pdf import RenderedPdf, Renderer, SourceFile
from handout_builder.domain.personal import PersonalCopy
from handout_builder.domain.problems import Problem, RenderRefused
from handout_builder.output.store import output_path, write_atomic, write_personal
from handout_builder.domain import review
from handout_builder.domain.review import ReviewStatus, render_permission, review_state


@dataclass(frozen=True)
class Written:
    """One leaflet that was rendered and published."""

    loaded: LoadedTopic
    path: Path | None  # None: the PDF was not written to a file (``out_dir`` None: stdout)
    pdf: RenderedPdf
    review: ReviewStatus
    watermark: str | None = None  # the watermark printed (the words), or None


def check_review(
    loaded: LoadedTopic, as_of: date | None = None, allow_draft: bool = False
) -> tuple[ReviewStatus, str | None]:
    """Stage 2b, the rendering policy: the review status and the watermark to print (or None).

    Raises RenderRefused for a draft, withdrawn, never-reviewed, overdue or future-dated
    topic unless ``allow_draft`` (see :func:`review.policy`; an example topic is always printed,
    and the template marks it as one). ``as_of`` defaults to today.
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
    if personal is not None:
        personal.check_printable(bundled_characters())  # before layout: a font problem names the option only
    html = render_html(loaded, renderer.brand, watermark=watermark, personal=personal)
    topic = loaded.topic
    reviewed = topic.review.reviewed if topic.review is not None and topic.is_reviewed else None
    source = SourceFile(name=loaded.path.name, data=loaded.source, reviewed=reviewed)
    marks = SafetyMarks(  # must be visible as painted, whatever the brand's CSS
        watermark=watermark,
        notice=None if topic.is_reviewed else messages_for(topic.language).not_reviewed_banner,
    )
    if personal is None:
        return renderer.render(html, source_name=str(loaded.path), source=source, marks=marks)
    try:
        return renderer.render(html, source_name=str(loaded.path), source=source, marks=marks)
    except RenderRefused as error:
        problems = [_withheld(problem, personal) for problem in error.problems]
    raise RenderRefused(problems)  # outside the except block: no chained error to print


def _withheld(problem: Problem, personal: PersonalCopy) -> Problem:
    """``problem``, or a generic one when its text could quote a personal detail."""
    if not personal.mentioned_in(str(problem)):
        return problem
    return Problem(
        problem.file,
        "The personal copy could not be laid out; the details are not shown because they "
        "could quote the personal options' values.",
        "Render the topic without the personal options to see the problem, and check the "
        "values of the personal options.",
    )


def render_file(
    path: Path,
    renderer: Renderer,
    out_dir: Path | None,
    *,
    as_of: date | None = None,
    allow_draft: bool = False,
    personal: PersonalCopy | None = None,
) -> Written:
    """All stages for one topic file; raises a UserError subclass when the input is at fault.

    The leaflet goes to ``out_dir/<id>[.variant].pdf``; a personal copy to a new
    ``<id>[.variant].personal-<token>.pdf`` that never replaces another file (see
    :func:`~handout_builder.output.store.personal_path`). With ``out_dir`` None nothing is written
    (the caller sends ``Written.pdf.data`` on, e.g. to standard output).
    """
    loaded = load_topic(path)  # 1-2: load and validate
    status, watermark = check_review(loaded, as_of, allow_draft)  # 2b: may it be printed?
    suffix = renderer.options.file_suffix
    if out_dir is not None:  # checked before the render: a bad id or link costs nothing
        output_path(out_dir, loaded.id, suffix=suffix, source=str(path))
    pdf = render_topic(loaded, renderer, watermark=watermark, personal=personal)  # 3-4: HTML, PDF
    target = None
    if out_dir is not None and personal is None:
        target = output_path(out_dir, loaded.id, suffix=suffix, source=str(path))
        write_atomic(target, pdf.data)  # 5: publish
    elif out_dir is not None:  # 5: a new name, never over another patient's copy
        target = write_personal(out_dir, loaded.id, suffix, pdf.data, source=str(path))
    return Written(loaded=loaded, path=target, pdf=pdf, review=status, watermark=watermark)

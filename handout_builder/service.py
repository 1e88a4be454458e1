"""The service layer: the one API that every entry point calls.

The command line, ``build``'s workers, email, and later the web desk and remote workers call
these plain functions: render one leaflet (to bytes), publish it, email one, check topics,
build a library. Inputs are typed, frozen request objects; outputs are typed results.

Rules every function here keeps:

- Nothing reads ``sys.argv`` or the environment, prints, or assumes a current directory:
  every path comes from the request (a relative one is relative to wherever the caller is).
- A topic may be a file (:class:`~pathlib.Path`), bytes with a name (:class:`TopicBytes`:
  a web form or a remote worker has no file) or an already loaded model
  (:class:`~handout_builder.sources.loader.LoadedTopic`). The library settings (review
  interval) come with the request; without them they are those of the ``library.yaml``
  beside a topic file, and the defaults for bytes or a loaded model. They are found once,
  before anything is rendered.
- Errors: the request functions (:func:`render_leaflet`, :func:`render_to_folder`,
  :func:`publish_leaflet`, :func:`email_leaflet`, :func:`check_topics`,
  :func:`build_library`) never raise a :class:`~handout_builder.domain.problems.UserError`:
  what is wrong with the input comes back as ``problems`` on the result (``refused`` says the
  review policy refused it). Only a bug raises. :func:`open_renderer` is the one exception:
  a brand that cannot be used stops every render, so it raises ``UserError`` once, up front.
  The stage functions at the end (:func:`check_review`, :func:`render_topic`,
  :func:`render_file`) are the building blocks underneath and raise ``UserError``.
- Imports: every stage, at the top, except mail, checks and builds, imported by the function
  that needs them (a ``render`` must not pay for smtplib, the readability rules or process
  pools).
- Rendering never touches disk for output: :func:`render_leaflet` returns the PDF's bytes;
  :func:`publish_leaflet` (or :func:`render_to_folder`) writes them.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field, replace
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from handout_builder.domain import review
from handout_builder.domain.models import Topic
from handout_builder.domain.options import DEFAULT_MAX_BYTES, RenderOptions
from handout_builder.domain.personal import COMMAND_LINE, PersonalCopy
from handout_builder.domain.problems import Problem, RenderRefused, UserError
from handout_builder.domain.review import ReviewRefused, ReviewStatus, render_permission, review_state
from handout_builder.domain.locale import direction, region_subtag
from handout_builder.domain.wording import messages_for, supports
from handout_builder.output.store import output_path, write_atomic, write_personal
from handout_builder.render.html import figure_context, isolate, render_html
from handout_builder.render.painted import SafetyMarks
from handout_builder.render.pdf import LeafletPart, RenderedPdf, Renderer, SourceFile
from handout_builder.render.stack_room import call_with_room  # noqa: F401  (for the desk's workers)
from handout_builder.sources.figures import figure_files
from handout_builder.sources.fonts import bundled_characters
from handout_builder.sources.library import LibrarySettings, library_for
from handout_builder.sources.loader import LoadedBrand, LoadedTopic, load_brand, load_topic, load_topic_bytes
from handout_builder.sources.translations import (
    check_translation,
    inherit_codes,
    other_languages,
)

if TYPE_CHECKING:  # imported where used: `render` must not pay for mail, checks or builds
    from handout_builder.build.batch import BuildConfig, BuildResult, Reporter
    from handout_builder.build.scratch import Scratch as WorkerFolder
    from handout_builder.delivery.email import SmtpServer
    from handout_builder.quality.checks import TopicReport


# --------------------------------------------------------------------------------------
# Requests and results
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TopicBytes:
    """A topic that is not a file: its YAML bytes and the name it stands for.

    ``name`` is used as the file name would be: problems are located in it, its stem is the
    default id, and its last part names the source embedded in an archival PDF.
    """

    data: bytes = field(repr=False)
    name: str


#: A topic as a request gives it: a file, bytes with a name, or a loaded model.
TopicInput = Path | TopicBytes | LoadedTopic


@dataclass(frozen=True)
class RenderRequest:
    """One leaflet to render."""

    topic: TopicInput
    #: The brand folder (or the brand, loaded).
    brand: Path | LoadedBrand
    #: The variant: large print, archival, size budget.
    options: RenderOptions = RenderOptions()
    #: One patient's details, printed on the first page only (never in names or metadata).
    personal: PersonalCopy | None = None
    #: The date review states are judged on (None: today, ``review.today()``).
    as_of: date | None = None
    #: Policy: print draft, withdrawn, never-reviewed and overdue topics, watermarked.
    allow_draft: bool = False
    #: The library settings (review interval); None: see the module's notes.
    settings: LibrarySettings | None = None


class _WithPdf:
    """What a result with a PDF (or the problems that stopped it) answers."""

    pdf: RenderedPdf | None
    problems: tuple[Problem, ...]

    @property
    def ok(self) -> bool:
        return self.pdf is not None and not self.problems

    @property
    def data(self) -> bytes:
        assert self.pdf is not None, "no PDF: see problems"
        return self.pdf.data

    @property
    def pages(self) -> int:
        assert self.pdf is not None, "no PDF: see problems"
        return self.pdf.pages


@dataclass(frozen=True)
class RenderResult(_WithPdf):
    """A rendered leaflet, or the problems that stopped it."""

    topic: LoadedTopic | None = None
    pdf: RenderedPdf | None = None
    review: ReviewStatus | None = None
    watermark: str | None = None  # the watermark printed (the words), or None
    watermark_key: str | None = None  # the same, as a message catalogue key (the manifest's)
    path: Path | None = None  # where it was written; None: not written (bytes only)
    problems: tuple[Problem, ...] = ()
    refused: bool = False  # the review policy refused it: an old copy must not stay published
    options: RenderOptions = RenderOptions()  # the variant rendered (names the file)
    personal: bool = False  # a personal copy: published under a new name of its own

    @property
    def suffix(self) -> str:
        """What follows the id in the leaflet's file name (the one naming rule, for every
        executor): ``.pdf``, ``.large-print.pdf``, ``.es.pdf`` for a translation..."""
        assert self.topic is not None, "no topic: see problems"
        return _suffix(self.topic, self.options)


@dataclass(frozen=True)
class EmailRequest:
    """One leaflet to email: written as an ``.eml`` draft (``draft_file`` or
    ``draft_folder``), or sent through ``smtp``. Exactly one of the three."""

    topic: TopicInput
    brand: Path | LoadedBrand
    to: str = field(repr=False)  # never shown: the recipient is personal
    sender: str | None = None  # None: no-reply@ the brand's web domain
    personal: PersonalCopy | None = None
    max_bytes: int = DEFAULT_MAX_BYTES  # the largest attachment
    draft_file: Path | None = None
    draft_folder: Path | None = None  # the draft gets <id>.eml (or a personal name) in it
    smtp: SmtpServer | None = None
    #: The date review states are judged on (None: today). Only current leaflets are sent.
    as_of: date | None = None
    settings: LibrarySettings | None = None
    when: datetime | None = None  # the Date header (None: now)


@dataclass(frozen=True)
class EmailResult:
    handout_id: str | None = None
    attachment_bytes: int = 0
    draft: Path | None = None  # where the draft was written
    sent_to: str | None = None  # the mail server (host:port) that accepted the message
    problems: tuple[Problem, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass(frozen=True)
class CheckRequest:
    """Topic files or folders to check (a folder: every topic file in it, recursively)."""

    paths: tuple[Path, ...]
    as_of: date | None = None  # None: today
    strict: bool = False  # warnings fail too


@dataclass(frozen=True)
class CheckResult:
    reports: tuple[TopicReport, ...]
    as_of: date
    strict: bool
    exit_status: int  # 0: no errors (nor warnings, when strict); 1: there are

    def text(self) -> str:
        """A table per file, for people."""
        from handout_builder.quality.checks import format_text  # see check_topics

        return format_text(list(self.reports))

    def json(self) -> str:
        """The JSON document of ``check --format json`` (docs/checks.md)."""
        from handout_builder.quality.checks import format_json  # see check_topics

        return format_json(list(self.reports), self.as_of, self.strict, self.exit_status)


@dataclass(frozen=True)
class LibraryResult:
    """A build: what was built, skipped, removed and failed; or the problems that stopped
    the whole build (no library folder, no topics, an unusable brand or output folder)."""

    build: BuildResult | None = None
    problems: tuple[Problem, ...] = ()


# --------------------------------------------------------------------------------------
# Render
# --------------------------------------------------------------------------------------


def open_renderer(brand: Path | LoadedBrand, options: RenderOptions = RenderOptions()) -> Renderer:
    """A warm renderer for one brand and variant, to reuse across many leaflets (fonts,
    stylesheets and templates are prepared once). Raises ``UserError`` for an unusable brand."""
    loaded = brand if isinstance(brand, LoadedBrand) else load_brand(brand)
    return Renderer(loaded, options=options)


def render_leaflet(request: RenderRequest, renderer: Renderer | None = None) -> RenderResult:
    """Render one leaflet to bytes: load, judge the review state, HTML, PDF. Writes nothing.

    ``renderer`` (from :func:`open_renderer`, for the request's brand and options) saves
    setting one up for each leaflet.
    """
    try:
        return _render(request, renderer, None)
    except UserError as error:
        return _failed(error)


def render_to_folder(
    request: RenderRequest, out_dir: Path, renderer: Renderer | None = None
) -> RenderResult:
    """:func:`render_leaflet`, then :func:`publish_leaflet` into ``out_dir``.

    The output name is checked before the render, so a bad id costs nothing.
    """
    try:
        return _render(request, renderer, out_dir)
    except UserError as error:
        return _failed(error)


def publish_leaflet(result: RenderResult, out_dir: Path) -> RenderResult:
    """Write a rendered leaflet to ``out_dir/<id>[.variant].pdf`` atomically; a personal copy
    to a new ``<id>[.variant].personal-<token>.pdf`` that never replaces another file."""
    if not result.ok:
        return result
    try:
        return replace(result, path=_publish(result, out_dir))
    except UserError as error:
        return _failed(error)


def _render(request: RenderRequest, renderer: Renderer | None, out_dir: Path | None) -> RenderResult:
    """The stages for one leaflet; raises UserError (the callers turn it into problems)."""
    renderer = _renderer_for(request, renderer)
    loaded, settings = _load(request.topic, request.settings)  # 1-2: load and validate
    status, key, watermark = _review(loaded, request.as_of, request.allow_draft, settings)
    loaded = inherit_codes(loaded)  # a translation: its source's codes (manifest, index)
    if out_dir is not None:  # checked before the render: a bad id or link costs nothing
        output_path(out_dir, loaded.id, suffix=_suffix(loaded, request.options),
                    source=str(loaded.path))
    pdf = render_topic(loaded, renderer, watermark=watermark, personal=request.personal,
                       next_review=status.next_review)  # 3-4
    result = RenderResult(topic=loaded, pdf=pdf, review=status, watermark=watermark,
                          watermark_key=key, options=request.options,
                          personal=request.personal is not None)
    if out_dir is None:
        return result
    return replace(result, path=_publish(result, out_dir))  # 5: publish


def _publish(result: RenderResult, out_dir: Path) -> Path:
    loaded = result.topic
    assert loaded is not None and result.pdf is not None
    suffix = _suffix(loaded, result.options)
    if result.personal:  # a new name, never over another patient's copy
        return write_personal(out_dir, loaded.id, suffix, result.pdf.data, source=str(loaded.path))
    target = output_path(out_dir, loaded.id, suffix=suffix, source=str(loaded.path))
    write_atomic(target, result.pdf.data)
    return target


def _suffix(loaded: LoadedTopic, options: RenderOptions) -> str:
    """The output name after the id: ``.es.pdf`` for a translation, ``.pdf`` for a source
    (with the variant's part, e.g. ``.large-print.pdf``)."""
    if loaded.topic.translation is None:
        return options.file_suffix
    return f".{loaded.topic.language}{options.file_suffix}"


def _failed(error: UserError) -> RenderResult:
    return RenderResult(problems=tuple(error.problems), refused=isinstance(error, ReviewRefused))


def _renderer_for(request: RenderRequest | PacketRequest, renderer: Renderer | None) -> Renderer:
    if renderer is None:
        return open_renderer(request.brand, request.options)
    brand_dir = request.brand.dir if isinstance(request.brand, LoadedBrand) else request.brand
    if renderer.options != request.options or renderer.brand.dir != Path(brand_dir).resolve():
        raise ValueError("the renderer given is not for the request's brand and options")
    return renderer


def _load(topic: TopicInput, settings: LibrarySettings | None) -> tuple[LoadedTopic, LibrarySettings]:
    """The loaded topic and the library settings that apply to it, found once."""
    if isinstance(topic, LoadedTopic):
        return topic, settings or LibrarySettings()
    if isinstance(topic, TopicBytes):
        loaded = load_topic_bytes(topic.data, topic.name)
        if any(section.figures for section in loaded.topic.sections):
            figure_files(loaded)  # as load_topic does: the same problems, in the same order
        return loaded, settings or LibrarySettings()
    if settings is None:
        settings = library_for(topic).settings  # the library.yaml beside the file
    return load_topic(topic), settings


def _review(
    loaded: LoadedTopic, as_of: date | None, allow_draft: bool, settings: LibrarySettings
) -> tuple[ReviewStatus, str | None, str | None]:
    """The rendering policy: the status, the watermark's key and its words (or None).
    Raises ReviewRefused when the policy refuses the topic."""
    translated = check_translation(loaded)  # a translation: its source, drift, missing parts
    drift = translated.drift if translated is not None else ()
    status = review_state(loaded.topic, as_of or review.today(), settings, drift)
    key = render_permission(status, str(loaded.path), allow_draft, loaded.positions)
    watermark = messages_for(loaded.topic.language).format(key) if key else None
    return status, key, watermark


# --------------------------------------------------------------------------------------
# Packets
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PacketRequest:
    """Several leaflets printed together as one PDF (a visit's packet).

    Each leaflet starts on a new sheet (a blank page follows one with an odd number of
    pages), keeps its own header, "Page X of Y", review line and references; the personal
    details, if any, are printed once, on the first leaflet's first page.
    """

    topics: tuple[TopicInput, ...]
    brand: Path | LoadedBrand
    #: The packet's name: its output file is ``<name>[.variant].pdf`` (an id: lowercase
    #: letters, digits and single hyphens).
    name: str
    options: RenderOptions = RenderOptions()
    personal: PersonalCopy | None = None
    as_of: date | None = None
    allow_draft: bool = False
    #: The library settings for every topic; None: each topic file's own ``library.yaml``.
    settings: LibrarySettings | None = None
    #: The PDF's title (None: the leaflets' titles, joined by " · ").
    title: str | None = None


@dataclass(frozen=True)
class PacketResult(_WithPdf):
    """A rendered packet, or the problems that stopped it (those of every topic at once)."""

    topics: tuple[LoadedTopic, ...] = ()
    pdf: RenderedPdf | None = None
    reviews: tuple[ReviewStatus, ...] = ()
    watermarks: tuple[str | None, ...] = ()
    path: Path | None = None
    problems: tuple[Problem, ...] = ()
    refused: bool = False  # the review policy refused at least one of its topics
    options: RenderOptions = RenderOptions()
    personal: bool = False

    @property
    def leaflet_pages(self) -> tuple[int, ...]:
        """The pages of each leaflet, in order (the blank backs not counted)."""
        assert self.pdf is not None, "no PDF: see problems"
        return self.pdf.leaflet_pages


def render_packet(
    request: PacketRequest, renderer: Renderer | None = None, out_dir: Path | None = None
) -> PacketResult:
    """Render several leaflets into one PDF; with ``out_dir``, publish it there as
    ``<name>[.variant].pdf`` (a personal copy: a new ``<name>[.variant].personal-<token>.pdf``).

    Every topic is loaded and judged first; the problems of all of them come back together,
    and nothing is rendered while any is refused. Never raises a ``UserError``.
    """
    try:
        return _render_packet(request, renderer, out_dir)
    except UserError as error:
        return PacketResult(problems=tuple(error.problems),
                            refused=isinstance(error, ReviewRefused))


def _render_packet(
    request: PacketRequest, renderer: Renderer | None, out_dir: Path | None
) -> PacketResult:
    if not request.topics:
        raise RenderRefused(Problem(request.name, "A packet needs at least one topic.",
                                "Give the topic files to print together."))
    renderer = _renderer_for(request, renderer)
    suffix = request.options.file_suffix
    if out_dir is not None:  # a bad name costs nothing
        output_path(out_dir, request.name, suffix=suffix, source=request.name)
    problems: list[Problem] = []
    refused = False
    judged: list[tuple[LoadedTopic, ReviewStatus, str | None]] = []
    for topic in request.topics:
        try:
            loaded, settings = _load(topic, request.settings)
            status, _, watermark = _review(loaded, request.as_of, request.allow_draft, settings)
            judged.append((loaded, status, watermark))
        except UserError as error:
            problems += error.problems
            refused = refused or isinstance(error, ReviewRefused)
    if problems:
        return PacketResult(problems=tuple(problems), refused=refused)
    languages = {loaded.topic.language for loaded, _, _ in judged}
    if len(languages) > 1:  # a PDF has one language for screen readers (WeasyPrint: no /Lang per part)
        raise RenderRefused(Problem(
            request.name, f"A packet's leaflets must be in one language; these are in "
            f"{', '.join(sorted(languages))}.", "Print a packet per language (a screen reader "
            "reads the whole packet in one language)."))
    if request.personal is not None:
        request.personal.check_printable(bundled_characters())
    parts = [
        leaflet_part(loaded, renderer, watermark=watermark,
                     personal=request.personal if i == 0 else None,
                     next_review=status.next_review)
        for i, (loaded, status, watermark) in enumerate(judged)
    ]
    title = request.title or " · ".join(loaded.topic.title for loaded, _, _ in judged)
    try:
        pdf = renderer.render_packet(parts, title=title)
    except RenderRefused as error:
        if request.personal is None:
            raise
        withheld = [_withheld(problem, request.personal) for problem in error.problems]
        return PacketResult(problems=tuple(withheld))
    result = PacketResult(
        topics=tuple(loaded for loaded, _, _ in judged), pdf=pdf,
        reviews=tuple(status for _, status, _ in judged),
        watermarks=tuple(watermark for _, _, watermark in judged),
        options=request.options, personal=request.personal is not None,
    )
    if out_dir is None:
        return result
    source = ", ".join(str(loaded.path) for loaded in result.topics)
    if request.personal is not None:
        path = write_personal(out_dir, request.name, suffix, pdf.data, source=source)
    else:
        path = output_path(out_dir, request.name, suffix=suffix, source=source)
        write_atomic(path, pdf.data)
    return replace(result, path=path)


# --------------------------------------------------------------------------------------
# Email
# --------------------------------------------------------------------------------------


def email_leaflet(request: EmailRequest, renderer: Renderer | None = None) -> EmailResult:
    """Render one leaflet and email it: an ``.eml`` draft, or sent over SMTP.

    Only approved, current leaflets go to patients (there is no ``allow_draft``); an example
    topic goes out marked as one. The subject is generic and the body the same for every
    leaflet; the recipient's address appears in no problem. ``renderer`` (a warm one for the
    request's brand, standard variant) saves setting one up.
    """
    from handout_builder.delivery import email as mail  # smtplib, ssl: only email needs them

    handout_id = None
    try:
        brand = request.brand if isinstance(request.brand, LoadedBrand) else load_brand(request.brand)
        sender = request.sender or mail.default_sender(brand)
        loaded, settings = _load(request.topic, request.settings)
        handout_id = loaded.id
        status, _, watermark = _review(loaded, request.as_of, False, settings)
        options = RenderOptions(max_bytes=request.max_bytes)
        if renderer is None or renderer.options != options or renderer.brand.dir != brand.dir:
            renderer = Renderer(brand, options=options)
        pdf = render_topic(loaded, renderer, watermark=watermark, personal=request.personal,
                           next_review=status.next_review)
        mail.check_size(len(pdf.data), request.max_bytes, loaded.id)
        message = mail.build_message(pdf.data, loaded, brand, request.to, sender,
                                     when=request.when, draft=request.smtp is None)
        if request.smtp is not None:
            mail.send_smtp(message, request.smtp)
            return EmailResult(loaded.id, len(pdf.data), sent_to=request.smtp.where)
        draft = mail.write_draft(message, loaded.id, file=request.draft_file,
                                 folder=request.draft_folder,
                                 personal=request.personal is not None, source=str(loaded.path))
        return EmailResult(loaded.id, len(pdf.data), draft=draft)
    except UserError as error:
        return EmailResult(handout_id, problems=tuple(error.problems))


# --------------------------------------------------------------------------------------
# Check and build
# --------------------------------------------------------------------------------------


def check_topics(request: CheckRequest) -> CheckResult:
    """Every check on each topic (schema, review dates, references, reading level, jargon)."""
    from handout_builder.quality.checks import check_paths, exit_status  # readability, jargon

    as_of = request.as_of or review.today()
    renderers: dict[Path, Renderer] = {}  # opened when a page budget needs one
    try:
        reports = [_page_budget(report, renderers)
                   for report in check_paths(request.paths, as_of)]
    finally:
        for renderer in renderers.values():
            renderer.close()  # its copies of the fonts in the temporary folder
    status = exit_status(reports, strict=request.strict)
    return CheckResult(tuple(reports), as_of, request.strict, status)


def _page_budget(report: TopicReport, renderers: dict[Path, Renderer]) -> TopicReport:
    """Add a warning when the standard leaflet (built-in brand) is over the library's page
    budget (``page_budget`` in ``library.yaml``; no budget: nothing is laid out). The
    renderer is opened once (kept in ``renderers``) for all the topics checked."""
    if report.id is None or report.count("error"):
        return report
    path = Path(report.file)
    budget = library_for(path).settings.page_budget
    if budget is None:
        return report
    from handout_builder.paths import DEFAULT_BRAND_DIR  # the brand check has no --brand

    loaded = load_topic(path)
    if DEFAULT_BRAND_DIR not in renderers:
        renderers[DEFAULT_BRAND_DIR] = open_renderer(DEFAULT_BRAND_DIR)
    renderer = renderers[DEFAULT_BRAND_DIR]
    try:
        pages = render_topic(loaded, renderer).pages
    except UserError:
        return report  # what stops a render is reported by render and build
    if pages <= budget:
        return report
    finding = Problem(
        report.file, f"The leaflet takes {pages} pages, over the library's page budget of "
        f"{budget} (page_budget in library.yaml).",
        "Shorten it (keep to what a patient needs first), or split it into two leaflets.",
        severity="warning", code="layout.pages", value=f"{pages} pages")
    return replace(report, findings=[*report.findings, finding])


def build_library(request: BuildConfig, reporter: Reporter | None = None) -> LibraryResult:
    """Build a library incrementally (see :mod:`handout_builder.build.batch`); each worker
    renders with :func:`render_in_folder`, the same code as :func:`render_to_folder` (on a
    Dask cluster, with :func:`render_bytes`)."""
    from handout_builder.build import batch  # process pools, hashing: only build needs them

    try:
        return LibraryResult(build=batch.build(request, reporter, render=render_in_folder,
                                               render_bytes=render_bytes))
    except UserError as error:
        return LibraryResult(problems=tuple(error.problems))


@dataclass(frozen=True)
class FoundLeaflet:
    """One leaflet that answers a code lookup (from a build's manifest)."""

    id: str
    title: str
    language: str
    category: str
    file: str  # the PDF, relative to the output folder (forward slashes)
    code: str  # the leaflet's code that matched, SYSTEM|CODE
    match: str  # "exact", or "broader": an ICD-10-CM category that contains the code asked for
    review_state: str
    brand: str | None = None  # a matrix build's brand and variant; None otherwise
    variant: str | None = None


@dataclass(frozen=True)
class FindResult:
    """The leaflets of a build that carry a code; or the problems (a malformed code, an
    unknown system, no build in the folder)."""

    query: str | None = None  # SYSTEM|CODE as understood
    language: str | None = None
    leaflets: tuple[FoundLeaflet, ...] = ()
    problems: tuple[Problem, ...] = ()

    def json(self) -> str:
        """The JSON document of ``find --format json`` (README: "Find a leaflet by code")."""
        import json

        data = {"query": self.query, "language": self.language,
                "leaflets": [asdict(found) for found in self.leaflets]}
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def find_leaflets(out_dir: Path, code: str, language: str | None = None) -> FindResult:
    """The leaflets built into ``out_dir`` that are about ``code`` (``SYSTEM|CODE``, e.g.
    ``ICD-10-CM|E11.9`` or ``http://loinc.org|4548-4``), read from its manifest: exact
    matches first, then broader ICD-10-CM categories (a leaflet coded E11 answers E11.65).
    ``language`` (a BCP 47 tag) keeps the leaflets in that language (``es`` also matches
    ``es-MX``). Never raises a ``UserError``: problems come back on the result."""
    from handout_builder.domain.codes import matches, parse_query
    from handout_builder.domain.models import LANGUAGE_PATTERN
    from handout_builder.output.manifest import MANIFEST_NAME, read_manifest

    problems = []
    try:
        query = parse_query(code)
    except ValueError as error:
        problems.append(Problem(COMMAND_LINE, f"The code cannot be looked up: {error}.",
                                "Write it as SYSTEM|CODE, e.g. ICD-10-CM|E11.9, in quotes "
                                "(the | means something to the shell).", field="--code"))
    if language is not None and not re.fullmatch(LANGUAGE_PATTERN, language):
        problems.append(Problem(COMMAND_LINE, "This is not a language tag.",
                                "Use a language tag such as en, en-US or es.", field="--lang"))
    if problems:
        return FindResult(problems=tuple(problems))
    entries = read_manifest(out_dir)
    if not entries and not (out_dir / MANIFEST_NAME).is_file():
        return FindResult(problems=(Problem(
            str(out_dir), "There is no build here (no manifest.json), so no leaflet to find.",
            f"Build the library first (make-handout build --out {out_dir}), or name the "
            "output folder of a build with --out."),))
    wanted = language.casefold() if language else None
    found = []
    for entry in entries.values():
        tag = entry.language.casefold()
        if wanted and tag != wanted and not tag.startswith(wanted + "-"):
            continue
        hits = sorted((how != "exact", token) for token in entry.codes
                      if (how := matches(query, token)) is not None)
        if hits:
            broader, token = hits[0]
            found.append(FoundLeaflet(
                id=entry.id, title=entry.title, language=entry.language,
                category=entry.category, file=entry.output, code=token,
                match="broader" if broader else "exact", review_state=entry.review_state,
                brand=entry.brand, variant=entry.variant))
    found.sort(key=lambda f: (f.match != "exact", f.title.casefold(), f.language, f.file))
    # (f.file orders a matrix build's leaflets by brand, then variant)
    return FindResult(query=query.token, language=language, leaflets=tuple(found))


def render_in_folder(
    path: Path, renderer: Renderer, out_dir: Path, as_of: date | None, allow_draft: bool
) -> RenderResult:
    """One topic file of a build, in a worker with a warm ``renderer`` (module level, so that
    worker processes find it by name)."""
    request = RenderRequest(topic=path, brand=renderer.brand, options=renderer.options,
                            as_of=as_of, allow_draft=allow_draft)
    return render_to_folder(request, out_dir, renderer)


def desk_worker_context() -> Any:
    """The multiprocessing context of the desk's render workers: spawned, importing what this
    process imports and never from the current folder
    (:func:`handout_builder.build.fork_server.children_import_as_this_process`)."""
    import multiprocessing

    from handout_builder.build.fork_server import children_import_as_this_process

    children_import_as_this_process()
    return multiprocessing.get_context("spawn")


def desk_worker_folder() -> WorkerFolder:
    """A new folder for one desk render worker's temporary files (WeasyPrint's copies of the
    fonts), locked by this process until its ``remove()``. Those of desks and builds that
    were killed are removed first (:mod:`handout_builder.build.scratch`)."""
    from handout_builder.build.scratch import DESK_PREFIX, Scratch

    return Scratch(DESK_PREFIX)


def render_bytes(
    data: bytes, name: str, renderer: Renderer, as_of: date | None, allow_draft: bool,
    settings: LibrarySettings,
) -> RenderResult:
    """One topic of a build given as bytes (``name``: its path, as problems name it), on a
    remote worker with a warm ``renderer`` and the library ``settings`` that apply to it:
    :func:`render_leaflet`, writing nothing (module level, so that workers find it by name)."""
    request = RenderRequest(topic=TopicBytes(data, name), brand=renderer.brand,
                            options=renderer.options, as_of=as_of, allow_draft=allow_draft,
                            settings=settings)
    return render_leaflet(request, renderer)


# --------------------------------------------------------------------------------------
# Stage functions: the building blocks underneath (these raise UserError)
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Written:
    """One leaflet that was rendered and published (see :func:`render_file`)."""

    loaded: LoadedTopic
    path: Path | None  # None: the PDF was not written to a file (``out_dir`` None: stdout)
    pdf: RenderedPdf
    review: ReviewStatus
    watermark: str | None = None  # the watermark printed (the words), or None


def check_review(
    loaded: LoadedTopic, as_of: date | None = None, allow_draft: bool = False,
    settings: LibrarySettings | None = None,
) -> tuple[ReviewStatus, str | None]:
    """Stage 2b, the rendering policy: the review status and the watermark to print (or None).

    Raises ReviewRefused for a draft, withdrawn, never-reviewed, overdue or future-dated
    topic unless ``allow_draft`` (see :func:`review.policy`; an example topic is always printed,
    and the template marks it as one). ``as_of`` defaults to today; ``settings`` to those of
    the ``library.yaml`` beside ``loaded.path``.
    """
    if settings is None:
        settings = library_for(loaded.path).settings
    status, _, watermark = _review(loaded, as_of, allow_draft, settings)
    return status, watermark


def leaflet_part(
    loaded: LoadedTopic,
    renderer: Renderer,
    *,
    watermark: str | None = None,
    personal: PersonalCopy | None = None,
    next_review: date | None = None,
) -> LeafletPart:
    """Stage 3: one leaflet's HTML (from the templates), with its source, safety marks and
    figures (checked again here: a topic given as bytes or a model was not loaded from its
    folder). Raises InvalidTopic for a figure that cannot be used."""
    figures = figure_files(loaded) if any(s.figures for s in loaded.topic.sections) else []
    if next_review is None and loaded.topic.is_reviewed:  # the default review interval
        next_review = review_state(loaded.topic, review.today(), LibrarySettings()).next_review
    html = render_html(loaded, renderer.brand, watermark=watermark, personal=personal,
                       figures=figure_context(figures), next_review=next_review,
                       other_languages=_language_list(loaded) if renderer.brand.brand.other_languages else (),
                       translation=_translation_line(loaded, renderer.brand))
    topic = loaded.topic
    reviewed = topic.review.reviewed if topic.review is not None and topic.is_reviewed else None
    source = SourceFile(name=loaded.path.name, data=loaded.source, reviewed=reviewed)
    marks = SafetyMarks(  # must be visible as painted, whatever the brand's CSS
        watermark=watermark,
        notice=None if topic.is_reviewed else messages_for(topic.language).not_reviewed_banner,
    )
    return LeafletPart(html, source_name=str(loaded.path), source=source, marks=marks,
                       files=tuple(figure.path for figure in figures))


def render_topic(
    loaded: LoadedTopic,
    renderer: Renderer,
    *,
    watermark: str | None = None,
    personal: PersonalCopy | None = None,
    next_review: date | None = None,
) -> RenderedPdf:
    """Stages 3 and 4: HTML from the templates, then the PDF.

    ``personal`` (one patient's details) is printed on the first page only: the output name
    and the PDF metadata come from the topic and the brand, never from it.
    """
    if personal is not None:
        personal.check_printable(bundled_characters())  # before layout: a font problem names the option only
    part = leaflet_part(loaded, renderer, watermark=watermark, personal=personal,
                        next_review=next_review)
    try:
        return renderer.render_packet([part])
    except RenderRefused as error:
        if personal is None:
            raise
        problems = [_withheld(problem, personal) for problem in error.problems]
    raise RenderRefused(problems)  # outside the except block: no chained error to print


def _language_name(tag: str, in_locale: object = None) -> str:
    """A language's name: in itself (its catalogue's, else CLDR's), or in ``in_locale``
    (a Babel locale: "英语" for English in a Chinese leaflet); else the tag."""
    if in_locale is None and supports(tag):
        return messages_for(tag).language_name
    try:
        from babel import Locale

        locale = Locale.parse(tag, sep="-")
        return locale.get_display_name(in_locale or locale) or tag
    except (ValueError, LookupError):
        return tag


def _language_list(loaded: LoadedTopic) -> tuple[tuple[str, str, str], ...]:
    """(tag, name in its own script, direction) of each other language of the leaflet."""
    return tuple((tag, _language_name(tag), direction(tag)) for tag in other_languages(loaded))


def _translation_line(loaded: LoadedTopic, brand: LoadedBrand) -> str | None:
    """"Translated from the English version 1.0 by ... (professional translator)." and its
    language review, in the leaflet's language; None for a source topic."""
    block = loaded.topic.translation
    if block is None:
        return None
    t = messages_for(loaded.topic.language, region_subtag(brand.brand.locale))
    method = t.format("method_" + block.method.replace("-with-human-review", "_reviewed")
                      .replace("-", "_"))
    line = t.format("translated_from", language=_language_name(block.source_language, t.locale),
                    version=block.source_version or "", translator=isolate(block.translator),
                    method=method).replace("  ", " ")
    if block.review is not None and block.review.is_reviewed:
        assert block.review.reviewed is not None
        line += " " + t.format("translation_review", reviewer=isolate(block.review.reviewer),
                               date=t.date(block.review.reviewed))
    else:
        line += " " + t.translation_not_reviewed
    return line


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
    """All stages for one topic file; raises a UserError subclass when the input is at fault
    (the raising form of :func:`render_to_folder` / :func:`render_leaflet`).

    The leaflet goes to ``out_dir/<id>[.variant].pdf``; a personal copy to a new
    ``<id>[.variant].personal-<token>.pdf`` that never replaces another file (see
    :func:`~handout_builder.output.store.personal_path`). With ``out_dir`` None nothing is written.
    """
    request = RenderRequest(topic=Path(path), brand=renderer.brand, options=renderer.options,
                            personal=personal, as_of=as_of, allow_draft=allow_draft)
    result = _render(request, renderer, out_dir)
    assert result.topic is not None and result.pdf is not None and result.review is not None
    return Written(loaded=result.topic, path=result.path, pdf=result.pdf, review=result.review,
                   watermark=result.watermark)


# --------------------------------------------------------------------------------------
# Translations: status, export and import for translators, fingerprint stamping
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TranslationRow:
    """One language of one topic: its file and state (``current``, ``translation-outdated``,
    ``translation-not-reviewed``, ``overdue``... or ``invalid``: see ``problems``)."""

    id: str
    language: str
    file: str
    state: str
    source: bool = False  # the source topic itself (not a translation)
    drift: tuple[str, ...] = ()
    problems: tuple[Problem, ...] = ()


@dataclass(frozen=True)
class TranslationStatus:
    rows: tuple[TranslationRow, ...]
    as_of: date

    @property
    def exit_status(self) -> int:
        """1 when a translation is not printable as current (drifted, unreviewed, invalid)."""
        bad = {"invalid", "translation-outdated", "translation-not-reviewed"}
        return 1 if any(row.state in bad for row in self.rows) else 0

    def text(self) -> str:
        lines = [f"{'topic':<24} {'language':<10} {'state':<26} file"]
        for row in self.rows:
            lines.append(f"{row.id:<24} {row.language:<10} {row.state:<26} {row.file}"
                         + (" (source)" if row.source else ""))
            lines += [f"{'':<36}changed: {part}" for part in row.drift]
            lines += [f"{'':<36}{problem}" for problem in row.problems]
        return "\n".join(lines) + "\n"

    def json(self) -> str:
        import json

        return json.dumps({
            "as_of": self.as_of.isoformat(),
            "topics": [
                {"id": row.id, "language": row.language, "file": row.file, "state": row.state,
                 "source": row.source, "drift": list(row.drift),
                 "problems": [str(p) for p in row.problems]}
                for row in self.rows
            ],
        }, indent=2, ensure_ascii=False)


def translation_status(folder: Path, as_of: date | None = None) -> TranslationStatus:
    """Every topic of a library folder with its languages and their states."""
    from handout_builder.sources.library import topic_files, translation_files

    as_of = as_of or review.today()
    translations = translation_files(folder)
    rows: list[TranslationRow] = []
    for path in topic_files(folder):
        settings = library_for(path).settings
        try:
            source = load_topic(path)
        except UserError as error:
            rows.append(TranslationRow(path.stem, "?", str(path), "invalid",
                                       source=True, problems=tuple(error.problems)))
            continue
        status = review_state(source.topic, as_of, settings)
        rows.append(TranslationRow(source.id, source.topic.language, str(path),
                                   status.state.value, source=True))
        for language, file in translations.get(source.id, {}).items():
            try:
                loaded = load_topic(file)
                checked = check_translation(loaded)
                drift = checked.drift if checked is not None else ()
                state = review_state(loaded.topic, as_of, settings, drift)
                rows.append(TranslationRow(source.id, language, str(file), state.state.value,
                                           drift=drift))
            except UserError as error:
                rows.append(TranslationRow(source.id, language, str(file), "invalid",
                                           problems=tuple(error.problems)))
    return TranslationStatus(tuple(rows), as_of)


def export_translation(source: Path, language: str) -> tuple[bytes | None, tuple[Problem, ...]]:
    """A PO catalogue for translating ``source`` into ``language`` (with the existing
    translation's texts when there is one beside it)."""
    from handout_builder.sources.exchange import export_po

    try:
        loaded = load_topic(source)
        existing_path = source.with_name(f"{loaded.id}.{language}.yaml")
        existing = load_topic(existing_path).topic if existing_path.is_file() else None
        return export_po(loaded.topic, language, existing), ()
    except UserError as error:
        return None, tuple(error.problems)


def import_translation(
    data: bytes | Path, name: str, source: Path, *, translator: str, method: str,
    translated: date,
) -> tuple[Path | None, tuple[Problem, ...]]:
    """Write ``<id>.<lang>.yaml`` beside ``source`` from a translated PO catalogue (bytes,
    or a file; checked by loading the result, as every topic is, before it replaces
    anything)."""
    from handout_builder.sources.exchange import import_po, topic_yaml
    from handout_builder.sources.loader import read_regular_file

    if isinstance(data, Path):
        try:
            data = read_regular_file(data)
        except OSError as error:
            return None, (Problem(name, f"The file cannot be read ({error.strerror}).",
                                  "Name the translated PO file."),)
    try:
        loaded = load_topic(source)
        language, topic_data = import_po(data, name, loaded.topic, translator=translator,
                                         method=method, translated=translated)
        target = source.with_name(f"{loaded.id}.{language}.yaml")
        text = topic_yaml(topic_data)
        load_topic_bytes(text, target)  # the result must be a valid translation
        write_atomic(target, text)
        return target, ()
    except UserError as error:
        return None, tuple(error.problems)


def stamp_translation(path: Path) -> tuple[bool, tuple[Problem, ...]]:
    """Record the current fingerprint of its source in a translation file (after the
    changed parts were translated again). True when the file changed."""
    from handout_builder.domain.translation import fingerprint
    from handout_builder.sources.exchange import stamp
    from handout_builder.sources.library import source_of

    try:
        loaded = load_topic(path)
        source_path = source_of(path)
        if loaded.topic.translation is None or source_path is None:
            raise UserError(Problem(str(path), "This is not a translation beside its source.",
                                    "Name a <id>.<lang>.yaml file next to <id>.yaml."))
        source = load_topic(source_path)
        text = loaded.source.decode("utf-8")
        new = stamp(text, fingerprint(source.topic))
        if new == text:
            return False, ()
        load_topic_bytes(new.encode("utf-8"), path)
        write_atomic(path, new.encode("utf-8"))
        return True, ()
    except UserError as error:
        return False, tuple(error.problems)


# --------------------------------------------------------------------------------------
# A library as a front end lists it (the web desk)
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LeafletInfo:
    """One topic file of a library, read once: what a front end lists, searches and renders.

    ``source`` is the exact bytes that were validated: render those (as :class:`TopicBytes`
    named ``name``), never the file again, so an edit under way is never half-read.
    """

    id: str
    language: str
    title: str
    category: str
    path: Path
    name: str  # the path relative to the library folder (stands for the file in problems)
    source: bytes = field(repr=False)
    settings: LibrarySettings
    topic: Topic = field(repr=False)
    review: ReviewStatus
    #: Words to find it by: summary, key points, headings and answers (Markdown as written).
    text: str = ""
    #: Keywords and synonyms the topic lists (``keywords:``; not printed).
    keywords: tuple[str, ...] = ()
    #: Diagnosis, drug and test codes, ``SYSTEM|CODE`` (``ICD-10-CM|E11.9``; domain/codes.py).
    codes: tuple[str, ...] = ()

    @property
    def printable(self) -> bool:
        """Printed without ``allow_draft``: current, due soon, or an example (the review policy)."""
        return self.review.printable

    def topic_bytes(self) -> TopicBytes:
        """The bytes as read, named by the file's full path: its figures, and a
        translation's source, are found beside it."""
        return TopicBytes(self.source, str(self.path))


def library_topic_files(folder: Path) -> list[Path]:
    """Every leaflet file of a library folder: its topic files (the one discovery rule of
    ``check`` and ``build``) and their translations (``<id>.<lang>.yaml``, each a complete
    topic in its own language), in a stable order."""
    from handout_builder.sources.library import topic_files, translation_files

    folder = Path(folder)
    translations = [path for languages in translation_files(folder).values()
                    for path in languages.values()]
    return sorted([*topic_files(folder), *translations],
                  key=lambda path: path.relative_to(folder).as_posix())


class TopicCache(Protocol):
    """Topics as their exact bytes validated before (a front end's cache, kept under the
    same :func:`validation_rules`): ``name`` is the file's path in the library."""

    def topic(self, name: str, data: bytes) -> Topic | None: ...

    def remember(self, name: str, data: bytes, topic: Topic) -> None: ...


def read_leaflet(path: Path, folder: Path, as_of: date | None = None,
                 cache: TopicCache | None = None) -> LeafletInfo:
    """Read and validate one topic file of the library in ``folder``: its :class:`LeafletInfo`.

    Raises ``UserError`` (an invalid, unreadable or half-written file). The bytes are read
    once; the review state is judged on ``as_of`` (None: today) with the file's library
    settings. ``cache`` may give the topic these exact bytes validated to before (then
    they are not validated again), and learns the ones validated now.
    """
    from handout_builder.sources.loader import read_regular_file

    path = Path(path)
    name = path.relative_to(folder).as_posix() if path.is_relative_to(folder) else path.name
    settings = library_for(path).settings
    data = read_regular_file(path)
    topic = cache.topic(name, data) if cache is not None else None
    if topic is None:
        topic = load_topic_bytes(data, name).topic
        if cache is not None:
            cache.remember(name, data, topic)
    # a translation: its source's codes (read now, never from a cache)
    loaded = inherit_codes(LoadedTopic(path=Path(name), source=data, topic=topic), path)
    topic = loaded.topic
    status = review_state(topic, as_of or review.today(), settings)
    words = [topic.short_title or "", topic.summary or "", *topic.key_points]
    for section in topic.sections:
        words += [section.heading, section.body]
    return LeafletInfo(
        id=topic.id, language=topic.language, title=topic.title, category=topic.category,
        path=path, name=name, source=data, settings=settings, topic=topic, review=status,
        text="\n".join(w for w in words if w), keywords=tuple(topic.keywords),
        codes=tuple(code.token for code in topic.codes),
    )


def validation_rules() -> str:
    """A hash of everything but a topic's bytes that decides whether it validates and what
    to: this make_handout's version, the code and data of its models and loaders, its
    message catalogues, and the fonts (bundled and installed). A cache of validated topics
    is good only while this is unchanged."""
    import hashlib

    from handout_builder import __version__, paths
    from handout_builder.sources.fonts import cjk_font_paths

    package = Path(__file__).resolve().parent
    digest = hashlib.sha256(__version__.encode())
    for file in sorted([*(package / "domain").glob("*.py"), *(package / "sources").glob("*.py"),
                        package / "assets" / "errors.yaml"]):
        digest.update(file.name.encode() + b"\0" + file.read_bytes())
    for file in sorted([*(package / "assets" / "messages").iterdir(), *paths.FONTS_DIR.iterdir(),
                        *cjk_font_paths()]):
        info = file.stat()
        digest.update(f"{file}\0{info.st_size}\0{info.st_mtime_ns}\0".encode())
    return digest.hexdigest()


def source_stamp(path: Path) -> tuple[int, ...]:
    """For a translation, its source's ``(st_mtime_ns, st_size)`` (its codes are the
    source's: a front end that keeps what :func:`read_leaflet` returned reads the
    translation again when either file changes); ``()`` for a source or a missing one."""
    from handout_builder.sources.library import source_of

    source = source_of(Path(path))
    try:
        found = source.stat() if source is not None else None
    except OSError:
        return ()
    return (found.st_mtime_ns, found.st_size) if found is not None else ()


def judge_review(info: LeafletInfo, as_of: date | None = None) -> ReviewStatus:
    """The review state of a listed leaflet on ``as_of`` (None: today): states change with
    the date, the file need not."""
    return review_state(info.topic, as_of or review.today(), info.settings)


def open_brand(folder: Path) -> LoadedBrand:
    """A brand folder, loaded and checked (raises ``UserError`` for an unusable brand)."""
    return load_brand(folder)


def smtp_server(host: str, port: int, starttls: bool = False, user: str | None = None,
                password: str | None = None) -> SmtpServer:
    """Where an :class:`EmailRequest` is sent (see :mod:`handout_builder.delivery.email`)."""
    from handout_builder.delivery.email import SmtpServer  # see email_leaflet

    return SmtpServer(host, port, starttls=starttls, user=user, password=password)


def check_address(address: str) -> None:
    """Raise ``UserError`` unless ``address`` is one email address (the CLI's rule)."""
    from handout_builder.delivery.email import check_address as check  # see email_leaflet

    check(address, "to")


def preview_pages(pdf: bytes, width: int = 600) -> list[bytes]:
    """Each page of a rendered leaflet as a PNG ``width`` pixels wide (a front end's preview)."""
    from handout_builder.render.preview import page_images  # PDFium: only previews need it

    return page_images(pdf, width)


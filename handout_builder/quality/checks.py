"""Content checks (``make-handout check``): plain functions that return findings.

Each check takes a loaded topic (and the date and settings it needs) and returns a list of
findings, each a :class:`~handout_builder.domain.problems.Problem` with a severity (error,
warning, info) and a stable code: file:line:column (and where the text ends), the field, the
value and a plain explanation. Errors make ``check`` exit 1; warnings only with
``--strict``; infos are facts (the review date, the reading level). docs/checks.md lists
every code and the JSON output.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path

from handout_builder.domain.locale import primary_subtag
from handout_builder.domain.models import COLUMN_WIDTH_MM, MIN_FIGURE_DPI
from handout_builder.sources.markdown import CALLOUT_KINDS, callout_kind, markdown_parser
from handout_builder.domain.positions import Path_, end_of, field_name, position_of
from handout_builder.domain.problems import Problem, UserError, printable
from handout_builder.sources.library import SETTINGS_FILE_NAME, Library, library_for, load_library, topic_files, translation_files
from handout_builder.sources.translations import check_translation
from handout_builder.sources.loader import LoadedTopic, load_topic
from handout_builder.quality.readability import (
    no_formula,
    Sentence,
    is_passive,
    level,
    sentence_difficulty,
    sentences_of,
    supported,
    words,
)
from handout_builder.domain.review import (
    ReviewState, ReviewStatus, add_months, review_date_in_future, review_state,
)

JSON_FORMAT_VERSION = 1
SEVERITIES = ("error", "warning", "info")
HARDEST_SENTENCES = 3
STALE_INTERVALS = 3  # access dates older than this many review intervals are stale

def finding_json(finding: Problem) -> dict:
    """One finding of ``check --format json`` (docs/checks.md)."""
    return {
        "severity": finding.severity,
        "code": finding.code,
        "file": finding.file,
        "line": finding.line,
        "column": finding.column,
        "end_line": finding.end_line,
        "end_column": finding.end_column,
        "field": finding.field,
        "value": finding.value,
        "message": finding.message,
        "fix": finding.fix,
    }


@dataclass
class TopicReport:
    """Everything ``check`` found about one file."""

    file: str
    id: str | None = None
    status: str | None = None
    review: ReviewStatus | None = None
    reading: dict | None = None
    findings: list[Problem] = field(default_factory=list)

    def count(self, severity: str) -> int:
        return sum(1 for f in self.findings if f.severity == severity)


# --------------------------------------------------------------------------------------
# Locating text in the source
# --------------------------------------------------------------------------------------


class Locator:
    """Turns a field path (and a piece of text in it) into file, line and column."""

    def __init__(self, loaded: LoadedTopic):
        self.file = str(loaded.path)
        self.positions = loaded.positions
        self.lines = loaded.source.decode("utf-8-sig", errors="replace").splitlines()

    def range(self, path: Path_) -> tuple[int | None, int | None, int | None, int | None]:
        """Line and column where the field starts, and where its value ends (when known)."""
        found = position_of(path, self.positions)
        return (*found, *end_of(found)) if found else (None, None, None, None)

    def text_range(self, path: Path_, snippet: str
                   ) -> tuple[int | None, int | None, int | None, int | None]:
        """Where ``snippet`` (its first words) starts and ends, searching from the field's
        line on; the field's range when they are not found."""
        line, column, end_line, end_column = self.range(path)
        first = words(snippet)[:3]
        if line is None or not first:
            return line, column, end_line, end_column
        pattern = re.compile(r"\W+".join(re.escape(w) for w in first))
        for number in range(line - 1, min(len(self.lines), line + 400)):
            match = pattern.search(self.lines[number])
            if match:
                return number + 1, match.start() + 1, number + 1, match.end() + 1
        return line, column, end_line, end_column

    def finding(self, severity: str, code: str, path: Path_, message: str, *,
                fix: str = "", value: str | None = None, snippet: str = "") -> Problem:
        line, column, end_line, end_column = (
            self.text_range(path, snippet) if snippet else self.range(path))
        return Problem(self.file, message, fix, field_name(path), line, column, value,
                       end_line, end_column, severity=severity, code=code)


def _short(text: str, limit: int = 70) -> str:
    return text if len(text) <= limit else text[: limit - 3].rstrip() + "..."


# --------------------------------------------------------------------------------------
# The text of a topic, by field
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Block:
    """The sentences of one field: ``path`` locates it in the file."""

    path: Path_
    sentences: list[Sentence]


def prose_blocks(loaded: LoadedTopic) -> list[Block]:
    """The reading text of the leaflet: summary, key points and section bodies."""
    topic = loaded.topic
    blocks = []
    if topic.summary:
        blocks.append(Block(("summary",), sentences_of(topic.summary)))
    for i, point in enumerate(topic.key_points):
        blocks.append(Block(("key_points", i), sentences_of(point)))
    for i, section in enumerate(topic.sections):
        blocks.append(Block(("sections", i, "body"), sentences_of(section.body)))
    return blocks


def all_text_blocks(loaded: LoadedTopic) -> list[Block]:
    """Every text a reader sees: the title and headings as well as the prose."""
    topic = loaded.topic
    blocks = [Block(("title",), [Sentence(topic.title, 0)])]
    blocks += [
        Block(("sections", i, "heading"), [Sentence(s.heading, 0)])
        for i, s in enumerate(topic.sections)
    ]
    return blocks + prose_blocks(loaded)


# --------------------------------------------------------------------------------------
# The checks
# --------------------------------------------------------------------------------------


def review_findings(loaded: LoadedTopic, status: ReviewStatus, loc: Locator) -> list[Problem]:
    """The review state (from :func:`review.classify`, the rule every command uses) and what
    the rendering policy (:func:`review.policy`) does with it.

    An error is a topic that ``render`` refuses; an example topic (``example: true``) is
    always printed, marked as an example, so its review dates are only reported (info).
    """
    state = status.state
    reviewed_path: Path_ = ("review", "reviewed") if loaded.topic.review else ("status",)
    example = status.example and state not in (ReviewState.DRAFT, ReviewState.WITHDRAWN)
    date_severity = "info" if example else "error"
    not_printed = (
        "As an example topic it is still printed, marked EXAMPLE · NOT MEDICAL ADVICE."
        if example else "It is not printed."
    )
    found = []
    if example:
        found.append(loc.finding(
            "info", "review.example", ("example",),
            "Example topic: always printed marked EXAMPLE · NOT MEDICAL ADVICE (every page's "
            "footer, a banner on the first), never as a current leaflet, whatever its review "
            "dates.", value="true"))
    if state is ReviewState.WITHDRAWN:
        found.append(loc.finding("info", "review.withdrawn", ("status",),
                                 "Withdrawn: this topic is not printed.", value="withdrawn"))
    elif state is ReviewState.DRAFT:
        found.append(loc.finding(
            "warning", "review.draft", ("status",),
            "Draft: not printed until it is approved (proofs only, with --allow-draft).",
            fix="When the medical review is done, set `status: approved`.", value="draft"))
    elif state is ReviewState.NEVER_REVIEWED:
        found.append(loc.finding(
            date_severity, "review.never-reviewed",
            ("review",) if loaded.topic.review else ("status",),
            f"Marked approved but never medically reviewed. {not_printed}",
            fix="Fill in `review: reviewer` and `reviewed` with the medical review."))
    elif state is ReviewState.FUTURE_DATE:
        found.append(loc.finding(
            date_severity, "review.future-date", ("review", "reviewed"),
            f"The review date is after {status.as_of}: a review cannot be in the future. "
            f"{not_printed}",
            fix="Correct the date (YYYY-MM-DD).", value=str(status.reviewed)))
    elif state is ReviewState.OVERDUE:
        found.append(loc.finding(
            date_severity, "review.overdue", reviewed_path,
            f"The review is overdue: it was due on {status.next_review} "
            f"({-status.days_left} days ago, every {status.interval_months} months). "  # type: ignore[operator]
            f"{not_printed}",
            fix="Have the topic reviewed again and update `review: reviewed`.",
            value=str(status.reviewed)))
    elif state is ReviewState.DUE_SOON:
        found.append(loc.finding(
            "info" if example else "warning", "review.due-soon", reviewed_path,
            f"The next review is due on {status.next_review}, in {status.days_left} days.",
            fix="Plan the review now.", value=str(status.reviewed)))
    else:
        found.append(loc.finding(
            "info", "review.current", reviewed_path,
            f"Review current; next review due on {status.next_review}.",
            value=str(status.reviewed)))
    if state in (ReviewState.DRAFT, ReviewState.WITHDRAWN) and review_date_in_future(
        status.reviewed, status.as_of
    ):  # not printed anyway, but the date is wrong: say so before it is approved
        found.append(loc.finding(
            "error", "review.future-date", ("review", "reviewed"),
            f"The review date is after {status.as_of}: a review cannot be in the future.",
            fix="Correct the date (YYYY-MM-DD).", value=str(status.reviewed)))
    return found


def translation_findings(loaded: LoadedTopic, status: ReviewStatus, loc: Locator) -> list[Problem]:
    """A translation: each part of its source that changed since it was made (drift: an error,
    as for an overdue review, since the policy refuses it), and a missing language review."""
    block = loaded.topic.translation
    if block is None:
        return []
    found = [
        loc.finding("error", "translation.drift", ("translation", "fingerprint"),
                    f"The source's {part} changed after this translation was made. It is not "
                    "printed.", fix="Translate the change, then run make-handout "
                    "translate-status --stamp on this file.", value=part)
        for part in status.drift
    ]
    if block.review is None or not block.review.is_reviewed:
        example = loaded.topic.example
        found.append(loc.finding(
            "info" if example else "error", "translation.not-reviewed", ("translation",),
            "No second person has checked this translation. " + (
                "As an example topic it is still printed, marked as an example." if example
                else "It is not printed."),
            fix="Have it checked and fill in `translation: review: reviewer` and `reviewed`."))
    return found


def reference_findings(loaded: LoadedTopic, status: ReviewStatus, loc: Locator) -> list[Problem]:
    """References without a URL or access date, and evidence read too long ago."""
    found = []
    for i, ref in enumerate(loaded.topic.references):
        path: Path_ = ("references", i)
        if ref.url is None:
            found.append(loc.finding(
                "warning", "reference.no-url", path,
                "This reference has no web address, so readers and reviewers cannot find it.",
                fix="Add `url:` (https://...).", value=_short(ref.title)))
        if ref.accessed is None:
            found.append(loc.finding(
                "warning", "reference.no-access-date", path,
                "This reference has no access date, so nobody knows how fresh the evidence is.",
                fix="Add `accessed: YYYY-MM-DD`, the day the source was read.",
                value=_short(ref.title)))
            continue
        stale_after = add_months(ref.accessed, STALE_INTERVALS * status.interval_months)
        if ref.accessed > status.as_of:
            found.append(loc.finding(
                "error", "reference.future-date", path + ("accessed",),
                f"The access date is after {status.as_of}.",
                fix="Correct the date (YYYY-MM-DD).", value=str(ref.accessed)))
        elif status.as_of > stale_after:
            found.append(loc.finding(
                "warning", "reference.stale", path + ("accessed",),
                f"Stale evidence: the source was read more than {STALE_INTERVALS} review "
                f"intervals ({STALE_INTERVALS * status.interval_months} months) ago.",
                fix="Read the source again, check the leaflet still agrees, and update "
                "`accessed:`.", value=str(ref.accessed)))
    return found


def reading_findings(loaded: LoadedTopic, library: Library, loc: Locator
                     ) -> tuple[list[Problem], dict | None]:
    """Reading level per section and for the whole leaflet, and the hardest sentences."""
    topic = loaded.topic
    settings = library.settings
    if not supported(topic.language):
        return [loc.finding("info", "reading.unsupported-language", ("language",),
                            no_formula(topic.language),
                            fix="Have people who read the language check it (for example "
                            "with teach-back), and keep the source's short sentences and "
                            "everyday words.")], None
    language = primary_subtag(topic.language)
    spanish = language == "es"
    found: list[Problem] = []

    def judge(path: Path_, what: str, sentences: list[Sentence]) -> dict:
        result = level(sentences, language)
        if spanish:
            value = f"Fernandez-Huerta {result.ease}"
            hard = result.ease is not None and result.ease < settings.spanish_reading_ease_target
            target = f"at least {settings.spanish_reading_ease_target:g} (higher is easier)"
        else:
            value = f"grade {result.grade}"
            hard = result.grade is not None and result.grade > settings.reading_grade_target
            target = f"grade {settings.reading_grade_target:g} or lower"
        if hard:
            found.append(loc.finding(
                "warning", "reading.level", path,
                f"{what} reads above the target ({target}).",
                fix="Use shorter sentences and everyday words; the hardest sentences are listed.",
                value=value))
        else:
            found.append(loc.finding("info", "reading.level", path,
                                     f"{what} is within the target ({target}).", value=value))
        return result.as_dict()

    sections = []
    for i, section in enumerate(topic.sections):
        sentences = sentences_of(section.body)
        measured = judge(("sections", i, "body"), f"Section {i + 1} ({section.heading})", sentences)
        sections.append({"field": f"sections.{i + 1}.body", "heading": section.heading, **measured})
    blocks = prose_blocks(loaded)
    everything = [s for b in blocks for s in b.sentences]
    whole = judge((), "The whole leaflet", everything)
    if not spanish:
        result = level(everything, language)
        if result.smog is not None:
            found.append(loc.finding("info", "reading.smog", (),
                                     "SMOG grade of the whole leaflet.", value=f"SMOG {result.smog}"))
        else:
            found.append(loc.finding(
                "info", "reading.smog-skipped", (),
                f"SMOG needs at least 30 sentences; this leaflet has {len(everything)}, so "
                "only Flesch-Kincaid is reported.", value=f"{len(everything)} sentences"))
    limit = (100 - settings.spanish_reading_ease_target) if spanish else settings.reading_grade_target
    scored = [(sentence_difficulty(s, language), b.path, s) for b in blocks for s in b.sentences
              if len(words(s.text)) > 2]
    scored = [item for item in scored if item[0] > limit]
    scored.sort(key=lambda item: -item[0])
    for score, path, sentence in scored[:HARDEST_SENTENCES]:
        shown = f"ease {round(100 - score, 1)}" if spanish else f"grade {score}"
        found.append(loc.finding(
            "info", "reading.hard-sentence", path,
            f"One of the hardest sentences ({shown}): \"{_short(sentence.text, 90)}\"",
            fix="Split it, or use shorter words.", value=shown, snippet=sentence.text))
    return found, {"language": language, "whole": whole, "sections": sections}


def sentence_findings(loaded: LoadedTopic, library: Library, loc: Locator) -> list[Problem]:
    """Very long sentences, and sections where many sentences are passive."""
    settings = library.settings
    language = loaded.topic.language
    found = []
    for block in prose_blocks(loaded):
        for sentence in block.sentences:
            count = len(words(sentence.text))
            if count > settings.long_sentence_words:
                found.append(loc.finding(
                    "warning", "sentence.long", block.path,
                    f"A very long sentence ({count} words; the limit is "
                    f"{settings.long_sentence_words}): \"{_short(sentence.text, 90)}\"",
                    fix="Split it into two or three sentences.", value=f"{count} words",
                    snippet=sentence.text))
        if block.path[0] != "sections":
            continue
        passive = [s for s in block.sentences if is_passive(s, language)]
        if len(passive) >= 2 and len(passive) / len(block.sentences) > settings.passive_share:
            found.append(loc.finding(
                "warning", "sentence.passive", block.path,
                f"{len(passive)} of {len(block.sentences)} sentences are passive (e.g. "
                f"\"{_short(passive[0].text, 60)}\"); active sentences say who does what.",
                fix="Rewrite some as active: 'Your doctor will test...' rather than "
                "'A test will be done...'.",
                value=f"{round(100 * len(passive) / len(block.sentences))}% passive"))
    return found


def _explained(plain: str, text: str, match: re.Match) -> bool:
    before = text[: match.start()].rstrip()
    after = text[match.end():].lstrip()
    if before.endswith("(") or after.startswith("("):
        return True
    if re.match(r"(?:is|are|means|—|-|:)\s", after) or re.search(r"\bcalled\s*$", before):
        return True
    return plain.lower() in text.lower()


def jargon_findings(loaded: LoadedTopic, library: Library, loc: Locator) -> list[Problem]:
    """Medical terms from the jargon lists that the text uses without explaining them."""
    terms = library.jargon.get(primary_subtag(loaded.topic.language), ())
    sentences = [(b.path, s) for b in all_text_blocks(loaded) for s in b.sentences]
    found = []
    for entry in terms:
        pattern = re.compile(r"\b" + re.escape(entry.term) + r"(?:s|es)?\b", re.IGNORECASE)
        first = None
        explained = False
        for path, sentence in sentences:
            for match in pattern.finditer(sentence.text):
                first = first or (path, sentence, match)
                if _explained(entry.plain, sentence.text, match):
                    explained = True
        if first and not explained:
            path, sentence, match = first
            found.append(loc.finding(
                "warning", "jargon", path,
                f"Medical term without an explanation; plain words: \"{entry.plain}\".",
                fix=f"Write \"{entry.plain}\", or explain the term once: "
                f"\"{entry.plain} ({entry.term})\".",
                value=match.group(0), snippet=sentence.text[match.start():]))
    return found


_GENERIC_HEADINGS = {
    "introduction", "overview", "information", "more information", "other", "others", "misc",
    "miscellaneous", "details", "notes", "general", "background", "text", "content", "more",
    "part", "section", "untitled", "additional information", "información", "otros", "notas",
}
_ACTION_VERBS = (
    "call", "ask", "talk", "tell", "see", "take", "go", "get", "keep", "make", "eat", "drink",
    "avoid", "stop", "check", "bring", "write", "visit", "follow", "use", "watch", "rest",
    "contact", "seek", "book", "schedule", "wash", "walk", "try", "do", "don't", "never",
    "always", "plan", "limit", "choose", "read", "learn", "protect", "wear",
    "llame", "pregunte", "hable", "consulte", "acuda", "tome", "vaya", "evite", "siga",
    "mantenga", "beba", "coma", "use", "lleve", "anote", "busque", "pida", "descanse", "no",
)
#: The languages whose action verbs :data:`_ACTION_VERBS` lists (by primary subtag).
_ACTION_LANGUAGES = {"en", "es"}
_ACTION = re.compile(r"^[\W\d]*(?:" + "|".join(re.escape(v) for v in _ACTION_VERBS) + r")\b",
                     re.IGNORECASE)


def pemat_findings(loaded: LoadedTopic, loc: Locator) -> list[Problem]:
    """The machine-checkable items of AHRQ's PEMAT for print materials."""
    topic = loaded.topic
    found = []
    if not topic.summary and not topic.key_points:
        found.append(loc.finding(
            "warning", "pemat.summary", (),
            "No summary or key points (PEMAT: the material provides a summary).",
            fix="Add `key_points:` with the three to five things a reader must remember."))
    for i, section in enumerate(topic.sections):
        heading = section.heading.strip().rstrip(":?.").lower()
        if heading in _GENERIC_HEADINGS or re.fullmatch(r"(section|part|chapter)\s*\d+", heading):
            found.append(loc.finding(
                "warning", "pemat.heading", ("sections", i, "heading"),
                "This heading does not say what the section is about (PEMAT: informative "
                "headers).", fix="Use a heading a patient would ask, e.g. 'When should I call "
                "my doctor?'.", value=section.heading))
    if primary_subtag(topic.language) not in _ACTION_LANGUAGES:
        # The verbs are English and Spanish: in another language no sentence would match,
        # and a warning would say nothing about the leaflet.
        found.append(loc.finding(
            "info", "pemat.action-not-checked", ("language",),
            "Whether the leaflet names an action for the reader (PEMAT) is checked in "
            "English and Spanish only.",
            fix="Check by hand that it says what the reader can do (for a translation: as "
            "its source does)."))
        return found
    actions = [s for b in prose_blocks(loaded) for s in b.sentences if _ACTION.match(s.text)]
    if not actions:
        found.append(loc.finding(
            "warning", "pemat.action", (),
            "No action for the reader (PEMAT: the material identifies at least one action "
            "the reader can take).",
            fix="Add what to do, e.g. a key point 'Call your doctor if ...'."))
    return found


def content_findings(loaded: LoadedTopic, loc: Locator) -> list[Problem]:
    """Callouts without content, tables without a header row, figures printed blurred.

    (A figure without alt text, or an image that cannot be used, is a schema error: the
    topic is not rendered.)"""
    from handout_builder.sources.figures import figure_files  # Pillow: only for figures

    found: list[Problem] = []
    for i, section in enumerate(loaded.topic.sections):
        where = ("sections", i, "body")
        tokens = markdown_parser().parse(section.body)
        for k, token in enumerate(tokens):
            kind = callout_kind(token)
            if kind is not None and tokens[k + 1].type == f"container_{kind}_close":
                found.append(loc.finding(
                    "warning", "content.empty-callout", where,
                    f"The '::: {kind}' box has nothing in it: it would print a heading alone.",
                    fix="Write what the reader should do inside the box, or delete it.",
                    value=f"::: {kind}", snippet=f"::: {kind}"))
            if token.type == "table_open" and not _has_header_text(tokens, k):
                found.append(loc.finding(
                    "warning", "content.table-header", where,
                    "This table has no header row (its first row is empty): a screen reader "
                    "cannot say what each column holds.",
                    fix="Give each column a short heading in the first row."))
        for k, line in enumerate(section.body.splitlines()):
            stripped = line.strip()
            if stripped.startswith(":::") and stripped[3:].strip() and \
                    stripped[3:].split()[0] not in CALLOUT_KINDS:
                found.append(loc.finding(
                    "warning", "content.callout-kind", where,
                    "This box kind is unknown, so the lines print as text with the colons.",
                    fix="Use ::: help, ::: warning, ::: tip or ::: ask.", value=stripped[:40],
                    snippet=stripped))
    if any(section.figures for section in loaded.topic.sections):
        for figure in figure_files(loaded):
            if figure.pixels is None:
                continue  # SVG: sharp at any size
            printed_inches = COLUMN_WIDTH_MM * figure.figure.width / 100 / 25.4
            dpi = figure.pixels[0] / printed_inches
            if dpi < MIN_FIGURE_DPI:
                found.append(loc.finding(
                    "warning", "figure.resolution",
                    ("sections", figure.section, "figures", figure.index, "file"),
                    f"The image is {figure.pixels[0]} pixels wide, {dpi:.0f} dots per inch "
                    f"at its printed width ({printed_inches * 25.4:.0f} mm): it will print "
                    f"blurred (under {MIN_FIGURE_DPI} dpi).",
                    fix=f"Use an image at least {round(MIN_FIGURE_DPI * printed_inches)} "
                    "pixels wide, an SVG, or a smaller `width:`.", value=figure.figure.file))
    return found


def _has_header_text(tokens: list, start: int) -> bool:
    """Whether the table opening at ``tokens[start]`` has text in its header row."""
    for token in tokens[start:]:
        if token.type == "thead_close":
            return False
        if token.type == "inline" and token.content.strip():
            return True
    return False


# --------------------------------------------------------------------------------------
# Running the checks
# --------------------------------------------------------------------------------------


def check_loaded(loaded: LoadedTopic, as_of: date, library: Library) -> TopicReport:
    """Every check on one valid topic."""
    loc = Locator(loaded)
    try:
        translated = check_translation(loaded)
    except UserError as error:
        return TopicReport(file=str(loaded.path), id=loaded.id, status=loaded.topic.status,
                           findings=_from_problems(error, "translation"))
    drift = translated.drift if translated is not None else ()
    status = review_state(loaded.topic, as_of, library.settings, drift)
    reading_found, reading = reading_findings(loaded, library, loc)
    findings = (
        translation_findings(loaded, status, loc)
        + review_findings(loaded, status, loc)
        + reference_findings(loaded, status, loc)
        + reading_found
        + sentence_findings(loaded, library, loc)
        + jargon_findings(loaded, library, loc)
        + pemat_findings(loaded, loc)
        + content_findings(loaded, loc)
    )
    return TopicReport(
        file=str(loaded.path), id=loaded.id, status=loaded.topic.status, review=status,
        reading=reading, findings=_ordered(findings),
    )


def check_file(path: Path, as_of: date) -> TopicReport:
    """Load one topic and check it; a file that does not load reports its schema errors.

    A ``library.yaml`` named on its own is validated as library settings.
    """
    if path.name == SETTINGS_FILE_NAME:
        try:
            load_library(path.resolve()).jargon  # the jargon lists are read on first use
        except UserError as error:
            return TopicReport(file=str(path), findings=_from_problems(error, "library"))
        return TopicReport(file=str(path))
    try:
        library = library_for(path)
        library.jargon  # read the jargon lists now, so a broken one is reported here
    except UserError as error:
        return TopicReport(file=str(path), findings=_from_problems(error, "library"))
    try:
        loaded = load_topic(path)
    except UserError as error:
        return TopicReport(file=str(path), findings=_from_problems(error, "schema"))
    return check_loaded(loaded, as_of, library)


def _from_problems(error: UserError, code: str) -> list[Problem]:
    return [replace(p, severity="error", code=code) for p in error.problems]


def _ordered(findings: list[Problem]) -> list[Problem]:
    """Errors first, then warnings, then notes; each in file order."""
    return sorted(findings, key=lambda f: (SEVERITIES.index(f.severity), f.line or 0, f.column or 0))


def check_paths(paths: Iterable[Path], as_of: date) -> list[TopicReport]:
    """Check files as given, and every topic file of each folder, found by the same rule as
    ``build`` (:func:`library.topic_files`: sub-folders included, hidden files left out). An
    empty folder is an error: a CI job that checks nothing must not pass."""
    reports = []
    for path in paths:
        if not path.is_dir():
            reports.append(check_file(path, as_of))
            continue
        files = topic_files(path)
        files += [f for languages in translation_files(path).values() for f in languages.values()]
        if not files:
            reports.append(TopicReport(file=str(path), findings=[Problem(
                str(path), "This folder holds no topic files (*.yaml).",
                "Name the folder that holds the topics, or topic files.", code="no-topics")]))
        reports += [check_file(file, as_of) for file in files]
    return reports


def exit_status(reports: list[TopicReport], strict: bool = False) -> int:
    """1 when any report has an error (or, with ``strict``, a warning), else 0."""
    errors = sum(r.count("error") for r in reports)
    warnings = sum(r.count("warning") for r in reports)
    return 1 if errors or (strict and warnings) else 0


# --------------------------------------------------------------------------------------
# Output
# --------------------------------------------------------------------------------------


def as_json_data(reports: list[TopicReport], as_of: date, strict: bool, exit_status: int) -> dict:
    """The JSON document of ``check --format json`` (documented in docs/checks.md)."""
    return {
        "format": "make-handout-check",
        "version": JSON_FORMAT_VERSION,
        "as_of": as_of.isoformat(),
        "strict": strict,
        "exit_status": exit_status,
        "summary": {
            "files": len(reports),
            **{f"{s}s": sum(r.count(s) for r in reports) for s in SEVERITIES},
        },
        "files": [
            {
                "file": r.file,
                "id": r.id,
                "status": r.status,
                "review": r.review.as_dict() if r.review else None,
                "reading": r.reading,
                "counts": {f"{s}s": r.count(s) for s in SEVERITIES},
                "findings": [finding_json(f) for f in r.findings],
            }
            for r in reports
        ],
    }


def format_json(reports: list[TopicReport], as_of: date, strict: bool, exit_status: int) -> str:
    text = json.dumps(as_json_data(reports, as_of, strict, exit_status), indent=2,
                      ensure_ascii=False)
    # JSON escapes C0 controls itself; escape the rest that could drive a terminal too
    # (DEL, C1 controls, invisible and bidirectional formatting): still the same JSON.
    return re.sub(r"[\x7f-\x9f\u00ad\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]",
                  lambda m: f"\\u{ord(m.group()):04x}", text)


def format_text(reports: list[TopicReport]) -> str:
    """A table per file: location, severity, check, value, explanation."""
    out = []
    for report in reports:
        head = printable(report.file)
        if report.review is not None:
            head += f" ({report.review.description})"
        out.append(head)
        rows = [("location", "severity", "check", "value", "explanation")]
        for f in report.findings:
            text = f.message + (f" Fix: {f.fix}" if f.fix else "")
            field_ = f"{f.field}: " if f.field else ""
            rows.append(tuple(printable(cell) for cell in (  # never raw control characters
                f.location, f.severity, f.code, f.value or "", field_ + text)))
        widths = [max(len(row[i]) for row in rows) for i in range(4)]
        widths = [min(w, limit) for w, limit in zip(widths, (48, 8, 24, 24))]
        for row in rows:
            cells = [row[i].ljust(widths[i]) for i in range(4)]
            out.append("  " + "  ".join(cells) + "  " + row[4])
        out.append(
            f"  {report.count('error')} error(s), {report.count('warning')} warning(s), "
            f"{report.count('info')} note(s)"
        )
        out.append("")
    total = {s: sum(r.count(s) for r in reports) for s in SEVERITIES}
    out.append(f"{len(reports)} file(s) checked: {total['error']} error(s), "
               f"{total['warning']} warning(s).")
    return "\n".join(out) + "\n"

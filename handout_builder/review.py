"""The review lifecycle: is a topic current, due, overdue, never reviewed, a draft, withdrawn?

Pure functions of the topic, a date and the library settings: nothing here reads the clock.
The command line passes today's date (or ``--as-of``); tests pass fixed dates.

:func:`render_permission` is the one place that decides whether a topic may be printed, used
by ``render`` and ``build`` alike.
"""

from __future__ import annotations

import calendar
import enum
from dataclasses import dataclass
from datetime import date

from .errors import Problem, RenderRefused
from .library import LibrarySettings
from .model import Topic


def today() -> date:
    """The date the command line uses when no ``--as-of`` is given (tests pin it)."""
    return date.today()


class ReviewState(str, enum.Enum):
    """Where a topic is in its review lifecycle (the value is the stable name used in JSON)."""

    CURRENT = "current"
    DUE_SOON = "due-soon"
    OVERDUE = "overdue"
    NEVER_REVIEWED = "never-reviewed"
    DRAFT = "draft"
    WITHDRAWN = "withdrawn"


#: How each state reads in a sentence ({date} is the next review date).
DESCRIPTIONS = {
    ReviewState.CURRENT: "review current, next review {date}",
    ReviewState.DUE_SOON: "review due soon, on {date}",
    ReviewState.OVERDUE: "review overdue since {date}",
    ReviewState.NEVER_REVIEWED: "approved but never medically reviewed",
    ReviewState.DRAFT: "draft",
    ReviewState.WITHDRAWN: "withdrawn",
}

#: The watermark (a message catalogue key) printed on a leaflet in each state, when allowed.
WATERMARK_KEYS = {
    ReviewState.OVERDUE: "watermark_overdue",
    ReviewState.NEVER_REVIEWED: "watermark_not_reviewed",
    ReviewState.DRAFT: "watermark_draft",
    ReviewState.WITHDRAWN: "watermark_withdrawn",
}


@dataclass(frozen=True)
class ReviewStatus:
    """The review state of one topic on one date."""

    state: ReviewState
    as_of: date
    interval_months: int
    reviewed: date | None
    next_review: date | None

    @property
    def days_left(self) -> int | None:
        """Days until the next review (negative when overdue)."""
        return None if self.next_review is None else (self.next_review - self.as_of).days

    @property
    def printable(self) -> bool:
        """May be printed without ``--allow-draft``."""
        return self.state in (ReviewState.CURRENT, ReviewState.DUE_SOON)

    @property
    def description(self) -> str:
        when = self.next_review.isoformat() if self.next_review else ""
        return DESCRIPTIONS[self.state].format(date=when)

    def as_dict(self) -> dict:
        """Plain data for JSON, the manifest and the catalogue."""
        return {
            "state": self.state.value,
            "reviewed": self.reviewed.isoformat() if self.reviewed else None,
            "interval_months": self.interval_months,
            "next_review": self.next_review.isoformat() if self.next_review else None,
            "days_left": self.days_left,
            "printable": self.printable,
        }


def add_months(day: date, months: int) -> date:
    """``day`` plus whole months; the 31st becomes the last day of a shorter month."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def interval_months(topic: Topic, settings: LibrarySettings) -> int:
    if topic.review is not None and topic.review.interval_months is not None:
        return topic.review.interval_months
    return settings.review_interval_months


def next_review(topic: Topic, settings: LibrarySettings) -> date | None:
    """The date the next review is due: the last review plus the interval."""
    if not topic.is_reviewed:
        return None
    assert topic.review is not None and topic.review.reviewed is not None
    return add_months(topic.review.reviewed, interval_months(topic, settings))


def classify(status: str, due: date | None, as_of: date, due_soon_days: int) -> ReviewState:
    """The state from the topic's ``status``, its next review date and the date to judge on.

    Withdrawn and draft come first (whatever the review says), then a missing review. A
    review is overdue from the day after the next review date; it is due soon when that date
    is at most ``due_soon_days`` days away (the due date itself included).
    """
    if status == "withdrawn":
        return ReviewState.WITHDRAWN
    if status == "draft":
        return ReviewState.DRAFT
    if due is None:
        return ReviewState.NEVER_REVIEWED
    if as_of > due:
        return ReviewState.OVERDUE
    if (due - as_of).days <= due_soon_days:
        return ReviewState.DUE_SOON
    return ReviewState.CURRENT


def watermark_key(state: ReviewState, allow_draft: bool) -> str | None:
    """The watermark printed in ``state`` (a catalogue key), or None; raises nothing."""
    if state in (ReviewState.CURRENT, ReviewState.DUE_SOON) or not allow_draft:
        return None
    return WATERMARK_KEYS[state]


def review_state(topic: Topic, as_of: date, settings: LibrarySettings) -> ReviewStatus:
    """The state of ``topic`` on ``as_of`` (see :func:`classify`)."""
    due = next_review(topic, settings)
    reviewed = topic.review.reviewed if topic.is_reviewed and topic.review else None
    state = classify(topic.status, due, as_of, settings.due_soon_days)
    return ReviewStatus(state, as_of, interval_months(topic, settings), reviewed, due)


class ReviewRefused(RenderRefused):
    """The rendering policy refuses to print this topic (draft, withdrawn, not reviewed, overdue).

    Unlike other failures, a refused topic must not stay published: ``build`` removes its
    previous PDF.
    """


_REFUSALS = {
    ReviewState.DRAFT: "The topic is a draft (status: draft).",
    ReviewState.WITHDRAWN: "The topic is withdrawn (status: withdrawn).",
    ReviewState.NEVER_REVIEWED: "The topic has never been medically reviewed.",
    ReviewState.OVERDUE: "The topic's medical review is overdue.",
}


def render_permission(
    status: ReviewStatus,
    source: str,
    allow_draft: bool = False,
    positions: dict | None = None,
) -> str | None:
    """Decide whether a topic may be printed: the watermark key to print, or ``None``.

    Raises :class:`RenderRefused` for a draft, withdrawn, never-reviewed or overdue topic
    unless ``allow_draft`` is true; then the leaflet is printed with the returned watermark
    (a message catalogue key) on every page and in the footer. ``positions`` (the loader's
    map of field paths to line and column) locates the refusal in the file.
    """
    if status.printable or allow_draft:
        return watermark_key(status.state, allow_draft)
    message = _REFUSALS[status.state]
    if status.state is ReviewState.OVERDUE:
        message = message[:-1] + f": it was due on {status.next_review.isoformat()}."  # type: ignore[union-attr]
    fixes = {
        ReviewState.DRAFT: "Have it reviewed and set `status: approved`",
        ReviewState.WITHDRAWN: "Withdrawn topics are not printed",
        ReviewState.NEVER_REVIEWED: "Have it reviewed and fill in `review: reviewer` and "
        "`reviewed`",
        ReviewState.OVERDUE: "Have it reviewed again and update `review: reviewed`",
    }
    field = "status" if status.state in (ReviewState.DRAFT, ReviewState.WITHDRAWN) else "review"
    line, column = (positions or {}).get((field,), (None, None))
    raise ReviewRefused(
        Problem(
            source,
            message + " It is not printed.",
            fixes[status.state] + "; or print a proof with --allow-draft (every page is then "
            "watermarked).",
            field=field,
            line=line,
            column=column,
        )
    )

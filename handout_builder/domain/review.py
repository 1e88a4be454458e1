"""The review lifecycle: is a topic current, due, overdue, never reviewed, a draft, withdrawn?

Pure functions of the topic, a date and the library settings: nothing here reads the clock.
The command line passes today's date (or ``--as-of``); tests pass fixed dates.

One rule for every command: :func:`classify` decides the state (``check``, ``render``,
``build``, ``email``, and ``build``'s re-judging of unchanged handouts all call it), and
:func:`policy` decides whether a topic in that state is printed and with which watermark
(:func:`render_permission` adds the located refusal for ``render``, ``build`` and ``email``).
"""

from __future__ import annotations

import calendar
import enum
from dataclasses import dataclass
from datetime import date

from handout_builder.domain.problems import Problem, RenderRefused
from handout_builder.domain.library import LibrarySettings
from handout_builder.domain.models import Topic


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
    FUTURE_DATE = "future-date"  # approved, but the review date is after the date judged on
    #: A translation whose source changed after it was made (drift): like an overdue review.
    TRANSLATION_OUTDATED = "translation-outdated"
    #: A translation that no second person has checked (its ``translation.review``).
    TRANSLATION_NOT_REVIEWED = "translation-not-reviewed"


#: How each state reads in a sentence ({date} is the next review date).
DESCRIPTIONS = {
    ReviewState.CURRENT: "review current, next review {date}",
    ReviewState.DUE_SOON: "review due soon, on {date}",
    ReviewState.OVERDUE: "review overdue since {date}",
    ReviewState.NEVER_REVIEWED: "approved but never medically reviewed",
    ReviewState.DRAFT: "draft",
    ReviewState.WITHDRAWN: "withdrawn",
    ReviewState.FUTURE_DATE: "review date {reviewed} is in the future",
    ReviewState.TRANSLATION_OUTDATED: "translation out of date: its source changed",
    ReviewState.TRANSLATION_NOT_REVIEWED: "translation not checked by a second person",
}

#: The watermark (a message catalogue key) printed on a leaflet in each state, when allowed.
WATERMARK_KEYS = {
    ReviewState.OVERDUE: "watermark_overdue",
    ReviewState.NEVER_REVIEWED: "watermark_not_reviewed",
    ReviewState.DRAFT: "watermark_draft",
    ReviewState.WITHDRAWN: "watermark_withdrawn",
    # a review dated in the future cannot be trusted to have happened
    ReviewState.FUTURE_DATE: "watermark_not_reviewed",
    ReviewState.TRANSLATION_OUTDATED: "watermark_translation_outdated",
    ReviewState.TRANSLATION_NOT_REVIEWED: "watermark_not_reviewed",
}


@dataclass(frozen=True)
class ReviewStatus:
    """The review state of one topic on one date."""

    state: ReviewState
    as_of: date
    interval_months: int
    reviewed: date | None
    next_review: date | None
    example: bool = False  # the topic is example content (``example: true``)
    #: A translation: the parts of its source that changed since it was made (drift).
    drift: tuple[str, ...] = ()

    @property
    def days_left(self) -> int | None:
        """Days until the next review (negative when overdue)."""
        return None if self.next_review is None else (self.next_review - self.as_of).days

    @property
    def printable(self) -> bool:
        """May be printed without ``--allow-draft`` (an example always is, marked as one)."""
        return policy(self.state, allow_draft=False, example=self.example)[0]

    @property
    def description(self) -> str:
        when = self.next_review.isoformat() if self.next_review else ""
        reviewed = self.reviewed.isoformat() if self.reviewed else ""
        text = DESCRIPTIONS[self.state].format(date=when, reviewed=reviewed)
        return f"example topic, {text}" if self.example else text

    def as_dict(self) -> dict:
        """Plain data for JSON, the manifest and the catalogue."""
        return {
            "state": self.state.value,
            "reviewed": self.reviewed.isoformat() if self.reviewed else None,
            "interval_months": self.interval_months,
            "next_review": self.next_review.isoformat() if self.next_review else None,
            "days_left": self.days_left,
            "printable": self.printable,
            "example": self.example,
            "drift": list(self.drift),
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


def review_date_in_future(reviewed: date | None, as_of: date) -> bool:
    """A review dated after the day judged on (a typo such as 2062 for 2026): not a review."""
    return reviewed is not None and reviewed > as_of


def classify(
    status: str, reviewed: date | None, due: date | None, as_of: date, due_soon_days: int,
    *, drifted: bool = False, translation_reviewed: bool = True,
) -> ReviewState:
    """The state from the topic's ``status``, its review date, its next review date and the
    date to judge on: the one rule every command uses.

    Withdrawn and draft come first (whatever the review says), then a missing review, then a
    review dated in the future (after ``as_of``). A translation whose source changed since it
    was made (``drifted``) comes right after draft: whatever its own dates, it is out of date;
    one that no second person checked (``translation_reviewed`` false) is next to an overdue
    review. A review is overdue from the day after the
    next review date; it is due soon when that date is at most ``due_soon_days`` days away
    (the due date itself included).
    """
    if status == "withdrawn":
        return ReviewState.WITHDRAWN
    if status == "draft":
        return ReviewState.DRAFT
    if drifted:
        return ReviewState.TRANSLATION_OUTDATED
    if due is None:
        return ReviewState.NEVER_REVIEWED
    if review_date_in_future(reviewed, as_of):
        return ReviewState.FUTURE_DATE
    if as_of > due:
        return ReviewState.OVERDUE
    if not translation_reviewed:
        return ReviewState.TRANSLATION_NOT_REVIEWED
    if (due - as_of).days <= due_soon_days:
        return ReviewState.DUE_SOON
    return ReviewState.CURRENT


def policy(state: ReviewState, allow_draft: bool, example: bool = False) -> tuple[bool, str | None]:
    """The rendering policy, for every command: (may it be printed, the watermark's catalogue
    key or None).

    - Current and due-soon topics are printed as they are.
    - Draft and withdrawn topics, and approved topics never reviewed, overdue or dated in the
      future, are refused; with ``allow_draft`` they are printed as proofs, watermarked with
      their state.
    - An example topic (``example: true``) that is approved is always printed, whatever its
      review dates, and never as a current leaflet: the leaflet template marks every example
      ("EXAMPLE · NOT MEDICAL ADVICE" in the footer of every page and a banner on the first),
      so there is no diagonal watermark to add. Its dates never refuse it, so the sample
      keeps working on any date. A draft or withdrawn example follows the rule for drafts and
      withdrawn topics.
    - A translation out of date (its source changed since it was made) is refused like an
      overdue review, examples included (a sample must not drift either); with
      ``allow_draft`` it is printed watermarked "TRANSLATION OUT OF DATE". A translation no
      second person checked is refused like a topic never reviewed.
    """
    if example and state not in (ReviewState.DRAFT, ReviewState.WITHDRAWN,
                                 ReviewState.TRANSLATION_OUTDATED):
        return True, None
    if state in (ReviewState.CURRENT, ReviewState.DUE_SOON):
        return True, None
    return allow_draft, WATERMARK_KEYS[state] if allow_draft else None


def watermark_key(state: ReviewState, allow_draft: bool, example: bool = False) -> str | None:
    """The watermark printed in ``state`` (a catalogue key), or None; raises nothing."""
    return policy(state, allow_draft, example)[1]


def review_state(
    topic: Topic, as_of: date, settings: LibrarySettings, drift: tuple[str, ...] = ()
) -> ReviewStatus:
    """The state of ``topic`` on ``as_of`` (see :func:`classify`); ``drift``: for a
    translation, the parts of its source that changed since it was made."""
    due = next_review(topic, settings)
    reviewed = topic.review.reviewed if topic.is_reviewed and topic.review else None
    translated = topic.translation
    state = classify(
        topic.status, reviewed, due, as_of, settings.due_soon_days, drifted=bool(drift),
        translation_reviewed=translated is None or (
            translated.review is not None and translated.review.is_reviewed),
    )
    return ReviewStatus(
        state, as_of, interval_months(topic, settings), reviewed, due, example=topic.example,
        drift=tuple(drift),
    )


class ReviewRefused(RenderRefused):
    """The rendering policy refuses to print this topic (draft, withdrawn, not reviewed,
    overdue, review dated in the future).

    Unlike other failures, a refused topic must not stay published: ``build`` removes its
    previous PDF.
    """


_REFUSALS = {
    ReviewState.DRAFT: "The topic is a draft (status: draft).",
    ReviewState.WITHDRAWN: "The topic is withdrawn (status: withdrawn).",
    ReviewState.NEVER_REVIEWED: "The topic has never been medically reviewed.",
    ReviewState.OVERDUE: "The topic's medical review is overdue.",
    ReviewState.FUTURE_DATE: "The topic's review date is in the future.",
    ReviewState.TRANSLATION_OUTDATED: "The translation is out of date: its source changed "
    "since it was made.",
    ReviewState.TRANSLATION_NOT_REVIEWED: "No second person has checked the translation.",
}


def render_permission(
    status: ReviewStatus,
    source: str,
    allow_draft: bool = False,
    positions: dict | None = None,
) -> str | None:
    """Decide whether a topic may be printed: the watermark key to print, or ``None``.

    Applies :func:`policy`. Raises :class:`RenderRefused` for a draft, withdrawn,
    never-reviewed, overdue or future-dated topic unless ``allow_draft`` is true; then the
    leaflet is printed with the returned watermark (a message catalogue key) on every page
    and in the footer. An approved example topic is always printed (marked as an example by
    the template). ``positions`` (the loader's map of field paths to line and column)
    locates the refusal in the file.
    """
    allowed, key = policy(status.state, allow_draft, status.example)
    if allowed:
        return key
    message = _REFUSALS[status.state]
    if status.state is ReviewState.OVERDUE:
        message = message[:-1] + f": it was due on {status.next_review.isoformat()}."  # type: ignore[union-attr]
    if status.state is ReviewState.TRANSLATION_OUTDATED:
        message = message[:-1] + " (changed: " + ", ".join(status.drift) + ")."
    if status.state is ReviewState.FUTURE_DATE:
        message = (
            message[:-1] + f": {status.reviewed.isoformat()} is after "  # type: ignore[union-attr]
            f"{status.as_of.isoformat()}."
        )
    fixes = {
        ReviewState.DRAFT: "Have it reviewed and set `status: approved`",
        ReviewState.WITHDRAWN: "Withdrawn topics are not printed",
        ReviewState.NEVER_REVIEWED: "Have it reviewed and fill in `review: reviewer` and "
        "`reviewed`",
        ReviewState.OVERDUE: "Have it reviewed again and update `review: reviewed`",
        ReviewState.FUTURE_DATE: "Correct `review: reviewed` to the date of the review "
        "(YYYY-MM-DD)",
        ReviewState.TRANSLATION_OUTDATED: "Translate the changed parts again (make-handout "
        "translate-export), then update the translation's fingerprint with make-handout "
        "translate-status --stamp",
        ReviewState.TRANSLATION_NOT_REVIEWED: "Have a second person check it and fill in "
        "`translation: review: reviewer` and `reviewed`",
    }
    field, at = {
        ReviewState.DRAFT: ("status", ("status",)),
        ReviewState.WITHDRAWN: ("status", ("status",)),
        ReviewState.FUTURE_DATE: ("review.reviewed", ("review", "reviewed")),
        ReviewState.TRANSLATION_OUTDATED: ("translation.fingerprint", ("translation", "fingerprint")),
        ReviewState.TRANSLATION_NOT_REVIEWED: ("translation", ("translation",)),
    }.get(status.state, ("review", ("review",)))
    line, column = (positions or {}).get(at, (None, None))
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

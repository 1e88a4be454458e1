"""The review lifecycle, on both sides of every boundary, with fixed dates (never today)."""

from __future__ import annotations

from datetime import date

import pytest

from handout_builder.domain.problems import RenderRefused
from handout_builder.domain.library import LibrarySettings
from handout_builder.domain.models import Topic
from handout_builder.domain.review import (
    ReviewState,
    add_months,
    classify,
    next_review,
    policy,
    render_permission,
    review_state,
)

SETTINGS = LibrarySettings()  # 12 months, due soon within 90 days


def topic(status="approved", reviewed="2025-03-01", reviewer="Dr Test", interval=None) -> Topic:
    review = {"reviewer": reviewer, "reviewed": reviewed}
    if interval is not None:
        review["interval_months"] = interval
    return Topic.model_validate(
        {
            "id": "t", "title": "T", "category": "C", "status": status,
            "sections": [{"heading": "H", "body": "B"}],
            "review": {k: v for k, v in review.items() if v is not None},
            "copyright": {"holder": "X"},
        }
    )


@pytest.mark.parametrize(
    "start, months, expected",
    [
        (date(2025, 3, 1), 12, date(2026, 3, 1)),
        (date(2025, 1, 31), 1, date(2025, 2, 28)),
        (date(2024, 1, 31), 1, date(2024, 2, 29)),
        (date(2025, 11, 15), 3, date(2026, 2, 15)),
        (date(2025, 12, 31), 36, date(2028, 12, 31)),
    ],
)
def test_add_months(start, months, expected):
    assert add_months(start, months) == expected


@pytest.mark.parametrize(
    "as_of, state",
    [
        (date(2025, 11, 30), ReviewState.CURRENT),  # 91 days before the due date
        (date(2025, 12, 1), ReviewState.DUE_SOON),  # 90 days before
        (date(2026, 3, 1), ReviewState.DUE_SOON),  # the due date itself
        (date(2026, 3, 2), ReviewState.OVERDUE),  # the day after
    ],
)
def test_state_boundaries(as_of, state):
    status = review_state(topic(), as_of, SETTINGS)
    assert status.state is state
    assert status.next_review == date(2026, 3, 1)
    assert status.days_left == (date(2026, 3, 1) - as_of).days


def test_topic_interval_overrides_the_library_default():
    assert next_review(topic(interval=6), SETTINGS) == date(2025, 9, 1)
    assert review_state(topic(interval=6), date(2025, 9, 2), SETTINGS).state is ReviewState.OVERDUE
    longer = LibrarySettings(review_interval_months=24)
    assert next_review(topic(), longer) == date(2027, 3, 1)
    assert review_state(topic(), date(2026, 3, 2), longer).state is ReviewState.CURRENT


def test_due_soon_window_is_a_setting():
    none = LibrarySettings(due_soon_days=0)
    assert review_state(topic(), date(2026, 2, 28), none).state is ReviewState.CURRENT
    assert review_state(topic(), date(2026, 3, 1), none).state is ReviewState.DUE_SOON


@pytest.mark.parametrize(
    "kwargs, state",
    [
        ({"reviewed": None}, ReviewState.NEVER_REVIEWED),
        ({"reviewer": None}, ReviewState.NEVER_REVIEWED),
        ({"status": "draft"}, ReviewState.DRAFT),
        ({"status": "withdrawn"}, ReviewState.WITHDRAWN),
        ({"status": "draft", "reviewed": None}, ReviewState.DRAFT),
    ],
)
def test_status_and_missing_review(kwargs, state):
    assert review_state(topic(**kwargs), date(2025, 6, 1), SETTINGS).state is state


def test_status_defaults_to_draft():
    bare = Topic.model_validate(
        {"title": "T", "category": "C", "sections": [{"heading": "H", "body": "B"}],
         "copyright": {"holder": "X"}}
    )
    assert bare.status == "draft"


@pytest.mark.parametrize("as_of", [date(2025, 6, 1), date(2026, 3, 1)])
def test_current_and_due_soon_print_without_watermark(as_of):
    assert render_permission(review_state(topic(), as_of, SETTINGS), "t.yaml") is None


@pytest.mark.parametrize(
    "kwargs, as_of, words, key",
    [
        ({"status": "draft"}, date(2025, 6, 1), "is a draft", "watermark_draft"),
        ({"status": "withdrawn"}, date(2025, 6, 1), "is withdrawn", "watermark_withdrawn"),
        ({"reviewed": None}, date(2025, 6, 1), "never been medically reviewed",
         "watermark_not_reviewed"),
        ({}, date(2026, 3, 2), "overdue: it was due on 2026-03-01", "watermark_overdue"),
    ],
)
def test_refused_unless_allowed(kwargs, as_of, words, key):
    status = review_state(topic(**kwargs), as_of, SETTINGS)
    with pytest.raises(RenderRefused) as info:
        render_permission(status, "t.yaml")
    assert words in str(info.value) and "--allow-draft" in str(info.value)
    assert render_permission(status, "t.yaml", allow_draft=True) == key


@pytest.mark.parametrize(
    "status, reviewed, as_of, state",
    [
        ("approved", date(2025, 3, 1), date(2025, 2, 28), ReviewState.FUTURE_DATE),
        ("approved", date(2025, 3, 1), date(2025, 3, 1), ReviewState.CURRENT),  # the same day
        ("draft", date(2025, 3, 1), date(2025, 2, 28), ReviewState.DRAFT),
        ("withdrawn", date(2025, 3, 1), date(2025, 2, 28), ReviewState.WITHDRAWN),
    ],
)
def test_a_review_dated_in_the_future(status, reviewed, as_of, state):
    assert classify(status, reviewed, date(2026, 3, 1), as_of, 90) is state


def test_future_review_date_is_refused_unless_a_proof():
    status = review_state(topic(reviewed="2062-03-01"), date(2026, 11, 25), SETTINGS)
    with pytest.raises(RenderRefused) as info:
        render_permission(status, "t.yaml")
    assert "review date is in the future: 2062-03-01 is after 2026-11-25" in str(info.value)
    assert render_permission(status, "t.yaml", allow_draft=True) == "watermark_not_reviewed"


#: What a proof printed with --allow-draft says, by state.
PROOF_WORDS = {
    ReviewState.DRAFT: "watermark_draft",
    ReviewState.WITHDRAWN: "watermark_withdrawn",
    ReviewState.OVERDUE: "watermark_overdue",
    ReviewState.NEVER_REVIEWED: "watermark_not_reviewed",
    ReviewState.FUTURE_DATE: "watermark_not_reviewed",
    ReviewState.TRANSLATION_OUTDATED: "watermark_translation_outdated",
    ReviewState.TRANSLATION_NOT_REVIEWED: "watermark_not_reviewed",
}


@pytest.mark.parametrize("state", list(ReviewState))
@pytest.mark.parametrize("allow_draft", [False, True])
def test_the_policy(state, allow_draft):
    if state in (ReviewState.CURRENT, ReviewState.DUE_SOON):
        assert policy(state, allow_draft) == (True, None)
    else:
        assert policy(state, allow_draft) == (
            allow_draft, PROOF_WORDS[state] if allow_draft else None
        )
    # an example prints whatever its dates (the template marks it); drafts stay drafts, and
    # a translation out of date is never printed as if it were current, example or not
    expected = (
        policy(state, allow_draft)
        if state in (ReviewState.DRAFT, ReviewState.WITHDRAWN, ReviewState.TRANSLATION_OUTDATED)
        else (True, None)
    )
    assert policy(state, allow_draft, example=True) == expected

"""Language tags, local wording (Babel dates, PO catalogues), translations' fingerprints and
drift, and the review policy's translation states: pure functions, no files, no PDFs."""

from __future__ import annotations

from datetime import date

import pytest

from handout_builder.domain import locale, wording
from handout_builder.domain.models import Topic
from handout_builder.domain.review import ReviewState, classify, policy
from handout_builder.domain.translation import (
    describe_part, drift, fingerprint, structure_problems, translation_stem,
)

TOPIC = {
    "id": "t", "title": "Title", "category": "Cat", "summary": "Sum.",
    "key_points": ["One.", "Two."],
    "sections": [{"heading": "A?", "body": "First."}, {"heading": "B?", "body": "Second."}],
    "copyright": {"holder": "X"},
}


def topic(**changes) -> Topic:
    return Topic.model_validate(TOPIC | changes)


@pytest.mark.parametrize("tag, rtl", [("ar", True), ("he", True), ("fa-IR", True),
                                      ("en", False), ("zh-Hant", False), ("az-Arab", True),
                                      ("ru", False)])
def test_direction_of_a_language(tag, rtl):
    assert locale.is_rtl(tag) is rtl
    assert locale.direction(tag) == ("rtl" if rtl else "ltr")


def test_chinese_script_from_the_region():
    assert locale.script_subtag("zh-TW") == "Hant" and locale.script_subtag("zh-CN") == "Hans"
    assert locale.catalogue_candidates("zh-Hant-HK") == ["zh-Hant", "zh"]
    assert locale.region_subtag("es-419") == "419" and locale.region_subtag("ar") is None


@pytest.mark.parametrize("language, region, expected", [
    ("en", "US", "November 2, 2026"),
    ("en", "GB", "2 November 2026"),
    ("en-GB", "US", "2 November 2026"),  # the topic's own region wins over the brand's
    ("es", "MX", "2 de noviembre de 2026"),
    ("zh-Hans", "US", "2026年11月2日"),
    ("vi", None, "2 tháng 11, 2026"),
])
def test_dates_follow_the_language_and_the_brands_region(language, region, expected):
    assert wording.messages_for(language, region).date(date(2026, 11, 2)) == expected


def test_every_issue_language_has_fixed_wording_in_its_own_script():
    names = {tag: wording.messages_for(tag).language_name for tag in
             ("en", "es", "zh-Hans", "zh-Hant", "vi", "ar")}
    assert names == {"en": "English", "es": "Español", "zh-Hans": "简体中文",
                     "zh-Hant": "繁體中文", "vi": "Tiếng Việt", "ar": "العربية"}


def test_translation_file_names():
    assert translation_stem("calcification.zh-Hans") == ("calcification", "zh-Hans")
    assert translation_stem("calcification") is None
    assert translation_stem("notes.v2") is None


def test_drift_names_each_changed_section_and_nothing_else():
    source = topic()
    recorded = fingerprint(source)
    assert drift(source, recorded) == []
    changed = topic(sections=[{"heading": "A?", "body": "First."},
                              {"heading": "B?", "body": "Second, now longer."},
                              {"heading": "C?", "body": "New."}])
    assert drift(changed, recorded) == ["section-2", "section-3"]
    assert describe_part("section-2", changed) == 'section 2 ("B?")'
    assert drift(topic(title="Other"), recorded) == ["title"]


def test_a_missing_section_is_an_error_not_a_fallback():
    problems = structure_problems(topic(), topic(sections=[{"heading": "A?", "body": "Uno."}]))
    assert [field for field, _ in problems] == ["sections"]
    assert 'section(s) 2 ("B?") are not translated' in problems[0][1]
    assert structure_problems(topic(), topic(summary=None))[0][0] == "summary"
    assert structure_problems(topic(), topic(key_points=["Uno."]))[0][0] == "key_points"


def test_the_policy_treats_drift_like_an_overdue_review():
    due = date(2027, 1, 1)
    state = classify("approved", date(2026, 1, 1), due, date(2026, 6, 1), 30, drifted=True)
    assert state is ReviewState.TRANSLATION_OUTDATED
    assert policy(state, allow_draft=False) == (False, None)
    assert policy(state, allow_draft=True) == (True, "watermark_translation_outdated")
    assert policy(state, allow_draft=False, example=True) == (False, None)  # samples too
    unchecked = classify("approved", date(2026, 1, 1), due, date(2026, 6, 1), 30,
                         translation_reviewed=False)
    assert unchecked is ReviewState.TRANSLATION_NOT_REVIEWED
    assert policy(unchecked, allow_draft=False) == (False, None)
    assert classify("draft", None, None, date(2026, 6, 1), 30, drifted=True) is ReviewState.DRAFT

"""The topic and brand models on plain data (no files)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from handout_builder.domain.models import Brand, Colours, Topic, contrast_ratio

BASE = {
    "title": "T",
    "category": "C",
    "sections": [{"heading": "H", "body": "B"}],
    "copyright": {"holder": "X"},
}


def topic(**changes):
    return Topic.model_validate(BASE | changes)


def test_minimal_topic_has_defaults():
    t = topic()
    assert t.language == "en"
    assert t.references == [] and t.key_points == []
    assert not t.is_reviewed
    assert t.running_title == "T"


def test_unknown_field_is_an_error():
    with pytest.raises(ValidationError) as info:
        topic(titel="typo")
    assert info.value.errors()[0]["type"] == "extra_forbidden"


@pytest.mark.parametrize("bad_id", ["../evil", "Upper", "a--b", "-a", "a/b", "a b", "", "a.pdf"])
def test_id_must_be_a_safe_file_name(bad_id):
    with pytest.raises(ValidationError):
        topic(id=bad_id)


@pytest.mark.parametrize("good_id", ["a", "heart-health", "x1-2"])
def test_good_ids(good_id):
    assert topic(id=good_id).id == good_id


def test_sections_cannot_be_empty():
    with pytest.raises(ValidationError):
        topic(sections=[])


def test_one_line_fields_fold_white_space():
    assert topic(title="A\n  long   title").title == "A long title"


@pytest.mark.parametrize("text", ["bad\x07bell", "rtl\u202eoverride", "nul\x00"])
def test_control_characters_refused(text):
    with pytest.raises(ValidationError):
        topic(title=text)


def test_markdown_body_keeps_line_breaks():
    t = topic(sections=[{"heading": "H", "body": "para 1\n\npara 2"}])
    assert "\n\n" in t.sections[0].body


@pytest.mark.parametrize("value", ["2011-02-30", "17/05/2011", 20110517, "2011-5-7"])
def test_dates_must_be_real_and_iso(value):
    with pytest.raises(ValidationError):
        topic(review={"reviewer": "R", "reviewed": value})


def test_review_needs_both_parts():
    assert topic(review={"reviewer": "R", "reviewed": "2024-01-01"}).is_reviewed
    assert not topic(review={"reviewer": "R"}).is_reviewed
    assert not topic(review={"reviewed": "2024-01-01"}).is_reviewed


@pytest.mark.parametrize("url", ["javascript:alert(1)", "file:///etc/passwd", "ftp://x", "www.x.org"])
def test_reference_urls_are_web_addresses(url):
    with pytest.raises(ValidationError):
        topic(references=[{"title": "t", "publisher": "p", "url": url}])


def test_contrast_ratio_known_values():
    assert contrast_ratio("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast_ratio("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)


def test_brand_colours_must_be_readable():
    with pytest.raises(ValidationError, match="contrast"):
        Colours(primary="#9fc5e8", accent="#ffffff")
    assert Colours(primary="#1d4f7a", accent="#e8f1f8")


def test_brand_paper_is_letter_or_a4():
    data = {"name": "C", "logo": "logo.svg", "logo_alt": "C logo",
            "colours": {"primary": "#1d4f7a", "accent": "#e8f1f8"}}
    assert Brand.model_validate(data).paper == "letter"
    with pytest.raises(ValidationError):
        Brand.model_validate(data | {"paper": "legal"})

"""A topic's keywords: search words and synonyms (not printed), each bad input located with
a plain fix; a translation's own keywords are no part of its source's fingerprint."""

from __future__ import annotations

import pytest

from handout_builder.domain.models import KEYWORDS_MAX, Topic
from handout_builder.domain.problems import InvalidTopic
from handout_builder.domain.translation import drift, fingerprint
from handout_builder.sources.loader import load_topic
from tests.conftest import MINIMAL_TOPIC

FIRST_LINE = MINIMAL_TOPIC.count("\n") + 2  # the first item under `keywords:`


def _topic(write_topic, items: str):
    return write_topic(MINIMAL_TOPIC + "keywords:" + items)


def test_a_topic_carries_keywords(write_topic):
    path = _topic(write_topic, "\n  - heart attack\n  - '  MI  '\n  - coronary\n    thrombosis\n")
    assert load_topic(path).topic.keywords == ["heart attack", "MI", "coronary thrombosis"]
    assert load_topic(write_topic(MINIMAL_TOPIC)).topic.keywords == []


@pytest.mark.parametrize("items, line, field, message, fix", [
    ("\n  - heart attack\n  - ''\n", FIRST_LINE + 1, "keywords.2", "empty", "Write a value"),
    ("\n  - " + "x" * 61 + "\n", FIRST_LINE, "keywords.1", "at most 60 characters", "Shorten"),
    ("\n  - \"heart\\u0007attack\"\n", FIRST_LINE, "keywords.1", "control character U+0007",
     "Delete the character"),
    ("\n  - 12\n", FIRST_LINE, "keywords.1", "should be text", "quotes"),
    ("\n  - {name: MI}\n", FIRST_LINE, "keywords.1", "should be text", "quotes"),
    (" heart attack\n", FIRST_LINE - 1, "keywords", "should be a list", "starting with '- '"),
    ("\n  - MI\n  - heart attack\n  - mi\n", FIRST_LINE - 1, "keywords", "lists 'mi' twice",
     "Delete one"),
    ("".join(f"\n  - word {n}" for n in range(KEYWORDS_MAX + 1)) + "\n", FIRST_LINE - 1,
     "keywords", f"at most {KEYWORDS_MAX}", "most important"),
])
def test_a_bad_keyword_is_located_with_a_plain_fix(write_topic, items, line, field, message, fix):
    path = _topic(write_topic, items)
    with pytest.raises(InvalidTopic) as caught:
        load_topic(path)
    (problem,) = caught.value.problems
    assert (problem.file, problem.line, problem.field) == (str(path), line, field)
    assert message in problem.message and fix in problem.fix


def test_every_bad_keyword_of_a_file_in_one_run(write_topic):
    path = _topic(write_topic, "\n  - ''\n  - ok\n  - " + "y" * 70 + "\n")
    with pytest.raises(InvalidTopic) as caught:
        load_topic(path)
    assert [p.field for p in caught.value.problems] == ["keywords.1", "keywords.3"]


def test_keywords_are_no_part_of_the_fingerprint(write_topic):
    """A translation lists its own keywords in its language: changing the source's keywords
    (not printed) never marks a translation as drifted."""
    source = load_topic(write_topic(MINIMAL_TOPIC)).topic
    recorded = fingerprint(source)
    changed = Topic.model_validate({**source.model_dump(), "keywords": ["heart attack"]})
    assert drift(changed, recorded) == []
    retitled = Topic.model_validate({**source.model_dump(), "title": "Another title"})
    assert drift(retitled, recorded) == ["title"]  # the same check sees a printed change

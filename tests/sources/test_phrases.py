"""Other-language phrases in topic Markdown: ``[frase en español]{lang=es}`` (fast tests)."""

from __future__ import annotations

import pytest

from handout_builder.domain.problems import InvalidTopic
from handout_builder.sources.loader import load_topic
from handout_builder.sources.markdown import markdown_parser, phrases
from tests.conftest import MINIMAL_TOPIC


def with_body(body: str) -> str:
    return MINIMAL_TOPIC.replace("    body: An answer.", "    body: " + body)


def problems_of(path):
    with pytest.raises(InvalidTopic) as info:
        load_topic(path)
    return info.value.problems


def test_a_phrase_is_parsed_with_its_language():
    [inline] = [t for t in markdown_parser().parse("Say [*buenos* días]{lang=es} to her.")
                if t.type == "inline"]
    assert phrases(inline) == [("es", {}, "buenos días")]


@pytest.mark.parametrize("tag", ["es", "en-GB", "zh-Hans", "la", "es-419", "sr-Latn-RS"])
def test_known_tags_load(write_topic, tag):
    loaded = load_topic(write_topic(with_body(f"Ask for [the phrase]{{lang={tag}}} here.")))
    assert f"{{lang={tag}}}" in loaded.topic.sections[0].body


@pytest.mark.parametrize(("tag", "said"), [
    ("xx", "'xx' in 'xx' is not a known language code"),
    ("spanish", "not a language tag of the form"),
    ("en_GB", "not a language tag of the form"),
    ("zh-Hanz", "'Hanz' in 'zh-Hanz' is not a known script code"),
    ("en-ZZ", "'ZZ' in 'en-ZZ' is not a known region code"),
    ("und", "not a known language code"),
])
def test_a_bad_tag_is_located_and_explained(write_topic, tag, said):
    [p] = problems_of(write_topic(with_body(f"Ask for [the phrase]{{lang={tag}}} here.")))
    assert (p.field, p.line) == ("sections.1.body", 5)
    assert p.column == 32  # at "lang=", inside the braces
    assert said in p.message and "the phrase" in p.message
    assert "es (Spanish)" in p.fix


def test_attributes_other_than_lang_are_refused(write_topic):
    [p] = problems_of(write_topic(with_body("See [this]{#x lang=es .big style=\"color:red\"}.")))
    assert "class, id, style" in p.message and "only lang" in p.message
    assert "[this]{lang=es}" in p.fix and p.field == "sections.1.body"


def test_a_phrase_without_a_language_is_refused(write_topic):
    problems = problems_of(write_topic(with_body("See [this]{.big}.")))
    assert [("class" in p.message, "no language" in p.message) for p in problems] == [
        (True, False), (False, True)]


def test_phrases_in_key_points_and_summary_are_checked(write_topic):
    topic = with_body("Fine.") + "summary: Say [hola]{lang=qq}.\nkey_points:\n  - Say [hi]{lang=zz}\n"
    problems = problems_of(write_topic(topic))
    assert sorted(p.field for p in problems) == ["key_points.1", "summary"]


def test_a_phrase_in_a_script_no_font_has_is_refused(write_topic):
    [p] = problems_of(write_topic(with_body("Say [\u0e2a\u0e27\u0e31\u0e2a\u0e14\u0e35]{lang=th}.")))
    assert "No font of the leaflet" in p.message and "U+0E2A" in p.message


def test_braces_that_are_not_a_phrase_stay_text(write_topic):
    body = "Call [us]{emergency_number} or [x] {lang=es} or \\[y]{lang=qq}."
    loaded = load_topic(write_topic(with_body(body)))
    assert loaded.topic.sections[0].body.startswith("Call [us]")


def test_marking_a_phrase_in_the_source_is_no_drift():
    from handout_builder.domain.models import Topic
    from handout_builder.domain.translation import drift, fingerprint

    def topic(body: str, point: str = "Ask for help") -> Topic:
        return Topic.model_validate({
            "id": "t", "title": "T", "category": "C", "key_points": [point],
            "sections": [{"heading": "H", "body": body}],
            "copyright": {"holder": "C", "year": 2026}})

    made_from = fingerprint(topic("Say hola to her.", "Ask for una cita"))
    marked = topic("Say [hola]{lang=es} to her.", "Ask for [una [cita]{lang=es}]{lang=\"es\"}")
    assert drift(marked, made_from) == []
    assert drift(topic("Say [adiós]{lang=es} to her.", "Ask for una cita"), made_from) == [
        "section-1"]

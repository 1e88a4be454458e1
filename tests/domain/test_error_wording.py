"""The error wording table (assets/errors.yaml) and its one translator, for every model."""

from __future__ import annotations

import ast
import string
from pathlib import Path

import pytest
from pydantic import ValidationError

import handout_builder.domain
from handout_builder.domain.error_wording import problems_from, wording_table
from handout_builder.domain.library import InvalidLibrary, LibrarySettings
from handout_builder.domain.models import Brand
from handout_builder.domain.personal import personal_copy
from handout_builder.domain.problems import InvalidOption, InvalidTopic
from handout_builder.sources.loader import load_model, load_topic

from tests.conftest import MINIMAL_TOPIC

DOMAIN = Path(handout_builder.domain.__file__).parent
#: What a command-line message may fill in: limits, never anything taken from the value.
SAFE_FOR_OPTIONS = {"max_length", "max_lines", "first", "last"}


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def _custom_error_types() -> set[str]:
    """Every error type our validators raise (``PydanticCustomError("type", ...)``)."""
    found = set()
    for path in DOMAIN.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and getattr(node.func, "id", "") == "PydanticCustomError"
                    and isinstance(node.args[0], ast.Constant)):
                found.add(node.args[0].value)
    return found


def test_every_custom_error_type_has_wording():
    types = _custom_error_types()
    assert {"blank", "control_character", "date_format", "date_range"} <= types
    table = wording_table()
    assert types <= set(table["file"]), "add the new type to assets/errors.yaml"
    personal = {"blank", "control_character", "date_format", "date_range", "too_many_lines"}
    assert personal <= set(table["command_line"])


def test_every_entry_has_a_message_and_a_fix():
    for audience, entries in wording_table().items():
        for kind, entry in entries.items():
            assert entry["message"].strip(), (audience, kind)
            assert "fix" in entry, (audience, kind)


def test_command_line_wording_never_takes_anything_from_the_value():
    for kind, entry in wording_table()["command_line"].items():
        used = _placeholders(entry["message"]) | _placeholders(entry["fix"])
        assert used <= SAFE_FOR_OPTIONS, kind


def test_a_problem_spans_from_the_key_to_the_end_of_its_value(write_topic):
    path = write_topic(MINIMAL_TOPIC.replace("title: Test topic", "title: [a, b]"))
    with pytest.raises(InvalidTopic) as info:
        load_topic(path)
    [p] = info.value.problems
    assert (p.field, p.line, p.column, p.end_line, p.end_column) == ("title", 1, 1, 1, 14)
    assert str(p).startswith(f"{path}:1:1: title: This should be text.")  # the text is as before


def test_an_unknown_group_spans_all_its_lines(write_topic):
    path = write_topic(MINIMAL_TOPIC + "extra:\n  a: 1\n  b: 2\n")
    with pytest.raises(InvalidTopic) as info:
        load_topic(path)
    [p] = info.value.problems
    assert (p.line, p.column) == (14, 1)
    assert (p.end_line, p.end_column) == (17, 1)  # just after "b: 2" and its line break
    assert "Did you mean" not in p.fix and "Fields allowed here: category," in p.fix


def test_limits_are_written_as_a_person_writes_them(tmp_path):
    path = tmp_path / "library.yaml"
    path.write_text("reading_grade_target: 30\nstarter_jargon: maybe\n", encoding="utf-8")
    with pytest.raises(InvalidLibrary) as info:
        load_model(LibrarySettings, path, InvalidLibrary)
    grade, jargon = info.value.problems
    assert grade.message == "This number is out of range (at most 18)."  # not 18.0
    assert jargon.message == "This should be true or false."
    assert (jargon.line, jargon.column, jargon.end_column) == (2, 1, 22)


def test_without_positions_a_problem_has_no_location():
    with pytest.raises(ValidationError) as info:
        Brand.model_validate({"name": "x"})
    problems = problems_from(info.value, Brand, "brand.yaml")
    assert {p.field for p in problems} == {"logo", "logo_alt", "colours"}
    assert all(p.line is None and p.end_line is None for p in problems)
    assert problems[0].fix == "Add `logo:` with a value here."


@pytest.mark.parametrize("date", ["1899-12-31", "2200-01-01"])
def test_a_personal_date_out_of_range_is_explained_without_the_value(date):
    with pytest.raises(InvalidOption) as info:
        personal_copy(date=date)
    [p] = info.value.problems
    assert p.field == "--date"
    assert p.message == "This is a date outside the years 1900 to 2199."
    assert date not in str(p) and date[:4] not in str(p) and p.value is None


def test_a_character_problem_spans_the_character(write_topic):
    from handout_builder.sources.text_rules import MAX_WORD_CHARACTERS

    word = "x" * (MAX_WORD_CHARACTERS + 5)
    path = write_topic(MINIMAL_TOPIC.replace("body: An answer.", f"body: An {word} answer."))
    with pytest.raises(InvalidTopic) as info:
        load_topic(path)
    [p] = info.value.problems
    assert (p.line, p.column, p.end_line, p.end_column) == (5, 14, 5, 14 + len(word))


def test_a_duplicate_key_spans_the_second_entry(write_topic):
    path = write_topic(MINIMAL_TOPIC + "title: Again\n")
    with pytest.raises(InvalidTopic) as info:
        load_topic(path)
    [p] = info.value.problems
    assert "appears twice" in p.message
    assert (p.line, p.column, p.end_line, p.end_column) == (14, 1, 14, 13)

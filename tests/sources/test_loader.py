"""Every kind of bad input gets one clear, located message, and all of a file's problems at once."""

from __future__ import annotations

import pytest

from handout_builder.domain.problems import InvalidBrand, InvalidTopic
from handout_builder.sources.loader import load_brand, load_topic

from tests.conftest import MINIMAL_TOPIC, SAMPLE


def problems_of(path):
    with pytest.raises(InvalidTopic) as info:
        load_topic(path)
    problems = info.value.problems
    for p in problems:  # every problem names the file and says something a person can act on
        assert p.file == str(path)
        assert p.message
    return problems


def test_sample_loads():
    loaded = load_topic(SAMPLE)
    assert loaded.id == "calcification"
    assert loaded.topic.category == "Heart, Blood and Circulation"
    assert loaded.source == SAMPLE.read_bytes()


def test_id_defaults_to_file_name(write_topic):
    assert load_topic(write_topic(MINIMAL_TOPIC, "heart-health.yaml")).id == "heart-health"


def test_file_name_unusable_as_id(write_topic):
    [p] = problems_of(write_topic(MINIMAL_TOPIC, "My Topic.yaml"))
    assert p.field == "id" and "my-topic" in p.fix


def test_yaml_syntax_error(write_topic):
    path = write_topic("title: Test\ncategory: [unclosed\nsections: x\n")
    [p] = problems_of(path)
    assert "YAML syntax error" in p.message
    assert p.line is not None and p.fix


@pytest.mark.parametrize(
    "text, line, column",
    [
        (b"title: x\nsections:\n\t- heading: a\n", 3, 1),  # a tab instead of spaces
        (b"title: x\nreview:\n\treviewer: a\n", 3, 1),
        (b"title: x\nreview:\n  reviewer: a\n\t  reviewed: 2024-01-01\n", 4, 1),  # tab, spaces
        (b"title: x\nreview:\n  \treviewer: a\n", 3, 3),  # spaces, then a tab
        (b"title: x\nkey_points:\n  -\tone\n", 3, 4),  # a tab after the list marker
    ],
    ids=["list", "mapping", "tab-then-spaces", "spaces-then-tab", "after-dash"],
)
def test_tab_in_indentation_says_tab(write_topic, text, line, column):
    [p] = problems_of(write_topic(text))
    assert p.message == (
        "YAML syntax error: a tab character is used for indentation; YAML needs spaces."
    )
    assert (p.line, p.column) == (line, column)
    assert "spaces" in p.fix


def test_tab_inside_text_is_not_an_indentation_error(write_topic):
    text = MINIMAL_TOPIC.replace("body: An answer.", "body: |\n      An\tanswer.")
    assert "\t" in load_topic(write_topic(text.encode())).topic.sections[0].body


def test_missing_required_field(write_topic):
    path = write_topic(MINIMAL_TOPIC.replace("category: Testing\n", ""))
    [p] = problems_of(path)
    assert p.field == "category"
    assert "missing" in p.message and "category:" in p.fix
    assert p.line == 1


def test_missing_field_in_a_list_item_points_at_the_item(write_topic):
    text = MINIMAL_TOPIC.replace("    body: An answer.\n", "    body: An answer.\n  - heading: Second\n")
    [p] = problems_of(write_topic(text))
    assert p.field == "sections.2.body"
    assert p.line == 6


def test_unknown_field_suggests_the_right_one(write_topic):
    path = write_topic(MINIMAL_TOPIC + "catgory: Typo\n")
    [p] = problems_of(path)
    assert p.field == "catgory" and p.line == 14 and p.column == 1
    assert "`category`" in p.fix


def test_unknown_nested_field(write_topic):
    path = write_topic(MINIMAL_TOPIC.replace("  reviewer: Dr Test", "  reviewr: Dr Test"))
    problems = problems_of(path)
    assert [p.field for p in problems] == ["review.reviewr"]
    assert "`reviewer`" in problems[0].fix and problems[0].line == 7


def test_wrong_type(write_topic):
    path = write_topic(MINIMAL_TOPIC.replace("title: Test topic", "title: [a, b]"))
    [p] = problems_of(path)
    assert p.field == "title" and "text" in p.message and p.line == 1


def test_number_where_text_expected_suggests_quotes(write_topic):
    path = write_topic(MINIMAL_TOPIC.replace("title: Test topic", "title: 2024"))
    [p] = problems_of(path)
    assert "quotes" in p.fix and p.value == "2024"


def test_impossible_date(write_topic):
    path = write_topic(MINIMAL_TOPIC.replace("2024-01-02", "2024-02-30"))
    [p] = problems_of(path)
    assert p.field == "review.reviewed" and "real calendar date" in p.message
    assert p.line == 8 and "YYYY-MM-DD" in p.fix


def test_duplicate_key(write_topic):
    path = write_topic(MINIMAL_TOPIC + "title: Again\n")
    [p] = problems_of(path)
    assert p.field == "title" and "twice" in p.message and "line 1" in p.message
    assert p.line == 14


def test_empty_file(write_topic):
    [p] = problems_of(write_topic(""))
    assert "empty" in p.message


def test_only_comments(write_topic):
    [p] = problems_of(write_topic("# nothing here\n"))
    assert "no content" in p.message


def test_not_utf8(write_topic):
    path = write_topic(MINIMAL_TOPIC.encode() + b"# caf\xe9\n")
    [p] = problems_of(path)
    assert "UTF-8" in p.message and p.line == 14 and p.column == 6


def test_control_characters_all_reported(write_topic):
    path = write_topic(MINIMAL_TOPIC.replace("Test topic", "Test\x07topic").replace("An answer", "An\x1banswer"))
    problems = problems_of(path)
    assert [(p.line, p.column) for p in problems] == [(1, 12), (5, 13)]
    assert all("U+00" in p.message for p in problems)


def test_escaped_control_character_in_quoted_string(write_topic):
    path = write_topic(MINIMAL_TOPIC.replace("title: Test topic", 'title: "Test\\u0007topic"'))
    [p] = problems_of(path)
    assert p.field == "title" and "control character" in p.message


def test_python_tags_refused(write_topic):
    path = write_topic(MINIMAL_TOPIC.replace("title: Test topic", "title: !!python/object/apply:os.system ['echo hi']"))
    [p] = problems_of(path)
    assert "tag" in p.message and p.line == 1


def test_custom_tag_refused(write_topic):
    path = write_topic(MINIMAL_TOPIC.replace("title: Test topic", "title: !include other.yaml"))
    [p] = problems_of(path)
    assert "!include" in p.message


@pytest.mark.parametrize("bad", ["../../etc/evil", "/tmp/evil", "Evil", "a b"])
def test_id_outside_output_folder_refused(write_topic, bad):
    path = write_topic(f"id: '{bad}'\n" + MINIMAL_TOPIC)
    [p] = problems_of(path)
    assert p.field == "id" and "lowercase" in p.fix and p.line == 1


def test_all_problems_of_a_file_at_once(write_topic):
    text = (
        "titel: Typo\n"
        "category: [x]\n"
        "sections: []\n"
        "references:\n"
        "  - title: A\n"
        "    accessed: 2011-13-01\n"
        "copyright: {holder: X}\n"
    )
    problems = problems_of(write_topic(text))
    fields = {p.field for p in problems}
    assert {"titel", "title", "category", "sections", "references.1.publisher",
            "references.1.accessed"} <= fields
    assert len(problems) >= 6


def test_top_level_must_be_a_mapping(write_topic):
    [p] = problems_of(write_topic("- just\n- a list\n"))
    assert "top level" in p.message


def test_several_documents_refused(write_topic):
    [p] = problems_of(write_topic(MINIMAL_TOPIC + "---\ntitle: second\n"))
    assert "more than one YAML document" in p.message


def test_unsupported_language(write_topic):
    [p] = problems_of(write_topic(MINIMAL_TOPIC + "language: fr\n"))
    assert p.field == "language" and "en" in p.fix and p.line == 14


def test_missing_file(tmp_path):
    [p] = problems_of(tmp_path / "nope.yaml")
    assert "does not exist" in p.message


def test_brand_loads(default_brand):
    assert default_brand.brand.paper == "letter"
    assert default_brand.logo_path.is_file()


def test_brand_with_missing_logo(brand_copy):
    (brand_copy / "logo.svg").unlink()
    with pytest.raises(InvalidBrand, match="logo"):
        load_brand(brand_copy)


def test_brand_with_weak_contrast(brand_copy):
    yaml_path = brand_copy / "brand.yaml"
    yaml_path.write_text(yaml_path.read_text().replace("#1d4f7a", "#a0c4e0"))
    with pytest.raises(InvalidBrand) as info:
        load_brand(brand_copy)
    [p] = info.value.problems
    assert p.field == "colours" and "contrast" in p.message and p.line is not None


def test_brand_folder_missing(tmp_path):
    with pytest.raises(InvalidBrand, match="does not exist"):
        load_brand(tmp_path / "nope")


def test_too_long_text_counts_characters(write_topic):
    [p] = problems_of(write_topic(MINIMAL_TOPIC + "short_title: " + "x" * 70 + "\n"))
    assert p.field == "short_title" and "at most 60 characters" in p.message


def test_text_without_cjk_never_reads_the_cjk_font_collection(monkeypatch):
    """The CJK collection (65,000 glyphs) is read only for a character the bundled fonts
    lack: never for a space or a line break, which no font needs (the text rules looked the
    coverage up first, and a block's line break read the collection for every topic)."""
    from handout_builder.sources import fonts

    fresh = fonts._Characters()  # the bundled fonts' maps are cached; the CJK one not read
    monkeypatch.setattr(fonts, "bundled_characters", lambda: fresh)
    loaded = load_topic(SAMPLE)
    assert any("\n" in section.body for section in loaded.topic.sections)
    assert fresh._cjk_points is None

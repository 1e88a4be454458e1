"""Hostile and unusual inputs: each gets a located error, never a traceback, a hang or a blow-up."""

from __future__ import annotations

import os
import threading

import pytest

from handout_builder.cli import main
from handout_builder.domain.problems import InvalidTopic, Problem, UserError, printable
from handout_builder.sources.library import load_library
from handout_builder.sources.loader import MAX_ALIAS_VALUES, load_topic
from handout_builder.sources.text_rules import MAX_WORD_CHARACTERS

from tests.conftest import MINIMAL_TOPIC


def problems_of(path):
    with pytest.raises(InvalidTopic) as info:
        load_topic(path)
    return info.value.problems


def with_body(body: str) -> str:
    return MINIMAL_TOPIC.replace("    body: An answer.", "    body: " + body)


def test_empty_id_is_located(write_topic):
    [p] = problems_of(write_topic("id:\n" + MINIMAL_TOPIC))
    assert (p.field, p.line, p.column) == ("id", 1, 1)
    assert "empty" in p.message


@pytest.mark.parametrize("where", ["review", "accessed"])
def test_dates_far_in_the_future_are_refused(write_topic, where):
    text = MINIMAL_TOPIC.replace("2024-01-02", "9999-12-31")
    if where == "accessed":
        text = MINIMAL_TOPIC + (
            "references:\n  - title: T\n    publisher: P\n    accessed: 9999-12-31\n"
        )
    [p] = problems_of(write_topic(text))
    assert "outside the years 1900 to 2199" in p.message
    assert p.line == (8 if where == "review" else 17)


def test_dates_at_the_limits_load(write_topic):
    text = MINIMAL_TOPIC.replace("2024-01-02", "2199-12-31")
    assert load_topic(write_topic(text)).topic.review.reviewed.year == 2199


def test_huge_integer_is_located(write_topic):
    text = MINIMAL_TOPIC.replace("year: 2024", "year: " + "9" * 5000)
    [p] = problems_of(write_topic(text))
    assert (p.field, p.line) == ("copyright.year", 12)
    assert "longer than 30" in p.message


def test_keys_that_are_not_text(write_topic):
    problems = problems_of(write_topic(MINIMAL_TOPIC + "1: one\ntrue: yes\n[a]: x\n"))
    assert [(p.line, p.column) for p in problems] == [(14, 1), (15, 1), (16, 1)]
    assert all("keys must be text" in p.message for p in problems)


def laughs(levels: int, width: int = 9) -> str:
    lines = ['a0: &a0 ["lol"]']
    for i in range(1, levels + 1):
        lines.append(f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * width) + "]")
    return "\n".join(lines) + "\n"


def test_nested_aliases_are_bounded(write_topic):
    # 9**12 values: without a bound this never finishes (and exhausts memory)
    [p] = problems_of(write_topic(laughs(12)))
    assert f"more than {MAX_ALIAS_VALUES:,} values" in p.message
    assert p.line is not None


def test_small_aliases_still_work(write_topic):
    text = MINIMAL_TOPIC.replace("category: Testing", "category: &c Testing") + "short_title: *c\n"
    assert load_topic(write_topic(text)).topic.short_title == "Testing"


def test_alias_that_contains_itself(write_topic):
    [p] = problems_of(write_topic("title: &a [*a]\n"))
    assert "contains it" in p.message and p.line == 1


def test_deep_nesting(write_topic):
    [p] = problems_of(write_topic("title: " + "[" * 200 + "]" * 200 + "\n"))
    assert "nested more than" in p.message


def _fifo(tmp_path, name):
    path = tmp_path / name
    os.mkfifo(path)
    return path


def run_briefly(target) -> object:
    """Run ``target`` in a thread; a read that blocks fails the test instead of hanging it."""
    result: list = []
    thread = threading.Thread(target=lambda: result.append(_catch(target)), daemon=True)
    thread.start()
    thread.join(10)
    if thread.is_alive():  # unblock the reader so the test run can finish
        pytest.fail("reading blocked")
    return result[0]


def _catch(target):
    try:
        return target()
    except BaseException as error:  # noqa: BLE001 - returned to the test
        return error


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this system")
def test_fifo_topic_is_refused(tmp_path):
    path = _fifo(tmp_path, "topic.yaml")
    error = run_briefly(lambda: load_topic(path))
    assert isinstance(error, InvalidTopic)
    assert "not a regular file" in error.problems[0].message


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this system")
def test_fifo_library_settings_are_refused(tmp_path):
    path = _fifo(tmp_path, "library.yaml")
    error = run_briefly(lambda: load_library(path))
    assert isinstance(error, UserError)
    assert "not a regular file" in error.problems[0].message


def test_device_and_folder_are_refused(tmp_path):
    assert "not a regular file" in problems_of(os.devnull)[0].message
    assert "folder" in problems_of(tmp_path)[0].message


def test_long_word_is_refused(write_topic):
    [p] = problems_of(write_topic(with_body("An " + "a" * 64_000 + " answer.")))
    assert (p.field, p.line, p.column) == ("sections.1.body", 5, 14)  # the word itself
    assert "64,000 characters" in p.message and str(MAX_WORD_CHARACTERS) in p.message


def test_words_split_by_emphasis_count_as_one(write_topic):
    [p] = problems_of(write_topic(with_body("x" * 60 + "*" + "y" * 60 + "*")))
    assert "120 characters" in p.message


def test_long_addresses_are_allowed_where_they_break(write_topic):
    url = "https://example.org/" + "a" * 300
    text = with_body(f"'[the guide]({url})'") + (
        f"references:\n  - title: T\n    publisher: P\n    url: {url}\n"
    )
    assert load_topic(write_topic(text)).topic.references[0].url == url


@pytest.mark.pdf
def test_long_address_prints_broken(write_topic, renderer, tmp_path):
    from handout_builder.service import render_file

    import pdfplumber

    url = "https://example.org/" + "a" * 300
    path = write_topic(with_body(f"'[the guide]({url})'"))
    written = render_file(path, renderer, tmp_path / "out")
    with pdfplumber.open(written.path) as pdf:
        page = pdf.pages[0]
        assert max(char["x1"] for char in page.chars) < page.width  # broken, not cut off


def test_invisible_character_in_reference_url(write_topic):
    text = MINIMAL_TOPIC + (
        "references:\n  - title: T\n    publisher: P\n    url: https://exa\u200bmple.org/\n"
    )
    [p] = problems_of(write_topic(text))
    assert p.field == "references.1.url" and "U+200B" in p.message
    assert "\\u200b" in str(p)  # shown escaped, never raw


@pytest.mark.parametrize("handout_id", ["con", "nul", "aux", "prn", "com1", "lpt9"])
def test_windows_reserved_ids(write_topic, handout_id):
    [p] = problems_of(write_topic(f"id: {handout_id}\n" + MINIMAL_TOPIC))
    assert p.field == "id" and "Windows" in p.message


def test_windows_reserved_file_name(write_topic):
    [p] = problems_of(write_topic(MINIMAL_TOPIC, "con.yaml"))
    assert p.field == "id" and "Windows" in p.message


def test_zero_character_reference_is_located(write_topic):
    [p] = problems_of(write_topic(with_body("An &#0; answer.")))
    assert (p.field, p.line, p.column) == ("sections.1.body", 5, 14)
    assert "&#0;" in p.message


def test_control_character_reference_is_located(write_topic):
    [p] = problems_of(write_topic(with_body("An &#x202E; answer &#1;.")))
    assert "U+202E" in p.message


def test_character_in_a_block_is_located_at_its_line(write_topic):
    [p] = problems_of(write_topic(with_body("|\n      First line.\n      Then \u0e01 here.")))
    assert (p.line, p.column) == (7, 12)


def test_characters_the_font_lacks_once_per_file(write_topic):
    text = with_body("กก and \U0001F600 here.").replace("title: Test topic", "title: Test ก")
    [p] = problems_of(write_topic(text))
    assert (p.field, p.line, p.column) == ("title", 1, 13)  # the first such character
    assert "U+0E01" in p.message and "U+1F600" in p.message
    assert p.message.count("U+0E01") == 1
    # each character with its field, line and column; and what to do
    assert "in title, line 1, column 13" in p.message
    assert "in sections.1.body, line " in p.message
    assert "Greek, Cyrillic, Hebrew, Arabic, Chinese" in p.fix


@pytest.mark.pdf
def test_nested_bullet_lists_print(write_topic, renderer, tmp_path):
    from pypdf import PdfReader

    from handout_builder.service import render_file

    body = "|\n      - one\n        - two\n          - three\n            - four\n      - five"
    written = render_file(write_topic(with_body(body)), renderer, tmp_path / "out")
    text = PdfReader(written.path).pages[0].extract_text()
    for word in ("one", "two", "three", "four", "five"):
        assert word in text
    assert "\u2013" in text  # the second level's marker


def test_messages_never_print_raw_control_characters():
    problem = Problem("a\x1b[2Jb.yaml", "The value is wrong.", value="x\u202ey\x07")
    shown = str(problem)
    assert "\x1b" not in shown and "\u202e" not in shown and "\x07" not in shown
    assert "a\\x1b[2Jb.yaml" in shown and "\\u202e" in shown
    assert printable("plain café") == "plain café"


def test_cli_escapes_file_names(tmp_path, capsys):
    path = tmp_path / "bad\x1b[31m.yaml"
    path.write_text("title: [\n", encoding="utf-8")
    assert main(["render", str(path), "--out", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert "\x1b" not in err and "\\x1b[31m" in err


def test_check_table_escapes_control_characters(tmp_path, capsys):
    path = tmp_path / "bad\x1b[31m.yaml"
    path.write_text('title: "a\\e[2Jb"\n', encoding="utf-8")
    assert main(["check", str(path)]) == 1
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\\x1b[31m" in out and "\\x1b[2J" in out


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this system")
@pytest.mark.parametrize("command", [pytest.param("render", marks=pytest.mark.pdf), "check",
                                     pytest.param("build", marks=pytest.mark.pdf)])
def test_commands_never_wait_on_a_fifo(tmp_path, command, capsys, monkeypatch):
    """In process, in a thread (:func:`run_briefly`): a command that opened the FIFO would
    block there, and the test fails after 10 s instead of hanging."""
    library = tmp_path / "handouts"
    library.mkdir()
    (library / "topic.yaml").write_text(MINIMAL_TOPIC, encoding="utf-8")
    os.mkfifo(library / "library.yaml")  # the settings every topic of the folder reads
    args = {"render": ["render", str(library / "topic.yaml")], "check": ["check", str(library)],
            "build": ["build", str(library), "--jobs", "1"]}[command]
    args += ["--strict"] if command == "check" else ["--out", str(tmp_path / "out")]
    monkeypatch.chdir(tmp_path)
    status = run_briefly(lambda: main(args))
    captured = capsys.readouterr()
    assert status == 1, captured.err
    assert "library.yaml" in captured.out + captured.err
    assert "not a regular file" in captured.out + captured.err


def test_merge_keys_are_refused(write_topic):
    text = "base: &b\n  holder: X\n" + MINIMAL_TOPIC.replace("copyright:\n", "copyright:\n  <<: *b\n")
    problems = problems_of(write_topic(text))
    assert [(p.field, p.line) for p in problems if "merge keys" in p.message] == [("copyright.<<", 13)]


def test_missing_glyphs_outside_the_topic_are_one_problem():
    from handout_builder.render.pdf import _layout_problems

    logged = [f'.notdef glyph rendered for Unicode string unsupported by fonts: "{c}" '
              f"(U+{ord(c):04X})" for c in "Ирина"]  # e.g. a name on a personal copy
    [p] = _layout_problems("t.yaml", logged)
    assert "bundled font" in p.message and "5 place(s)" in p.message
    assert not any(c in str(p) for c in "Ирина") and "U+04" not in str(p)


def test_check_json_escapes_terminal_controls(tmp_path, capsys):
    import json

    path = tmp_path / "topic.yaml"
    path.write_text('title: "a\\u009b2Jb\\u202ec"\n', encoding="utf-8")
    assert main(["check", str(path), "--format", "json"]) == 1
    out = capsys.readouterr().out
    assert "\x9b" not in out and "\u202e" not in out
    assert "\\u009b" in out and json.loads(out)

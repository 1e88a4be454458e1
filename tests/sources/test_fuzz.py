"""Property-based fuzzing of the loader and the models (Hypothesis), bounded to run in the suite.

Whatever bytes a topic or settings file holds, loading ends quickly with a model or a
:class:`~handout_builder.domain.problems.UserError` whose problems can be printed; nothing else.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from handout_builder.domain.problems import UserError
from handout_builder.domain.library import InvalidLibrary, LibrarySettings
from handout_builder.sources.loader import load_model, load_topic
from handout_builder.domain.review import review_state

from tests.conftest import SAMPLE, TEST_TODAY

FUZZ = settings(  # examples per test: the profile tests/conftest.py loads (FUZZ_EXAMPLES)
    deadline=timedelta(seconds=2),  # one example: a slow case is a failure, not a wait
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    derandomize=True,  # the same examples on every run: the suite stays reproducible
    database=None,
)

FIELDS = ["id", "title", "short_title", "language", "category", "summary", "key_points",
          "sections", "heading", "body", "references", "url", "accessed", "publisher", "status",
          "version", "review", "reviewer", "reviewed", "interval_months", "copyright", "holder",
          "year", "notice"]

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True),
    st.text(max_size=40), st.sampled_from(FIELDS),
    st.sampled_from(["9999-12-31", "0001-01-01", "2024-02-30", "https://x.org/\u200b", "con",
                     "&#0;", "\u202e", "- a\n  - b", "*x*" * 40, "1" * 5000]),
)
keys = st.one_of(st.sampled_from(FIELDS), st.text(max_size=10), st.integers(), st.booleans())
structures = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=5),
    max_leaves=25,
)


@pytest.fixture(scope="module")
def fuzz_file(tmp_path_factory) -> Path:
    """One file for every example, written over each time (a folder made and removed per
    example cost a third of the test's time)."""
    return tmp_path_factory.mktemp("fuzz") / "fuzz.yaml"


def _load(data: bytes, path: Path) -> None:
    path.write_bytes(data)
    try:
        loaded = load_topic(path)
    except UserError as error:
        assert error.problems and all(str(p) for p in error.problems)
    else:  # a topic that loads can be named and judged
        assert loaded.id
        review_state(loaded.topic, TEST_TODAY, LibrarySettings())
    try:
        load_model(LibrarySettings, path, InvalidLibrary)
    except UserError as error:
        assert error.problems and all(str(p) for p in error.problems)


@FUZZ
@given(structures)
def test_any_structure_loads_or_is_a_user_error(fuzz_file, data):
    _load(yaml.safe_dump(data, allow_unicode=True).encode("utf-8"), fuzz_file)


SAMPLE_LINES = SAMPLE.read_bytes().splitlines(keepends=True)
#: Pieces of YAML and text spliced into the sample: syntax, tags, aliases, odd bytes, and the
#: shapes of past defects, so that random edits reach them often.
PIECES = [b"&a ", b"*a", b"!!python/object:os.system ", b"<<: ", b"? ", b"[", b"{", b"]", b"}",
          b"- ", b": ", b"\t", b"\x00", b"\xff", b"'", b'"', b"|", b">", b"---", b"~", b"",
          b"9" * 40, b"9" * 5000, b"&#0;", b"&#x202E;", b"9999-12-31", b"0001-01-01",
          b"\xe2\x80\xae", b"\xe2\x80\x8b", b"con", b"a" * 200, b"&a [*a]", b"[*a, *a, *a]",
          b"\xe5\xad\x97", b"- a\n        - b"]
#: Whole lines inserted at the top level or inside a mapping.
LINES = [b"id:\n", b"id: con\n", b"1: x\n", b"true: y\n", b"? [a]\n: b\n", b"~: x\n",
         b"x: &a [*a]\n", b"a0: &a0 [lol]\n", b"a1: &a1 [*a0, *a0, *a0, *a0]\n",
         b"a2: &a2 [*a1, *a1, *a1, *a1]\n", b"year: " + b"9" * 5000 + b"\n"]


@st.composite
def mutated_sample(draw):
    """The sample topic with a few lines inserted, values replaced or bytes spliced in."""
    lines = list(SAMPLE_LINES)
    for _ in range(draw(st.integers(1, 5))):
        at = draw(st.integers(0, len(lines) - 1))
        action = draw(st.sampled_from(["line", "value", "bytes"]))
        piece = draw(st.sampled_from(PIECES) | st.binary(min_size=1, max_size=6))
        if action == "line":
            indent = lines[at][: len(lines[at]) - len(lines[at].lstrip())]
            new = draw(st.sampled_from(LINES))
            lines.insert(at, (indent if draw(st.booleans()) else b"") + new)
        elif action == "value" and b": " in lines[at]:
            key = lines[at].split(b": ", 1)[0]
            lines[at] = key + b": " + piece + b"\n"
        else:
            cut = draw(st.integers(0, len(lines[at])))
            lines[at] = lines[at][:cut] + piece + lines[at][cut:]
    return b"".join(lines)


@FUZZ
@given(mutated_sample())
def test_mutated_sample_loads_or_is_a_user_error(fuzz_file, data):
    _load(data, fuzz_file)

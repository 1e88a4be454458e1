"""The documentation stays true: README commands, the documented example, the catalogues."""

from __future__ import annotations

import re

import pytest

from handout_builder.domain import wording as messages
from handout_builder.sources.loader import load_topic
from tests.conftest import REPO as PROJECT_ROOT

README = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")


def test_ci_runs_the_readme_test_command():
    ci = (PROJECT_ROOT / ".ci" / "run").read_text(encoding="utf-8")
    command = ci.strip().splitlines()[-1]
    assert f"```sh\n{command}\n```" in README


def test_readme_has_the_render_command():
    assert "```sh\n./setup.sh && .venv/bin/make-handout render handouts/calcification.yaml\n```" in README


def test_documented_example_is_a_valid_topic(tmp_path):
    doc = (PROJECT_ROOT / "docs" / "topic-format.md").read_text(encoding="utf-8")
    example = re.search(r"```yaml\n(.*?)```", doc, re.S).group(1)
    path = tmp_path / "example.yaml"
    path.write_text(example, encoding="utf-8")
    loaded = load_topic(path)
    assert loaded.id == "calcification"
    assert loaded.topic.is_reviewed


@pytest.mark.parametrize("language", messages.available_languages())
def test_every_catalogue_is_complete(language):
    m = messages.messages_for(language)
    assert len(m.months) == 12
    assert "{reviewer}" in m.review_line and "{date}" in m.review_line


def test_language_subtags_use_the_main_catalogue():
    assert messages.supports("en-US") and messages.supports("es-419")
    assert not messages.supports("fr")

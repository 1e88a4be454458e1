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
    """Every key has a translation in every language, with the English text's placeholders."""
    import string

    entries = messages.read_catalogue(language)
    english = messages.read_catalogue("en")
    assert sorted(messages.REQUIRED_KEYS - set(entries)) == []
    for key, text in english.items():
        wanted = {name for _, name, _, _ in string.Formatter().parse(text) if name}
        found = {name for _, name, _, _ in string.Formatter().parse(entries[key]) if name}
        assert found == wanted, (language, key)


def test_a_missing_key_fails_the_completeness_check(tmp_path, monkeypatch):
    """The check above can fail: a catalogue without one entry is refused."""
    source = (messages.CATALOGUE_DIR / "es.po").read_text(encoding="utf-8")
    start = source.index('msgctxt "key_points"')
    end = source.index("\n\n", start)
    (tmp_path / "es.po").write_text(source[:start] + source[end + 2:], encoding="utf-8")
    monkeypatch.setattr(messages, "CATALOGUE_DIR", tmp_path)
    messages.read_catalogue.cache_clear()
    messages.messages_for.cache_clear()
    try:
        assert "key_points" not in messages.read_catalogue("es")
        with pytest.raises(RuntimeError, match="key_points"):
            messages.messages_for("es")
    finally:
        messages.read_catalogue.cache_clear()
        messages.messages_for.cache_clear()


def test_the_issue_languages_have_catalogues():
    assert {"en", "es", "zh-Hans", "zh-Hant", "vi", "ar"} <= set(messages.available_languages())


def test_language_subtags_use_the_main_catalogue():
    assert messages.supports("en-US") and messages.supports("es-419")
    assert messages.catalogue_key("zh-TW") == "zh-Hant"
    assert messages.catalogue_key("zh-CN") == "zh-Hans" and messages.catalogue_key("zh") == "zh-Hans"
    assert not messages.supports("fr")


ARCHITECTURE = (PROJECT_ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
#: `handout_builder/render/`, `tests/cli/`, `handout_builder/service.py`: a path in backticks.
NAMED_PATH = re.compile(r"`((?:handout_builder|tests|docs)/[\w./-]*)`")


def test_architecture_names_only_paths_that_exist():
    named = NAMED_PATH.findall(ARCHITECTURE)
    assert len(named) > 20
    missing = [path for path in named if not (PROJECT_ROOT / path).exists()
               or path.endswith("/") != (PROJECT_ROOT / path).is_dir()]
    assert missing == [], f"docs/architecture.md names paths that do not exist: {missing}"


def test_architecture_names_every_package():
    package = PROJECT_ROOT / "handout_builder"
    packages = sorted(f"handout_builder/{p.name}/" for p in package.iterdir()
                      if (p / "__init__.py").exists() or p.name == "assets")
    assert "handout_builder/render/" in packages
    named = set(NAMED_PATH.findall(ARCHITECTURE))
    assert [p for p in packages if p not in named] == []
    assert [f"tests/{p.split('/')[1]}/" for p in packages if p != "handout_builder/assets/"
            and f"tests/{p.split('/')[1]}/" not in named] == []

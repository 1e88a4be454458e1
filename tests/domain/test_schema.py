"""The JSON Schemas for editors: generated from the models, committed, never stale."""

from __future__ import annotations

import json
import runpy
import sys

import pytest

from handout_builder.domain.schema import SCHEMAS, schema, schema_text
from tests.conftest import HANDOUTS as HANDOUTS_DIR, REPO as PROJECT_ROOT


def committed_path(which: str):
    return HANDOUTS_DIR / SCHEMAS[which][0]


@pytest.mark.parametrize("which", sorted(SCHEMAS))
def test_committed_schema_is_fresh(which):
    committed = committed_path(which).read_text(encoding="utf-8")
    assert committed == schema_text(which), (
        f"{committed_path(which).name} is stale: run "
        f"`python make_handout.py schema {which} > handouts/{SCHEMAS[which][0]}`"
    )


def test_schema_command_prints_the_topic_schema(monkeypatch, capsys):
    # make_handout.py run as a script, in this process (a new Python costs a second)
    monkeypatch.setattr(sys, "argv", ["make_handout.py", "schema"])
    with pytest.raises(SystemExit) as ended:
        runpy.run_path(str(PROJECT_ROOT / "make_handout.py"), run_name="__main__")
    assert ended.value.code == 0
    assert json.loads(capsys.readouterr().out) == schema("topic")


def test_schema_describes_every_field_and_refuses_unknown_ones():
    topic = schema("topic")
    assert topic["$schema"].startswith("https://json-schema.org/")
    assert topic["$id"].endswith("topic.schema.json") and topic["title"]
    assert topic["additionalProperties"] is False
    assert {"title", "category", "sections", "copyright"} <= set(topic["required"])
    assert topic["properties"]["status"]["enum"] == ["draft", "approved", "withdrawn"]
    assert topic["properties"]["status"]["examples"] == ["approved"]
    review = topic["$defs"]["Review"]["properties"]
    assert "interval_months" in review
    for name, prop in topic["properties"].items():
        assert prop.get("description"), name
    for model, definition in topic["$defs"].items():
        assert definition["additionalProperties"] is False, model


def test_every_yaml_file_names_its_schema():
    files = sorted(HANDOUTS_DIR.glob("*.yaml"))
    assert files
    for path in files:
        first = path.read_text(encoding="utf-8").splitlines()[0]
        prefix = "# yaml-language-server: $schema="
        assert first.startswith(prefix), path.name
        assert (HANDOUTS_DIR / first[len(prefix):]).is_file(), path.name

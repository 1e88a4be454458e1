"""A translation has its source's clinical codes (fast tests: nothing is laid out). The
build's manifest, index and ``find --code`` are tested on a real build in
tests/build/test_matrix.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from handout_builder import service
from handout_builder.domain.problems import InvalidTopic
from handout_builder.sources.loader import load_topic
from handout_builder.sources.translations import check_translation, inherit_codes
from tests.conftest import TEST_TODAY
from tests.desk.library import translation_block

SOURCE = """\
title: Heart failure
category: Heart
codes:
  - {system: ICD-10-CM, code: I50}
  - {system: RxNorm, code: "29046"}
sections:
  - heading: What is it?
    body: The heart pumps weakly.
review:
  reviewer: Dr Test
  reviewed: 2026-06-01
copyright:
  holder: Test Clinic
  year: 2026
status: approved
"""


def translation(codes: str = "") -> str:
    return (SOURCE.replace("title: Heart failure", "language: es\ntitle: Insuficiencia "
                           "cardíaca").replace("The heart pumps weakly.", "El corazón bombea "
                                               "con poca fuerza.")
            .split("codes:\n")[0] + codes
            + "sections:" + SOURCE.split("sections:")[1].replace(
                "The heart pumps weakly.", "El corazón bombea con poca fuerza."))


@pytest.fixture
def library(tmp_path: Path) -> Path:
    folder = tmp_path / "library"
    folder.mkdir()
    (folder / "heart-failure.yaml").write_text(SOURCE, encoding="utf-8")
    block = translation_block(folder / "heart-failure.yaml")
    (folder / "heart-failure.es.yaml").write_text(translation() + block, encoding="utf-8")
    return folder


def test_a_translation_without_codes_has_its_sources(library):
    loaded = load_topic(library / "heart-failure.es.yaml")
    assert loaded.topic.codes == [] and check_translation(loaded) is not None
    assert [c.token for c in inherit_codes(loaded).topic.codes] == [
        "ICD-10-CM|I50", "RxNorm|29046"]
    info = service.read_leaflet(library / "heart-failure.es.yaml", library, TEST_TODAY)
    assert info.codes == ("ICD-10-CM|I50", "RxNorm|29046")
    assert info.name == "heart-failure.es.yaml"  # problems still name it as before


def test_the_same_codes_copied_by_hand_are_accepted(library):
    copied = ("codes:\n  - {system: RxNorm, code: \"29046\"}\n"
              "  - {system: ICD-10-CM, code: I50}\n")
    path = library / "heart-failure.es.yaml"
    path.write_text(translation(copied) + translation_block(library / "heart-failure.yaml"),
                    encoding="utf-8")
    assert check_translation(load_topic(path)) is not None


def test_other_codes_in_a_translation_are_refused(library):
    path = library / "heart-failure.es.yaml"
    path.write_text(translation("codes:\n  - {system: ICD-10-CM, code: I10}\n")
                    + translation_block(library / "heart-failure.yaml"), encoding="utf-8")
    with pytest.raises(InvalidTopic) as error:
        check_translation(load_topic(path))
    [problem] = error.value.problems
    assert (problem.field, problem.line) == ("codes", 4)
    assert "ICD-10-CM|I10" in problem.message and "ICD-10-CM|I50, RxNorm|29046" in problem.message
    assert "Delete `codes:` from this translation" in problem.fix
    # check reports it too (one rule for every command)
    [report] = service.check_topics(service.CheckRequest((path,), as_of=TEST_TODAY)).reports
    assert [f.field for f in report.findings if f.severity == "error"] == ["codes"]


def test_the_desk_finds_a_translation_by_its_sources_code(library):
    from tests.desk.conftest import _client

    client = _client(library, None, ("127.0.0.1", 50000))
    page = client.get("/connect?code=ICD-10-CM|I50.9&lang=es")
    assert page.status_code == 200
    assert "Insuficiencia cardíaca" in page.text and "1 leaflet found" in page.text
    drug = client.get("/connect?code=RxNorm|29046&lang=es").text
    assert "Insuficiencia cardíaca" in drug


def test_the_desk_rereads_a_translation_when_its_sources_codes_change(library):
    import os

    from handout_builder.desk.catalogue import Catalogue
    from handout_builder.domain.codes import parse_query

    catalogue = Catalogue(library, lambda: TEST_TODAY)
    catalogue.refresh()
    source = library / "heart-failure.yaml"
    source.write_text(SOURCE.replace("code: I50}", "code: I11}"), encoding="utf-8")
    os.utime(source, ns=(1, 1))  # a new stamp, whatever the clock's resolution
    catalogue.refresh()  # seen changed once...
    catalogue.refresh()  # ...and taken when still the same
    found = catalogue.by_code(parse_query("ICD-10-CM|I11"), language="es")
    assert [(e.id, e.language, token) for e, token, _ in found] == [
        ("heart-failure", "es", "ICD-10-CM|I11")]

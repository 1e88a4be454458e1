"""Figures beside a topic: what may be shown is checked before anything reads it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from handout_builder.domain.problems import InvalidTopic
from handout_builder.sources.loader import load_topic
from tests.conftest import MINIMAL_TOPIC

SVG = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><rect width="5" height="5"/></svg>'


def topic_with(folder: Path, figure: str) -> Path:
    path = folder / "topic.yaml"
    path.write_text(MINIMAL_TOPIC.replace(
        "review:\n", "    figures:\n" + "".join(f"      {line}\n" for line in figure.splitlines())
        + "review:\n", 1))
    return path


def problems(path: Path) -> list:
    with pytest.raises(InvalidTopic) as caught:
        load_topic(path)
    return caught.value.problems


def test_a_figure_beside_the_topic_loads(tmp_path):
    (tmp_path / "figs").mkdir()
    (tmp_path / "figs" / "a.svg").write_text(SVG)
    loaded = load_topic(topic_with(tmp_path, "- file: figs/a.svg\n  alt: A square."))
    assert loaded.topic.sections[0].figures[0].alt == "A square."


@pytest.mark.parametrize("name", ["../a.svg", "/etc/a.svg", "a/../../b.svg", "a.gif", "a.svg.exe"])
def test_paths_that_could_leave_the_folder_or_are_no_figure_are_refused(tmp_path, name):
    found = problems(topic_with(tmp_path, f"- file: {name}\n  alt: x"))
    assert found[0].field == "sections.1.figures.1.file" and found[0].line == 7


def test_a_link_to_outside_the_folder_is_refused(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "a.svg").write_text(SVG)
    library = tmp_path / "library"
    library.mkdir()
    os.symlink(outside / "a.svg", library / "a.svg")
    found = problems(topic_with(library, "- file: a.svg\n  alt: x"))
    assert "leads outside" in found[0].message and found[0].line == 7


@pytest.mark.parametrize("svg, why", [
    ('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "script"),
    ('<svg xmlns="http://www.w3.org/2000/svg"><image href="https://x.example/a.png"/></svg>',
     "x.example"),
    ('<!DOCTYPE svg [<!ENTITY e "x">]><svg xmlns="http://www.w3.org/2000/svg">&e;</svg>', ""),
])
def test_unsafe_svgs_are_refused(tmp_path, svg, why):
    (tmp_path / "a.svg").write_text(svg)
    found = problems(topic_with(tmp_path, "- file: a.svg\n  alt: x"))
    assert "The figure 'a.svg'" in found[0].message and why in found[0].message


def test_missing_files_and_missing_alt_text_are_reported_together(tmp_path):
    path = topic_with(tmp_path, "- file: gone.png\n  alt: x")
    assert "does not exist" in problems(path)[0].message
    path = topic_with(tmp_path, "- file: a.png\n- file: b.svg\n  alt: x\n  decorative: true")
    messages = [p.message for p in problems(path)]
    assert any("no alt text" in m for m in messages) and any("decorative" in m for m in messages)


def test_a_png_that_is_not_one_is_refused(tmp_path):
    (tmp_path / "a.png").write_bytes(b"not a picture")
    found = problems(topic_with(tmp_path, "- file: a.png\n  alt: x"))
    assert "not an image that can be read" in found[0].message

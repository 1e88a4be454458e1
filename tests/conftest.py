"""Shared fixtures. Any warning WeasyPrint logs during a test fails that test."""

from __future__ import annotations

import logging
import shutil
import textwrap
from datetime import date
from pathlib import Path

import pytest

from handout_builder.sources.loader import load_brand
from handout_builder.paths import DEFAULT_BRAND_DIR

#: The repository, and its content: the sample topics and the demo clinic's own brand folder
#: (make_handout's own files, the built-in brand "default" included, are in the package).
REPO = Path(__file__).resolve().parent.parent
HANDOUTS = REPO / "handouts"
BRANDS = {"default": DEFAULT_BRAND_DIR, "harbour": REPO / "styles" / "harbour"}
SAMPLE = HANDOUTS / "calcification.yaml"
#: "Today" for every test: review states never depend on the real date.
TEST_TODAY = date(2026, 11, 25)

MINIMAL_TOPIC = """\
title: Test topic
category: Testing
sections:
  - heading: First question
    body: An answer.
review:
  reviewer: Dr Test
  reviewed: 2024-01-02
  interval_months: 60
copyright:
  holder: Test Clinic
  year: 2024
status: approved
"""


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture(autouse=True)
def no_weasyprint_warnings():
    handler = _Collect()
    logger = logging.getLogger("weasyprint")
    logger.addHandler(handler)
    yield
    logger.removeHandler(handler)
    messages = [r.getMessage() for r in handler.records]
    assert not messages, f"WeasyPrint logged: {messages}"


@pytest.fixture(autouse=True)
def fixed_today(monkeypatch):
    """Commands that default to today's date see TEST_TODAY instead."""
    import handout_builder.domain.review

    monkeypatch.setattr(handout_builder.domain.review, "today", lambda: TEST_TODAY)
    return TEST_TODAY


@pytest.fixture
def write_topic(tmp_path: Path):
    """Write a topic file (text or bytes) and return its path."""

    def write(content: str | bytes, name: str = "topic.yaml") -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, str):
            path.write_text(textwrap.dedent(content), encoding="utf-8")
        else:
            path.write_bytes(content)
        return path

    return write


@pytest.fixture(scope="session")
def default_brand():
    return load_brand(DEFAULT_BRAND_DIR)


@pytest.fixture(scope="session")
def renderer(default_brand):
    from handout_builder.render.pdf import Renderer

    return Renderer(default_brand)


@pytest.fixture(scope="session")
def sample_pdf(tmp_path_factory, renderer) -> Path:
    from handout_builder.service import render_file

    out = tmp_path_factory.mktemp("sample")
    # a session fixture is set up before fixed_today applies: give the date explicitly
    return render_file(SAMPLE, renderer, out, as_of=TEST_TODAY).path


@pytest.fixture
def brand_copy(tmp_path: Path):
    """A writable copy of the default brand, to break on purpose."""
    target = tmp_path / "brand"
    shutil.copytree(DEFAULT_BRAND_DIR, target)
    return target


@pytest.fixture(scope="session")
def sample_variant(tmp_path_factory, default_brand):
    """The sample rendered with given RenderOptions, once per session for each (on TEST_TODAY:
    session fixtures are set up before fixed_today applies)."""
    from handout_builder.render.pdf import Renderer
    from handout_builder.service import render_file

    rendered: dict = {}

    def render(options) -> Path:
        if options not in rendered:
            out = tmp_path_factory.mktemp("variant")
            renderer = Renderer(default_brand, options=options)
            rendered[options] = render_file(SAMPLE, renderer, out, as_of=TEST_TODAY).path
        return rendered[options]

    return render


@pytest.fixture(scope="session")
def large_print_pdf(sample_variant) -> Path:
    from handout_builder.domain.options import RenderOptions

    return sample_variant(RenderOptions(large_print=True))


@pytest.fixture(scope="session")
def archival_pdf(sample_variant) -> Path:
    from handout_builder.domain.options import RenderOptions

    return sample_variant(RenderOptions(archival=True))

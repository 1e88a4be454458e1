"""Shared fixtures. Any warning WeasyPrint logs during a test fails that test.

Every test that lays out a PDF carries the ``pdf`` marker, so ``pytest -m "not pdf"`` runs
the fast unit tests alone; :class:`PdfMarkGuard` fails a test that renders without it.
"""

from __future__ import annotations

import functools
import gc
import logging
import multiprocessing.process
import shutil
import subprocess
import sys
import textwrap
from types import CodeType
from datetime import date
from pathlib import Path

import pytest

from handout_builder.domain import review
from handout_builder.render.pdf import Renderer
from handout_builder.sources.loader import load_brand
from handout_builder.paths import DEFAULT_BRAND_DIR

#: The repository, and its content: the sample topics and the demo clinic's own brand folder
#: (make_handout's own files, the built-in brand "default" included, are in the package).
REPO = Path(__file__).resolve().parent.parent
HANDOUTS = REPO / "handouts"
BRANDS = {"default": DEFAULT_BRAND_DIR, "harbour": REPO / "styles" / "harbour"}
SAMPLE = HANDOUTS / "calcification.yaml"
#: The sample's figure files (a folder beside it, which a copy of the sample needs too).
SAMPLE_FIGURES = HANDOUTS / "figures"


def copy_sample(folder: Path, data: bytes | None = None) -> Path:
    """The sample topic (or ``data`` in its place) in ``folder``, with its figures beside it."""
    target = folder / SAMPLE.name
    target.write_bytes(SAMPLE.read_bytes() if data is None else data)
    shutil.copytree(SAMPLE_FIGURES, folder / SAMPLE_FIGURES.name, dirs_exist_ok=True)
    return target


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


class PdfMarkGuard:
    """Fails a test that renders a PDF but is not marked ``pdf`` (so the mark cannot rot).

    A test renders when, during its set-up (fixtures included) or its call:
    - ``Renderer.render`` runs in this process (WeasyPrint lays out and writes every PDF
      there), or
    - it starts a process that may render: a ``multiprocessing`` process (the workers of
      ``build``), or a subprocess running make_handout's ``render``, ``build`` or ``email``
      (not ``--help``).
    A process started from a thread (a process pool's manager thread) counts for the test
    that is running, which is why the current test is a plain attribute, not thread-local.
    A fixture renders when its function, or a function defined in it (the ``render`` of a
    factory fixture such as ``sample_variant``), is on the stack; every test that uses a
    rendering fixture needs the mark too, also when it gets the PDF from the fixture's cache,
    whatever order the tests run in.
    """

    COMMANDS = {"render", "build", "email"}

    def __init__(self) -> None:
        self.item: pytest.Item | None = None
        self.fixture_code: dict[CodeType, str] = {}  # code of a fixture (or defined in one) -> name
        self.rendering_fixtures: dict[str, str] = {}  # fixture name -> what it did
        self.seen: dict[str, str] = {}  # node id of a test -> what it did

    def add_fixture(self, name: str, func) -> None:
        code = getattr(func, "__code__", None)
        codes = [code] if code is not None else []
        while codes:
            code = codes.pop()
            if code not in self.fixture_code:
                self.fixture_code[code] = name
                codes += [c for c in code.co_consts if isinstance(c, CodeType)]

    def note(self, what: str) -> None:
        frame = sys._getframe(1)
        while frame is not None:
            name = self.fixture_code.get(frame.f_code)
            if name is not None:
                self.rendering_fixtures.setdefault(name, what)
            frame = frame.f_back
        if self.item is not None:
            self.seen.setdefault(self.item.nodeid, what)

    def unmarked_render(self, item: pytest.Item) -> str | None:
        """What ``item`` did that needs the pdf mark, if it lacks the mark; else None."""
        if item.get_closest_marker("pdf") is not None:
            return None
        if item.nodeid in self.seen:
            return self.seen[item.nodeid]
        for name in item.fixturenames:
            if name in self.rendering_fixtures:
                return f"uses the fixture {name}, which {self.rendering_fixtures[name]},"
        return None

    def runs_make_handout(self, args) -> bool:
        words = [str(a) for a in args] if isinstance(args, (list, tuple)) else str(args).split()
        named = any("make_handout" in w or "make-handout" in w or "handout_builder" in w
                    for w in words)
        asks_help = "--help" in words or "-h" in words
        return named and not asks_help and not self.COMMANDS.isdisjoint(words)

    def install(self, monkeypatch: pytest.MonkeyPatch) -> None:
        guard = self
        render, popen_init = Renderer.render, subprocess.Popen.__init__
        start = multiprocessing.process.BaseProcess.start

        @functools.wraps(render)
        def guarded_render(renderer, *args, **kwargs):
            guard.note("lays out a PDF (Renderer.render)")
            return render(renderer, *args, **kwargs)

        @functools.wraps(start)
        def guarded_start(process):
            guard.note("starts a worker process (multiprocessing), as build does")
            return start(process)

        @functools.wraps(popen_init)
        def guarded_popen_init(popen, args, *rest, **kwargs):
            if guard.runs_make_handout(args):
                guard.note("runs make_handout render, build or email in a subprocess")
            return popen_init(popen, args, *rest, **kwargs)

        monkeypatch.setattr(Renderer, "render", guarded_render)
        monkeypatch.setattr(multiprocessing.process.BaseProcess, "start", guarded_start)
        monkeypatch.setattr(subprocess.Popen, "__init__", guarded_popen_init)


_guard = PdfMarkGuard()

#: Examples per property-based test (tests/sources/test_fuzz.py): the whole suite, as CI
#: runs it, tries 200; the quick loop (``-m "not pdf"``) tries 50, to stay within 15 s.
FUZZ_EXAMPLES = {"whole suite": 200, "quick loop": 50}


def quick_loop(config: pytest.Config) -> bool:
    """``pytest -m "not pdf"``: the fast tests alone."""
    return config.getoption("markexpr", "").replace(" ", "") == "notpdf"


def pytest_configure(config):
    from hypothesis import settings  # lazy: only the fuzz tests use it

    for name, examples in FUZZ_EXAMPLES.items():
        settings.register_profile(name, max_examples=examples)
    settings.load_profile("quick loop" if quick_loop(config) else "whole suite")


#: How a module says that every test in it is marked pdf (a line of its own).
WHOLE_MODULE_PDF = "\npytestmark = pytest.mark.pdf\n"


def pytest_ignore_collect(collection_path: Path, config: pytest.Config):
    """The quick loop does not import a module whose tests are all marked pdf: the quick loop
    would deselect every one of them, after paying for the module's imports (PDF readers,
    browser, cluster) and its assertion rewriting."""
    if (quick_loop(config) and collection_path.suffix == ".py"
            and collection_path.name.startswith("test_")
            and WHOLE_MODULE_PDF in collection_path.read_text(encoding="utf-8")):
        return True
    return None


#: The garbage collector's thresholds for the test process. The suite's heap is large and
#: lives to the end (imported modules, every collected test, WeasyPrint's and Pydantic's
#: caches); with Python's defaults (700, 10, 10) the collector ran about 3,000 times in the
#: quick loop, 22 of them over the whole heap: 4 s of its 30 s CPU (1.4 s now). Young
#: objects are still collected, every 10,000 allocations instead of 700.
GC_THRESHOLDS = (10_000, 20, 20)
gc.set_threshold(*GC_THRESHOLDS)


def pytest_collection_finish(session):
    """What the collection made (modules, test items) is never garbage: move it out of the
    collector's way (gc.freeze), so later collections do not walk it again."""
    gc.collect()
    gc.freeze()


def share_renderers(patch: pytest.MonkeyPatch) -> None:
    """``service.open_renderer`` gives one warm renderer per (brand, options) for the session
    when the brand is one of the repository's (:data:`BRANDS`, which no test changes: tests
    break copies), as a build or the desk reuses one across leaflets. Setting one up parses
    every stylesheet and registers the fonts: 70 ms each, paid about 20 times in the quick
    loop by commands run in process whose topic is refused before layout."""
    from handout_builder import service
    from handout_builder.domain.options import RenderOptions

    shared_brands = {path.resolve() for path in BRANDS.values()}
    renderers: dict = {}
    open_renderer = service.open_renderer

    @functools.wraps(open_renderer)
    def shared(brand, options: RenderOptions = RenderOptions()):
        if not isinstance(brand, Path) or brand.resolve() not in shared_brands:
            return open_renderer(brand, options)
        key = (brand.resolve(), options)
        if key not in renderers:
            renderers[key] = open_renderer(brand, options)
        return renderers[key]

    patch.setattr(service, "open_renderer", shared)


def pytest_sessionstart(session):
    patch = pytest.MonkeyPatch()
    _guard.install(patch)
    share_renderers(patch)
    patch.setattr(review, "today", pinned_today)  # set again before each test (below)
    logging.getLogger("weasyprint").addHandler(_weasyprint_log)
    session.config.add_cleanup(lambda: logging.getLogger("weasyprint").removeHandler(_weasyprint_log))
    session.config.add_cleanup(patch.undo)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item, nextitem):
    _guard.item = item
    review.today = pinned_today  # whatever a test before did to it
    _weasyprint_log.records.clear()
    try:
        return (yield)
    finally:
        _guard.item = None


@pytest.hookimpl(wrapper=True)
def pytest_fixture_setup(fixturedef, request):
    _guard.add_fixture(fixturedef.argname, fixturedef.func)
    return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    what = _guard.unmarked_render(item) if report.when == "call" else None
    if what and report.passed:
        report.outcome = "failed"
        report.longrepr = (
            f"{item.nodeid} {what} but is not marked pdf. Mark it: "
            "@pytest.mark.pdf on the test, pytest.param(..., marks=pytest.mark.pdf) for "
            "one case, or pytestmark = pytest.mark.pdf when the whole module renders; "
            "`pytest -m 'not pdf'` must stay fast (DEVELOPERS.md)."
        )
    messages = [r.getMessage() for r in _weasyprint_log.records]
    if report.when == "teardown" and messages and report.passed:
        report.outcome = "failed"
        report.longrepr = f"{item.nodeid}: WeasyPrint logged: {messages}"
    return report


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


#: Any WeasyPrint log record at WARNING or above during a test (its set-up, call or
#: teardown) fails it (pytest_runtest_makereport). One handler for the session, emptied
#: before each test, and ``review.today`` pinned before each test (pytest_runtest_protocol):
#: as two autouse fixtures, they cost every test about 0.2 ms (0.15 s of the quick loop).
_weasyprint_log = _Collect()


def pinned_today() -> date:
    """Commands that default to today's date see TEST_TODAY instead."""
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
def renderer():
    """The default brand's renderer: the one commands run in process get
    (:func:`share_renderers`), not a second one set up for the same brand and options."""
    from handout_builder import service

    return service.open_renderer(DEFAULT_BRAND_DIR)


@pytest.fixture(scope="session")
def sample_pdf(tmp_path_factory, renderer) -> Path:
    from handout_builder.service import render_file

    out = tmp_path_factory.mktemp("sample")
    # the date given explicitly, as a command would (review.today is pinned too)
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
    the date given explicitly)."""
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

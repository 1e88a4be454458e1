"""The service layer (handout_builder.service): the one API every entry point calls.

A leaflet renders from bytes with no file on disk, from a loaded model, from a file given by
absolute path whatever the current folder; user errors come back as problems on the result,
never as exceptions; nothing prints.
"""

from __future__ import annotations

import io
import json
import sys
from datetime import date
from email import message_from_bytes
from pathlib import Path

import pytest

from handout_builder import service
from handout_builder.build.batch import BuildConfig
from handout_builder.paths import DEFAULT_BRAND_DIR
from tests.conftest import BRANDS
from handout_builder.sources.library import LibrarySettings, library_for
from handout_builder.sources.loader import load_topic, load_topic_bytes
from tests.conftest import HANDOUTS, MINIMAL_TOPIC, SAMPLE, TEST_TODAY
from tests.lazy import lazy

pypdf = lazy("pypdf")


def texts(data: bytes) -> str:
    return " ".join(" ".join(p.extract_text().split()) for p in pypdf.PdfReader(io.BytesIO(data)).pages)


def files_under(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file())


@pytest.fixture
def elsewhere(tmp_path, monkeypatch):
    """An empty current folder, and command-line arguments that must not be read."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "argv", ["not-make-handout", "--garbage", "render", "x.yaml"])
    return tmp_path


@pytest.mark.pdf
def test_render_from_bytes_touches_no_disk(renderer, elsewhere, capsys):
    request = service.RenderRequest(
        topic=service.TopicBytes(MINIMAL_TOPIC.encode(), "desk/leaflet.yaml"),
        brand=renderer.brand,
    )
    result = service.render_leaflet(request, renderer)
    assert result.ok and result.problems == () and not result.refused
    assert result.data.startswith(b"%PDF-") and result.pages == 1
    assert result.topic.id == "leaflet"  # the name's stem, as for a file
    assert result.path is None and result.review.state.value == "current"
    assert "Test topic" in texts(result.data)
    assert files_under(elsewhere) == []  # nothing written, nothing expected to be read
    assert capsys.readouterr() == ("", "")


@pytest.mark.pdf
def test_bytes_a_loaded_model_and_a_file_give_the_same_pdf(renderer, elsewhere, capsys):
    settings = library_for(SAMPLE).settings  # found once by the caller, passed in
    by_file = service.render_leaflet(service.RenderRequest(SAMPLE, renderer.brand), renderer)
    from_bytes = service.render_leaflet(service.RenderRequest(
        service.TopicBytes(SAMPLE.read_bytes(), str(SAMPLE)), renderer.brand, settings=settings,
    ), renderer)
    loaded = load_topic_bytes(SAMPLE.read_bytes(), SAMPLE)
    from_model = service.render_leaflet(
        service.RenderRequest(loaded, renderer.brand, settings=settings), renderer)
    assert by_file.ok and from_bytes.ok and from_model.ok
    assert by_file.data == from_bytes.data == from_model.data
    assert by_file.review == from_bytes.review == from_model.review
    assert capsys.readouterr() == ("", "")


def test_loading_bytes_locates_problems_as_loading_the_file(write_topic):
    broken = MINIMAL_TOPIC.replace("title:", "titel:").replace("2024-01-02", "2024-13-40")
    path = write_topic(broken, "broken.yaml")
    with pytest.raises(Exception) as from_file:
        load_topic(path)
    with pytest.raises(Exception) as from_bytes:
        load_topic_bytes(broken.encode(), path)
    assert type(from_file.value) is type(from_bytes.value)
    assert from_file.value.problems == from_bytes.value.problems
    assert {p.line for p in from_bytes.value.problems} == {1, 8}


@pytest.mark.pdf
def test_user_errors_come_back_as_problems(renderer, elsewhere, capsys):
    invalid = service.render_leaflet(service.RenderRequest(
        service.TopicBytes(MINIMAL_TOPIC.replace("title:", "titel:").encode(), "typo.yaml"),
        renderer.brand,
    ), renderer)
    assert not invalid.ok and invalid.pdf is None and not invalid.refused
    [problem] = [p for p in invalid.problems if p.field == "titel"]
    assert (problem.file, problem.line) == ("typo.yaml", 1)

    draft = MINIMAL_TOPIC.replace("status: approved", "status: draft").encode()
    refused = service.render_leaflet(service.RenderRequest(
        service.TopicBytes(draft, "draft.yaml"), renderer.brand), renderer)
    assert refused.refused and not refused.ok
    [problem] = refused.problems
    assert (problem.file, problem.field, problem.line) == ("draft.yaml", "status", 13)

    proof = service.render_leaflet(service.RenderRequest(
        service.TopicBytes(draft, "draft.yaml"), renderer.brand, allow_draft=True), renderer)
    assert proof.ok and proof.watermark_key == "watermark_draft" and proof.watermark

    no_brand = service.render_leaflet(service.RenderRequest(
        service.TopicBytes(MINIMAL_TOPIC.encode(), "x.yaml"), elsewhere / "no-such-brand"))
    assert not no_brand.ok and "brand folder does not exist" in no_brand.problems[0].message
    assert files_under(elsewhere) == []
    assert capsys.readouterr() == ("", "")


@pytest.mark.pdf
def test_the_library_settings_are_passed_in(renderer, elsewhere):
    """Bytes have no folder: the settings come with the request (defaults otherwise)."""
    topic = service.TopicBytes(MINIMAL_TOPIC.encode(), "x.yaml")  # reviewed 2024-01-02, 60 months
    strict = LibrarySettings(due_soon_days=365)
    due = service.render_leaflet(service.RenderRequest(
        topic, renderer.brand, as_of=date(2028, 3, 1), settings=strict), renderer)
    assert due.ok and due.review.state.value == "due-soon"
    default = service.render_leaflet(service.RenderRequest(
        topic, renderer.brand, as_of=date(2028, 3, 1)), renderer)
    assert default.ok and default.review.state.value == "current"


@pytest.mark.pdf
def test_render_to_folder_from_anywhere(renderer, elsewhere, tmp_path_factory, capsys):
    out = tmp_path_factory.mktemp("out")
    request = service.RenderRequest(SAMPLE.resolve(), DEFAULT_BRAND_DIR, as_of=TEST_TODAY)
    result = service.render_to_folder(request, out, renderer)
    assert result.ok and result.path == out / "calcification.pdf"
    assert result.path.read_bytes() == result.data
    assert files_under(elsewhere) == [] and files_under(out) == [result.path]
    # publishing is its own call: render to bytes, then write
    in_memory = service.render_leaflet(request, renderer)
    published = service.publish_leaflet(in_memory, out / "again")
    assert published.path == out / "again" / "calcification.pdf"
    assert published.path.read_bytes() == result.data
    assert capsys.readouterr() == ("", "")


def test_a_renderer_for_another_brand_is_refused(renderer):
    request = service.RenderRequest(SAMPLE, BRANDS["harbour"])
    with pytest.raises(ValueError):
        service.render_leaflet(request, renderer)


@pytest.mark.pdf
def test_email_a_draft_from_bytes(elsewhere, capsys):
    request = service.EmailRequest(
        topic=service.TopicBytes(MINIMAL_TOPIC.encode(), "leaflet.yaml"),
        brand=DEFAULT_BRAND_DIR, to="patient@example.org", draft_folder=elsewhere,
    )
    result = service.email_leaflet(request)
    assert result.ok and result.draft == elsewhere / "leaflet.eml"
    assert result.handout_id == "leaflet" and result.attachment_bytes > 0
    message = message_from_bytes(result.draft.read_bytes())
    assert message["X-Unsent"] == "1" and "patient" not in message["Subject"]
    assert "patient@example.org" not in repr(request)
    assert capsys.readouterr() == ("", "")


def test_email_problems_come_back_as_problems(elsewhere, capsys):
    draft = MINIMAL_TOPIC.replace("status: approved", "status: draft").encode()
    result = service.email_leaflet(service.EmailRequest(
        topic=service.TopicBytes(draft, "draft.yaml"), brand=DEFAULT_BRAND_DIR,
        to="patient@example.org", draft_file=elsewhere / "x.eml",
    ))
    assert not result.ok and result.problems[0].field == "status"
    assert files_under(elsewhere) == []
    assert capsys.readouterr() == ("", "")


def test_check_topics(elsewhere, capsys):
    result = service.check_topics(service.CheckRequest((SAMPLE, elsewhere / "missing.yaml"),
                                                       as_of=TEST_TODAY))
    assert [r.file for r in result.reports] == [str(SAMPLE), str(elsewhere / "missing.yaml")]
    assert result.exit_status == 1  # the missing file is an error
    data = json.loads(result.json())
    assert data["exit_status"] == 1 and data["as_of"] == TEST_TODAY.isoformat()
    assert "2 file(s) checked" in result.text()
    assert capsys.readouterr() == ("", "")


def test_a_build_that_cannot_start_returns_problems(elsewhere, capsys):
    result = service.build_library(BuildConfig(
        library=elsewhere / "nothing", out_dir=elsewhere / "out",
        brand_dir=DEFAULT_BRAND_DIR, jobs=1))
    assert result.build is None
    assert [p.message for p in result.problems] == ["The library folder does not exist."]
    assert capsys.readouterr() == ("", "")


@pytest.mark.pdf
@pytest.mark.parametrize("name", ["calcification.yaml", "calcification.es.yaml"])
def test_a_library_leaflet_renders_from_its_bytes_anywhere(name, tmp_path, monkeypatch):
    """As the desk renders: the bytes read once, in a worker whose folder is elsewhere; the
    sample's figure, and the translation's source, are still found beside the file."""
    monkeypatch.chdir(tmp_path)
    info = service.read_leaflet(HANDOUTS / name, HANDOUTS, as_of=TEST_TODAY)
    result = service.render_leaflet(service.RenderRequest(
        topic=info.topic_bytes(), brand=DEFAULT_BRAND_DIR, as_of=TEST_TODAY,
        settings=info.settings))
    assert result.ok, [str(p) for p in result.problems]

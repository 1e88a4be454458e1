"""The rendering policy: what is refused, and the watermark on proofs printed anyway."""

from __future__ import annotations

from datetime import date

import pytest

from handout_builder.cli import main
from handout_builder.domain.problems import RenderRefused
from handout_builder.service import render_file

from tests.conftest import MINIMAL_TOPIC
from tests.lazy import lazy

pypdf = lazy("pypdf")

AS_OF = date(2026, 11, 25)
WATERMARKS = ("DRAFT", "REVIEW OVERDUE", "NOT REVIEWED", "WITHDRAWN")
LONG_BODY = " ".join(["Words that fill the page."] * 250)  # two pages or more


def page_texts(path) -> list[str]:
    return [page.extract_text() for page in pypdf.PdfReader(path).pages]


@pytest.mark.pdf
def test_current_leaflet_has_no_watermark(write_topic, renderer, tmp_path):
    text = MINIMAL_TOPIC.replace("An answer.", LONG_BODY) + "version: '1.0'\n"
    written = render_file(write_topic(text), renderer, tmp_path, as_of=AS_OF)
    texts = page_texts(written.path)
    assert len(texts) >= 2
    for text in texts:
        assert "Handout topic · version 1.0 Page" in " ".join(text.split())
        for word in WATERMARKS + ("EXAMPLE",):
            assert word not in text


@pytest.mark.pdf
def test_the_sample_is_an_example_never_a_current_leaflet(sample_pdf):
    texts = [" ".join(text.split()) for text in page_texts(sample_pdf)]
    assert "Example content for demonstration: this is not medical advice." in texts[0]
    for text in texts:
        assert "Handout calcification · version 1.0 · EXAMPLE · NOT MEDICAL ADVICE Page" in text


@pytest.mark.pdf
def test_an_example_proof_has_both_marks(write_topic, renderer, tmp_path):
    text = MINIMAL_TOPIC.replace("status: approved", "status: draft\nexample: true\nlanguage: es")
    written = render_file(write_topic(text), renderer, tmp_path, as_of=AS_OF, allow_draft=True)
    [page] = page_texts(written.path)
    assert "Folleto topic · EJEMPLO · NO ES CONSEJO MÉDICO · BORRADOR" in " ".join(page.split())
    assert "Contenido de ejemplo para demostración: no es consejo médico." in " ".join(page.split())


@pytest.mark.parametrize(
    "text, as_of, words",
    [
        (MINIMAL_TOPIC.replace("status: approved", "status: draft"), AS_OF, "is a draft"),
        (MINIMAL_TOPIC.replace("status: approved", "status: withdrawn"), AS_OF, "is withdrawn"),
        (MINIMAL_TOPIC.replace("  reviewer: Dr Test\n", ""), AS_OF, "never been medically reviewed"),
        (MINIMAL_TOPIC, date(2029, 1, 3), "overdue: it was due on 2029-01-02"),
        (MINIMAL_TOPIC.replace("status: approved\n", ""), AS_OF, "is a draft"),  # the default
    ],
    ids=["draft", "withdrawn", "never-reviewed", "overdue", "no-status"],
)
def test_refused_without_allow_draft(write_topic, renderer, tmp_path, text, as_of, words):
    with pytest.raises(RenderRefused) as info:
        render_file(write_topic(text), renderer, tmp_path / "out", as_of=as_of)
    assert words in str(info.value) and "--allow-draft" in str(info.value)
    assert not (tmp_path / "out").exists()


@pytest.mark.pdf
def test_day_of_due_date_still_prints(write_topic, renderer, tmp_path):
    written = render_file(write_topic(MINIMAL_TOPIC), renderer, tmp_path, as_of=date(2029, 1, 2))
    assert written.review.state.value == "due-soon"
    assert not any("REVIEW OVERDUE" in t for t in page_texts(written.path))


@pytest.mark.pdf
@pytest.mark.parametrize(
    "change, as_of, word",
    [
        (("status: approved", "status: draft"), AS_OF, "DRAFT"),
        (("status: approved", "status: approved"), date(2029, 1, 3), "REVIEW OVERDUE"),
        (("  reviewer: Dr Test\n", ""), AS_OF, "NOT REVIEWED"),
    ],
    ids=["draft", "overdue", "not-reviewed"],
)
def test_watermark_on_every_page_and_in_the_footer(write_topic, renderer, tmp_path, change, as_of, word):
    text = MINIMAL_TOPIC.replace(*change).replace("An answer.", LONG_BODY)
    written = render_file(write_topic(text), renderer, tmp_path, as_of=as_of, allow_draft=True)
    texts = page_texts(written.path)
    assert len(texts) >= 2
    for text in texts:
        assert text.count(word) == 2  # the diagonal watermark and the footer
        assert f"Handout topic · {word}" in text


@pytest.mark.pdf
def test_spanish_watermark(write_topic, renderer, tmp_path):
    text = MINIMAL_TOPIC.replace("status: approved", "status: draft\nlanguage: es\nversion: 2b")
    written = render_file(write_topic(text), renderer, tmp_path, as_of=AS_OF, allow_draft=True)
    [page] = page_texts(written.path)
    assert page.count("BORRADOR") == 2 and "Folleto topic · versión 2b · BORRADOR" in page


@pytest.mark.pdf
def test_cli_refuses_then_allows(write_topic, tmp_path, capsys):
    path = write_topic(MINIMAL_TOPIC.replace("status: approved", "status: draft"))
    out = tmp_path / "out"
    assert main(["render", str(path), "--out", str(out), "--as-of", "2026-11-25"]) == 1
    err = capsys.readouterr().err
    assert f"error: {path}:13:1: status: The topic is a draft" in err
    assert not out.exists()
    assert main(["render", str(path), "--out", str(out), "--allow-draft"]) == 0
    assert "draft, watermarked" in capsys.readouterr().out
    assert (out / "topic.pdf").exists()


@pytest.mark.pdf
def test_cli_render_uses_as_of(write_topic, tmp_path):
    path = write_topic(MINIMAL_TOPIC)  # due 2029-01-02
    assert main(["render", str(path), "--out", str(tmp_path), "--as-of", "2029-01-02"]) == 0
    assert main(["render", str(path), "--out", str(tmp_path), "--as-of", "2029-01-03"]) == 1

"""A copy for one patient: the details print on the first page and nowhere else."""

from __future__ import annotations

from dataclasses import replace

import logging
import re

import pytest

from handout_builder.cli import main
from handout_builder.domain.problems import InvalidOption
from handout_builder.render.html import render_html
from handout_builder.sources.fonts import bundled_characters
from handout_builder.sources.loader import load_topic
from handout_builder.domain.personal import PersonalCopy, personal_copy

from tests.conftest import MINIMAL_TOPIC, SAMPLE
from tests.lazy import lazy

pdfplumber = lazy("pdfplumber")
pikepdf = lazy("pikepdf")

NAME = "Zorblax Quennington"
CLINICIAN = "Dr. Ilsabet Marrowfield"
NOTE = "Take one Qwyzzle tablet\nevery morning."
SECRETS = (NAME, "Zorblax", "Quennington", CLINICIAN, "Marrowfield", "Qwyzzle")


def run(*args):
    return main([str(a) for a in args])


def flat(text: str) -> str:
    return re.sub(r"\s+", " ", text)


# --------------------------------------------------------------------------------------
# The options
# --------------------------------------------------------------------------------------


def test_no_details_is_none():
    assert personal_copy() is None


def test_details_are_validated_and_cleaned():
    copy = personal_copy("  Ana  María ", None, "2024-03-01", "line one\nline two")
    assert copy.patient_name == "Ana María"
    assert copy.clinician is None
    assert copy.date.isoformat() == "2024-03-01"
    assert copy.note == "line one\nline two"
    assert NAME not in repr(personal_copy(NAME)) and NAME not in str(personal_copy(NAME))


@pytest.mark.parametrize(
    "kwargs, option, words",
    [
        ({"date": "14/03/2024"}, "--date", "YYYY-MM-DD"),
        ({"date": "2024-02-30"}, "--date", "YYYY-MM-DD"),
        ({"patient_name": "Zorblax\x07Q"}, "--patient-name", "control character"),
        ({"patient_name": "Zorblax\u202eQ"}, "--patient-name", "control character"),
        ({"clinician": "Zorblax " * 20}, "--clinician", "at most 80 characters"),
        ({"patient_name": "   "}, "--patient-name", "empty"),
        ({"note": "Zorblax " * 100}, "--note", "at most 500 characters"),
        ({"note": "Zorblax\n" * 12}, "--note", "more than 8 lines"),
    ],
    ids=["date-form", "date-unreal", "bell", "bidi", "long-name", "blank", "long-note", "lines"],
)
def test_bad_details_are_refused_without_repeating_them(kwargs, option, words):
    with pytest.raises(InvalidOption) as info:
        personal_copy(**{"patient_name": NAME, **kwargs})
    text = str(info.value)
    assert f"command line: {option}: " in text and words in text and "Fix:" in text
    for value in [NAME, *kwargs.values()]:
        assert not value.strip() or value.strip() not in text
    assert info.value.__context__ is None  # no chained pydantic error (it would quote the value)
    assert "Zorblax" not in text


def test_model_is_closed():
    with pytest.raises(Exception):
        PersonalCopy.model_validate({"patient_name": "A", "diagnosis": "B"})


# --------------------------------------------------------------------------------------
# The HTML
# --------------------------------------------------------------------------------------


def test_blank_leaflet_has_no_write_in_lines_unless_the_brand_asks(default_brand):
    assert 'class="personal"' not in render_html(load_topic(SAMPLE), default_brand)
    asks = replace(default_brand,
                   brand=default_brand.brand.model_copy(update={"write_in_on_blank_copies": True}))
    html = render_html(load_topic(SAMPLE), asks)
    assert html.count('class="write-in-blank"') == 3
    assert html.count('class="notes-line"') == 3
    for label in ("Prepared for:", "By:", "Date:", "Notes"):
        assert label in html
    # first page: after the title and category, before the key points
    order = [html.index(mark) for mark in ('class="category"', 'class="personal"', "key-points")]
    assert order == sorted(order)


def test_values_are_escaped_and_partial_details_leave_blank_lines(default_brand):
    copy = personal_copy("<b>Zed</b> & Co", date="2024-03-01")
    html = render_html(load_topic(SAMPLE), default_brand, personal=copy)
    assert "&lt;b&gt;Zed&lt;/b&gt; &amp; Co" in html and "<b>Zed" not in html
    assert "March 1, 2024" in html
    assert html.count('class="write-in-blank"') == 1  # the clinician line stays blank
    assert html.count('class="notes-line"') == 3


def test_spanish_labels(default_brand, write_topic):
    topic = load_topic(write_topic("language: es\n" + MINIMAL_TOPIC))
    html = render_html(topic, default_brand, personal=personal_copy(date="2024-03-01", note="x"))
    for label in ("Preparado para:", "Por:", "Fecha:", "Notas", "1 de marzo de 2024"):
        assert label in html
    assert "Prepared for" not in html


# --------------------------------------------------------------------------------------
# The PDF: printed on page 1, nowhere else
# --------------------------------------------------------------------------------------


def _strings(obj, seen: set) -> list[str]:
    """Every text string reachable from ``obj`` (dictionaries, arrays, names)."""
    found = []
    if isinstance(obj, pikepdf.Object) and obj.is_indirect:
        key = obj.objgen
        if key in seen:
            return found
        seen.add(key)
    if isinstance(obj, pikepdf.String):
        found.append(str(obj))
    elif isinstance(obj, pikepdf.Name):
        found.append(str(obj))
    elif isinstance(obj, (pikepdf.Dictionary, pikepdf.Stream)):
        for key in obj.keys():
            found.append(key)
            found += _strings(obj[key], seen)
    elif isinstance(obj, pikepdf.Array):
        for item in obj:
            found += _strings(item, seen)
    return found


def _outline_titles(pdf: pikepdf.Pdf) -> list[str]:
    titles = []
    with pdf.open_outline() as outline:
        stack = list(outline.root)
        while stack:
            item = stack.pop()
            titles.append(item.title)
            stack.extend(item.children)
    return titles


@pytest.mark.pdf
def test_details_print_on_the_first_page_and_nowhere_else(tmp_path, capsys, caplog):
    out = tmp_path / "out"
    with caplog.at_level(logging.DEBUG):  # every logger, every level, while the command runs
        status = run(
            "render", SAMPLE, "--out", out, "--patient-name", NAME, "--clinician", CLINICIAN,
            "--date", "2024-03-14", "--note", NOTE,
        )
    assert status == 0
    captured = capsys.readouterr()
    logged = [record.getMessage() for record in caplog.records]
    assert logged  # WeasyPrint does log at DEBUG/INFO: the check below looks at something
    [pdf_path] = out.iterdir()  # the file name: the id and a random token, nothing personal
    assert re.fullmatch(r"calcification\.personal-[0-9a-f]{12}\.pdf", pdf_path.name)
    assert f"wrote {pdf_path} (" in captured.out

    # on the page: page 1, and only there
    with pdfplumber.open(pdf_path) as doc:
        pages = [flat(page.extract_text()) for page in doc.pages]
    assert f"Prepared for: {NAME}" in pages[0]
    assert f"By: {CLINICIAN}" in pages[0]
    assert "Date: March 14, 2024" in pages[0]
    assert "Take one Qwyzzle tablet" in pages[0] and "every morning." in pages[0]
    assert not any("Zorblax" in page for page in pages[1:])

    # the metadata, the bookmarks and every string object of the file
    with pikepdf.open(pdf_path) as pdf:
        info = {str(k): str(v) for k, v in pdf.docinfo.items()}
        assert info["/Title"] == "Calcification" and info["/Author"] == "Riverside Family Clinic"
        with pdf.open_metadata() as xmp:
            xmp_text = str(xmp)
        assert "Calcification" in xmp_text
        titles = _outline_titles(pdf)
        assert "Calcification" in titles
        strings = _strings(pdf.trailer, set())
        for obj in pdf.objects:
            strings += _strings(obj, set())
        assert "Calcification" in strings  # the walk does reach the text strings
        streams = []
        for obj in pdf.objects:  # decoded streams: XMP, fonts' ToUnicode maps, page content
            if isinstance(obj, pikepdf.Stream):
                try:
                    streams.append(obj.read_bytes())
                except pikepdf.PdfError:
                    streams.append(obj.read_raw_bytes())
    raw = pdf_path.read_bytes()
    for secret in SECRETS:
        assert secret not in " ".join(info.values())
        assert secret not in xmp_text
        assert not any(secret in title for title in titles)
        assert not any(secret in s for s in strings)
        for encoded in (secret.encode(), secret.encode("utf-16-be"), secret.encode("latin-1")):
            assert encoded not in raw
            assert not any(encoded in data for data in streams)
        # what the command printed and logged, and the file name
        assert secret not in captured.out and secret not in captured.err
        assert secret not in pdf_path.name
        assert not any(secret in message for message in logged)
    assert "personal copy" in captured.out


@pytest.mark.pdf
def test_blank_leaflet_spends_no_room_on_write_in_lines(sample_pdf):
    with pdfplumber.open(sample_pdf) as doc:
        text = flat(doc.pages[0].extract_text())
    assert "Prepared for" not in text and "Notes" not in text
    assert "Key points" in text


def test_error_messages_never_repeat_the_details(tmp_path, capsys, write_topic):
    out = tmp_path / "out"
    # an invalid date: refused before any work, the name and the date not repeated
    assert run("render", SAMPLE, "--out", out, "--patient-name", NAME, "--date", "31.12.2024") == 1
    err = capsys.readouterr().err
    assert "--date: This is not a real date" in err
    assert "Zorblax" not in err and "31.12.2024" not in err
    assert not out.exists()
    # an invalid topic with valid details: the topic's problem, not the details
    bad = write_topic(MINIMAL_TOPIC.replace("title:", "titel:"), "bad.yaml")
    assert run("render", bad, "--out", out, "--patient-name", NAME, "--note", NOTE) == 1
    captured = capsys.readouterr()
    assert "titel" in captured.err
    assert "Zorblax" not in captured.err + captured.out and "Qwyzzle" not in captured.err
    # a name given without quotes: argparse's own message does not repeat the stray word
    with pytest.raises(SystemExit) as info:
        run("render", SAMPLE, "--out", out, "--patient-name", "Zorblax", "Quennington", "--colour")
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert "unrecognized arguments: --colour and 1 unrecognized word(s)" in err
    assert "Quennington" not in err


# --------------------------------------------------------------------------------------
# Where a personal copy may go
# --------------------------------------------------------------------------------------


def _library(folder):
    folder.mkdir(parents=True)
    (folder / "manifest.json").write_text('{"format": 2, "generator": "make_handout 0.1"}\n')
    return folder


@pytest.mark.parametrize(
    "out", [None, "out", "out/private", "library", "library/private"],
    ids=["no-out", "default-out", "inside-default", "library", "inside-library"],
)
def test_personal_copy_never_goes_to_a_shared_folder(out, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _library(tmp_path / "library")
    args = ["render", SAMPLE, "--patient-name", NAME, "--note", NOTE]
    assert run(*args, *(["--out", out] if out else [])) == 1
    captured = capsys.readouterr()
    assert "error: command line: --out: A personal copy (--patient-name, --note)" in captured.err
    assert "Zorblax" not in captured.err + captured.out and "Qwyzzle" not in captured.err
    assert not (tmp_path / "out").exists()
    assert sorted(p.name for p in (tmp_path / "library").rglob("*")) == ["manifest.json"]


@pytest.mark.pdf
def test_a_folder_with_someone_elses_manifest_json_is_private(tmp_path, capsys):
    out = tmp_path / "private"
    out.mkdir()
    (out / "manifest.json").write_text('{"name": "a web app"}')
    assert run("render", SAMPLE, "--out", out, "--patient-name", NAME) == 0


@pytest.mark.pdf
def test_each_copy_gets_a_new_name_and_a_failed_one_leaves_none(tmp_path, capsys, write_topic):
    out = tmp_path / "private"
    assert run("render", SAMPLE, "--out", out, "--patient-name", NAME) == 0
    first = capsys.readouterr().out
    [copy_a] = out.iterdir()
    assert f"wrote {copy_a} " in first
    # patient B, whose render fails: nothing is written and A's copy is not announced
    bad = write_topic(MINIMAL_TOPIC.replace("title:", "titel:"), "bad.yaml")
    assert run("render", bad, "--out", out, "--patient-name", "Patient Bee") == 1
    captured = capsys.readouterr()
    assert "wrote" not in captured.out and "no personal copy written" in captured.err
    assert list(out.iterdir()) == [copy_a]
    # patient B again, rendered: a new name, and A's copy untouched
    before = copy_a.read_bytes()
    assert run("render", SAMPLE, "--out", out, "--patient-name", "Patient Bee") == 0
    assert len(list(out.iterdir())) == 2 and copy_a.read_bytes() == before
    assert str(copy_a) not in capsys.readouterr().out


@pytest.mark.pdf
def test_personal_copy_to_standard_output(capfdbinary):
    assert run("render", SAMPLE, "--out", "-", "--patient-name", NAME) == 0
    captured = capfdbinary.readouterr()
    assert captured.out.startswith(b"%PDF-") and b"wrote standard output" in captured.err
    assert NAME.encode() not in captured.err


def test_standard_output_takes_one_file(capsys):
    with pytest.raises(SystemExit) as info:
        run("render", SAMPLE, SAMPLE, "--out", "-")
    assert info.value.code == 2 and "exactly one FILE" in capsys.readouterr().err


# --------------------------------------------------------------------------------------
# Names in other scripts: printed, and never spelt out in a message
# --------------------------------------------------------------------------------------

SCRIPT_NAMES = {
    "cyrillic": "Зорблакс Квеннингтонова",
    "greek": "Ζορμπλάξ Κουεννινγκτόν",
    "arabic": "زوربكس كوينينغتون",  # (poppler extracts the lam-alef ligature reversed)
    "korean": "조르블락스 퀘닝턴",
    "vietnamese": "Nguyễn Thị Quỳnh Hương",
}


def _pdftotext(path) -> str:
    import subprocess

    text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], check=True,
                          capture_output=True, text=True).stdout
    return re.sub("[\u202a-\u202e\u2066-\u2069]", "", text)  # poppler's bidi marks


@pytest.mark.pdf
@pytest.mark.parametrize("script", sorted(SCRIPT_NAMES))
def test_names_in_other_scripts_print(script, tmp_path, capsys, caplog):
    name = SCRIPT_NAMES[script]
    out = tmp_path / "private"
    with caplog.at_level(logging.DEBUG):
        status = run("render", SAMPLE, "--out", out, "--patient-name", name, "--note", name)
    captured = capsys.readouterr()
    assert status == 0, captured.err
    [pdf_path] = out.iterdir()
    text = flat(_pdftotext(pdf_path))
    assert f"Prepared for: {name}" in text and text.count(name) == 2
    with pikepdf.open(pdf_path) as pdf:
        meta = " ".join(str(v) for v in pdf.docinfo.values())
        with pdf.open_metadata() as xmp:
            meta += str(xmp)
        meta += " ".join(_outline_titles(pdf))
    words = name.split()
    for where in (captured.out, captured.err, pdf_path.name, meta,
                  *(record.getMessage() for record in caplog.records)):
        assert not any(word in where for word in words)


@pytest.mark.parametrize(
    "value", ["สมชาย ใจดี", "राम शर्मा", "Зорблакс ก"], ids=["thai", "devanagari", "mixed"]
)
def test_a_name_no_bundled_font_prints_is_refused_by_option(value, tmp_path, capsys, caplog):
    out = tmp_path / "private"
    with caplog.at_level(logging.DEBUG):
        assert run("render", SAMPLE, "--out", out, "--clinician", value) == 1
    captured = capsys.readouterr()
    assert "--clinician: This contains letters that the bundled fonts cannot print." in captured.err
    assert captured.err.count("error:") == 1  # one message, not one per letter
    logged = " ".join(record.getMessage() for record in caplog.records)
    for c in value.replace(" ", ""):
        for where in (captured.err, captured.out, logged):
            assert c not in where and f"U+{ord(c):04X}" not in where.upper()
    assert not out.exists() or list(out.iterdir()) == []


@pytest.mark.pdf
def test_large_print_refusal_names_the_css_rule_not_the_name(tmp_path, capsys, brand_copy):
    (brand_copy / "brand.css").write_text(".write-in-value, .notes-text { font-size: 10pt; }\n")
    out = tmp_path / "private"
    args = ["render", SAMPLE, "--out", out, "--brand", brand_copy, "--large-print",
            "--patient-name", NAME, "--note", NOTE]
    assert run(*args) == 1
    err = capsys.readouterr().err
    assert "smaller than 18 pt (for example the CSS rule for " in err
    assert "span.write-in-value (10.0 pt)" in err or "p.notes-text (10.0 pt)" in err
    for secret in SECRETS:
        assert secret not in err
    assert not out.exists() or list(out.iterdir()) == []


def test_layout_problems_of_a_personal_copy_never_quote_it():
    from handout_builder.domain.problems import Problem
    from handout_builder.service import _withheld

    copy = personal_copy("Зорблакс Q", note="Qwyzzle")
    quoting = [
        'Layout problem reported by WeasyPrint: .notdef glyph for "З" (U+0417)',
        "Layout problem: (U+0417)",
        "text 'Qwyzzle' overflows",
        "Зорблакс Q",
    ]
    for message in quoting:
        shown = str(_withheld(Problem("topic.yaml", message), copy))
        assert "could not be laid out" in shown and "З" not in shown and "Qwyzzle" not in shown
        assert "U+0417" not in shown
    harmless = Problem("topic.yaml", "The leaflet is 3 MB, over the size budget of 2 MB.")
    assert _withheld(harmless, copy) == harmless


def test_decomposed_input_is_composed():
    import unicodedata

    for name in ("Nguyễn Thị Hương", "조르블락스"):
        decomposed = unicodedata.normalize("NFD", name)
        assert decomposed != name
        copy = personal_copy(decomposed)
        assert copy.patient_name == name
        copy.check_printable(bundled_characters())  # every composed letter is in a bundled font

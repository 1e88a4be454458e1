"""The command line as a user meets it: exit statuses, messages, files written or not."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from handout_builder.cli import main
from handout_builder.paths import DEFAULT_BRAND_DIR, brand_folder
from tests.conftest import MINIMAL_TOPIC, REPO as PROJECT_ROOT, SAMPLE


def run(*args: str):
    return main([str(a) for a in args])


@pytest.mark.pdf
def test_render_sample(tmp_path, capsys):
    assert run("render", SAMPLE, "--out", tmp_path) == 0
    pdf = tmp_path / "calcification.pdf"
    assert pdf.read_bytes().startswith(b"%PDF-")
    assert f"wrote {pdf}" in capsys.readouterr().out
    assert [p.name for p in tmp_path.iterdir()] == ["calcification.pdf"]  # no temp files left


@pytest.mark.pdf
def test_pdf_gets_usual_permissions(tmp_path):
    old = os.umask(0o022)
    try:
        assert run("render", SAMPLE, "--out", tmp_path) == 0
    finally:
        os.umask(old)
    mode = stat.S_IMODE((tmp_path / "calcification.pdf").stat().st_mode)
    assert mode == 0o644


@pytest.mark.pdf
def test_invalid_input_reported_and_valid_ones_still_written(tmp_path, write_topic, capsys):
    good = write_topic(MINIMAL_TOPIC, "good.yaml")
    bad = write_topic(MINIMAL_TOPIC.replace("title: Test topic", "titel: Test topic"), "bad.yaml")
    out = tmp_path / "out"
    assert run("render", bad, good, "--out", out) == 1
    err = capsys.readouterr().err
    assert f"{bad}:1:1: titel: This field is not part of the format." in err
    assert f"{bad}:1:1: title: This required field is missing." in err
    assert "Traceback" not in err
    assert sorted(p.name for p in out.iterdir()) == ["good.pdf"]


@pytest.mark.parametrize(
    "content",
    [
        b"title: [unclosed\n",
        b"",
        b"title: caf\xe9\n",
        MINIMAL_TOPIC.replace("Test topic", "Test\x07topic").encode(),
        MINIMAL_TOPIC.replace("2024-01-02", "2024-02-30").encode(),
        (MINIMAL_TOPIC + "title: twice\n").encode(),
        ("id: ../../escape\n" + MINIMAL_TOPIC).encode(),
        MINIMAL_TOPIC.replace("Test topic", "!!python/object/apply:os.system [touch pwned]").encode(),
    ],
    ids=["syntax", "empty", "not-utf8", "control", "date", "duplicate", "escape", "python-tag"],
)
def test_bad_input_writes_no_pdf(tmp_path, write_topic, capsys, content):
    path = write_topic(content, "bad.yaml")
    out = tmp_path / "out"
    assert run("render", path, "--out", out) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"error: {path}:")
    assert "Fix:" in err and "Traceback" not in err
    assert not out.exists() or list(out.iterdir()) == []
    assert not (tmp_path.parent / "escape.pdf").exists()
    assert not Path("pwned").exists()


@pytest.mark.pdf
def test_brand_by_name(tmp_path):
    assert run("render", SAMPLE, "--out", tmp_path, "--brand", "harbour") == 0


def test_bad_brand_is_exit_1(tmp_path, capsys):
    assert run("render", SAMPLE, "--out", tmp_path, "--brand", tmp_path / "nope") == 1
    assert "brand folder does not exist" in capsys.readouterr().err


@pytest.mark.parametrize("command", ["render", "build", "email"])
def test_misspelt_brand_suggests_the_right_one(tmp_path, capsys, monkeypatch, command):
    monkeypatch.chdir(PROJECT_ROOT)  # the demo clinic's brands are in ./styles/
    args = {
        "render": ["render", SAMPLE, "--out", tmp_path],
        "build": ["build", SAMPLE.parent, "--out", tmp_path],
        "email": ["email", SAMPLE, "--to", "a@example.org", "--eml", tmp_path / "x.eml"],
    }[command]
    assert run(*args, "--brand", "harbor") == 1
    err = capsys.readouterr().err
    assert err == (
        "error: command line: --brand: The brand folder does not exist: 'harbor' is neither a "
        "folder nor the name of a brand in styles/ (in the current folder) or a built-in brand. "
        "Fix: Did you mean 'harbour'? Give a brand folder, or one of these brands: "
        "default (built in), harbour (styles/harbour).\n"
    )
    assert list(tmp_path.iterdir()) == []


def test_unknown_brand_lists_the_brands(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(PROJECT_ROOT)
    assert run("render", SAMPLE, "--out", tmp_path, "--brand", "zzz") == 1
    err = capsys.readouterr().err
    assert "Did you mean" not in err
    assert "one of these brands: default (built in), harbour (styles/harbour)." in err


def test_brand_names_are_found_in_styles_here_then_built_in(tmp_path, capsys, monkeypatch):
    """A clinic's brands are in ./styles/ of the folder make-handout runs in; a clinic brand
    hides a built-in one of the same name; a folder path works from anywhere."""
    clinic = tmp_path / "clinic"
    shutil.copytree(PROJECT_ROOT / "styles" / "harbour", clinic / "styles" / "coast")
    shutil.copytree(PROJECT_ROOT / "styles" / "harbour", clinic / "styles" / "default")
    (clinic / "styles" / "notes").mkdir()  # not a brand: no brand.yaml
    monkeypatch.chdir(clinic)
    assert brand_folder("coast") == Path("styles/coast")
    assert brand_folder("default") == Path("styles/default")
    harbour = PROJECT_ROOT / "styles" / "harbour"
    assert brand_folder(str(harbour)) == harbour
    assert run("render", SAMPLE, "--out", tmp_path / "out", "--brand", "coastt") == 1
    assert ("Did you mean 'coast'? Give a brand folder, or one of these brands: "
            "coast (styles/coast), default (styles/default).") in capsys.readouterr().err
    monkeypatch.chdir(tmp_path)  # no styles/ here: the built-in brands only
    assert brand_folder("default") == DEFAULT_BRAND_DIR
    assert brand_folder("coast") == Path("coast")
    assert run("render", SAMPLE, "--out", tmp_path / "out", "--brand", "coast") == 1
    assert "one of these brands: default (built in)." in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_version(capsys):
    from importlib import metadata

    with pytest.raises(SystemExit) as info:
        run("--version")
    assert info.value.code == 0
    assert capsys.readouterr().out == f"make-handout {metadata.version('make-handout')}\n"


def test_version_without_installed_metadata(capsys, monkeypatch):
    from importlib import metadata

    import handout_builder

    def missing(name):
        raise metadata.PackageNotFoundError(name)

    monkeypatch.setattr(metadata, "version", missing)
    with pytest.raises(SystemExit) as info:
        run("--version")
    assert info.value.code == 0
    assert capsys.readouterr().out == f"make-handout {handout_builder.__version__}\n"


def test_usage_errors_exit_2(capsys):
    with pytest.raises(SystemExit) as info:
        run("render")
    assert info.value.code == 2
    with pytest.raises(SystemExit) as info:
        run("render", SAMPLE, "--colour", "red")
    assert info.value.code == 2
    with pytest.raises(SystemExit) as info:
        run()
    assert info.value.code == 2


def test_internal_error_is_exit_3(tmp_path, monkeypatch, capsys):
    import handout_builder.service as pipeline

    def broken(*args, **kwargs):
        raise ZeroDivisionError("boom")

    monkeypatch.setattr(pipeline, "render_to_folder", broken)
    assert run("render", SAMPLE, "--out", tmp_path) == 3
    err = capsys.readouterr().err
    assert "Traceback" in err and "internal error" in err


def test_entry_point_help_is_fast_and_complete(tmp_path):
    """make_handout.py's ``render --help`` and ``--help``, run as a program (runpy, as
    ``__main__``) in one new process, which then says whether they imported WeasyPrint (they
    must not). One process for both: each Python start-up costs 0.1 s; the entry point's
    real renders run as a program of their own in test_entry_point_renders."""
    probe = (
        "import contextlib, io, json, runpy, sys\n"
        "outputs = []\n"
        "for args in (['render', '--help'], ['--help']):\n"
        f"    sys.argv = [{str(PROJECT_ROOT / 'make_handout.py')!r}, *args]\n"
        "    out = io.StringIO()\n"
        "    try:\n"
        "        with contextlib.redirect_stdout(out):\n"
        "            runpy.run_path(sys.argv[0], run_name='__main__')\n"
        "    except SystemExit as end:\n"
        "        assert end.code in (0, None), end.code\n"
        "    outputs.append(out.getvalue())\n"
        "print(json.dumps({'outputs': outputs, 'weasyprint': 'weasyprint' in sys.modules}))\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                            check=True, cwd=PROJECT_ROOT)
    found = json.loads(result.stdout)
    render_help, main_help = found["outputs"]
    for word in ("--out", "--brand", "FILE"):
        assert word in render_help
    assert "exit status" in main_help
    assert found["weasyprint"] is False


@pytest.mark.pdf
def test_entry_point_renders(tmp_path):
    result = subprocess.run(
        [sys.executable, str(PROJECT_ROOT / "make_handout.py"), "render", str(SAMPLE), "--out", str(tmp_path),
         "--as-of", "2026-11-25"],
        capture_output=True, text=True,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert (tmp_path / "calcification.pdf").exists()

"""Output-side problems (a file where a folder should be, a full disk, a read-only file
system, no permission, a link) are plain located errors, exit 1; other files still written."""

from __future__ import annotations

import errno
import os
import tempfile

import pytest

from handout_builder.output import store as publish
from handout_builder.cli import main
from handout_builder.domain.problems import RenderRefused
from handout_builder.output.store import output_path, write_atomic

from tests.conftest import MINIMAL_TOPIC, SAMPLE


def run(*args):
    return main([str(a) for a in args])


@pytest.fixture
def two_topics(write_topic):
    return (write_topic(MINIMAL_TOPIC, "alpha.yaml"),
            write_topic(MINIMAL_TOPIC.replace("Test topic", "Beta"), "beta.yaml"))


def _no_traceback(err: str) -> None:
    assert "Traceback" not in err and "internal error" not in err


@pytest.mark.pdf
def test_out_is_an_existing_file(tmp_path, capsys):
    out = tmp_path / "out"
    out.write_text("not a folder")
    assert run("render", SAMPLE, "--out", out) == 1
    err = capsys.readouterr().err
    assert f"error: {out}: This is a file, not a folder." in err
    _no_traceback(err)


@pytest.mark.pdf
def test_out_parent_is_a_file(tmp_path, capsys):
    (tmp_path / "file").write_text("x")
    out = tmp_path / "file" / "out"
    assert run("render", SAMPLE, "--out", out) == 1
    err = capsys.readouterr().err
    assert "A part of this path is a file, not a folder." in err and str(out) in err
    _no_traceback(err)


@pytest.mark.pdf
@pytest.mark.parametrize(
    "where, code, words",
    [
        ("fsync", errno.ENOSPC, "The disk is full."),
        ("mkstemp", errno.EROFS, "The file system is read-only."),
        ("mkstemp", errno.EACCES, "Permission denied."),
        ("replace", errno.EDQUOT, "The disk quota is used up."),
    ],
    ids=["disk-full", "read-only", "permission", "quota"],
)
def test_os_errors_are_located_and_the_next_file_is_written(
    where, code, words, two_topics, tmp_path, capsys, monkeypatch
):
    calls = []
    real = {"fsync": os.fsync, "mkstemp": tempfile.mkstemp, "replace": os.replace}[where]

    def fail_once(*args, **kwargs):
        calls.append(args)
        if len(calls) == 1:
            raise OSError(code, os.strerror(code))
        return real(*args, **kwargs)

    owner = {"fsync": publish.os, "mkstemp": publish.tempfile, "replace": publish.os}[where]
    monkeypatch.setattr(owner, where, fail_once)
    out = tmp_path / "out"
    assert run("render", *two_topics, "--out", out) == 1
    captured = capsys.readouterr()
    assert f"error: {out / 'alpha.pdf'}: {words}" in captured.err
    assert f"skipped: {two_topics[0]}" in captured.err
    _no_traceback(captured.err)
    assert sorted(p.name for p in out.iterdir()) == ["beta.pdf"]  # no temporary file left
    assert f"wrote {out / 'beta.pdf'}" in captured.out


@pytest.mark.pdf
def test_a_folder_where_the_pdf_goes(two_topics, tmp_path, capsys):
    out = tmp_path / "out"
    (out / "alpha.pdf").mkdir(parents=True)
    assert run("render", *two_topics, "--out", out) == 1
    captured = capsys.readouterr()
    assert f"error: {out / 'alpha.pdf'}: This is a folder" in captured.err
    _no_traceback(captured.err)
    assert (out / "beta.pdf").is_file()


def test_a_refused_symlink_blames_the_path_not_the_id(tmp_path, capsys):
    out = tmp_path / "out"
    out.mkdir()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (out / "calcification.pdf").symlink_to(elsewhere / "x.pdf")
    assert run("render", SAMPLE, "--out", out) == 1
    err = capsys.readouterr().err
    assert f"error: {out / 'calcification.pdf'}: This is a symbolic link" in err
    assert "id" not in err.split("Fix:")[0].split(": ", 2)[-1].split()  # not "The id ..."
    assert not (elsewhere / "x.pdf").exists()


def test_write_atomic_without_replace_never_replaces(tmp_path):
    target = tmp_path / "x.pdf"
    write_atomic(target, b"first", replace=False)
    with pytest.raises(FileExistsError):
        write_atomic(target, b"second", replace=False)
    assert target.read_bytes() == b"first" and os.listdir(tmp_path) == ["x.pdf"]


def test_write_atomic_errors_are_user_errors(tmp_path, monkeypatch):
    def full(*args):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(publish.os, "fsync", full)
    with pytest.raises(RenderRefused) as info:
        write_atomic(tmp_path / "x.pdf", b"data")
    assert str(info.value).startswith(f"{tmp_path / 'x.pdf'}: The disk is full.")
    assert os.listdir(tmp_path) == []


def test_output_path_still_blames_a_bad_id(tmp_path):
    with pytest.raises(RenderRefused) as info:
        output_path(tmp_path, "../x", source="t.yaml")
    assert "The id '../x' cannot be used" in str(info.value)


def test_build_into_a_file_is_a_plain_error(tmp_path, write_topic, capsys):
    write_topic(MINIMAL_TOPIC, "lib/alpha.yaml")
    out = tmp_path / "out"
    out.write_text("not a folder")
    assert run("build", tmp_path / "lib", "--out", out, "--jobs", "1") == 1
    err = capsys.readouterr().err
    assert f"error: {out}: This is a file, not a folder." in err
    _no_traceback(err)


@pytest.mark.pdf
def test_build_with_a_folder_where_one_pdf_goes(tmp_path, write_topic, capsys):
    write_topic(MINIMAL_TOPIC, "lib/alpha.yaml")
    write_topic(MINIMAL_TOPIC.replace("Test topic", "Beta"), "lib/beta.yaml")
    out = tmp_path / "out"
    (out / "alpha.pdf").mkdir(parents=True)
    assert run("build", tmp_path / "lib", "--out", out, "--jobs", "1") == 1
    captured = capsys.readouterr()
    assert f"error: {out / 'alpha.pdf'}: This is a folder" in captured.err
    _no_traceback(captured.err)
    assert (out / "beta.pdf").is_file() and "built 1," in captured.out

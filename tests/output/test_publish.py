"""Output names and atomic writes."""

from __future__ import annotations

import errno
import os

import pytest

from handout_builder.domain.problems import RenderRefused
from handout_builder.output.store import output_path, write_atomic


@pytest.mark.parametrize("bad", ["../x", "/abs", "a/b", "", ".hidden", "UPPER"])
def test_output_path_refuses_names_that_leave_the_folder(tmp_path, bad):
    with pytest.raises(RenderRefused):
        output_path(tmp_path, bad)


def test_output_path(tmp_path):
    assert output_path(tmp_path, "heart-health") == tmp_path / "heart-health.pdf"


def test_write_atomic_replaces_whole_file(tmp_path):
    target = tmp_path / "sub" / "x.pdf"
    write_atomic(target, b"old")
    write_atomic(target, b"new")
    assert target.read_bytes() == b"new"
    assert os.listdir(target.parent) == ["x.pdf"]


def test_write_atomic_failure_leaves_old_file_and_no_temp(tmp_path, monkeypatch):
    target = tmp_path / "x.pdf"
    write_atomic(target, b"old")

    def fail(*args):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(RenderRefused, match="The disk is full"):  # a user error, no traceback
        write_atomic(target, b"new")
    assert target.read_bytes() == b"old"
    assert os.listdir(tmp_path) == ["x.pdf"]

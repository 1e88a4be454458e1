"""The folder of a build's (or a desk worker's) temporary files, and the clean-up after
killed builds and desks."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from handout_builder.build import scratch
import pytest

from handout_builder.build.scratch import (
    DESK_PREFIX, GRACE_SECONDS, PREFIX, Scratch, remove_abandoned,
)

from tests.conftest import REPO


def later() -> float:
    """A "now" at which a folder made just before is old enough to be removed."""
    return time.time() + 2 * GRACE_SECONDS


def killed_build_folder(temp: Path, prefix: str = PREFIX) -> Path:
    """The folder of a build (or desk worker) that was killed: made and locked by a process
    that ended without removing it."""
    code = ("import os, tempfile, sys; tempfile.tempdir = sys.argv[1];"
            "from handout_builder.build.scratch import Scratch; s = Scratch(sys.argv[2]);"
            "open(os.path.join(s.path, 'weasyprint-x'), 'w').close(); os._exit(9)")
    subprocess.run([sys.executable, "-c", code, str(temp), prefix], cwd=REPO, timeout=60)
    (folder,) = temp.glob(prefix + "*")
    return folder


@pytest.mark.parametrize("prefix", [PREFIX, DESK_PREFIX], ids=["build", "desk worker"])
def test_a_killed_builds_folder_is_removed_and_a_running_ones_kept(tmp_path, monkeypatch,
                                                                    prefix):
    monkeypatch.setattr(scratch.tempfile, "tempdir", str(tmp_path))
    dead = killed_build_folder(tmp_path, prefix)
    running = Scratch(prefix)  # this test holds its lock, as a running build does
    try:
        assert remove_abandoned(str(tmp_path), now=later()) == [dead]
        assert not dead.exists() and Path(running.path).is_dir()
    finally:
        running.remove()
    assert not list(tmp_path.iterdir())


def test_a_new_build_removes_killed_builds_folders_first(tmp_path, monkeypatch):
    monkeypatch.setattr(scratch.tempfile, "tempdir", str(tmp_path))
    dead = killed_build_folder(tmp_path)
    old = time.time() - 2 * GRACE_SECONDS
    os.utime(dead, (old, old))
    new = Scratch()
    try:
        assert [p.name for p in tmp_path.iterdir()] == [Path(new.path).name]
    finally:
        new.remove()


def test_only_old_unlocked_folders_of_builds_are_removed(tmp_path):
    dead = killed_build_folder(tmp_path)
    assert remove_abandoned(str(tmp_path)) == []  # too young: its build may be locking it
    no_lock = tmp_path / (PREFIX + "nolock")  # not a build's (no lock file)
    no_lock.mkdir()
    other = tmp_path / "make-handout-other-x"  # not a build's folder at all
    other.mkdir()
    (other / ".lock").touch()
    link = tmp_path / (PREFIX + "link")  # a link is never followed
    link.symlink_to(dead)
    assert remove_abandoned(str(tmp_path), now=later()) == [dead]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [no_lock.name, other.name, link.name])

"""The folder of a build's workers' temporary files, and the clean-up after killed builds.

A build's workers make their temporary files (WeasyPrint's copies of the fonts, about
250 KB a worker) in a folder of the build's own, which the build removes when it ends,
whatever became of its workers (:func:`handout_builder.build.executor.run_jobs`). A build
that is itself killed (``kill -9``, a machine's out-of-memory killer) cannot: so the build
holds a lock on a file in its folder for as long as it runs (``flock``: the system releases
it when the process ends, however it ends), and each build first removes the folders whose
lock nobody holds, as Dask does with its workers' folders. Only this user's folders older
than :data:`GRACE_SECONDS` are removed (a build locks its folder the moment it makes it).

The desk does the same for each of its render workers (:data:`DESK_PREFIX`): the desk holds
the lock of each worker's folder, so the folders of a desk that was killed are removed by
the next desk or build.

Imports: the standard library only.
"""

from __future__ import annotations

import os
import shutil
import stat
import tempfile
import time
from pathlib import Path

try:
    import fcntl
except ImportError:  # not POSIX: no locks, no clean-up of killed builds' folders
    fcntl = None  # type: ignore[assignment]

#: How a build's folder of temporary files is named (in the system's temporary folder).
PREFIX = "make-handout-workers-"
#: How a desk worker's folder of temporary files is named (one folder per worker).
DESK_PREFIX = "make-handout-desk-worker-"
#: The folders :func:`remove_abandoned` looks at.
PREFIXES = (PREFIX, DESK_PREFIX)
#: The file a running build holds a lock on.
LOCK_NAME = ".lock"
#: A folder younger than this is never removed (its build may be about to lock it).
GRACE_SECONDS = 60.0


class Scratch:
    """A running build's folder of temporary files (:attr:`path`), locked until :meth:`remove`
    (``prefix``: one of :data:`PREFIXES`)."""

    def __init__(self, prefix: str = PREFIX) -> None:
        assert prefix in PREFIXES, prefix
        remove_abandoned()
        self.path = tempfile.mkdtemp(prefix=prefix)
        self._lock: int | None = None
        if fcntl is not None:
            self._lock = os.open(os.path.join(self.path, LOCK_NAME),
                                 os.O_CREAT | os.O_RDWR | os.O_CLOEXEC, 0o600)
            fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)

    def remove(self) -> None:
        """Remove the folder and everything in it (the build has ended)."""
        shutil.rmtree(self.path, ignore_errors=True)
        if self._lock is not None:
            os.close(self._lock)
            self._lock = None


def remove_abandoned(root: str | None = None, now: float | None = None) -> list[Path]:
    """Remove the folders of builds and desks that were killed (no process holds their lock)
    from ``root`` (the system's temporary folder); returns them."""
    if fcntl is None:
        return []
    removed = []
    now = time.time() if now is None else now
    folders = [folder for prefix in PREFIXES
               for folder in Path(root or tempfile.gettempdir()).glob(prefix + "*")]
    for folder in folders:
        try:
            info = folder.lstat()
        except OSError:
            continue
        if (not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid()
                or now - info.st_mtime < GRACE_SECONDS):
            continue
        try:
            lock = os.open(folder / LOCK_NAME, os.O_RDWR | os.O_NOFOLLOW | os.O_CLOEXEC)
        except OSError:  # no lock file: not a build's folder of ours
            continue
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:  # held: its build is running
            os.close(lock)
            continue
        shutil.rmtree(folder, ignore_errors=True)
        os.close(lock)
        removed.append(folder)
    return removed

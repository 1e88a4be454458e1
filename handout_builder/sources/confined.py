"""Files named by a setting stay in their folder, and only regular files are read.

A brand (logo, ``brand.css``, template overrides) and a library (``library.yaml``'s jargon
lists) may name files. Both can be hostile, so every such name goes through
:func:`confined_file`: the name is relative, its real path (symlinks resolved) lies inside the
folder it belongs to, and it is a regular file. A FIFO or a device is refused from ``stat``
alone, without ever being opened, so nothing blocks; :func:`read_confined` opens with
``O_NONBLOCK`` and checks the opened file again, in case it was swapped in between.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from handout_builder.domain.problems import Problem, UserError


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def real_folder(folder: Path) -> Path:
    """``folder`` with its parents' symlinks resolved but not its own last part, so that a
    folder which is itself a symbolic link to elsewhere confines nothing."""
    folder = Path(os.path.abspath(folder))
    return folder.parent.resolve() / folder.name


def confinement_problem(folder: Path, name: str | Path, what: str) -> str | None:
    """Why ``folder/name`` may not be read (a plain sentence), or ``None`` when it may."""
    relative = Path(name)
    if relative.is_absolute():
        return f"{what} '{name}' is an absolute path; it must be a file inside {folder}."
    try:
        real = (folder / relative).resolve()
    except (OSError, RuntimeError):  # a symlink loop
        return f"{what} '{name}' cannot be resolved (a symbolic link loop?)."
    if not real.is_relative_to(real_folder(folder)):
        return (
            f"{what} '{name}' leads outside {folder} (through '..' or a symbolic link); "
            "make_handout reads only files inside it."
        )
    try:
        mode = os.stat(real).st_mode
    except FileNotFoundError:
        return f"{what} '{name}' does not exist in {folder}."
    except OSError as exc:
        return f"{what} '{name}' cannot be read: {exc.strerror}."
    if not stat.S_ISREG(mode):
        return f"{what} '{name}' is {_kind(mode)}, not a regular file."
    return None


def confined_file(
    folder: Path,
    name: str | Path,
    *,
    what: str,
    error: type[UserError],
    shown: str,
    field: str = "",
    fix: str = "",
) -> Path:
    """The real path of ``folder/name``, or ``error`` located at ``shown`` (and ``field``)."""
    reason = confinement_problem(folder, name, what)
    if reason is not None:
        raise error(Problem(shown, reason, fix or f"Put {what.lower()} inside {folder}, as a "
                            "plain file (not a link to elsewhere).", field=field))
    return (folder / name).resolve()


def read_confined(path: Path, limit: int, *, error: type[UserError], shown: str) -> bytes:
    """Read a regular file (at most ``limit`` bytes) without ever blocking on a FIFO."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise error(Problem(shown, f"'{path.name}' cannot be read: {exc.strerror}.")) from None
    with os.fdopen(fd, "rb") as handle:
        mode = os.fstat(handle.fileno()).st_mode
        if not stat.S_ISREG(mode):
            raise error(Problem(shown, f"'{path.name}' is {_kind(mode)}, not a regular file."))
        data = handle.read(limit + 1)
    if len(data) > limit:
        raise error(Problem(shown, f"'{path.name}' is larger than {limit // 1000} KB.",
                            "Use a smaller file."))
    return data

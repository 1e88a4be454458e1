"""Publishing: output names that stay inside the output folder, and atomic file writes.

Errors on the output side (a folder that is a file, a full disk, a read-only file system, no
permission) are user errors (:class:`~handout_builder.domain.problems.RenderRefused`) naming the path,
never tracebacks.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import re
import secrets
import tempfile
from pathlib import Path

from handout_builder.domain.problems import Problem, RenderRefused
from handout_builder.domain.models import ID_PATTERN
from handout_builder.paths import DEFAULT_OUT_DIR

#: A published library folder holds this file (``make-handout build`` writes it).
MANIFEST_NAME = "manifest.json"


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def output_path(out_dir: Path, handout_id: str, suffix: str = ".pdf", source: str = "") -> Path:
    """``out_dir/<id><suffix>``, refusing any id or link that could leave ``out_dir``."""
    if not re.fullmatch(ID_PATTERN, handout_id) or "/" in handout_id or "\\" in handout_id:
        raise RenderRefused(
            Problem(
                source or handout_id,
                f"The id '{handout_id}' cannot be used as an output file name.",
                "Use only lowercase letters, digits and single hyphens.",
                field="id",
            )
        )
    target = out_dir / f"{handout_id}{suffix}"
    if target.resolve().parent != out_dir.resolve():
        raise RenderRefused(
            Problem(
                str(target),
                "This is a symbolic link to a place outside the output folder; make_handout "
                "does not write through links.",
                "Remove the link (or choose another output folder).",
            )
        )
    return target


def personal_path(out_dir: Path, handout_id: str, suffix: str = ".pdf", source: str = "") -> Path:
    """A new, unused name for one patient's copy: ``<id>[.variant].personal-<token><ext>``.

    The token is random (no personal data, no counter to guess), so two patients' copies never
    share a name, and a later render, failed or not, never leaves one patient's copy under a
    name that another render announced.
    """
    stem, ext = (suffix[: -len(".pdf")], ".pdf") if suffix.endswith(".pdf") else ("", suffix)
    return output_path(
        out_dir, handout_id, f"{stem}.personal-{secrets.token_hex(6)}{ext}", source=source
    )


def write_personal(
    out_dir: Path, handout_id: str, suffix: str, data: bytes, source: str = ""
) -> Path:
    """Write one patient's copy to a new :func:`personal_path` (never over another file)."""
    for _ in range(5):  # a random name is taken only by astronomically bad luck
        target = personal_path(out_dir, handout_id, suffix, source=source)
        try:
            write_atomic(target, data, replace=False)
            return target
        except FileExistsError:
            continue
    raise RenderRefused(Problem(str(out_dir), "No unused file name was found for the copy.",
                                "Try again."))


def library_folder(folder: Path) -> Path | None:
    """The published library folder (one holding make_handout's ``manifest.json``) that
    ``folder`` is, or is inside; None when there is none."""
    for candidate in (folder.resolve(), *folder.resolve().parents):
        manifest = candidate / MANIFEST_NAME
        try:
            if manifest.is_file() and str(
                json.loads(manifest.read_text(encoding="utf-8")).get("generator", "")
            ).startswith("make_handout"):
                return candidate
        except (OSError, ValueError, AttributeError):
            continue
    return None


def private_folder_problem(folder: Path | None, option: str, options: str) -> Problem | None:
    """Why ``folder`` cannot hold a personal copy, or None when it can.

    A personal copy goes to a folder that was named on purpose: never the default ``out/``
    (or inside it), never a published library folder (or inside one). ``option`` is the
    output option (``--out``), ``options`` the personal options given (named, not quoted).
    """
    why = None
    if folder is None:
        why = f"A personal copy ({options}) needs a private folder named with {option}."
    else:
        default = DEFAULT_OUT_DIR.resolve()
        resolved = folder.resolve()
        library = library_folder(folder)
        if resolved == default or resolved.is_relative_to(default):
            why = (f"A personal copy ({options}) cannot go to the default folder {DEFAULT_OUT_DIR}/ "
                   "(or inside it), which holds the shared leaflets.")
        elif library is not None:
            why = (f"A personal copy ({options}) cannot go to {folder}: it is (or is inside) the "
                   f"published library folder {library} (it holds {MANIFEST_NAME}).")
    if why is None:
        return None
    return Problem(
        "command line", why,
        f"Give {option} a private folder of its own (for example {option} ~/private-copies), "
        "and delete the copy once it is printed or sent.",
        field=option,
    )


_REASONS = {
    errno.ENOSPC: ("The disk is full.", "Free some space, or write to another disk."),
    errno.EDQUOT: ("The disk quota is used up.", "Free some space, or write elsewhere."),
    errno.EROFS: ("The file system is read-only.", "Write to a folder on a writable disk."),
    errno.EACCES: ("Permission denied.", "Write to a folder you may write to, or fix its "
                   "permissions."),
    errno.EPERM: ("Permission denied.", "Write to a folder you may write to, or fix its "
                  "permissions."),
    errno.ENOTDIR: ("A part of this path is a file, not a folder.", "Choose an output folder "
                    "whose path has no file in it."),
    errno.EEXIST: ("This is a file, not a folder.", "Choose an output folder (or remove the file)."),
    errno.EISDIR: ("This is a folder, so the file cannot be written there.", "Remove or rename "
                   "the folder."),
}


def output_error(path: Path, error: OSError) -> RenderRefused:
    """A located user error for an ``OSError`` met while writing ``path``."""
    where = path  # not a temporary or staging file's name: it means nothing to the user
    if isinstance(error.filename, (str, os.PathLike)) and Path(error.filename) in path.parents:
        where = Path(error.filename)  # more precise: the part of the path that is wrong
    message, fix = _REASONS.get(
        error.errno or 0,
        (f"It cannot be written ({error.strerror or type(error).__name__}).",
         "Check the output folder: it must be a folder you may write to, on a disk with space."),
    )
    return RenderRefused(Problem(str(where), message, fix))


def make_folder(folder: Path) -> None:
    """Create ``folder`` (and its parents); an output-side problem is a user error."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except FileExistsError as error:  # a file stands where the folder should be
        raise output_error(folder, error) from None
    except OSError as error:
        raise output_error(folder, error) from None


def _place_new(temp_name: str, path: Path) -> None:
    """Move ``temp_name`` to ``path`` only if ``path`` does not exist (``FileExistsError``)."""
    try:
        os.link(temp_name, path)  # atomic, and fails if path exists
    except FileExistsError:
        raise
    except OSError:  # a file system without hard links
        if os.path.lexists(path):
            raise FileExistsError(errno.EEXIST, "exists", str(path)) from None
        os.replace(temp_name, path)
        return
    os.unlink(temp_name)


def write_atomic(path: Path, data: bytes, *, replace: bool = True) -> None:
    """Write ``data`` to ``path`` so that readers see the old file or the new one, never half.

    The bytes go to a temporary file in the same folder, are flushed to disk, get the usual
    permissions (0666 less the umask, like any new file) and are renamed over ``path``. With
    ``replace=False`` an existing ``path`` is never replaced (``FileExistsError``). Any other
    problem on the output side raises :class:`RenderRefused` naming the path.
    """
    make_folder(path.parent)
    temp_name = None
    try:
        fd, temp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp_name, 0o666 & ~_umask())
        if replace:
            os.replace(temp_name, path)
        else:
            _place_new(temp_name, path)
        temp_name = None
    except FileExistsError as error:
        if not replace:
            raise
        raise output_error(path, error) from None
    except OSError as error:
        raise output_error(path, error) from None
    finally:
        if temp_name is not None:
            try:
                os.unlink(temp_name)
            except OSError:
                pass


def file_sha256(path: Path) -> str | None:
    """The SHA-256 of a file's bytes (hex), or None when it cannot be read."""
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None

"""Publishing: output names that stay inside the output folder, and atomic file writes."""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

from .errors import Problem, RenderRefused
from .model import ID_PATTERN



def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def output_path(out_dir: Path, handout_id: str, suffix: str = ".pdf", source: str = "") -> Path:
    """``out_dir/<id><suffix>``, refusing any id that could leave ``out_dir``."""
    target = out_dir / f"{handout_id}{suffix}"
    inside = target.resolve().parent == out_dir.resolve()
    if not re.fullmatch(ID_PATTERN, handout_id) or not inside:
        raise RenderRefused(
            Problem(
                source or handout_id,
                f"The id '{handout_id}' cannot be used as an output file name.",
                "Use only lowercase letters, digits and single hyphens.",
                field="id",
            )
        )
    return target


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that readers see the old file or the new one, never half.

    The bytes go to a temporary file in the same folder, are flushed to disk, get the usual
    permissions (0666 less the umask, like any new file) and are renamed over ``path``.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp_name, 0o666 & ~_umask())
        os.replace(temp_name, path)
    except BaseException:
        try:
            os.unlink(temp_name)
        except FileNotFoundError:
            pass
        raise

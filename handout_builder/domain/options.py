"""Rendering options: one small closed object that the CLI, the batch runner and any later
server pass to :class:`handout_builder.render.pdf.Renderer` (no keyword bags)."""

from __future__ import annotations

import re
from dataclasses import dataclass

#: Default size budget per PDF file: 2 MB (decimal megabytes, as mail systems count).
DEFAULT_MAX_BYTES = 2_000_000
#: The smallest budget accepted: a text leaflet cannot be smaller than this.
MIN_MAX_BYTES = 10_000

_UNITS = {"": 1, "b": 1, "k": 1000, "kb": 1000, "m": 1_000_000, "mb": 1_000_000}


@dataclass(frozen=True)
class RenderOptions:
    """How a leaflet is rendered. The default is the standard, accessible (PDF/UA-1) leaflet."""

    #: Re-flow with ``assets/styles/large-print.css``: every piece of text 18 pt or larger.
    large_print: bool = False
    #: Write PDF/A-3u (still tagged, PDF/UA-1) with the topic's YAML embedded as its source.
    archival: bool = False
    #: Largest acceptable PDF in bytes; images are reduced before the render gives up.
    max_bytes: int = DEFAULT_MAX_BYTES

    def __post_init__(self) -> None:
        if self.max_bytes < MIN_MAX_BYTES:
            raise ValueError(f"max_bytes must be at least {MIN_MAX_BYTES}")

    @property
    def file_suffix(self) -> str:
        """The end of the output file name, so that variants never overwrite each other.

        Dots cannot occur in a handout id, so ``<id>.large-print.pdf`` never collides with
        another topic's ``<id>.pdf``.
        """
        return (".large-print" if self.large_print else "") + (
            ".archival" if self.archival else ""
        ) + ".pdf"


def parse_size(text: str) -> int:
    """``"2MB"``, ``"500 KB"``, ``"150k"`` or ``"120000"`` to bytes (decimal units).

    Raises :class:`ValueError` with a plain message for anything else.
    """
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*", text)
    unit = match.group(2).lower() if match else ""
    if not match or unit not in _UNITS:
        raise ValueError(f"'{text}' is not a size; write it like 2MB, 500KB or 150000")
    size = int(float(match.group(1)) * _UNITS[unit])
    if size < MIN_MAX_BYTES:
        minimum = MIN_MAX_BYTES // 1000
        raise ValueError(f"'{text}' is too small; a leaflet needs at least {minimum}KB")
    return size


def format_size(size: int) -> str:
    """Bytes as a short human figure: ``2.0 MB``, ``86 KB``."""
    if size >= 1_000_000:
        return f"{size / 1_000_000:.1f} MB"
    return f"{size / 1000:.0f} KB"

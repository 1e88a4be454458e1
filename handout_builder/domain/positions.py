"""Where a value is written in a YAML file: field paths, their names, and their positions.

A path is the chain of keys and list indexes Pydantic reports (``("sections", 2, "body")``);
the loader records the position of every key and list item it reads, keyed by path.

Imports: stdlib only.
"""

from __future__ import annotations

#: A field path: keys and list indexes (0-based), as in Pydantic's error ``loc``.
Path_ = tuple[str | int, ...]


class Position(tuple):
    """``(line, column)`` where a key or list item starts (1-based), plus ``end_line`` and
    ``end_column``: just after the end of its value, so an editor can underline the range.

    It unpacks and compares as the plain pair, so ``line, column = position`` keeps working.
    """

    end_line: int | None
    end_column: int | None

    def __new__(cls, line: int, column: int, end_line: int | None = None,
                end_column: int | None = None) -> Position:
        self = super().__new__(cls, (line, column))
        self.end_line = end_line
        self.end_column = end_column
        return self

    def __getnewargs__(self) -> tuple:  # type: ignore[override]  # pickles with its end
        return (self[0], self[1], self.end_line, self.end_column)


def field_name(path: Path_) -> str:
    """``('sections', 2, 'heading')`` -> ``sections.3.heading`` (list items counted from 1)."""
    return ".".join(str(p + 1) if isinstance(p, int) else str(p) for p in path)


def position_of(path: Path_, positions: dict) -> tuple[int, int] | None:
    """The position of ``path``, or of the nearest enclosing field that has one (a missing
    field is reported where its parent is written)."""
    path = tuple(path)
    while path and path not in positions:
        path = path[:-1]
    return positions.get(path)


def end_of(position: tuple[int, int] | None) -> tuple[int | None, int | None]:
    """``(end_line, end_column)`` of a position, ``(None, None)`` when not known."""
    return (getattr(position, "end_line", None), getattr(position, "end_column", None))

"""A topic's figures: image files beside the topic, checked before anything reads them.

A figure's ``file`` is relative to the topic file's folder and must stay inside it (no
``..``, no symbolic link to elsewhere), be a regular file, and pass the same checks as a
brand's images (:func:`handout_builder.sources.brand_files.image_problem`: an SVG without
scripts, external references or entities, within size limits; a PNG or JPEG that is what its
name says, not a decompression bomb). Every problem of a topic's figures comes in one error,
located at the figure's ``file``.

Imports: domain, and the other source modules.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from handout_builder.domain.models import Figure
from handout_builder.domain.positions import field_name
from handout_builder.domain.problems import InvalidTopic, Problem
from handout_builder.sources.brand_files import image_problem
from handout_builder.sources.confined import confinement_problem

FIGURE_FIX = ("Put the image in the topic's folder (or a folder inside it), as a plain PNG, "
              "JPEG or SVG file, and give its path relative to the topic file.")


@dataclass(frozen=True)
class FigureFile:
    """A checked figure: where its file really is, and its pixel size (None: an SVG)."""

    section: int
    index: int
    figure: Figure
    path: Path
    pixels: tuple[int, int] | None


def figure_files(loaded) -> list[FigureFile]:
    """Every figure of ``loaded`` (a LoadedTopic), checked; raises :class:`InvalidTopic`
    with every problem at once."""
    folder = Path(loaded.path).parent
    found: list[FigureFile] = []
    problems: list[Problem] = []
    for i, section in enumerate(loaded.topic.sections):
        for j, figure in enumerate(section.figures):
            where = ("sections", i, "figures", j, "file")
            line, column = loaded.positions.get(where, (None, None))
            reason = confinement_problem(folder, figure.file, "The figure")
            real = (folder / figure.file).resolve()
            if reason is None:
                why = image_problem(real)
                reason = f"The figure '{figure.file}' {why}." if why else None
            if reason is not None:
                problems.append(Problem(str(loaded.path), reason, FIGURE_FIX,
                                        field=".".join(map(str, where)), line=line,
                                        column=column))
                continue
            found.append(FigureFile(i, j, figure, real, _pixels(real)))
    if problems:
        raise InvalidTopic(problems)
    return found


def _pixels(path: Path) -> tuple[int, int] | None:
    if path.suffix.lower() == ".svg":
        return None
    with Image.open(path) as image:  # the header only (checked by image_problem before)
        return image.size

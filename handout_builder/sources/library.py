"""Library-wide settings: ``library.yaml`` beside the topics, and the jargon lists.

A topic folder (``handouts/``) may hold a ``library.yaml`` with settings that apply to every
topic in it: the default review interval, the reading-level target, the jargon lists. Without
the file, the defaults of :class:`~handout_builder.domain.library.LibrarySettings` apply.
``library.yaml`` is not a topic: :func:`topic_files` lists the topic files of a folder
without it (the one discovery rule of ``check`` and ``build``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache, cached_property
from pathlib import Path

# The models live in the domain; named here too, where the files are read.
from handout_builder.domain.library import InvalidLibrary, JargonList, JargonTerm, LibrarySettings
from handout_builder.domain.locale import primary_subtag
from handout_builder.domain.models import LANGUAGE_PATTERN
from handout_builder.sources.confined import confined_file
from handout_builder.sources.loader import load_model
from handout_builder.paths import DATA_DIR

SETTINGS_FILE_NAME = "library.yaml"
STARTER_JARGON = DATA_DIR / "jargon.yaml"


@dataclass(frozen=True)
class Library:
    """Settings plus the jargon terms they select, by language."""

    settings: LibrarySettings
    source: Path | None

    @cached_property
    def jargon(self) -> dict[str, tuple[JargonTerm, ...]]:
        """The jargon terms by language, read on first use (only ``check`` needs them)."""
        files = [STARTER_JARGON] if self.settings.starter_jargon else []
        if self.source is not None:
            files += [
                confined_file(  # inside the library folder, a regular file: never blocks
                    self.source.parent, name, what="The jargon list", error=InvalidLibrary,
                    shown=str(self.source), field=f"jargon_files.{number}",
                    fix="Name a YAML file in this folder (or a sub-folder), e.g. local-jargon.yaml.",
                )
                for number, name in enumerate(self.settings.jargon_files, start=1)
            ]
        jargon: dict[str, list[JargonTerm]] = {}
        for file in files:
            found = _load_jargon(file, _stamp(file))
            jargon.setdefault(primary_subtag(found.language), []).extend(found.terms)
        return {k: tuple(v) for k, v in jargon.items()}


#: The file name endings of topic files.
TOPIC_SUFFIXES = (".yaml", ".yml")


def _translation_of(path: Path) -> tuple[str, str] | None:
    """``(topic id, language tag)`` when ``path`` is a translation file ``<id>.<lang>.yaml``."""
    stem = path.name[: -len(path.suffix)] if path.suffix else path.name
    topic_id, dot, tag = stem.partition(".")
    if dot and re.fullmatch(LANGUAGE_PATTERN, tag):
        return topic_id, tag
    return None


def translation_files(folder: Path) -> dict[str, dict[str, Path]]:
    """The translation files of a folder: topic id -> {language tag -> file}.

    A translation is its own file beside its source, ``<id>.<lang>.yaml`` (for example
    ``calcification.es.yaml``), found by the same rule as :func:`topic_files` (sub-folders
    included, hidden files left out), which does not return them.
    """
    found: dict[str, dict[str, Path]] = {}
    for path in _yaml_files(folder):
        parts = _translation_of(path)
        if parts is not None:
            found.setdefault(parts[0], {})[parts[1]] = path
    return found


def _yaml_files(folder: Path) -> list[Path]:
    found = []
    for path in folder.rglob("*"):
        rel = path.relative_to(folder)
        if any(part.startswith(".") for part in rel.parts):
            continue
        if path.suffix in TOPIC_SUFFIXES and path.name != SETTINGS_FILE_NAME and path.is_file():
            found.append(path)
    return sorted(found, key=lambda p: p.relative_to(folder).as_posix())


def topic_files(folder: Path) -> list[Path]:
    """The topic files of a folder: the one rule for ``check`` and ``build``.

    Every ``*.yaml`` and ``*.yml`` regular file under ``folder``, sub-folders included,
    except ``library.yaml`` files and anything hidden (a name starting with a dot, such as
    ``.git`` or an editor's back-up, at any depth below ``folder``); in a stable order (by
    the path relative to ``folder``). Translation files (``<id>.<lang>.yaml``, see
    :func:`translation_files`) are not topic files.
    """
    return [path for path in _yaml_files(folder) if _translation_of(path) is None]


def settings_path_for(topic_path: Path) -> Path:
    return Path(topic_path).resolve().parent / SETTINGS_FILE_NAME


def library_for(topic_path: Path) -> Library:
    """The library settings that apply to a topic file (its folder's ``library.yaml``)."""
    return load_library(settings_path_for(topic_path))


def load_library(path: Path) -> Library:
    """Load ``library.yaml`` (defaults when it does not exist) and its jargon lists.

    Results are cached while the file is unchanged (same size and modification time).
    """
    return _load_library(path, _stamp(path))


def _stamp(path: Path) -> tuple[int, int] | None:
    try:
        info = path.stat()
    except OSError:
        return None
    return (info.st_mtime_ns, info.st_size)


@cache
def _load_library(path: Path, stamp: tuple[int, int] | None) -> Library:
    if stamp is not None:
        settings = load_model(LibrarySettings, path, InvalidLibrary)
        source: Path | None = path
    else:
        settings, source = LibrarySettings(), None
    return Library(settings, source)


@cache
def _load_jargon(path: Path, stamp: tuple[int, int] | None) -> JargonList:
    return load_model(JargonList, path, InvalidLibrary)

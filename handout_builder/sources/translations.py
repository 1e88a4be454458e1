"""A translation beside its source: load the source, check the structure, measure the drift.

A translation ``<id>.<lang>.yaml`` is checked against ``<id>.yaml`` in the same folder: same
id, the source's language as recorded, every section, the summary and the key points
translated (a missing part is an error, never filled in from the source), and the parts of
the source that changed since the translation was made (its recorded fingerprint).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from handout_builder.domain.locale import primary_subtag
from handout_builder.domain.positions import position_of
from handout_builder.domain.problems import InvalidTopic, Problem
from handout_builder.domain.translation import describe_part, drift, structure_problems
from handout_builder.sources.library import source_of, translation_files
from handout_builder.sources.loader import LoadedTopic, load_topic


@dataclass(frozen=True)
class TranslationCheck:
    """A translation and its source: the parts that drifted (described for people)."""

    source: LoadedTopic
    drift: tuple[str, ...]  # e.g. 'section 3 ("What causes it?")'


def check_translation(loaded: LoadedTopic) -> TranslationCheck | None:
    """None for a source topic; for a translation, its source and drift. Raises
    :class:`InvalidTopic` (all problems of the file) when the source is missing or another
    topic, or when a part of the source is not translated."""
    block = loaded.topic.translation
    if block is None:
        return None
    shown = str(loaded.path)
    source_path = source_of(Path(loaded.path))
    if source_path is None:
        raise InvalidTopic(Problem(
            shown, f"This translation's source, {loaded.id}.yaml, is not in the same folder.",
            "Put the translation beside the topic it translates (<id>.<lang>.yaml next to "
            "<id>.yaml).", field="translation"))
    source = load_topic(source_path)
    problems: list[Problem] = []

    def at(*path: str | int) -> dict:
        found = position_of(tuple(path), loaded.positions)
        return {"line": found[0] if found else None, "column": found[1] if found else None}

    if source.topic.translation is not None:
        problems.append(Problem(shown, f"{source_path.name} is itself a translation.",
                                "Translate the source topic, not another translation.",
                                field="translation", **at("translation")))
    if source.id != loaded.id:
        problems.append(Problem(shown, f"The id '{loaded.id}' differs from its source's id "
                                f"'{source.id}'.", f"Set `id: {source.id}` (a translation has "
                                "its source's id).", field="id", **at("id")))
    if primary_subtag(block.source_language) != primary_subtag(source.topic.language):
        problems.append(Problem(
            shown, f"`source_language` is {block.source_language}, but {source_path.name} is "
            f"in {source.topic.language}.", f"Set `source_language: {source.topic.language}`.",
            field="translation.source_language", **at("translation", "source_language")))
    for field, message in structure_problems(source.topic, loaded.topic):
        problems.append(Problem(shown, message + " A translation never falls back to the "
                                "source's language.", "Translate the missing part (or remove "
                                "the extra one) so the translation matches its source.",
                                field=field, **at(field)))
    if problems:
        raise InvalidTopic(problems)
    changed = drift(source.topic, block.fingerprint)
    return TranslationCheck(source, tuple(describe_part(p, source.topic) for p in changed))


def other_languages(loaded: LoadedTopic) -> list[str]:
    """The other languages the leaflet exists in, from the files beside it: its source's
    language and every translation's tag (from their names; nothing is loaded)."""
    folder = Path(loaded.path).parent
    if not folder.is_dir():
        return []
    tags = list(translation_files(folder).get(loaded.id, {}))
    if loaded.topic.translation is not None:
        tags.insert(0, loaded.topic.translation.source_language)
    own = loaded.topic.language.lower()
    return [tag for tag in dict.fromkeys(tags) if tag.lower() != own]

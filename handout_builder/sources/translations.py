"""A translation beside its source: load the source, check the structure, measure the drift.

A translation ``<id>.<lang>.yaml`` is checked against ``<id>.yaml`` in the same folder: same
id, the source's language as recorded, every section, the summary and the key points
translated (a missing part is an error, never filled in from the source), and the parts of
the source that changed since the translation was made (its recorded fingerprint).

A translation has its source's clinical codes (``codes:``): codes say what the topic is
about, not how it is worded, so :func:`inherit_codes` gives a translation its source's codes
wherever codes are used (the manifest and the EHR index of a build, ``find --code``, the
desk's search and ``/connect``). A translation that lists codes of its own must list the
same ones (a copy made by hand); different codes are refused by :func:`check_translation`,
never merged: a leaflet cannot be about another condition than the topic it translates, and
a stale copy of codes the source has dropped would keep answering for them.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path

from handout_builder.domain.locale import primary_subtag
from handout_builder.domain.positions import position_of
from handout_builder.domain.problems import InvalidTopic, Problem, UserError
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
    own = {code.token for code in loaded.topic.codes}
    theirs = [code.token for code in source.topic.codes]
    if own and own != set(theirs):
        problems.append(Problem(
            shown, f"This translation lists the codes {', '.join(sorted(own))}, and its source "
            f"{source_path.name} " + (f"lists {', '.join(theirs)}" if theirs else "lists none")
            + ". A translation is about the same topic as its source: it has its source's codes.",
            f"Delete `codes:` from this translation (it takes {source_path.name}'s), or correct "
            f"the codes in {source_path.name} if they are wrong there.",
            field="codes", **at("codes")))
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


def inherit_codes(loaded: LoadedTopic, path: Path | None = None) -> LoadedTopic:
    """A translation with its source's clinical codes (the source beside it, or beside
    ``path`` when the topic was loaded under another name, is read); a source topic, or a
    translation whose source is missing or invalid (which :func:`check_translation`
    reports), as it is."""
    if loaded.topic.translation is None:
        return loaded
    source_path = source_of(Path(path or loaded.path))
    if source_path is None:
        return loaded
    try:
        found = source_path.stat()
        codes = _source_codes(source_path, found.st_mtime_ns, found.st_size)
    except (UserError, OSError):
        return loaded
    if codes is None or loaded.topic.codes == codes:
        return loaded
    return replace(loaded, topic=loaded.topic.model_copy(update={"codes": list(codes)}))


@lru_cache(maxsize=256)
def _source_codes(path: Path, mtime_ns: int, size: int) -> tuple | None:
    """A source topic's codes, read once per version of the file (several translations,
    and the desk's rescans, share it); None when it is itself a translation."""
    source = load_topic(path)
    return None if source.topic.translation is not None else tuple(source.topic.codes)

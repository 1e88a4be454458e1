"""Translations as versions of a topic: the fingerprint of a source and what drifted.

A translation is its own complete topic file, ``<id>.<lang>.yaml`` beside its source
``<id>.yaml``, with a ``translation:`` block (:class:`~handout_builder.domain.models.Translation`)
holding a fingerprint of each part of the source it was made from. Pure functions here:

* :func:`fingerprint` - the parts of a topic's text, each as a short hash (an other-language
  phrase's markup, ``[words]{lang=es}``, left out: :func:`without_phrase_markup`);
* :func:`drift` - the parts of the source that changed since the translation was made;
* :func:`structure_problems` - what the translation lacks that its source has (a section,
  the summary, a key point): never filled in from the source, always an error.

Imports: stdlib and the domain models.
"""

from __future__ import annotations

import hashlib
import json
import re

from handout_builder.domain.models import Topic


#: A translation's file name without its suffix: ``<id>.<lang>`` (an id never holds a dot).
TRANSLATION_STEM = re.compile(
    r"^(?P<id>[a-z0-9]+(?:-[a-z0-9]+)*)\.(?P<lang>[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*)$"
)


def translation_stem(stem: str) -> tuple[str, str] | None:
    """``calcification.zh-Hans`` -> ``("calcification", "zh-Hans")``; None for any other stem."""
    match = TRANSLATION_STEM.fullmatch(stem)
    return (match["id"], match["lang"]) if match else None


#: An other-language phrase in topic Markdown, ``[words]{lang=es}`` (the words without
#: unescaped brackets: an inner phrase is unwrapped first).
PHRASE_MARKUP = re.compile(r"\[((?:[^\[\]\\]|\\.)*)\]\{\s*lang\s*=\s*(\"?)[A-Za-z0-9-]*\2\s*\}")


def without_phrase_markup(value: object) -> object:
    """``value`` with every ``[words]{lang=xx}`` replaced by its words, in every string.

    The fingerprint is taken of this: marking (or re-marking) a phrase's language in the
    source changes how the phrase is tagged, not what a translator translates, so it is no
    drift; changing the phrase's words is."""
    if isinstance(value, str):
        for _ in range(value.count("]{")):
            unwrapped = PHRASE_MARKUP.sub(r"\1", value)
            if unwrapped == value:
                break
            value = unwrapped
        return value
    if isinstance(value, dict):
        return {key: without_phrase_markup(item) for key, item in value.items()}
    if isinstance(value, list):
        return [without_phrase_markup(item) for item in value]
    return value


def _hash(value: object) -> str:
    text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


def parts(topic: Topic) -> dict[str, object]:
    """The translatable parts of a topic, by the names the fingerprint uses."""
    found: dict[str, object] = {"title": topic.title, "category": topic.category}
    if topic.short_title:
        found["short_title"] = topic.short_title
    if topic.summary:
        found["summary"] = topic.summary
    if topic.key_points:
        found["key_points"] = list(topic.key_points)
    for number, section in enumerate(topic.sections, start=1):
        # the heading, the body and anything else of the section (figures: alt text, caption)
        found[f"section-{number}"] = section.model_dump(mode="json", exclude_none=True)
    if topic.references:
        found["references"] = [[r.title, r.publisher, r.url] for r in topic.references]
    return found


def fingerprint(topic: Topic) -> dict[str, str]:
    """Each part of the source text as a 12-digit hash (what a translation records)."""
    return {name: _hash(without_phrase_markup(value)) for name, value in parts(topic).items()}


def describe_part(name: str, source: Topic) -> str:
    """``section-3`` -> ``section 3 ("What causes it?")``."""
    if name.startswith("section-"):
        number = int(name.split("-", 1)[1])
        if 1 <= number <= len(source.sections):
            return f'section {number} ("{source.sections[number - 1].heading}")'
        return f"section {number}"
    return name.replace("_", " ")


def drift(source: Topic, recorded: dict[str, str]) -> list[str]:
    """The parts of ``source`` that differ from the fingerprint a translation recorded
    (changed, added or removed), in the source's order."""
    now = fingerprint(source)
    changed = [name for name, value in now.items() if recorded.get(name) != value]
    changed += [name for name in recorded if name not in now]
    return changed


def structure_problems(source: Topic, translation: Topic) -> list[tuple[str, str]]:
    """(field, explanation) for each part the source has and the translation lacks, or the
    other way round: a translation never falls back to the source's language."""
    found: list[tuple[str, str]] = []
    theirs, ours = len(source.sections), len(translation.sections)
    if ours < theirs:
        missing = ", ".join(
            f'{n} ("{source.sections[n - 1].heading}")' for n in range(ours + 1, theirs + 1)
        )
        found.append(("sections", f"The source has {theirs} sections and this translation "
                      f"{ours}: section(s) {missing} are not translated."))
    elif ours > theirs:
        found.append(("sections", f"This translation has {ours} sections and its source "
                      f"only {theirs}."))
    if bool(source.summary) != bool(translation.summary):
        found.append(("summary", "The source has a summary and this translation none."
                      if source.summary else "This translation has a summary its source lacks."))
    for number, (theirs_s, ours_s) in enumerate(zip(source.sections, translation.sections), 1):
        a, b = len(getattr(theirs_s, "figures", ()) or ()), len(getattr(ours_s, "figures", ()) or ())
        if a != b:
            found.append((f"sections.{number}", f"Section {number} of the source has {a} "
                          f"figure(s) and this translation's {b}."))
    if len(source.key_points) != len(translation.key_points):
        found.append(("key_points", f"The source has {len(source.key_points)} key points and "
                      f"this translation {len(translation.key_points)}."))
    return found

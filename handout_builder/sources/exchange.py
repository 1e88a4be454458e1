"""Translators' files: a topic as a gettext PO catalogue, and a translated catalogue back
into a translation topic (``<id>.<lang>.yaml``), without hand copying.

Each translatable text is one PO entry: ``msgctxt`` names the part (``title``,
``sections.2.body``, ``key_points.3``, ``references.1.title``...), ``msgid`` is the source
text exactly as written (Markdown kept: a section's body is one entry, so its paragraphs,
lists, links and emphasis travel together), ``msgstr`` the translation. Translators' tools
(Poedit, Weblate, an agency's CAT tool) read PO files. When a translation exists, its texts
are filled in, and the parts whose source changed since are marked fuzzy (to be checked).

Import refuses a catalogue that leaves any entry untranslated (a translation never falls
back to the source's language), that belongs to another topic or language, or whose source
texts no longer match the source topic.
"""

from __future__ import annotations

import io
from datetime import date, datetime, timezone
from typing import Any

import yaml
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

from handout_builder.domain.models import Topic
from handout_builder.domain.problems import InvalidTopic, Problem
from handout_builder.domain.translation import drift, fingerprint

#: The date written in a catalogue's header (same topic, same bytes).
FIXED_DATE = datetime(2000, 1, 1, tzinfo=timezone.utc)


def entries(topic: Topic) -> list[tuple[str, str]]:
    """(part, text) of every translatable text, in reading order."""
    found = [("title", topic.title)]
    if topic.short_title:
        found.append(("short_title", topic.short_title))
    found.append(("category", topic.category))
    if topic.summary:
        found.append(("summary", topic.summary))
    found += [(f"key_points.{n}", text) for n, text in enumerate(topic.key_points, start=1)]
    for n, section in enumerate(topic.sections, start=1):
        found += [(f"sections.{n}.heading", section.heading), (f"sections.{n}.body", section.body)]
        for m, figure in enumerate(getattr(section, "figures", ()) or (), start=1):
            found += [(f"sections.{n}.figures.{m}.{name}", getattr(figure, name))
                      for name in ("alt", "caption", "credit") if getattr(figure, name, None)]
    for n, ref in enumerate(topic.references, start=1):
        found += [(f"references.{n}.title", ref.title), (f"references.{n}.publisher", ref.publisher)]
    if topic.copyright.notice:
        found.append(("copyright.notice", topic.copyright.notice))
    return found


def _fingerprint_part(part: str) -> str:
    """``sections.2.body`` -> ``section-2`` (the drift unit the entry belongs to)."""
    pieces = part.split(".")
    if pieces[0] == "sections":
        return f"section-{pieces[1]}"
    return pieces[0]


def _project(topic_id: str) -> str:
    return f"make_handout topic {topic_id}"


def export_po(source: Topic, language: str, existing: Topic | None = None) -> bytes:
    """The PO catalogue for translating ``source`` into ``language``; with the ``existing``
    translation's texts filled in (fuzzy where its source part changed since). The topic is
    named in the standard ``Project-Id-Version`` header and the language in ``Language``,
    which translation tools keep."""
    catalog = Catalog(locale=language.replace("-", "_"), project=_project(source.id),
                      version=source.version or "-", fuzzy=False, creation_date=FIXED_DATE,
                      revision_date=FIXED_DATE, msgid_bugs_address="",
                      last_translator="", language_team="")
    done = dict(entries(existing)) if existing is not None else {}
    changed = set()
    if existing is not None and existing.translation is not None:
        changed = set(drift(source, existing.translation.fingerprint))
    for part, text in entries(source):
        translated = done.get(part, "")
        flags = ["fuzzy"] if translated and _fingerprint_part(part) in changed else []
        comments = ["Markdown: keep **bold**, *italic*, [links](https://...), list marks "
                    "and blank lines between paragraphs."] if part.endswith(("body", "summary")) else []
        comments += ["Write {emergency_number} where the emergency number goes."] \
            if "{emergency_number}" in text else []
        catalog.add(text, translated, context=part, flags=flags, auto_comments=comments)
    buffer = io.BytesIO()
    write_po(buffer, catalog, width=0, no_location=True)
    intro = (f"# Translation of the make_handout topic '{source.id}' ({source.language}, "
             f"version {source.version or '-'}) into {language}.\n"
             "# Translate each msgstr; keep msgctxt and msgid as they are.\n")
    text = buffer.getvalue().decode("utf-8")
    return (intro + text[text.index('msgid ""'):]).encode("utf-8")


def import_po(
    data: bytes, shown: str, source: Topic, *, translator: str, method: str, translated: date,
) -> tuple[str, dict[str, Any]]:
    """``(language, topic data)`` of the translation a filled-in catalogue describes: the
    source topic with every text replaced, and a ``translation`` block with the source's
    fingerprint. Raises :class:`InvalidTopic` listing every entry left untranslated."""
    problems: list[Problem] = []
    try:
        catalog = read_po(io.BytesIO(data), locale=None)
    except Exception as error:  # Babel raises plain exceptions for malformed files
        raise InvalidTopic(Problem(shown, f"This is not a readable PO file: {error}.",
                                   "Save it as a PO file from the translation tool.")) from None
    language = str(catalog.locale).replace("_", "-") if catalog.locale else None
    if catalog.project != _project(source.id):
        problems.append(Problem(shown, f"This catalogue is not for the topic '{source.id}' "
                                f"(its Project-Id-Version is '{catalog.project}').",
                                "Import it with the topic it was exported from."))
    if not language:
        problems.append(Problem(shown, "The catalogue names no language (its Language header).",
                                "Export it again with --language."))
    texts = {m.context: m.string for m in catalog if m.id and m.context}
    originals = {m.context: m.id for m in catalog if m.id and m.context}
    lines = {m.context: (m.lineno or None) for m in catalog if m.id and m.context}
    for part, text in entries(source):
        if part not in texts or not str(texts[part] or "").strip():
            problems.append(Problem(shown, f"The entry '{part}' is not translated; a translation "
                                    "never falls back to the source's language.",
                                    "Translate it and import again.", line=lines.get(part),
                                    field=part))
        elif originals.get(part) != text:
            problems.append(Problem(shown, f"The source text of '{part}' changed since this "
                                    "catalogue was exported.", "Export again and translate "
                                    "the changed entry.", line=lines.get(part), field=part))
    if problems:
        raise InvalidTopic(problems)
    assert language is not None
    # keywords are a language's own search words, not a translation of the source's
    data_out = source.model_dump(mode="json", exclude_none=True,
                                 exclude={"translation", "keywords"})

    def put(part: str, value: str) -> None:
        keys: list[Any] = [int(k) - 1 if k.isdigit() else k for k in part.split(".")]
        target: Any = data_out
        for key in keys[:-1]:
            target = target[key]
        target[keys[-1]] = value

    for part, _ in entries(source):
        put(part, str(texts[part]))
    data_out["language"] = language
    data_out["translation"] = {
        "source_language": source.language,
        **({"source_version": source.version} if source.version else {}),
        "translator": translator,
        "method": method,
        "translated": translated.isoformat(),
        "fingerprint": fingerprint(source),
    }
    return language, data_out


class _Dumper(yaml.SafeDumper):
    pass


def _text(dumper: yaml.SafeDumper, value: str) -> Any:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _text)

#: The order keys are written in (the order of docs/topic-format.md).
KEY_ORDER = ("id", "title", "short_title", "status", "example", "version", "language",
             "category", "summary", "key_points", "sections", "references", "review",
             "copyright", "translation")


def topic_yaml(data: dict[str, Any]) -> bytes:
    """A topic's data as YAML (Markdown bodies as literal blocks), keys in the usual order."""
    ordered = {key: data[key] for key in KEY_ORDER if key in data}
    ordered |= {k: v for k, v in data.items() if k not in ordered}
    text = yaml.dump(ordered, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=100)
    return ("# yaml-language-server: $schema=topic.schema.json\n" + text).encode("utf-8")


def stamp(text: str, new: dict[str, str]) -> str:
    """``text`` (a translation file) with its ``translation: fingerprint:`` block replaced by
    ``new``, every other line kept as written (comments included)."""
    lines = text.splitlines(keepends=True)
    out: list[str] = []
    in_translation = False
    i = 0
    while i < len(lines):
        line = lines[i]
        stripped = line.lstrip(" ")
        indent = len(line) - len(stripped)
        if indent == 0 and stripped.strip():
            in_translation = stripped.startswith("translation:")
        if in_translation and indent > 0 and stripped.startswith("fingerprint:"):
            pad = " " * indent
            out.append(f"{pad}fingerprint:\n")
            out += [f"{pad}  {name}: {value}\n" for name, value in new.items()]
            i += 1
            while i < len(lines) and (not lines[i].strip() or
                                      len(lines[i]) - len(lines[i].lstrip(" ")) > indent):
                if not lines[i].strip():
                    break
                i += 1
            continue
        out.append(line)
        i += 1
    return "".join(out)

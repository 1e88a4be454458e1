"""What a topic will print, checked before layout, each problem located at its field.

Every phrase marked as another language (``[frase]{lang=es}``) has a known language tag and
no attribute but ``lang``; its characters count with the rest of the text. Three rules on
the text as it will be printed (Markdown already turned into characters, so
``&#x202E;`` or ``&#0;`` count as what they stand for):

* no control characters (``&#0;`` and other impossible character references become U+FFFD,
  a replacement box, and are refused the same way);
* every character is in a font of the leaflet (otherwise it prints as an empty box);
  reported once per file, listing the characters, each with its field, line and column;
* no word longer than :data:`MAX_WORD_CHARACTERS`: a line cannot be broken inside a word,
  and laying out one very long word takes time that grows with the square of its length (a
  64,000-character word took 52 s, although ``overflow-wrap: anywhere`` lets it break).
  Reference addresses (``references[].url``, at most 2,000 characters) and the addresses of
  Markdown links (printed after the link text, at most 2,000 characters) are exempt: the
  stylesheet breaks them anywhere, and at that length their layout stays fast.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Sequence
from typing import Any

from markdown_it.token import Token

from handout_builder.domain.locale import language_tag_problem
from handout_builder.domain.models import CONTROL_CHARACTERS, Topic
from handout_builder.domain.positions import Path_, Position, end_of, field_name, position_of
from handout_builder.domain.problems import Problem
from handout_builder.sources.fonts import SCRIPTS, cjk_font_paths, font_coverage, is_cjk
from handout_builder.sources.markdown import (
    PHRASE_ATTRIBUTES,
    inline_text,
    link_addresses,
    parsed,
    phrases,
)

MAX_WORD_CHARACTERS = 100
#: Topic fields written in Markdown: block text, and inline text (one line, no paragraphs).
BLOCK_FIELDS = {"summary", "body"}
INLINE_FIELDS = {"key_points"}
#: Fields printed as addresses, broken anywhere by the stylesheet: no word limit.
ADDRESS_FIELDS = {"url"}
#: Characters that print nothing by design (line breaks, spaces the layout handles).
_LAYOUT = {"\n", "\t", "\r"}


def _strings(value: Any, path: Path_) -> Iterator[tuple[Path_, str]]:
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(item, path + (key,))
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            yield from _strings(item, path + (index,))


def _field_kind(path: Path_) -> str:
    names = {p for p in path if isinstance(p, str)}
    if names & BLOCK_FIELDS:
        return "block"
    if names & INLINE_FIELDS:
        return "inline"
    if names & ADDRESS_FIELDS:
        return "address"
    return "plain"


def _tokens(text: str, kind: str) -> Sequence[Token]:
    """A Markdown field's tokens, parsed the way the leaflet renders it (none for plain text;
    shared with the HTML stage: read only)."""
    if kind not in ("block", "inline"):
        return ()
    return parsed(text, inline=kind == "inline")


def printed(text: str, kind: str, tokens: Sequence[Token]) -> tuple[list[str], list[str]]:
    """(runs of printed text, link addresses) of a field's value (``tokens``: its
    :func:`_tokens`).

    Markdown is parsed the way the leaflet renders it, so entities and typographic
    replacements are already the characters that will print. Each run is the text of one
    paragraph, heading, list item or code block: words never continue from one to the next.
    """
    if kind in ("plain", "address"):
        return [text], []
    runs: list[str] = []
    addresses: list[str] = []
    for token in tokens:
        if token.type in ("code_block", "fence"):
            runs.append(token.content)
        if token.type != "inline":
            continue
        runs.append(inline_text(token))
        addresses += link_addresses(token)
    return runs, addresses


def phrase_problems(tokens: Sequence[Token]) -> list[tuple[str, str, list[str]]]:
    """(what is wrong, the fix, where to look in the text) for each other-language phrase of
    a Markdown field (``tokens``: its :func:`_tokens`) that has no ``lang``, another
    attribute, or an unknown language tag."""
    found = []
    for token in tokens:
        if token.type != "inline":
            continue
        for lang, others, words in phrases(token):
            shown = words if len(words) <= 40 else words[:37] + "..."
            example = f"[{shown}]{{lang=es}}"
            if others:
                names = ", ".join(sorted(others))
                found.append((
                    f"The phrase '{shown}' has the attribute(s) {names}; a phrase may have "
                    f"only {', '.join(PHRASE_ATTRIBUTES)} (its look comes from the brand).",
                    f"Keep only its language, e.g. {example}.", ["]{"]))
            if lang is None:
                found.append((
                    f"The phrase '{shown}' is marked with braces but has no language.",
                    f"Give its language tag, e.g. {example}, or remove the braces.", ["]{"]))
            elif (problem := language_tag_problem(lang)) is not None:
                found.append((
                    f"The phrase '{shown}' is marked lang={lang}, but {problem}.",
                    "Use the language's tag: for example es (Spanish), en (English), "
                    "en-GB, zh-Hans (Chinese, simplified), vi (Vietnamese), ar (Arabic), "
                    "la (Latin).", [f"lang={lang}", f'lang="{lang}"', "]{"]))
    return found


def _describe(char: str) -> str:
    name = unicodedata.name(char, "")
    return f"U+{ord(char):04X}" + (f" {name}" if name else "")


def _locate(text: str, span: tuple[int, int] | None, needles: list[str]) -> Position | None:
    """Where the first needle found inside ``span`` of ``text`` starts and ends."""
    if span is None:
        return None
    for needle in needles:
        index = text.find(needle, span[0], span[1]) if needle else -1
        if index >= 0:
            return Position(*_line_column(text, index), *_line_column(text, index + len(needle)))
    return None


def _line_column(text: str, index: int) -> tuple[int, int]:
    return text.count("\n", 0, index) + 1, index - text.rfind("\n", 0, index)


def _range(found: tuple[int, int] | None) -> dict[str, int | None]:
    """A position as the location fields of a :class:`Problem`."""
    line, column = found if found else (None, None)
    end_line, end_column = end_of(found)
    return {"line": line, "column": column, "end_line": end_line, "end_column": end_column}


def check_topic(
    topic: Topic,
    positions: dict[Path_, tuple[int, int]],
    shown: str,
    text: str = "",
    spans: dict[Path_, tuple[int, int]] | None = None,
) -> list[Problem]:
    """Every problem of the three rules, located at the character when its value is written
    in ``text`` (``spans``: where each value is), else at the field's key."""
    spans = spans or {}

    def where(path: Path_, *needles: str) -> tuple[int, int] | None:
        return _locate(text, spans.get(path), list(needles)) or position_of(path, positions)

    problems: list[Problem] = []
    coverage = font_coverage()
    missing: dict[str, Path_] = {}  # character -> first field it is in
    printable: set[str] = set()  # characters seen that some font has (or layout, spaces)
    for path, value in _strings(topic.model_dump(), ()):
        kind = _field_kind(path)
        tokens = _tokens(value, kind)
        runs, addresses = printed(value, kind, tokens)
        at_field = where(path)
        field = field_name(path)
        for what, fix, needles in phrase_problems(tokens) if "]{" in value else ():
            problems.append(Problem(shown, what, fix, field=field,
                                    **_range(where(path, *needles))))
        for run in runs:
            bad = next((found.group() for found in CONTROL_CHARACTERS.finditer(run)
                        if found.group() not in _LAYOUT), None)
            if bad is None and "\ufffd" in run and "\ufffd" not in value:
                bad = "\ufffd"
            if bad is not None:
                what = (
                    "a character reference that stands for no character (such as &#0;), "
                    "which would print as a replacement box" if bad == "\ufffd" else
                    f"the invisible control character {_describe(bad)}, which would print "
                    "as garbage or reorder text"
                )
                problems.append(Problem(
                    shown, f"This contains {what}.",
                    "Delete it (look for &#...; or &...; in the text, or a character copied "
                    "out of another program).", field=field, **_range(where(path, bad, "&#"))))
                continue
            if not printable.issuperset(run):  # a character not seen before in this topic
                for char in dict.fromkeys(run):  # each character once, in order
                    if char.isspace() or char in _LAYOUT or ord(char) in coverage:
                        printable.add(char)
                    elif char not in missing:
                        missing[char] = path
            if kind != "address":
                long_word = re.search(rf"\S{{{MAX_WORD_CHARACTERS + 1},}}", run)
                if long_word:
                    word = long_word.group()
                    problems.append(Problem(
                        shown,
                        f"This contains a word of {len(word):,} characters without a space "
                        f"(starting '{word[:20]}...'); words may have at most "
                        f"{MAX_WORD_CHARACTERS} characters, since a line cannot be broken "
                        "inside one.",
                        "Add spaces, or write a long web address as a link, e.g. "
                        "[the guide](https://...), or put it in references with url:.",
                        field=field, **_range(where(path, word, word[:20]))))
        for address in addresses:
            if len(address) > 2000:
                problems.append(Problem(
                    shown, f"A link address here has {len(address):,} characters (at most "
                    "2,000).", "Use a shorter address.", field=field, **_range(at_field)))
    if missing:
        chars = list(missing)
        first = missing[chars[0]]

        def placed(char: str) -> str:
            path = missing[char]
            at = where(path, char)
            line = f", line {at[0]}, column {at[1]}" if at else ""
            return f"'{char}' ({_describe(char)}) in {field_name(path)}{line}"

        listed = "; ".join(placed(c) for c in chars[:8])
        more = f"; and {len(chars) - 8} more" if len(chars) > 8 else ""
        if any(is_cjk(c) for c in chars) and not cjk_font_paths():
            fix = ("Install the Chinese, Japanese and Korean fonts (Debian's fonts-noto-cjk "
                   "package: ./setup.sh installs it), or remove these characters.")
        else:
            fix = (f"The fonts print {SCRIPTS}: replace these characters with letters of "
                   "those scripts or common punctuation, or remove them (an emoji or a "
                   "symbol can be written as a word).")
        problems.append(Problem(
            shown,
            f"No font of the leaflet has a letter shape for {listed}{more}; they would print "
            "as empty boxes.",
            fix, field=field_name(first), **_range(where(first, chars[0])),
        ))
    return problems

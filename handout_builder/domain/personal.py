"""A copy for one patient: the optional "Prepared for" details printed on the first page.

These details are personal health information. They are printed on the page and nowhere
else: never in the output file name, the PDF metadata (Info and XMP), bookmarks, logs or
error messages. Validation problems therefore name the option and the rule, never the value.
"""

from __future__ import annotations

import unicodedata
from functools import cache
from typing import Annotated

from pydantic import AfterValidator, Field, ValidationError

from handout_builder.domain.problems import InvalidOption, Problem
from handout_builder.domain.models import Closed, IsoDate, Line, _no_control_characters, _not_blank
from handout_builder.paths import FONTS_DIR

#: Where problems with command-line values are reported (there is no file to point at).
COMMAND_LINE = "command line"

MAX_NAME = 80
MAX_NOTE = 500
MAX_NOTE_LINES = 8


def _few_lines(text: str) -> str:
    if text.count("\n") >= MAX_NOTE_LINES:
        raise ValueError(f"has more than {MAX_NOTE_LINES} lines")
    return text


#: A short note: several lines allowed, no control characters.
Note = Annotated[
    str,
    AfterValidator(_no_control_characters),
    AfterValidator(_not_blank),
    AfterValidator(_few_lines),
]


class PersonalCopy(Closed):
    """Details that make a leaflet one patient's copy. Every field is optional."""

    patient_name: Line | None = Field(
        default=None,
        max_length=MAX_NAME,
        description="The patient's name, printed after 'Prepared for'.",
    )
    clinician: Line | None = Field(
        default=None, max_length=MAX_NAME, description="Who prepared the copy, printed after 'By'."
    )
    date: IsoDate | None = Field(default=None, description="The date of the visit, YYYY-MM-DD.")
    note: Note | None = Field(
        default=None, max_length=MAX_NOTE, description="A short note printed in the notes box."
    )

    def __repr__(self) -> str:  # never show the details in a traceback or a debugger
        given = [name for name, value in self if value is not None]
        return f"PersonalCopy(<hidden: {', '.join(given) or 'empty'}>)"

    __str__ = __repr__

    def _texts(self) -> dict[str, str]:
        return {name: value for name, value in self if isinstance(value, str)}

    def check_printable(self) -> None:
        """Refuse, naming the option, any value with a letter no bundled font has.

        Without this WeasyPrint would report each missing letter, in order: the value spelt
        out in an error message. Spaces and invisible format characters need no glyph.
        """
        covered = bundled_characters()
        problems = [
            Problem(
                COMMAND_LINE,
                "This contains letters that the bundled fonts cannot print.",
                "Write it in a script the leaflet supports (Latin, Greek, Cyrillic, Arabic, "
                "Korean Hangul; see the README), or leave the option out and write it on the "
                "printed copy by hand.",
                field=OPTIONS[name],
            )
            for name, value in self._texts().items()
            if any(
                ord(c) not in covered and not c.isspace() and unicodedata.category(c) != "Cf"
                for c in value
            )
        ]
        if problems:
            raise InvalidOption(problems)

    def mentioned_in(self, text: str) -> bool:
        """Whether ``text`` could quote a value: a value, a word of one, one of its non-ASCII
        characters or its code point (``U+0418``)."""
        for value in self._texts().values():
            if value.strip() in text or any(len(w) > 1 and w in text for w in value.split()):
                return True
            for c in value:
                if (not c.isascii() and c in text) or f"U+{ord(c):04X}" in text.upper():
                    return True
        return False


@cache
def bundled_characters() -> frozenset[int]:
    """Every code point some bundled font (``assets/styles/fonts/``) has a glyph for."""
    from fontTools.ttLib import TTFont

    found: set[int] = set()
    for path in sorted(FONTS_DIR.glob("*.[ot]tf")):
        with TTFont(path, lazy=True) as font:
            found.update(font.getBestCmap() or {})
    return frozenset(found)


#: Command-line option of each field, for error messages.
OPTIONS = {
    "patient_name": "--patient-name",
    "clinician": "--clinician",
    "date": "--date",
    "note": "--note",
}


def _message(err: dict) -> tuple[str, str]:
    """A plain message and fix for one validation error, without the value."""
    kind = err["type"]
    text = str(err.get("msg", ""))
    if kind in ("string_too_long", "too_long"):
        limit = err.get("ctx", {}).get("max_length")
        return f"This is too long (at most {limit} characters).", "Shorten it."
    if kind.startswith("date") or "YYYY-MM-DD" in text:
        return (
            "This is not a real date written as YYYY-MM-DD.",
            "Write the date as YYYY-MM-DD, e.g. 2024-03-01.",
        )
    if "control character" in text:
        return (
            "This contains an invisible control character.",
            "Type the value again without it (it often comes from copied text).",
        )
    if "is empty" in text:
        return "This is empty.", "Give a value, or leave the option out to print a blank line."
    if "lines" in text:
        return f"This has more than {MAX_NOTE_LINES} lines.", "Shorten the note."
    return "This value cannot be used.", "Check it and try again."


def personal_copy(
    patient_name: str | None = None,
    clinician: str | None = None,
    date: str | None = None,
    note: str | None = None,
) -> PersonalCopy | None:
    """Validate the details; ``None`` when none is given (the leaflet prints write-in lines).

    Raises :class:`InvalidOption` whose problems name the option, never the value.
    """
    values = {"patient_name": patient_name, "clinician": clinician, "date": date, "note": note}
    # composed form (NFC): decomposed input (e.g. from macOS) prints with the fonts' own
    # precomposed letters, as Hangul syllables and Vietnamese letters need
    given = {key: unicodedata.normalize("NFC", value)
             for key, value in values.items() if value is not None}
    if not given:
        return None
    try:
        return PersonalCopy.model_validate(given)
    except ValidationError as exc:
        problems = []
        for err in exc.errors(include_input=False, include_context=True):
            message, fix = _message(err)
            problems.append(
                Problem(COMMAND_LINE, message, fix, field=OPTIONS.get(str(err["loc"][0]), ""))
            )
    raise InvalidOption(problems)  # outside the except block: no chained exception to print

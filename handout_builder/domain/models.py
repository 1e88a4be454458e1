"""The data model: a topic (one leaflet's content) and a brand (one clinic's look).

Every model is closed (``extra="forbid"``) so that a misspelt key is an error, never a
silently ignored field. Field descriptions are the reference documentation of the format
and feed the JSON Schema that editors use (``make-handout schema``).
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from typing import Annotated, Literal

from pydantic import (
    AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, ValidationInfo, field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from handout_builder.domain.codes import CodeSystem, check_code

FORMAT_VERSION = 1
#: The running header holds at most this many characters (short_title's limit too).
RUNNING_TITLE_MAX = 60

ID_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
LANGUAGE_PATTERN = r"^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*$"
COLOUR_PATTERN = r"^#[0-9a-fA-F]{6}$"

_ALLOWED_CONTROLS = {"\n", "\t"}
#: Bidirectional embedding, override and isolate controls: invisible, and they reorder the
#: text around them (the "Trojan Source" characters).
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
#: Every control character (Unicode category Cc: U+0000-U+001F, U+007F-U+009F) and
#: bidirectional control: one search finds the first, instead of a look at each character.
CONTROL_CHARACTERS = re.compile("[\x00-\x1f\x7f-\x9f" + "".join(sorted(BIDI_CONTROLS)) + "]")


def is_control_character(char: str) -> bool:
    """A C0/C1 control character or a bidirectional control: never allowed in any text
    (callers decide about line breaks and tabs)."""
    return CONTROL_CHARACTERS.fullmatch(char) is not None


def no_control_characters(text: str) -> str:
    """Validator: refuse control characters other than line breaks and tabs."""
    for found in CONTROL_CHARACTERS.finditer(text):
        char = found.group()
        if char not in _ALLOWED_CONTROLS:
            raise PydanticCustomError(
                "control_character",
                "contains the invisible control character {character}, which would print as "
                "garbage or reorder text",
                {"character": f"U+{ord(char):04X}"},
            )
    return text


def _one_line(text: str) -> str:
    """Fold any run of white space (including line breaks) into one space."""
    return " ".join(text.split())


def not_blank(text: str) -> str:
    if not text.strip():
        raise PydanticCustomError("blank", "is empty")
    return text


#: Dates outside these are typing mistakes (and 9999-12-31 plus a review interval does not
#: exist); copyright years have the same range.
FIRST_DATE = date(1900, 1, 1)
LAST_DATE = date(2199, 12, 31)


def _date_in_range(value: date) -> date:
    if not FIRST_DATE <= value <= LAST_DATE:
        raise PydanticCustomError(
            "date_range", "is a date outside the years {first} to {last}",
            {"first": FIRST_DATE.year, "last": LAST_DATE.year},
        )
    return value


#: Invisible characters that would make a printed address differ from the link behind it.
_INVISIBLE = {"\u00ad", "\u034f", "\u061c", "\u180e", "\u2060", "\u2061", "\u2062",
              "\u2063", "\u2064", "\ufeff"}


def _no_invisible_characters(url: str) -> str:
    for char in url:
        if unicodedata.category(char) in ("Cf", "Cc", "Zs", "Zl", "Zp") or char in _INVISIBLE:
            raise PydanticCustomError(
                "invisible_character",
                "contains the invisible character {character}, so the printed address would "
                "differ from the link",
                {"character": f"U+{ord(char):04X} ({unicodedata.name(char, 'unnamed')})"},
            )
    return url


#: Names Windows cannot use for a file, whatever the extension (``con.pdf`` is CON).
WINDOWS_RESERVED = frozenset(
    ["con", "prn", "aux", "nul"] + [f"com{i}" for i in range(1, 10)]
    + [f"lpt{i}" for i in range(1, 10)]
)


def _portable_id(value: str | None) -> str | None:
    if value is not None and value.split(".")[0] in WINDOWS_RESERVED:
        raise PydanticCustomError(
            "reserved_name",
            "is a name Windows reserves for a device ({device}), so {id}.pdf could not be "
            "saved there",
            {"device": value.upper(), "id": value},
        )
    return value


def _iso_date_text(value: object) -> object:
    """Dates are written ``YYYY-MM-DD``; refuse numbers that Pydantic would read as timestamps."""
    if isinstance(value, date):
        return value
    if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
        raise PydanticCustomError("date_format", "is not a date written as YYYY-MM-DD")
    return value.strip()


#: One line of plain text (a title, a name): white space folded, no control characters.
Line = Annotated[
    str,
    AfterValidator(no_control_characters),
    AfterValidator(_one_line),
    AfterValidator(not_blank),
]
#: Markdown text: paragraphs, lists, emphasis and links. Raw HTML is shown as text.
Markdown = Annotated[str, AfterValidator(no_control_characters), AfterValidator(not_blank)]
#: A calendar date written ``YYYY-MM-DD``.
IsoDate = Annotated[date, BeforeValidator(_iso_date_text), AfterValidator(_date_in_range)]
#: A web address that a reader can type or click.
WebUrl = Annotated[
    str,
    Field(pattern=r"^https?://[^\s<>\"]+$", max_length=2000),
    AfterValidator(no_control_characters),
    AfterValidator(_no_invisible_characters),
]


class Closed(BaseModel):
    """Base for every model: unknown keys are errors, values are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class Section(Closed):
    """One question or part of the leaflet: a heading and its Markdown body."""

    heading: Line = Field(
        description="The section heading, ideally a question a patient would ask.",
        max_length=200,
        examples=["What is calcification?"],
    )
    body: Markdown = Field(
        description=(
            "The section text in Markdown: paragraphs, bullet and numbered lists, **bold**, "
            "*italic* and [links](https://example.org). Raw HTML is printed as text; images "
            "print their alt text only."
        ),
        examples=["Calcification is a build-up of calcium in a body tissue."],
    )


class Reference(Closed):
    """A source the content is based on."""

    title: Line = Field(description="Title of the page, article or book.", max_length=500)
    publisher: Line = Field(
        description="Who published it.", max_length=300, examples=["MedlinePlus"]
    )
    url: WebUrl | None = Field(
        default=None,
        description="Web address (http or https), printed and clickable.",
        examples=["https://medlineplus.gov/"],
    )
    accessed: IsoDate | None = Field(
        default=None,
        description="The date the source was read, YYYY-MM-DD.",
        examples=["2011-05-17"],
    )


class Review(Closed):
    """The medical review of the content. Missing values mean: not reviewed yet."""

    reviewer: Line | None = Field(
        default=None,
        description="Name and credentials of the medical reviewer.",
        max_length=300,
        examples=["Dana Reyes, MD"],
    )
    reviewed: IsoDate | None = Field(
        default=None, description="Date of the last review, YYYY-MM-DD.", examples=["2024-03-01"]
    )
    interval_months: int | None = Field(
        default=None,
        ge=1,
        le=60,
        description=(
            "Months between reviews; the next review is due this long after `reviewed`. "
            "Defaults to the library setting (handouts/library.yaml), 12 unless configured."
        ),
        examples=[12],
    )

    @property
    def is_reviewed(self) -> bool:
        return self.reviewer is not None and self.reviewed is not None


class Copyright(Closed):
    """Who owns the content, printed as "© <year> <holder>. <notice>"."""

    holder: Line = Field(description="The copyright holder.", max_length=300)
    year: int | None = Field(
        default=None, ge=1900, le=2200, description="Year of the copyright.", examples=[2024]
    )
    notice: Line | None = Field(
        default=None,
        description="A further notice, e.g. the terms of use or 'Example content'.",
        max_length=1000,
    )


def _digits_as_text(value: object) -> object:
    """SNOMED CT, RxNorm codes are digits: ``code: 860975`` (a YAML number) is meant as text."""
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return str(value)
    return value


class Code(Closed):
    """A clinical code the leaflet is about: a diagnosis, a drug, a test."""

    system: CodeSystem = Field(
        description="The code system: ICD-10-CM (diagnoses), SNOMED CT (concepts), RxNorm "
        "(drugs) or LOINC (tests).",
        examples=["ICD-10-CM"],
    )
    code: Annotated[str, BeforeValidator(_digits_as_text)] = Field(
        max_length=20,
        description="The code as the system writes it: ICD-10-CM with its dot (E11.9), a "
        "SNOMED CT concept id (44054006), an RxNorm RxCUI (860975), a LOINC code with its "
        "check digit (4548-4). Checked for its system's form and check digit.",
        examples=["E11.9"],
    )
    display: Line | None = Field(
        default=None, max_length=200,
        description="The code's name, for people reading the index (not printed).",
        examples=["Type 2 diabetes mellitus without complications"],
    )

    @field_validator("code")
    @classmethod
    def _well_formed(cls, code: str, info: ValidationInfo) -> str:
        system = info.data.get("system")
        if system is None:  # the system itself is wrong: reported on its own
            return code
        return check_code(system, code)

    @property
    def token(self) -> str:
        """``SYSTEM|CODE``, as the manifest records it and ``find --code`` takes it."""
        return f"{self.system}|{self.code}"


def _no_repeated_codes(codes: list[Code]) -> list[Code]:
    seen = set()
    for code in codes:
        if code.token in seen:
            raise PydanticCustomError("repeated_code", "lists {token} twice", {"token": code.token})
        seen.add(code.token)
    return codes


class Topic(Closed):
    """One patient-education topic: the content of one leaflet."""

    id: Annotated[str | None, AfterValidator(_portable_id)] = Field(
        default=None,
        pattern=ID_PATTERN,
        max_length=80,
        description=(
            "Identifier, also the output file name <id>.pdf. Lowercase letters, digits and "
            "single hyphens, and not a name Windows reserves (con, prn, aux, nul, com1-com9, "
            "lpt1-lpt9). Defaults to the file name without .yaml."
        ),
        examples=["calcification"],
    )
    title: Line = Field(description="The leaflet title.", max_length=200)
    short_title: Line | None = Field(
        default=None,
        max_length=RUNNING_TITLE_MAX,
        description="A shorter title for the running header; defaults to the title.",
    )
    language: str = Field(
        default="en",
        pattern=LANGUAGE_PATTERN,
        description="Language of the content as a BCP 47 tag, e.g. en, en-US, es.",
        examples=["en"],
    )
    category: Line = Field(
        description="The library category, printed as the 'Filed under' line.",
        max_length=200,
        examples=["Heart, Blood and Circulation"],
    )
    summary: Markdown | None = Field(
        default=None, description="A short summary in Markdown, shown first in a box."
    )
    key_points: list[Line] = Field(
        default_factory=list,
        description="The most important points, shown first in a box.",
        max_length=20,
    )
    sections: list[Section] = Field(
        min_length=1, description="The questions and answers, in order (at least one)."
    )
    references: list[Reference] = Field(
        default_factory=list, description="The sources the content is based on."
    )
    status: Literal["draft", "approved", "withdrawn"] = Field(
        default="draft",
        description=(
            "Editorial status. Only approved topics with a current review are printed; "
            "draft and withdrawn ones only with --allow-draft, and then with a watermark."
        ),
        examples=["approved"],
    )
    example: bool = Field(
        default=False,
        description=(
            "Example content (a demonstration, not medical advice): printed on any date, "
            "whatever its review date, and always marked 'EXAMPLE · NOT MEDICAL ADVICE' (in "
            "every page's footer, and a banner on the first page), never as a current leaflet."
        ),
        examples=[True],
    )
    version: str | None = Field(
        default=None,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9.\-]*$",
        max_length=20,
        description="Content version, printed beside the handout id in the footer.",
        examples=["2.1"],
    )
    review: Review | None = Field(
        default=None,
        description="The medical review. Missing or empty: the leaflet says it is not reviewed.",
    )
    codes: Annotated[list[Code], AfterValidator(_no_repeated_codes)] = Field(
        default_factory=list,
        max_length=50,
        description="Clinical codes the leaflet is about (diagnoses, drugs, tests), so that a "
        "health record can find it: `make-handout find --code ICD-10-CM|E11.9` and the FHIR "
        "index. Not printed on the leaflet.",
    )
    copyright: Copyright = Field(description="The copyright notice.")

    @property
    def is_reviewed(self) -> bool:
        return self.review is not None and self.review.is_reviewed

    @property
    def running_title(self) -> str:
        """The running header: ``short_title``, or the title cut to 60 characters at a word."""
        if self.short_title or len(self.title) <= RUNNING_TITLE_MAX:
            return self.short_title or self.title
        cut = self.title[: RUNNING_TITLE_MAX - 1].rsplit(" ", 1)[0].rstrip(" ,;:.-")
        return cut + "\u2026"


# --------------------------------------------------------------------------------------
# Brands
# --------------------------------------------------------------------------------------

Colour = Annotated[str, Field(pattern=COLOUR_PATTERN, examples=["#1d4f7a"])]


def _luminance(colour: str) -> float:
    channels = []
    for i in (1, 3, 5):
        c = int(colour[i : i + 2], 16) / 255
        channels.append(c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4)
    r, g, b = channels
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(a: str, b: str) -> float:
    """WCAG 2 contrast ratio of two ``#rrggbb`` colours (1 to 21)."""
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


class Colours(Closed):
    """Brand colours. Each pair that carries text must reach a 4.5:1 contrast ratio."""

    primary: Colour = Field(
        description="Header band, headings and rules. White text sits on it, and it sits on white."
    )
    accent: Colour = Field(description="Background of the key points box (a light tint).")
    text: Colour = Field(default="#1a1a1a", description="Body text colour, on white and accent.")

    def contrast_problems(self) -> list[tuple[str, str]]:
        """(field, explanation) for each text/background pair under 4.5:1."""
        pairs = [
            ("primary", "white", self.primary, "#ffffff"),
            ("text", "white", self.text, "#ffffff"),
            ("accent", "the text colour", self.accent, self.text),
        ]
        found = []
        for name, other, fg, bg in pairs:
            ratio = contrast_ratio(fg, bg)
            if ratio < 4.5:
                found.append((name, f"contrast with {other} is {ratio:.2f}:1, under 4.5:1"))
        return found

    @model_validator(mode="after")
    def _readable(self) -> Colours:
        found = self.contrast_problems()
        if found:
            raise ValueError(
                "colours too weak to read: "
                + "; ".join(f"{name} {why}" for name, why in found)
                + ". Choose a darker primary/text colour or a lighter accent"
            )
        return self


class Contact(Closed):
    """How patients reach the clinic, printed on the leaflet."""

    phone: Line | None = Field(default=None, max_length=60, examples=["555-0100"])
    web: Line | None = Field(default=None, max_length=200, examples=["riverside.example"])
    address: Line | None = Field(default=None, max_length=300)


class Brand(Closed):
    """A clinic's look: ``styles/<brand>/brand.yaml``."""

    name: Line = Field(description="Clinic name, shown in the header of every page.", max_length=120)
    logo: str = Field(
        description="Logo file in the brand folder (SVG or PNG).",
        pattern=r"^[A-Za-z0-9_][A-Za-z0-9_.-]*\.(svg|png)$",
        examples=["logo.svg"],
    )
    logo_alt: Line = Field(description="Alt text of the logo, read out by screen readers.")
    colours: Colours
    contact: Contact = Field(default_factory=Contact)
    paper: Literal["letter", "a4"] = Field(default="letter", description="Paper size.")
    font_family: Literal["Atkinson Hyperlegible"] = Field(
        default="Atkinson Hyperlegible",
        description="Type face, one of the families bundled with make_handout "
        "(assets/styles/fonts/).",
    )
    notice: Line | None = Field(
        default=None,
        max_length=500,
        description="A line printed under the contact details, e.g. a disclaimer.",
    )

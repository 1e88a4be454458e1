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


#: The image files a figure may be (by suffix).
FIGURE_SUFFIXES = (".png", ".jpg", ".jpeg", ".svg")
#: The printed width of the text column, in millimetres (both paper sizes): a figure at
#: ``width: 100`` is printed this wide (``check`` judges raster figures' resolution by it).
COLUMN_WIDTH_MM = 142
#: Raster figures printed at under this many pixels per inch look blurred (``check`` warns).
MIN_FIGURE_DPI = 150


class Figure(Closed):
    """An image printed after a section's text: a file beside the topic, with alt text."""

    file: str = Field(
        max_length=200,
        pattern=r"^([A-Za-z0-9_][A-Za-z0-9_.-]*/)*[A-Za-z0-9_][A-Za-z0-9_.-]*\.(png|jpe?g|svg|PNG|JPE?G|SVG)$",
        description=(
            "The image (PNG, JPEG or SVG), a path relative to the topic file's folder and inside "
            "it, for example figures/where-calcium-goes.svg."
        ),
        examples=["figures/where-calcium-goes.svg"],
    )
    alt: Line | None = Field(
        default=None,
        max_length=500,
        description=(
            "What the image shows, read out by screen readers in place of it. Required "
            "unless `decorative: true`."
        ),
    )
    decorative: bool = Field(
        default=False,
        description="True for an image that adds no information (no alt text; screen readers skip it).",
    )
    caption: Line | None = Field(
        default=None, max_length=300, description="A caption printed under the image."
    )
    credit: Line | None = Field(
        default=None, max_length=200,
        description="Who made the image, printed under it (with the licence).",
        examples=["Drawing: Riverside Family Clinic"],
    )
    licence: Line | None = Field(
        default=None, max_length=200, description="The image's licence, e.g. CC BY 4.0.",
        examples=["CC BY 4.0"],
    )
    width: int = Field(
        default=100, ge=20, le=100,
        description="Printed width, in percent of the text column (20 to 100).",
    )

    @model_validator(mode="after")
    def _described(self) -> Figure:
        if self.decorative and self.alt:
            raise PydanticCustomError(
                "decorative_alt", "has alt text but says decorative: true; keep one of the two")
        if not self.decorative and not self.alt:
            raise PydanticCustomError(
                "missing_alt",
                "has no alt text: write what the image shows in `alt`, or set "
                "`decorative: true` for an image that adds no information")
        return self


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
    figures: list[Figure] = Field(
        default_factory=list, max_length=10,
        description="Images printed after the section's text, each with alt text.",
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


class LanguageReview(Closed):
    """A second person's check of a translation against its source (language and meaning)."""

    reviewer: Line | None = Field(
        default=None, max_length=300, description="Name and role of who checked it.",
        examples=["Ana Ruiz, certified medical interpreter"],
    )
    reviewed: IsoDate | None = Field(default=None, description="Date of the check, YYYY-MM-DD.")

    @property
    def is_reviewed(self) -> bool:
        return self.reviewer is not None and self.reviewed is not None


#: How a translation was made (the words printed for each are in the message catalogues).
TRANSLATION_METHODS = ("professional", "bilingual-staff", "machine-with-human-review")


class Translation(Closed):
    """Where a translation comes from: ``<id>.<lang>.yaml`` beside its source ``<id>.yaml``."""

    source_language: str = Field(
        default="en", pattern=LANGUAGE_PATTERN, max_length=35,
        description="The language of the source topic it was translated from.",
    )
    source_version: str | None = Field(
        default=None, pattern=r"^[A-Za-z0-9][A-Za-z0-9.\-]*$", max_length=20,
        description="The source topic's `version` that was translated.", examples=["1.0"],
    )
    fingerprint: dict[
        Annotated[str, Field(pattern=r"^(title|short_title|category|summary|key_points|references|section-[0-9]{1,3})$")],
        Annotated[str, Field(pattern=r"^[0-9a-f]{12}$")],
    ] = Field(
        min_length=1,
        description=(
            "A fingerprint of each part of the source text it was made from (written by "
            "`make-handout translate-status --stamp` or by an import). When the source "
            "changes, the parts whose fingerprint differs are reported as drifted."
        ),
    )
    translator: Line = Field(max_length=300, description="Who translated it (a person or an agency).")
    method: Literal["professional", "bilingual-staff", "machine-with-human-review"] = Field(
        description="How it was translated: by a professional translator, by bilingual staff, "
        "or by machine translation checked and corrected by a person.",
    )
    translated: IsoDate = Field(description="The date the translation was finished, YYYY-MM-DD.")
    review: LanguageReview | None = Field(
        default=None,
        description="The check of the translation by a second person. Without it the "
        "translation is not printed as current.",
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


#: A topic lists at most this many keywords, each at most this many characters.
KEYWORDS_MAX = 40
KEYWORD_CHARACTERS = 60


def _no_repeated_keywords(keywords: list[str]) -> list[str]:
    """The same term twice (ignoring case) is a mistake, never a way to rank higher."""
    seen = set()
    for keyword in keywords:
        if keyword.casefold() in seen:
            raise PydanticCustomError("repeated_keyword", "lists '{keyword}' twice",
                                      {"keyword": keyword})
        seen.add(keyword.casefold())
    return keywords


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
    keywords: Annotated[
        list[Annotated[Line, Field(max_length=KEYWORD_CHARACTERS)]],
        AfterValidator(_no_repeated_keywords),
    ] = Field(
        default_factory=list,
        max_length=KEYWORDS_MAX,
        description="Search terms and synonyms people might type to find this leaflet in "
        "the desk's search: everyday words for the condition (heart attack for myocardial "
        "infarction), other names, brand and generic drug names, common misspellings. "
        "Each one short line (at most 60 characters), at most 40, none twice. Not printed "
        "on the leaflet. A translation lists its own, in its language.",
        examples=[["heart attack", "MI", "coronary thrombosis"]],
    )
    copyright: Copyright = Field(description="The copyright notice.")
    translation: Translation | None = Field(
        default=None,
        description=(
            "Only in a translation (`<id>.<lang>.yaml` beside `<id>.yaml`): which source it "
            "translates, who translated it and how, and its language review."
        ),
    )

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


#: The placeholders a brand's ``leaflet_url`` may use.
LEAFLET_URL_FIELDS = ("id", "lang")


def _leaflet_url_pattern(value: str | None) -> str | None:
    """``{id}`` and ``{lang}`` only, each as a whole placeholder; no other braces."""
    if value is None:
        return value
    _no_invisible_characters(value)
    rest = value
    for name in LEAFLET_URL_FIELDS:
        rest = rest.replace("{" + name + "}", "")
    if "{" in rest or "}" in rest:
        raise PydanticCustomError(
            "url_pattern",
            "has a placeholder other than {id} and {lang}, or a lone brace",
            {"id": "{id}", "lang": "{lang}"},
        )
    if "{id}" not in value:
        raise PydanticCustomError(
            "url_pattern", "has no {id}, so every leaflet would get the same address",
            {"id": "{id}"},
        )
    return value


def online_address(pattern: str, handout_id: str, language: str) -> str:
    """A brand's ``leaflet_url`` filled in for one leaflet (both values URL-safe already:
    an id is lowercase letters, digits and hyphens; a language tag letters, digits and hyphens)."""
    return pattern.replace("{id}", handout_id).replace("{lang}", language)


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
    emergency_number: Line = Field(default="911", max_length=20, description="The emergency telephone number patients should call, for example 911, 999 or 112.")
    locale: str = Field(
        default="en-US",
        pattern=LANGUAGE_PATTERN,
        max_length=35,
        description=(
            "The clinic's locale as a BCP 47 tag (language and region), e.g. en-US, en-GB, "
            "es-US, es-MX, ar, zh-Hans. Its region sets how dates and numbers are written in "
            "every leaflet's language (en-GB: 2 November 2026)."
        ),
        examples=["en-GB"],
    )
    other_languages: bool = Field(
        default=False,
        description=(
            "List, on the last page of each leaflet, the other languages it exists in (its "
            "source and the translations beside it), each name in its own script. Off by "
            "default: a name in Chinese embeds a Chinese font in every leaflet that lists it."
        ),
        examples=[True],
    )
    language_assistance: dict[
        Annotated[str, Field(pattern=LANGUAGE_PATTERN, max_length=35)],
        Annotated[Line, Field(max_length=1000)],
    ] = Field(
        default_factory=dict,
        max_length=60,
        description=(
            "The clinic's language-assistance notice (such as a Section 1557 notice), by "
            "language tag; printed on the last page of a leaflet in that language (or the "
            "`en` one when the leaflet's language has none). Use {emergency_number} or the "
            "clinic's phone number in the text as needed."
        ),
        examples=[{"en": "Free language help is available. Call 555-0100.",
                   "es": "Hay ayuda gratuita con el idioma. Llame al 555-0100."}],
    )
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
    write_in_on_blank_copies: bool = Field(
        default=False,
        description=(
            "Print the 'Prepared for' lines and the notes box on blank copies too, for staff "
            "to fill in by hand. Personal copies always have them."
        ),
    )
    leaflet_url: Annotated[str | None, AfterValidator(_leaflet_url_pattern)] = Field(
        default=None,
        max_length=300,
        pattern=r"^https?://[^\s<>\"]+$",
        description=(
            "Where each leaflet can be read online, as a pattern: {id} becomes the handout "
            "id and {lang} its language tag, for example "
            "https://clinic.example/leaflets/{id}?lang={lang}. The leaflet then prints a QR "
            "code of this address, with the address beside it."
        ),
        examples=["https://clinic.example/leaflets/{id}?lang={lang}"],
    )

"""The library settings model (``library.yaml``) and the jargon list model.

Only the shapes and their rules live here; reading the files is :mod:`handout_builder.sources.library`.
Imports: stdlib, pydantic and the rest of :mod:`handout_builder.domain`.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from handout_builder.domain.models import LANGUAGE_PATTERN, Closed, Line
from handout_builder.domain.problems import UserError


class InvalidLibrary(UserError):
    """``library.yaml`` or a jargon list does not follow its format."""


#: A brand named in a build matrix: a folder name (also the output folder's name).
BRAND_NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_-]*$"
#: The variants a matrix can name, and the render options of each.
VARIANTS = ("standard", "large-print", "archival")
Variant = Literal["standard", "large-print", "archival"]


class BuildMatrix(Closed):
    """What one ``make-handout build`` renders: every brand x language x variant that exists.

    The output goes to ``OUT/<brand>/<language>/<id>[.variant].pdf`` with one manifest and
    one catalogue for all of it (README, "Many brands, languages and variants")."""

    brands: list[Annotated[str, Field(pattern=BRAND_NAME_PATTERN, max_length=80)]] = Field(
        default_factory=list, max_length=200,
        description="Brands by name: the folder styles/<name> beside the library folder, or "
        "a built-in brand (default). Empty: the brand given with --brand.",
        examples=[["harbour", "default"]],
    )
    languages: list[Annotated[str, Field(pattern=LANGUAGE_PATTERN, max_length=35)]] | None = Field(
        default=None, max_length=100,
        description="Languages to build (BCP 47 tags). A topic is built in its own language "
        "and in each language it has a translation file for (<id>.<lang>.yaml); a topic "
        "without a translation into a language has no leaflet in it. Missing: every "
        "language found.",
        examples=[["en", "es"]],
    )
    variants: list[Variant] = Field(
        default_factory=lambda: ["standard"], min_length=1, max_length=3,
        description="Variants to build: standard, large-print (<id>.large-print.pdf), "
        "archival (<id>.archival.pdf, PDF/A-3u).",
        examples=[["standard", "large-print"]],
    )


class LibrarySettings(Closed):
    """Settings for every topic of a library folder: ``<folder>/library.yaml``."""

    review_interval_months: int = Field(
        default=12, ge=1, le=60,
        description="Months between medical reviews, unless a topic sets review.interval_months.",
    )
    due_soon_days: int = Field(
        default=90, ge=0, le=365,
        description="A review due within this many days is reported as 'due soon'.",
    )
    reading_grade_target: float = Field(
        default=8, ge=1, le=18,
        description="Highest acceptable US school grade (Flesch-Kincaid, SMOG) for English text.",
    )
    spanish_reading_ease_target: float = Field(
        default=60, ge=0, le=100,
        description=(
            "Lowest acceptable Fernandez-Huerta reading ease (0-100, higher is easier) for "
            "Spanish text; 60-70 reads like grades 7-8."
        ),
    )
    long_sentence_words: int = Field(
        default=25, ge=8, le=100,
        description="A sentence with more words than this is reported as very long.",
    )
    passive_share: float = Field(
        default=0.3, gt=0, le=1,
        description="A section where more than this share of sentences is passive is reported.",
    )
    starter_jargon: bool = Field(
        default=True, description="Use the jargon list shipped with make_handout."
    )
    jargon_files: list[str] = Field(
        default_factory=list,
        description="Further jargon lists (YAML, same format as the starter list), relative to "
        "library.yaml.",
        examples=[["local-jargon.yaml"]],
    )
    matrix: BuildMatrix | None = Field(
        default=None,
        description="Build several brands, languages and variants in one `make-handout "
        "build` (read from the library folder's own library.yaml). Missing: one brand, one "
        "variant, as the command line says.",
    )


class JargonTerm(Closed):
    """One medical term and the plain words to use instead."""

    term: Line = Field(description="The term, as written in text.", examples=["hypertension"])
    plain: Line = Field(
        description="Plain-language words for it.", examples=["high blood pressure"]
    )


class JargonList(Closed):
    """A list of medical terms with plain-language suggestions."""

    language: str = Field(default="en", description="Language of the terms (primary subtag).")
    terms: list[JargonTerm] = Field(description="The terms.")

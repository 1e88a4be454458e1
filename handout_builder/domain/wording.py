"""The message catalogue: every fixed word printed on a leaflet, by language.

One gettext PO file per language in ``handout_builder/assets/messages/`` (``en.po``,
``zh-Hans.po``...), the standard format translators' tools read: ``msgctxt`` is the key
make_handout looks up, ``msgid`` the English text, ``msgstr`` the translation. A topic in
``en-US`` uses ``en``, ``zh-TW`` uses ``zh-Hant``; a language without a catalogue is a
validation error, never a silent fall-back to English. Dates and numbers are formatted by
Babel (CLDR) for the leaflet's language and the brand's region (``en`` in an ``en-GB``
brand: "2 November 2026").
"""

from __future__ import annotations

from datetime import date
from functools import cache

from babel import Locale, UnknownLocaleError
from babel.dates import format_date
from babel.messages.pofile import read_po
from babel.numbers import format_decimal

from handout_builder.domain.locale import catalogue_candidates, locale_identifier
from handout_builder.paths import MESSAGES_DIR

CATALOGUE_DIR = MESSAGES_DIR
REQUIRED_KEYS = frozenset(
    {
        "language_name", "page", "page_of", "handout", "key_points", "filed_under",
        "references", "accessed", "review_line", "not_reviewed", "not_reviewed_banner",
        "copyright", "copyright_no_year", "contact", "phone", "web",
        "prepared_for", "prepared_by", "prepared_on", "notes", "email_subject",
        "email_greeting", "email_body", "email_questions", "email_closing", "email_no_reply",
        "version", "watermark_draft", "watermark_overdue", "watermark_not_reviewed",
        "watermark_withdrawn", "watermark_translation_outdated", "example_mark",
        "example_banner", "also_in", "language_assistance", "translated_from",
        "translation_review", "translation_not_reviewed", "method_professional",
        "method_bilingual_staff", "method_machine_reviewed",
        "callout_help", "callout_warning", "callout_tip", "callout_ask", "emergency_call",
        "online_copy", "qr_alt", "last_reviewed", "next_review",
    }
)  # fmt: skip


def available_languages() -> list[str]:
    return sorted(p.stem for p in CATALOGUE_DIR.glob("*.po"))


def catalogue_key(language: str) -> str | None:
    """The catalogue for a BCP 47 tag: ``en-US`` -> ``en``, ``zh-TW`` -> ``zh-Hant``; None."""
    available = set(available_languages())
    return next((c for c in catalogue_candidates(language) if c in available), None)


def supports(language: str) -> bool:
    return catalogue_key(language) is not None


@cache
def read_catalogue(key: str) -> dict[str, str]:
    """``key -> text`` of one PO file (entries without a translation left out)."""
    path = CATALOGUE_DIR / f"{key}.po"
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=None)
    return {m.context: m.string for m in catalog if m.id and m.context and m.string}


class Messages:
    """The wording for one language and region: ``m.key_points``, ``m.format('accessed',
    date=...)``, ``m.date(day)``, ``m.number(1.5)``."""

    def __init__(self, language: str, entries: dict[str, str], locale: Locale):
        self.language = language
        self.locale = locale
        self._entries = entries

    def __getattr__(self, key: str) -> str:
        try:
            return self._entries[key]
        except KeyError:
            raise AttributeError(key) from None

    def format(self, key: str, **values: object) -> str:
        return self._entries[key].format(**values)

    def date(self, value: date) -> str:
        """A date as the leaflet's language writes it in the brand's region (CLDR "long")."""
        return format_date(value, format="long", locale=self.locale)

    def number(self, value: float) -> str:
        return format_decimal(value, locale=self.locale)


def babel_locale(language: str, region: str | None = None) -> Locale:
    """The CLDR locale for a leaflet: its language with the topic's region, else the brand's
    region, where CLDR has that combination (``es`` + ``MX``), else the language alone."""
    for identifier in locale_identifier(language, region):
        try:
            return Locale.parse(identifier)
        except (UnknownLocaleError, ValueError):
            continue
    return Locale.parse("en")


@cache
def messages_for(language: str, region: str | None = None) -> Messages:
    """The wording of ``language`` (a BCP 47 tag), with dates for ``region`` (the brand's)."""
    key = catalogue_key(language)
    if key is None:  # the loader refuses such topics first
        raise LookupError(f"no message catalogue for {language!r}")
    entries = read_catalogue(key)
    missing = REQUIRED_KEYS - set(entries)
    if missing:  # a bug in the shipped catalogue, caught by the tests
        raise RuntimeError(f"message catalogue {key}.po lacks {sorted(missing)}")
    return Messages(key, entries, babel_locale(language, region))

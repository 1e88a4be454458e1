"""The message catalogue: every fixed word printed on a leaflet, by language.

One YAML file per language in ``handout_builder/assets/messages/``. A topic in ``en-US`` uses ``en``;
a language without a catalogue is a validation error, never a silent fall-back to English.
"""

from __future__ import annotations

from datetime import date
from functools import cache

import yaml

from handout_builder.domain.locale import primary_subtag
from handout_builder.paths import MESSAGES_DIR

CATALOGUE_DIR = MESSAGES_DIR
REQUIRED_KEYS = frozenset(
    {
        "language_name", "page", "page_of", "handout", "key_points", "filed_under",
        "references", "accessed", "review_line", "not_reviewed", "not_reviewed_banner",
        "copyright", "copyright_no_year", "contact", "phone", "web", "months", "date_format",
        "prepared_for", "prepared_by", "prepared_on", "notes", "email_subject",
        "email_greeting", "email_body", "email_questions", "email_closing", "email_no_reply",
        "version", "watermark_draft", "watermark_overdue", "watermark_not_reviewed",
        "watermark_withdrawn",
        "callout_help", "callout_warning", "callout_tip", "callout_ask", "emergency_call",
        "online_copy", "qr_alt", "last_reviewed", "next_review",
    }
)  # fmt: skip


def available_languages() -> list[str]:
    return sorted(p.stem for p in CATALOGUE_DIR.glob("*.yaml"))


def catalogue_key(language: str) -> str:
    """``en-US`` -> ``en``: the catalogue is chosen by the primary language subtag."""
    return primary_subtag(language)


def supports(language: str) -> bool:
    return catalogue_key(language) in available_languages()


class Messages:
    """The wording for one language; ``m.key_points`` or ``m.format('accessed', date=...)``."""

    def __init__(self, language: str, entries: dict):
        self.language = language
        self._entries = entries

    def __getattr__(self, key: str) -> str:
        try:
            return self._entries[key]
        except KeyError:
            raise AttributeError(key) from None

    def format(self, key: str, **values: object) -> str:
        return self._entries[key].format(**values)

    def date(self, value: date) -> str:
        month = self._entries["months"][value.month - 1]
        return self._entries["date_format"].format(day=value.day, month=month, year=value.year)


@cache
def messages_for(language: str) -> Messages:
    key = catalogue_key(language)
    path = CATALOGUE_DIR / f"{key}.yaml"
    entries = yaml.safe_load(path.read_text(encoding="utf-8"))
    missing = REQUIRED_KEYS - set(entries)
    if missing:  # a bug in the shipped catalogue, caught by the tests
        raise RuntimeError(f"message catalogue {path} lacks {sorted(missing)}")
    return Messages(key, entries)

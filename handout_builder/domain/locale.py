"""Language tags: the one rule for reading a BCP 47 tag (``en-US``, ``es``, ``zh-Hant-TW``).

Imports: stdlib and Babel (the names of languages, scripts and regions: CLDR).
"""

from __future__ import annotations

import re
from functools import cache

from babel import Locale

#: Languages written right to left (primary subtags), and right-to-left script subtags.
RTL_LANGUAGES = frozenset({"ar", "fa", "ur", "ps", "he", "yi", "ckb", "dv", "sd", "ug"})
RTL_SCRIPTS = frozenset({"Arab", "Hebr", "Thaa", "Syrc", "Nkoo", "Adlm"})
#: Chinese regions whose default script is Traditional.
TRADITIONAL_REGIONS = frozenset({"TW", "HK", "MO"})


def primary_subtag(language: str) -> str:
    """``en-US`` -> ``en``: the primary language subtag, lowercase.

    Jargon lists and the reading-level formulas are chosen by it.
    """
    return language.split("-", 1)[0].lower()


def script_subtag(language: str) -> str | None:
    """``zh-Hant-TW`` -> ``Hant``; Chinese without one gets its region's (``zh-TW``: Hant)."""
    parts = language.split("-")
    script = next((p.title() for p in parts[1:] if len(p) == 4 and p.isalpha()), None)
    if script is None and primary_subtag(language) == "zh":
        region = region_subtag(language)
        script = "Hant" if region in TRADITIONAL_REGIONS else "Hans"
    return script


def region_subtag(language: str) -> str | None:
    """``en-GB`` -> ``GB``, ``es-419`` -> ``419``, ``ar`` -> None."""
    for part in language.split("-")[1:]:
        if (len(part) == 2 and part.isalpha()) or (len(part) == 3 and part.isdigit()):
            return part.upper()
    return None


def catalogue_candidates(language: str) -> list[str]:
    """The message catalogues that could serve a tag, best first: ``zh-TW`` ->
    ``[zh-Hant, zh]``, ``en-GB`` -> ``[en]``."""
    primary = primary_subtag(language)
    script = script_subtag(language)
    return ([f"{primary}-{script}"] if script else []) + [primary]


def locale_identifier(language: str, region: str | None = None) -> list[str]:
    """CLDR identifiers to try for dates and numbers, best first (``es`` + ``MX``:
    ``es_MX``, ``es``); the topic's own region wins over the brand's."""
    primary = primary_subtag(language)
    script = script_subtag(language) if primary == "zh" or any(
        len(p) == 4 for p in language.split("-")[1:]) else None
    region = region_subtag(language) or region
    base = f"{primary}_{script}" if script else primary
    found = [f"{base}_{region}"] if region else []
    return found + [base, primary]


def is_rtl(language: str) -> bool:
    """Written right to left: Arabic, Hebrew, Persian, Urdu... (or an RTL script subtag)."""
    script = script_subtag(language)
    if script is not None and primary_subtag(language) != "zh":
        return script in RTL_SCRIPTS
    return primary_subtag(language) in RTL_LANGUAGES


def direction(language: str) -> str:
    """``rtl`` or ``ltr``: the ``dir`` attribute for text in ``language``."""
    return "rtl" if is_rtl(language) else "ltr"


#: The form of a phrase's language tag: language, then an optional script and region
#: (``es``, ``en-GB``, ``zh-Hans``, ``sr-Latn-RS``, ``es-419``); BCP 47's variants,
#: extensions and private use are not needed for a phrase, and are refused.
PHRASE_TAG = re.compile(r"(?P<language>[A-Za-z]{2,3})(?:-(?P<script>[A-Za-z]{4}))?"
                        r"(?:-(?P<region>[A-Za-z]{2}|[0-9]{3}))?")
#: Tags that name no language (CLDR has names for them): not for a phrase.
_NOT_LANGUAGES = frozenset({"und", "mul", "zxx", "mis"})


@cache
def _cldr_names() -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
    english = Locale("en")
    return dict(english.languages), dict(english.scripts), dict(english.territories)


def language_tag_problem(tag: str) -> str | None:
    """None for a well-formed language tag whose subtags CLDR knows (``es``, ``en-GB``,
    ``zh-Hans``, ``la``); else what is wrong with it, in words (for a user error)."""
    match = PHRASE_TAG.fullmatch(tag)
    if match is None:
        return (f"'{tag}' is not a language tag of the form language[-Script][-REGION] "
                "(for example es, en-GB, zh-Hans)")
    languages, scripts, regions = _cldr_names()
    language, script, region = match["language"], match["script"], match["region"]
    if language.lower() not in languages or language.lower() in _NOT_LANGUAGES:
        return f"'{language}' in '{tag}' is not a known language code (ISO 639)"
    if script is not None and (script.title() not in scripts or script.title() == "Zzzz"):
        return f"'{script}' in '{tag}' is not a known script code (ISO 15924)"
    if region is not None and (region.upper() not in regions or region.upper() == "ZZ"):
        return f"'{region}' in '{tag}' is not a known region code (ISO 3166 or UN M49)"
    return None


def language_name(tag: str) -> str | None:
    """The English name of a tag's language (``es-MX`` -> ``Spanish``), if CLDR has one."""
    return _cldr_names()[0].get(primary_subtag(tag))

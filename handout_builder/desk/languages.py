"""Language names as their speakers write them (the desk's language choices)."""

from __future__ import annotations

#: BCP 47 tag (or its primary subtag) -> the language's own name.
AUTONYMS = {
    "am": "አማርኛ", "ar": "العربية", "bn": "বাংলা", "de": "Deutsch", "el": "Ελληνικά",
    "en": "English", "es": "Español", "fa": "فارسی", "fr": "Français", "hi": "हिन्दी",
    "ht": "Kreyòl ayisyen", "hy": "Հայերեն", "it": "Italiano", "ja": "日本語", "km": "ខ្មែរ",
    "ko": "한국어", "lo": "ລາວ", "ne": "नेपाली", "pa": "ਪੰਜਾਬੀ", "pl": "Polski",
    "pt": "Português", "ru": "Русский", "so": "Soomaali", "sw": "Kiswahili", "tl": "Tagalog",
    "uk": "Українська", "ur": "اردو", "vi": "Tiếng Việt", "zh": "中文",
    "zh-Hans": "中文（简体）", "zh-Hant": "中文（繁體）",
}
#: Scripts written right to left (their names get ``dir="rtl"``).
RTL = {"ar", "fa", "he", "ur", "yi", "ps"}


def autonym(tag: str) -> str:
    """``es`` -> ``Español``; an unknown tag is shown as it is."""
    return AUTONYMS.get(tag) or AUTONYMS.get(tag.split("-")[0]) or tag


def direction(tag: str) -> str:
    return "rtl" if tag.split("-")[0].lower() in RTL else "ltr"

"""Language tags: the one rule for reading a topic's BCP 47 tag (``en-US``, ``es``).

Imports: stdlib only.
"""

from __future__ import annotations


def primary_subtag(language: str) -> str:
    """``en-US`` -> ``en``: the primary language subtag, lowercase.

    Message catalogues, jargon lists and the reading-level formulas are all chosen by it.
    """
    return language.split("-", 1)[0].lower()

"""Clinical codes on a topic: which diagnoses, drugs and tests a leaflet is about.

A topic's ``codes:`` list names codes of four systems, so that a health record can find the
right leaflet from a diagnosis, drug or test code (``make-handout find --code``, the FHIR
index). Each code is checked for its system's form (and check digit where the system has
one); nothing is looked up in a terminology server.

=========== ========================================= ==================================
system      form                                      FHIR system URI
=========== ========================================= ==================================
ICD-10-CM   a letter, a digit, a digit or letter;     http://hl7.org/fhir/sid/icd-10-cm
            then a dot and 1-4 digits or letters
SNOMED CT   6-18 digits, a concept partition          http://snomed.info/sct
            (00 or 10), a Verhoeff check digit
RxNorm      an RxCUI: 1-8 digits, no leading zero     http://www.nlm.nih.gov/research/umls/rxnorm
LOINC       1-7 digits, a hyphen, the mod-10 check    http://loinc.org
            digit
=========== ========================================= ==================================

Imports: stdlib, pydantic.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from pydantic_core import PydanticCustomError

#: The code systems a topic may use, as written in a topic (``system:``) and in a lookup.
CodeSystem = Literal["ICD-10-CM", "SNOMED CT", "RxNorm", "LOINC"]
CODE_SYSTEMS: tuple[str, ...] = ("ICD-10-CM", "SNOMED CT", "RxNorm", "LOINC")

#: The FHIR ``Coding.system`` URI of each (https://terminology.hl7.org/).
FHIR_SYSTEMS = {
    "ICD-10-CM": "http://hl7.org/fhir/sid/icd-10-cm",
    "SNOMED CT": "http://snomed.info/sct",
    "RxNorm": "http://www.nlm.nih.gov/research/umls/rxnorm",
    "LOINC": "http://loinc.org",
}

#: How each system's codes are written, and an example: the plain fix of a malformed code.
FORMS = {
    "ICD-10-CM": ("a capital letter, a digit and a digit or capital letter, then (for a "
                  "subcategory) a dot and 1 to 4 digits or capital letters", "E11.9"),
    "SNOMED CT": ("the concept id, 6 to 18 digits (no spaces, no leading zero)", "44054006"),
    "RxNorm": ("the RxCUI, 1 to 8 digits with no leading zero", "860975"),
    "LOINC": ("the code number, a hyphen and its check digit", "4548-4"),
}

_ICD10CM = re.compile(r"[A-Z][0-9][0-9A-Z](?:\.[0-9A-Z]{1,4})?")
_SCTID = re.compile(r"[1-9][0-9]{5,17}")
_RXCUI = re.compile(r"[1-9][0-9]{0,7}")
_LOINC = re.compile(r"([1-9][0-9]{0,6})-([0-9])")

# Verhoeff's tables (dihedral group D5), for SNOMED CT's check digit.
_D = [[0, 1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 2, 3, 4, 0, 6, 7, 8, 9, 5],
      [2, 3, 4, 0, 1, 7, 8, 9, 5, 6], [3, 4, 0, 1, 2, 8, 9, 5, 6, 7],
      [4, 0, 1, 2, 3, 9, 5, 6, 7, 8], [5, 9, 8, 7, 6, 0, 4, 3, 2, 1],
      [6, 5, 9, 8, 7, 1, 0, 4, 3, 2], [7, 6, 5, 9, 8, 2, 1, 0, 4, 3],
      [8, 7, 6, 5, 9, 3, 2, 1, 0, 4], [9, 8, 7, 6, 5, 4, 3, 2, 1, 0]]
_P = [[0, 1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 5, 7, 6, 2, 8, 3, 0, 9, 4],
      [5, 8, 0, 3, 7, 9, 6, 1, 4, 2], [8, 9, 1, 6, 0, 4, 3, 5, 2, 7],
      [9, 4, 5, 3, 1, 2, 6, 8, 7, 0], [4, 2, 8, 6, 5, 7, 3, 9, 0, 1],
      [2, 7, 9, 3, 8, 0, 6, 4, 1, 5], [7, 0, 4, 6, 9, 1, 3, 2, 5, 8]]


def verhoeff_valid(digits: str) -> bool:
    """True when the last digit of ``digits`` is the Verhoeff check digit of the rest."""
    check = 0
    for position, digit in enumerate(reversed(digits)):
        check = _D[check][_P[position % 8][int(digit)]]
    return check == 0


def luhn_digit(digits: str) -> int:
    """The mod-10 (Luhn) check digit of ``digits``: LOINC's check digit."""
    total = 0
    for position, digit in enumerate(reversed(digits)):
        value = int(digit) * (2 if position % 2 == 0 else 1)
        total += value - 9 if value > 9 else value
    return (10 - total % 10) % 10


def code_problem(system: str, code: str) -> str | None:
    """Why ``code`` is not a well-formed ``system`` code (plain words), or None when it is."""
    if system == "ICD-10-CM":
        if _ICD10CM.fullmatch(code):
            return None
        if _ICD10CM.fullmatch(code.upper()):
            return f"its letters must be capitals ({code.upper()})"
        if re.fullmatch(r"[A-Za-z][0-9][0-9A-Za-z][0-9A-Za-z]{1,4}", code):
            return f"the dot is missing after the third character ({code[:3].upper()}.{code[3:].upper()})"
        return "it does not have the form of an ICD-10-CM code"
    if system == "SNOMED CT":
        if not _SCTID.fullmatch(code):
            return "it is not 6 to 18 digits without a leading zero"
        if code[-3:-1] not in ("00", "10"):
            return "it is not a concept id (a description or relationship id, perhaps)"
        if not verhoeff_valid(code):
            return "its check digit (the last one) is wrong: a digit is mistyped or missing"
        return None
    if system == "RxNorm":
        if _RXCUI.fullmatch(code):
            return None
        return "it is not 1 to 8 digits without a leading zero"
    if system == "LOINC":
        match = _LOINC.fullmatch(code)
        if match is None:
            return "it is not digits, a hyphen and one check digit"
        if luhn_digit(match.group(1)) != int(match.group(2)):
            return "its check digit (after the hyphen) is wrong: a digit is mistyped"
        return None
    raise ValueError(f"unknown code system {system!r}")


def check_code(system: str, code: str) -> str:
    """Validator: ``code`` unchanged, or a ``code_format`` error worded in errors.yaml."""
    why = code_problem(system, code)
    if why is not None:
        form, example = FORMS[system]
        raise PydanticCustomError(
            "code_format", "is not a valid {system} code: {why}",
            {"system": system, "why": why, "form": form, "example": example},
        )
    return code


@dataclass(frozen=True)
class CodeQuery:
    """A code to look up, ``SYSTEM|CODE`` (see :func:`parse_query`)."""

    system: str
    code: str

    @property
    def token(self) -> str:
        return f"{self.system}|{self.code}"


def _system_named(name: str) -> str | None:
    """The system a lookup names: its name (any case, ``_``/``-``/space alike) or FHIR URI."""
    folded = re.sub(r"[\s_-]+", "", name).casefold()
    for system, uri in FHIR_SYSTEMS.items():
        if folded == re.sub(r"[\s_-]+", "", system).casefold() or name == uri:
            return system
    return None


def parse_query(text: str) -> CodeQuery:
    """``SYSTEM|CODE`` (e.g. ``ICD-10-CM|E11.9``, ``http://loinc.org|4548-4``) to a query.

    Raises :class:`ValueError` with a plain message (and the allowed systems) otherwise.
    """
    allowed = ", ".join(CODE_SYSTEMS)
    if "|" not in text:
        raise ValueError(f"write the code as SYSTEM|CODE, e.g. ICD-10-CM|E11.9 (systems: {allowed})")
    name, code = (part.strip() for part in text.rsplit("|", 1))
    system = _system_named(name)
    if system is None:
        raise ValueError(f"'{name}' is not a code system make_handout knows; use one of: {allowed}")
    if system == "ICD-10-CM":
        code = code.upper()
    why = code_problem(system, code)
    if why is not None:
        form, example = FORMS[system]
        raise ValueError(f"'{code}' is not a valid {system} code: {why}; write {form}, "
                         f"e.g. {example}")
    return CodeQuery(system, code)


def matches(query: CodeQuery, token: str) -> str | None:
    """How a leaflet's code (``SYSTEM|CODE``) matches ``query``: ``"exact"``; ``"broader"``
    when it is an ICD-10-CM category or subcategory that contains the code looked up (a
    leaflet on E11, type 2 diabetes, answers E11.65); else None."""
    system, _, code = token.partition("|")
    if system != query.system:
        return None
    if code == query.code:
        return "exact"
    if system == "ICD-10-CM" and query.code.replace(".", "").startswith(code.replace(".", "")):
        return "broader"
    return None

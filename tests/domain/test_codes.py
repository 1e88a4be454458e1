"""Clinical codes on a topic: each system's form and check digit, located errors, lookups."""

from __future__ import annotations

import pytest

from handout_builder.domain.codes import (
    CODE_SYSTEMS, code_problem, luhn_digit, matches, parse_query, verhoeff_valid,
)
from handout_builder.domain.problems import InvalidTopic
from handout_builder.sources.loader import load_topic
from tests.conftest import MINIMAL_TOPIC

GOOD = [
    ("ICD-10-CM", "E11"), ("ICD-10-CM", "E11.9"), ("ICD-10-CM", "S52.521A"), ("ICD-10-CM", "I10"),
    ("SNOMED CT", "44054006"), ("SNOMED CT", "73211009"), ("SNOMED CT", "38341003"),
    ("RxNorm", "860975"), ("RxNorm", "6809"),
    ("LOINC", "4548-4"), ("LOINC", "2345-7"), ("LOINC", "718-7"),
]
BAD = [
    ("ICD-10-CM", "E119", "the dot is missing after the third character (E11.9)"),
    ("ICD-10-CM", "e11.9", "its letters must be capitals (E11.9)"),
    ("ICD-10-CM", "E1", "does not have the form"),
    ("ICD-10-CM", "E11.12345", "does not have the form"),
    ("SNOMED CT", "44054007", "check digit"),
    ("SNOMED CT", "04405400", "6 to 18 digits"),
    ("SNOMED CT", "12345", "6 to 18 digits"),
    ("SNOMED CT", "2154041011", "not a concept id"),
    ("RxNorm", "0860975", "without a leading zero"),
    ("RxNorm", "RX860975", "1 to 8 digits"),
    ("LOINC", "4548-5", "check digit"),
    ("LOINC", "45484", "a hyphen"),
]


@pytest.mark.parametrize("system, code", GOOD)
def test_well_formed_codes_pass(system, code):
    assert code_problem(system, code) is None


@pytest.mark.parametrize("system, code, why", BAD)
def test_malformed_codes_are_explained(system, code, why):
    assert why in code_problem(system, code)


def test_check_digit_algorithms():
    assert verhoeff_valid("2363") and not verhoeff_valid("2364")  # Verhoeff's own example
    assert luhn_digit("12345") == 5  # LOINC's documented example: 12345-5


def _topic(write_topic, codes: str):
    return write_topic(MINIMAL_TOPIC + "codes:\n" + codes)


def test_a_topic_carries_codes(write_topic):
    path = _topic(write_topic, "  - system: ICD-10-CM\n    code: E11.9\n"
                               "    display: Type 2 diabetes mellitus without complications\n"
                               "  - {system: LOINC, code: 4548-4}\n")
    topic = load_topic(path).topic
    assert [c.token for c in topic.codes] == ["ICD-10-CM|E11.9", "LOINC|4548-4"]


def test_a_malformed_code_is_located_with_a_plain_fix(write_topic):
    path = _topic(write_topic, "  - system: ICD-10-CM\n    code: E119\n"
                               "  - system: LOINC\n    code: 4548-5\n")
    with pytest.raises(InvalidTopic) as caught:
        load_topic(path)
    first, second = caught.value.problems  # every error of the file in one run
    assert (first.line, first.field) == (16, "codes.1.code")
    assert "not a valid ICD-10-CM code: the dot is missing" in first.message
    assert "(E11.9)" in first.message and "e.g. E11.9" in first.fix
    assert first.value == "'E119'"
    assert (second.line, second.field) == (18, "codes.2.code")
    assert "LOINC" in second.message and "check digit" in second.message
    assert "hyphen" in second.fix


def test_an_unknown_system_is_refused_with_the_allowed_ones(write_topic):
    path = _topic(write_topic, "  - system: ICD-9\n    code: '250.00'\n")
    with pytest.raises(InvalidTopic) as caught:
        load_topic(path)
    (problem,) = caught.value.problems
    assert (problem.line, problem.field) == (15, "codes.1.system")
    for system in CODE_SYSTEMS:
        assert system in problem.message and system in problem.fix


def test_a_repeated_code_is_refused(write_topic):
    path = _topic(write_topic, "  - {system: RxNorm, code: '860975'}\n"
                               "  - {system: RxNorm, code: '860975'}\n")
    with pytest.raises(InvalidTopic) as caught:
        load_topic(path)
    (problem,) = caught.value.problems
    assert problem.field == "codes" and "RxNorm|860975 twice" in problem.message


def test_a_code_written_as_a_number_is_read_as_its_digits(write_topic):
    path = _topic(write_topic, "  - {system: RxNorm, code: 860975}\n"
                               "  - {system: SNOMED CT, code: 44054006}\n")
    assert [c.token for c in load_topic(path).topic.codes] == [
        "RxNorm|860975", "SNOMED CT|44054006"]
    path = _topic(write_topic, "  - {system: LOINC, code: 4548.4}\n")
    with pytest.raises(InvalidTopic) as caught:
        load_topic(path)
    assert "quotes" in caught.value.problems[0].fix


@pytest.mark.parametrize("text, token", [
    ("ICD-10-CM|E11.9", "ICD-10-CM|E11.9"),
    ("icd10cm|e11.9", "ICD-10-CM|E11.9"),
    ("snomed ct|44054006", "SNOMED CT|44054006"),
    ("http://loinc.org|4548-4", "LOINC|4548-4"),
    ("http://www.nlm.nih.gov/research/umls/rxnorm|860975", "RxNorm|860975"),
])
def test_lookups_accept_names_and_fhir_uris(text, token):
    assert parse_query(text).token == token


@pytest.mark.parametrize("text, words", [
    ("E11.9", "SYSTEM|CODE"),
    ("ICD-9|250.00", "ICD-10-CM, SNOMED CT, RxNorm, LOINC"),
    ("LOINC|4548-5", "check digit"),
])
def test_bad_lookups_are_explained(text, words):
    with pytest.raises(ValueError, match=words.replace("|", r"\|")):
        parse_query(text)


def test_icd10cm_categories_answer_their_subcodes():
    query = parse_query("ICD-10-CM|E11.65")
    assert matches(query, "ICD-10-CM|E11.65") == "exact"
    assert matches(query, "ICD-10-CM|E11") == "broader"
    assert matches(query, "ICD-10-CM|E11.6") == "broader"
    assert matches(query, "ICD-10-CM|E10") is None
    assert matches(query, "ICD-10-CM|E11.9") is None
    assert matches(parse_query("ICD-10-CM|E11"), "ICD-10-CM|E11.9") is None  # narrower: no
    assert matches(parse_query("RxNorm|6809"), "RxNorm|68091") is None  # only ICD-10-CM nests

"""The desk's catalogue: the FTS5 index, visibility by review state, edits picked up safely."""

from __future__ import annotations

import os

import pytest

from handout_builder.desk.catalogue import Catalogue, fts_query
from tests.conftest import TEST_TODAY
from tests.desk.library import topic_text


@pytest.fixture
def catalogue(library):
    """A catalogue of a library of the test's own, which it may change."""
    found = Catalogue(library, lambda: TEST_TODAY)
    found.refresh()
    return found


@pytest.fixture(scope="module")
def read_only(shared_library):
    """One catalogue of the session's shared library, for the tests that only ask it
    (search, get, versions, by_code): copying the library and indexing it cost each test
    about 50 ms. A test that edits files or refreshes uses ``catalogue``."""
    found = Catalogue(shared_library, lambda: TEST_TODAY)
    found.refresh()
    return found


def ids(found):
    return [(e.id, e.language) for e in found.entries]


def test_finds_by_title_text_category_and_prefix(read_only):
    assert ids(read_only.search("heart failure")) == [("heart-failure", "en")]
    assert ("asthma", "en") in ids(read_only.search("wheez"))  # a word of the text, typed halfway
    assert ids(read_only.search("cardiaca")) == [("heart-failure", "es")]  # accents ignored
    assert read_only.search("lungs breathing").total == 1  # the category
    assert read_only.search("hea").total == 3  # as you type


def test_finds_a_synonym_that_is_only_a_keyword(read_only):
    # lisinopril, Zestril, oedema are in no title, text or category: keywords only
    assert "lisinopril" not in read_only.get("high-blood-pressure").info.text.lower()
    assert ids(read_only.search("lisinopril")) == [("high-blood-pressure", "en")]
    assert ids(read_only.search("zestr")) == [("high-blood-pressure", "en")]  # as you type
    assert ids(read_only.search("oedema")) == [("heart-failure", "en")]
    # a translation is found by its own keywords, in its language
    assert ids(read_only.search("congestiva")) == [("heart-failure", "es")]
    assert read_only.search("congestiva", language="en").total == 0


def test_a_keyword_match_ranks_above_a_word_of_the_text(read_only):
    # "water" is a word of gout's text and one of heart failure's keywords
    assert ids(read_only.search("water")) == [("heart-failure", "en"), ("gout", "en")]


@pytest.mark.parametrize("query", ["water", "heart", "hea", "a", "the", "cardiaca", "J45"])
def test_very_common_words_list_the_same_leaflets(read_only, monkeypatch, query):
    """Past RANKED_MAX hits the order is cheaper (see below), never the leaflets found."""
    import handout_builder.desk.catalogue as module

    ranked = read_only.search(query, staff=True)
    monkeypatch.setattr(module, "RANKED_MAX", 0)
    cheap = read_only.search(query, staff=True)
    assert cheap.total == ranked.total and sorted(ids(cheap)) == sorted(ids(ranked))


def test_very_common_words_title_and_keyword_matches_first_then_by_title(read_only, monkeypatch):
    import handout_builder.desk.catalogue as module

    monkeypatch.setattr(module, "RANKED_MAX", 0)
    # heart failure has "water" as a keyword, gout in its text
    assert ids(read_only.search("water")) == [("heart-failure", "en"), ("gout", "en")]
    # "heart" in the title ranks above "heart" in the category only
    assert ids(read_only.search("heart"))[0] == ("heart-failure", "en")
    # a word of the text only (in no title, keyword, category or code): by title
    found = [e.title for e in read_only.search("your", staff=True).entries]
    assert found == sorted(found) and len(found) >= 3


def test_search_over_http_finds_a_keyword(shared_client):
    html = shared_client.get("/", params={"q": "lisinopril", "fragment": "1"}).text
    assert "High blood pressure" in html and "Heart failure" not in html


def test_translations_are_listed_under_their_topic(read_only):
    versions = read_only.versions("heart-failure")
    assert [(e.language, e.info.path.name) for e in versions] == [
        ("en", "heart-failure.yaml"), ("es", "heart-failure.es.yaml")]


def test_filters_by_language_and_category(read_only):
    assert ids(read_only.search("heart", language="es")) == [("heart-failure", "es")]
    found = read_only.search("", category="Bones, Joints and Muscles")
    assert ids(found) == [("gout", "en")]


def test_front_desk_never_sees_overdue_or_draft(read_only):
    assert read_only.search("sprain").total == 0
    assert read_only.search("migraine").total == 0
    assert read_only.get("new-draft") is None
    staff = read_only.search("migraine sprain", staff=True)
    assert staff.total == 0  # every word must match
    assert ids(read_only.search("migraine", staff=True)) == [("new-draft", "en")]
    assert read_only.get("old-leaflet", staff=True).review.state.value == "overdue"
    assert {"new-draft", "old-leaflet"}.isdisjoint(e.id for e in read_only.search("").entries)


@pytest.mark.parametrize("query", ['"', "AND OR NOT", "title:x", "*", "NEAR(a b)", "a\"b*", "')--"])
def test_query_syntax_is_never_passed_on(read_only, query):
    read_only.search(query)  # no sqlite3.OperationalError
    assert fts_query(query) is None or '""' not in fts_query(query)


def test_an_edit_is_taken_once_the_file_is_still(catalogue, library):
    path = library / "gout.yaml"
    text = path.read_text(encoding="utf-8").replace('title: "Gout"', 'title: "Gout and uric acid"')
    path.write_text(text, encoding="utf-8")
    os.utime(path, ns=(1, 1_000_000_000))
    catalogue.refresh()  # seen once: somebody may still be writing
    assert catalogue.get("gout").title == "Gout"
    catalogue.refresh()
    assert catalogue.get("gout").title == "Gout and uric acid"
    assert catalogue.search("uric").total == 1


def test_a_half_written_file_keeps_its_last_good_version(catalogue, library):
    path = library / "asthma.yaml"
    good = path.read_bytes()
    path.write_bytes(good[: len(good) // 2])  # cut mid-way, as an editor's save in progress
    catalogue.refresh()
    catalogue.refresh()
    entry = catalogue.get("asthma")
    assert entry is not None and entry.info.source == good  # the bytes that are rendered
    assert path in catalogue.problems  # content staff see why
    path.write_bytes(good)
    catalogue.refresh()
    catalogue.refresh()
    assert path not in catalogue.problems


def test_new_and_deleted_files(catalogue, library):
    (library / "cough.yaml").write_text(topic_text(
        "cough", "en", "Cough", "Lungs and Breathing", "approved", "2026-09-01",
        "A cough usually clears in three weeks."), encoding="utf-8")
    (library / "gout.yaml").unlink()
    catalogue.refresh()
    catalogue.refresh()
    assert catalogue.get("cough") is not None and catalogue.get("gout") is None
    assert catalogue.search("gout").total == 0


def test_same_id_and_language_twice_is_listed_once(catalogue, library):
    (library / "zz-copy.yaml").write_text((library / "gout.yaml").read_text(encoding="utf-8"),
                                          encoding="utf-8")
    catalogue.refresh()
    catalogue.refresh()
    assert catalogue.search("gout").total == 1
    assert "same id" in catalogue.problems[library / "zz-copy.yaml"][0].message


def test_review_states_follow_the_date(library):
    day = [TEST_TODAY]
    catalogue = Catalogue(library, lambda: day[0])
    catalogue.refresh()
    assert catalogue.get("gout") is not None
    day[0] = day[0].replace(year=2027, month=6)  # gout (reviewed 2025-12-20) is overdue now
    catalogue.refresh()
    assert catalogue.get("gout") is None


def test_by_code_uses_the_domain_rule(read_only):
    from handout_builder.domain.codes import parse_query

    def found(text, **kw):
        return [(e.id, e.language, how) for e, _, how in read_only.by_code(parse_query(text), **kw)]

    # a leaflet coded I50 (heart failure) answers I50.9 as a broader code, in both languages
    assert found("http://hl7.org/fhir/sid/icd-10-cm|I50.9") == [
        ("heart-failure", "en", "broader"), ("heart-failure", "es", "broader")]
    assert found("ICD-10-CM|I50.9", language="es") == [("heart-failure", "es", "broader")]
    assert found("rxnorm|29046") == [("high-blood-pressure", "en", "exact")]
    assert found("ICD-10-CM|J45.909") == [("asthma", "en", "exact")]
    assert found("ICD-10-CM|E11.9") == []
    assert read_only.search("J45").total == 1  # the search box finds codes too

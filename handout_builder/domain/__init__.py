"""The domain: what a leaflet is, independent of where it comes from or how it prints.

The models (topic, brand, library settings, personal copy), render options, the review
policy, problems and user errors, field positions, the wording of leaflets (message
catalogues) and of validation errors. Imports only the standard library, Pydantic, PyYAML
and the package's assets; every later stage imports it (tests/test_layers.py).
"""

"""``make-handout schema``: the JSON Schema of the topic format (or of library.yaml)."""

from __future__ import annotations

import argparse

from handout_builder.domain.problems import EXIT_OK
from handout_builder.domain.schema import schema_text


def run(args: argparse.Namespace) -> int:
    print(schema_text(args.which), end="")
    return EXIT_OK

"""``make-handout find --code SYSTEM|CODE``: the leaflets of a build about a code."""

from __future__ import annotations

import argparse

from handout_builder import service
from handout_builder.cli.common import report
from handout_builder.domain.problems import EXIT_INVALID, EXIT_OK, printable


def run(args: argparse.Namespace) -> int:
    result = service.find_leaflets(args.out, args.code, language=args.lang)
    if result.problems:
        report(result.problems)
        return EXIT_INVALID
    if args.format == "json":
        print(result.json(), end="")
        return EXIT_OK
    print(text(result), end="")
    return EXIT_OK


def text(result: service.FindResult) -> str:
    """A table: match, language, file, title (one leaflet a line)."""
    where = f" in {result.language}" if result.language else ""
    if not result.leaflets:
        return f"No leaflet{where} carries {result.query}.\n"
    rows = [("MATCH", "LANG", "FILE", "TITLE")]
    rows += [(f.match, f.language, f.file, f.title) for f in result.leaflets]
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths)) + "  " + row[3]
             for row in rows]
    lines.append(f"{len(result.leaflets)} leaflet(s){where} for {result.query}.")
    return "".join(printable(line) + "\n" for line in lines)

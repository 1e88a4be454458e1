"""``make-handout check``: every check on topics, as a table or JSON."""

from __future__ import annotations

import argparse

from handout_builder import service
from handout_builder.domain import review
from handout_builder.paths import HANDOUTS_DIR


def run(args: argparse.Namespace) -> int:
    result = service.check_topics(service.CheckRequest(
        paths=tuple(args.paths or [HANDOUTS_DIR]), as_of=args.as_of or review.today(), strict=args.strict,
    ))
    if args.format == "json":
        print(result.json())
    else:
        print(result.text(), end="")
    return result.exit_status

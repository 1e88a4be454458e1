"""``make-handout serve``: start the front desk (the web app) on this machine."""

from __future__ import annotations

import argparse
import getpass
import sys

from handout_builder.desk.config import hash_password, load_config
from handout_builder.domain.problems import EXIT_INVALID, EXIT_OK, InvalidOption, Problem


def run(args: argparse.Namespace) -> int:
    if args.hash_password:
        first = getpass.getpass("New password: ")
        if len(first) < 10:
            print("error: use at least 10 characters", file=sys.stderr)
            return EXIT_INVALID
        if getpass.getpass("Again: ") != first:
            print("error: the two passwords differ", file=sys.stderr)
            return EXIT_INVALID
        print(hash_password(first))
        return EXIT_OK
    from handout_builder.desk.server import serve  # Starlette, uvicorn: only serve needs them

    if not args.library.is_dir():
        raise InvalidOption(Problem(str(args.library), "This is not a folder of topic files.",
                                    "Give the library folder, e.g. --library handouts.",
                                    field="--library"))
    config = load_config(args.config)
    serve(args.library, args.brand or [args.default_brand], config, args.host, args.port,
          args.config)
    return EXIT_OK

"""``make-handout translate-status``, ``translate-export`` and ``translate-import``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from handout_builder import service
from handout_builder.domain import review
from handout_builder.domain.problems import EXIT_INVALID, EXIT_OK, UserError
from handout_builder.paths import HANDOUTS_DIR


def _report(problems) -> int:
    for problem in problems:
        print(f"error: {problem}", file=sys.stderr)
    return EXIT_INVALID


def run(args: argparse.Namespace) -> int:
    if args.action == "status":
        if args.stamp is not None:
            changed, problems = service.stamp_translation(args.stamp)
            if problems:
                return _report(problems)
            print(f"{'stamped' if changed else 'already current'}: {args.stamp}")
            return EXIT_OK
        folder = args.folder or HANDOUTS_DIR
        if not folder.is_dir():
            raise UserError(service.Problem(str(folder), "The library folder does not exist.",
                                            "Name the folder that holds the topics."))
        result = service.translation_status(folder, args.as_of or review.today())
        print(result.json() if args.format == "json" else result.text(), end="" if
              args.format == "text" else "\n")
        return result.exit_status
    if args.action == "export":
        data, problems = service.export_translation(args.topic, args.language)
        if problems:
            return _report(problems)
        assert data is not None
        out = args.out or Path(f"{args.topic.stem}.{args.language}.po")
        service.write_atomic(out, data)
        print(f"wrote {out}")
        return EXIT_OK
    target, problems = service.import_translation(
        args.po, str(args.po), args.topic, translator=args.translator, method=args.method,
        translated=args.translated or review.today(),
    )
    if problems:
        return _report(problems)
    print(f"wrote {target} (have it checked, then fill in translation: review)")
    return EXIT_OK

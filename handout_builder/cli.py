"""The command line: ``make-handout`` (also ``python make_handout.py``).

Exit statuses: 0 every output was written; 1 some input was invalid or could not be
rendered (the valid ones were still written); 2 wrong usage; 3 an internal error (a bug).
"""

from __future__ import annotations

import argparse
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path

from .errors import EXIT_BUG, EXIT_INVALID, EXIT_OK, EXIT_USAGE, UserError
from .paths import DEFAULT_BRAND_DIR, DEFAULT_OUT_DIR, STYLES_DIR

DESCRIPTION = """\
Turn reviewed patient-education topics (YAML) into branded, print-ready PDF leaflets.

exit status:
  0  every PDF was written
  1  some input was invalid or could not be rendered (the valid ones were still written)
  2  wrong usage (unknown option, missing argument)
  3  internal error: a bug in make_handout (the traceback is printed; please report it)
"""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # argparse's own usage errors exit 2, as documented
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def resolve_brand_dir(value: str) -> Path:
    """``--brand`` takes a folder, or the name of a folder under ``styles/``."""
    path = Path(value)
    if not path.exists() and (STYLES_DIR / value).is_dir():
        return STYLES_DIR / value
    return path


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="make-handout",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    render = commands.add_parser(
        "render",
        help="render topic files to PDF leaflets",
        description="Render each topic FILE to OUT/<id>.pdf. Invalid files are reported "
        "(file, line, field, fix) and skipped; the valid ones are still written.",
    )
    render.add_argument("files", nargs="+", type=Path, metavar="FILE", help="topic YAML file(s)")
    render.add_argument(
        "--out", type=Path, default=DEFAULT_OUT_DIR, metavar="DIR",
        help="output folder (default: out/)",
    )
    render.add_argument(
        "--brand", type=resolve_brand_dir, default=DEFAULT_BRAND_DIR, metavar="DIR",
        help="brand folder, or the name of one under styles/ (default: styles/default)",
    )
    render.set_defaults(handler=cmd_render)
    add_build_command(commands)
    return parser


def positive_int(value: str) -> int:
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError("must be 1 or more")
    return number


def add_build_command(commands) -> None:
    build = commands.add_parser(
        "build",
        help="render a whole library of topics, incrementally",
        description="Render every topic YAML under DIR (recursively) into OUT, with "
        "OUT/manifest.json and a catalogue OUT/index.html. Handouts whose inputs did not "
        "change and whose PDF is intact are skipped; PDFs of deleted topics are removed. "
        "Invalid topics are reported and the rest are still built (exit 1).",
    )
    build.add_argument("library", nargs="?", type=Path, default=Path("handouts"), metavar="DIR",
                       help="folder of topic files (default: handouts/)")
    build.add_argument("--out", type=Path, default=DEFAULT_OUT_DIR, metavar="OUT",
                       help="output folder (default: out/)")
    build.add_argument(
        "--brand", type=resolve_brand_dir, default=DEFAULT_BRAND_DIR, metavar="DIR",
        help="brand folder, or the name of one under styles/ (default: styles/default)",
    )
    build.add_argument("--jobs", type=positive_int, default=None, metavar="N",
                       help="worker processes (default: one per CPU)")
    build.add_argument("--force", action="store_true",
                       help="render everything, even what has not changed")
    build.set_defaults(handler=cmd_build)


def report(error: UserError) -> None:
    for problem in error.problems:
        print(f"error: {problem}", file=sys.stderr)


def cmd_render(args: argparse.Namespace) -> int:
    from .loader import load_brand
    from .pdf import Renderer
    from .pipeline import render_file

    brand = load_brand(args.brand)
    renderer = Renderer(brand)
    status = EXIT_OK
    for path in args.files:
        try:
            written = render_file(path, renderer, args.out)
        except UserError as error:
            report(error)
            print(f"skipped: {path} (not rendered)", file=sys.stderr)
            status = EXIT_INVALID
            continue
        print(f"wrote {written.path} ({written.pdf.pages} pages)")
    return status


def cmd_build(args: argparse.Namespace) -> int:
    from .batch import BuildConfig, build, default_jobs
    from .progress import reporter_for, summary

    config = BuildConfig(
        library=args.library, out_dir=args.out, brand_dir=args.brand,
        jobs=args.jobs or default_jobs(), force=args.force,
    )
    result = build(config, reporter_for(sys.stderr, sys.stdout))
    for outcome in sorted(result.failed, key=lambda o: o.source.rel):
        if outcome.bug:
            print(f"error: {outcome.source.path}: internal error while rendering this topic "
                  f"(a bug in make_handout; please report it):\n{outcome.bug}", file=sys.stderr)
        for problem in outcome.problems:
            print(f"error: {problem}", file=sys.stderr)
        print(f"skipped: {outcome.source.path} (not rendered)", file=sys.stderr)
    print(summary(result))
    if result.has_bug:
        return EXIT_BUG
    return EXIT_INVALID if result.failed else EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.handler(args)
    except UserError as error:
        report(error)
        return EXIT_INVALID
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception:
        traceback.print_exc()
        print(
            "make-handout: internal error (a bug in make_handout, not in your files). "
            "Please report it with the traceback above.",
            file=sys.stderr,
        )
        return EXIT_BUG

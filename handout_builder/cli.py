"""The command line: ``make-handout`` (also ``python make_handout.py``).

Exit statuses: 0 every output was written; 1 some input was invalid or could not be
rendered (the valid ones were still written); 2 wrong usage; 3 an internal error (a bug).
"""

from __future__ import annotations

import argparse
import sys
import traceback
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from .errors import EXIT_BUG, EXIT_INVALID, EXIT_OK, EXIT_USAGE, UserError
from .paths import DEFAULT_BRAND_DIR, DEFAULT_OUT_DIR, STYLES_DIR

DESCRIPTION = """\
Turn reviewed patient-education topics (YAML) into branded, print-ready PDF leaflets.

exit status:
  0  every PDF was written (check: no errors)
  1  some input was invalid, not reviewed, or could not be rendered (the valid ones were
     still written; check: errors found, or warnings with --strict)
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


def iso_date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date written as YYYY-MM-DD: {value!r}") from None


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
    render.add_argument(
        "--allow-draft", action="store_true",
        help="also print draft, withdrawn, never-reviewed and overdue topics, with a "
        "watermark on every page (for proofs)",
    )
    render.add_argument(
        "--as-of", type=iso_date, default=None, metavar="DATE",
        help="judge review dates as of DATE (YYYY-MM-DD; default: today)",
    )
    render.set_defaults(handler=cmd_render)

    check = commands.add_parser(
        "check",
        help="check topics: schema, review dates, references, reading level, jargon",
        description="Check each topic (default: every topic in handouts/) and report errors, "
        "warnings and facts, each with file:line:column. Exit 0 when there are no errors, "
        "1 when there are (or warnings, with --strict). docs/checks.md lists every check.",
    )
    check.add_argument("paths", nargs="*", type=Path, metavar="PATH",
                       help="topic files or folders (default: handouts/)")
    check.add_argument("--as-of", type=iso_date, default=None, metavar="DATE",
                       help="judge review dates as of DATE (YYYY-MM-DD; default: today)")
    check.add_argument("--format", choices=("text", "json"), default="text",
                       help="text: a table for people (default); json: for CI (docs/checks.md)")
    check.add_argument("--strict", action="store_true", help="warnings fail too (exit 1)")
    check.set_defaults(handler=cmd_check)

    schema = commands.add_parser(
        "schema",
        help="print the JSON Schema of the topic format (for editors)",
        description="Print the JSON Schema of the topic format (or of library.yaml) generated "
        "from the model. A copy is kept in handouts/ for editors; see docs/topic-format.md.",
    )
    schema.add_argument("which", nargs="?", choices=("topic", "library"), default="topic",
                        help="topic (default) or library (library.yaml settings)")
    schema.set_defaults(handler=cmd_schema)
    return parser


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
            written = render_file(
                path, renderer, args.out, as_of=args.as_of, allow_draft=args.allow_draft
            )
        except UserError as error:
            report(error)
            print(f"skipped: {path} (not rendered)", file=sys.stderr)
            status = EXIT_INVALID
            continue
        note = "" if written.review.printable else f", {written.review.description}, watermarked"
        print(f"wrote {written.path} ({written.pdf.pages} pages{note})")
    return status


def cmd_check(args: argparse.Namespace) -> int:
    from .checks import check_paths, exit_status, format_json, format_text
    from .paths import HANDOUTS_DIR
    from .review import today

    as_of = args.as_of or today()
    default = HANDOUTS_DIR
    if default.is_relative_to(Path.cwd()):
        default = default.relative_to(Path.cwd())
    reports = check_paths(args.paths or [default], as_of)
    status = exit_status(reports, strict=args.strict)
    if args.format == "json":
        print(format_json(reports, as_of, strict=args.strict, exit_status=status))
    else:
        print(format_text(reports), end="")
    return status


def cmd_schema(args: argparse.Namespace) -> int:
    from .schema import schema_text

    print(schema_text(args.which), end="")
    return EXIT_OK


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

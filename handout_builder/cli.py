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
    add_render_options(render)
    render.set_defaults(handler=cmd_render)
    return parser


def _size(text: str) -> int:
    from .options import parse_size

    try:
        return parse_size(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def add_render_options(parser: argparse.ArgumentParser) -> None:
    """``--large-print``, ``--archival`` and ``--max-size``: shared by ``render`` and ``build``."""
    parser.add_argument(
        "--large-print", action="store_true",
        help="large print: every piece of text 18 pt or larger, re-flowed on more pages "
        "(writes <id>.large-print.pdf)",
    )
    parser.add_argument(
        "--archival", action="store_true",
        help="archival copy: PDF/A-3u, still tagged, with the topic's YAML embedded "
        "(writes <id>.archival.pdf)",
    )
    parser.add_argument(
        "--max-size", type=_size, default=None, metavar="SIZE",
        help="largest PDF allowed, e.g. 2MB, 500KB (default: 2MB); images are reduced "
        "before a leaflet is refused",
    )


def render_options(args: argparse.Namespace):
    """The :class:`~handout_builder.options.RenderOptions` chosen on the command line."""
    from .options import DEFAULT_MAX_BYTES, RenderOptions

    return RenderOptions(
        large_print=args.large_print,
        archival=args.archival,
        max_bytes=args.max_size or DEFAULT_MAX_BYTES,
    )


def report(error: UserError) -> None:
    for problem in error.problems:
        print(f"error: {problem}", file=sys.stderr)


def cmd_render(args: argparse.Namespace) -> int:
    from .loader import load_brand
    from .pdf import Renderer
    from .pipeline import render_file

    brand = load_brand(args.brand)
    renderer = Renderer(brand, options=render_options(args))
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

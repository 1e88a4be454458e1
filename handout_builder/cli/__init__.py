"""The command line: ``make-handout`` (also ``python make_handout.py``,
``python -m handout_builder.cli``).

Argument parsing here; one module per command (``cli/render.py``, ``email.py``,
``check.py``, ``schema.py``, ``build.py``), whose ``run(args)`` builds a request, calls the
service layer (:mod:`handout_builder.service`) and formats its result. This module imports
only what parsing needs, so ``--help`` and usage errors stay fast.

Exit statuses: 0 every output was written; 1 some input was invalid or could not be
rendered (the valid ones were still written); 2 wrong usage; 3 an internal error (a bug).
"""

from __future__ import annotations

import argparse
import importlib
import sys
import traceback
from collections.abc import Sequence
from datetime import date
from functools import cache
from pathlib import Path

from handout_builder import __version__
from handout_builder.domain.options import DEFAULT_MAX_BYTES, RenderOptions, parse_size
from handout_builder.domain.problems import EXIT_BUG, EXIT_INVALID, EXIT_OK, EXIT_USAGE, UserError
from handout_builder.paths import DEFAULT_BRAND_DIR, DEFAULT_OUT_DIR, brand_folder

DESCRIPTION = """\
Turn reviewed patient-education topics (YAML) into branded, print-ready PDF leaflets.

exit status:
  0  every PDF was written (check: no errors)
  1  some input was invalid, not reviewed, or could not be rendered (the valid ones were
     still written; check: errors found, or warnings with --strict)
  2  wrong usage (unknown option, missing argument)
  3  internal error: a bug in make_handout (the traceback is printed; please report it)

For `email`: 0 means the draft was written or the mail server accepted the message; 1 means
nothing was written or sent (invalid input, attachment over --max-size, or a mail server
failure, each explained).
"""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # argparse's own usage errors exit 2, as documented
        if message.startswith("unrecognized arguments: "):
            # Stray words may be parts of a patient's name or note: show only option names.
            words = message.split(": ", 1)[1].split()
            options = [w.split("=", 1)[0] for w in words if w.startswith("-")]
            hidden = len(words) - len(options)
            message = "unrecognized arguments: " + " ".join(options) if options else ""
            if hidden:
                message += (" and " if options else "") + (
                    f"{hidden} unrecognized word(s), not repeated here in case they are "
                    "personal details; put a value with spaces in quotes"
                )
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


class _Version(argparse.Action):
    """``--version``: read from the installed package's metadata only when asked."""

    def __init__(self, option_strings, dest=argparse.SUPPRESS, default=argparse.SUPPRESS,
                 help="print make_handout's version and exit"):
        super().__init__(option_strings, dest=dest, default=default, nargs=0, help=help)

    def __call__(self, parser, namespace, values, option_string=None):
        print(f"{parser.prog} {package_version()}")
        parser.exit(EXIT_OK)


def package_version() -> str:
    """The installed version (package metadata), or the source's own when not installed."""
    from importlib import metadata  # only for --version: every other run skips it

    try:
        return metadata.version("make-handout")
    except metadata.PackageNotFoundError:
        return __version__


def iso_date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date written as YYYY-MM-DD: {value!r}") from None


@cache
def build_parser() -> argparse.ArgumentParser:
    """The command line's parser, built once per process (9 ms; the tests call :func:`main`
    over a hundred times in one process). Parsing leaves it unchanged: every default is a
    constant, and each run gets a new namespace."""
    parser = _Parser(
        prog="make-handout",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action=_Version)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    render = commands.add_parser(
        "render",
        help="render topic files to PDF leaflets",
        description="Render each topic FILE to OUT/<id>.pdf. Invalid files are reported "
        "(file, line, field, fix) and skipped; the valid ones are still written.",
    )
    render.add_argument("files", nargs="+", type=Path, metavar="FILE", help="topic YAML file(s)")
    render.add_argument(
        "--out", type=Path, default=None, metavar="DIR",
        help="output folder (default: out/); '-' writes the PDF to standard output (one "
        "FILE). A personal copy needs a private folder named here",
    )
    render.add_argument(
        "--packet", default=None, metavar="NAME",
        help="print all FILEs together as one PDF, OUT/NAME.pdf: each leaflet on a new sheet "
        "with its own page numbers, the personal details once on the first page",
    )
    add_brand_option(render)
    add_personal_options(render)
    add_policy_options(render)
    add_render_options(render)
    render.set_defaults(handler="render", parser=render)

    email = commands.add_parser(
        "email",
        help="email one leaflet: write an .eml draft or send it over SMTP",
        description="Render TOPIC and attach it as <id>.pdf to a short message with a generic "
        "subject ('Information from <clinic>', never the topic or the patient). Write the "
        "message as an .eml draft for your mail program (--eml) or send it (--smtp). The SMTP "
        "password is read from the environment variable MAKE_HANDOUT_SMTP_PASSWORD, never "
        "from the command line.",
    )
    email.add_argument("file", type=Path, metavar="TOPIC", help="topic YAML file")
    email.add_argument("--to", required=True, metavar="ADDRESS", help="the recipient's address")
    email.add_argument(
        "--from", dest="sender", metavar="ADDRESS",
        help="sender address (default: no-reply@ the brand's web domain)",
    )
    add_brand_option(email)
    add_personal_options(email)
    way = email.add_mutually_exclusive_group(required=True)
    way.add_argument(
        "--eml", metavar="FILE",
        help="write the message to FILE (.eml) as a draft; an existing folder (or DIR/) gets "
        "<id>.eml, or <id>.personal-<token>.eml for a personal copy",
    )
    way.add_argument("--smtp", metavar="HOST:PORT", help="send through this mail server")
    email.add_argument(
        "--starttls", action="store_true", help="encrypt the SMTP connection with STARTTLS",
    )
    email.add_argument(
        "--user", metavar="NAME",
        help="SMTP login name; the password comes from MAKE_HANDOUT_SMTP_PASSWORD",
    )
    email.add_argument(
        "--max-size", type=_size, default=None, metavar="SIZE",
        help="largest attachment, e.g. 2MB or 500kB (default: 2MB)",
    )
    email.set_defaults(handler="email", parser=email)

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
    check.set_defaults(handler="check")

    schema = commands.add_parser(
        "schema",
        help="print the JSON Schema of the topic format (for editors)",
        description="Print the JSON Schema of the topic format (or of library.yaml) generated "
        "from the model. A copy is kept in handouts/ for editors; see docs/topic-format.md.",
    )
    schema.add_argument("which", nargs="?", choices=("topic", "library"), default="topic",
                        help="topic (default) or library (library.yaml settings)")
    schema.set_defaults(handler="schema")
    add_translate_commands(commands)
    add_build_command(commands)
    add_serve_command(commands)
    add_find_command(commands)
    return parser


def add_translate_commands(commands: "argparse._SubParsersAction") -> None:
    """``translate-status``, ``translate-export``, ``translate-import`` (cli/translate.py)."""
    status = commands.add_parser(
        "translate-status",
        help="list every topic with its languages and their states (current, drifted, ...)",
        description="For a library folder: every topic, each translation beside it "
        "(<id>.<lang>.yaml) and its state: current, translation-outdated (its source changed "
        "since: the changed parts are listed), translation-not-reviewed, invalid... Exit 1 "
        "when a translation cannot be printed as current. --stamp FILE records the current "
        "fingerprint of its source in a translation once the changes are translated.",
    )
    status.add_argument("folder", nargs="?", type=Path, default=None, metavar="FOLDER",
                        help="the library folder (default: handouts/)")
    status.add_argument("--as-of", type=iso_date, default=None, metavar="DATE",
                        help="judge review dates as of DATE (YYYY-MM-DD; default: today)")
    status.add_argument("--format", choices=("text", "json"), default="text")
    status.add_argument("--stamp", type=Path, default=None, metavar="FILE",
                        help="update the fingerprint of the translation FILE and stop")
    status.set_defaults(handler="translate", action="status")
    export = commands.add_parser(
        "translate-export", help="write a PO file for translators from a topic",
        description="Write a gettext PO file for translating TOPIC into --language: one "
        "entry per title, key point, section heading and body (Markdown kept intact). An "
        "existing translation's texts are filled in; parts changed since are marked fuzzy.",
    )
    export.add_argument("topic", type=Path, metavar="TOPIC", help="the source topic file")
    export.add_argument("--language", required=True, metavar="TAG", help="e.g. es, zh-Hans, ar")
    export.add_argument("--out", type=Path, default=None, metavar="FILE",
                        help="the PO file (default: <id>.<lang>.po in the current folder)")
    export.set_defaults(handler="translate", action="export")
    imported = commands.add_parser(
        "translate-import", help="write <id>.<lang>.yaml from a translated PO file",
        description="Turn a translated PO file back into the translation <id>.<lang>.yaml "
        "beside TOPIC, with its provenance. Every entry must be translated.",
    )
    imported.add_argument("po", type=Path, metavar="PO", help="the translated PO file")
    imported.add_argument("topic", type=Path, metavar="TOPIC", help="the source topic file")
    imported.add_argument("--translator", required=True, metavar="NAME")
    imported.add_argument("--method", required=True,
                          choices=("professional", "bilingual-staff", "machine-with-human-review"))
    imported.add_argument("--translated", type=iso_date, default=None, metavar="DATE",
                          help="the date the translation was finished (default: today)")
    imported.set_defaults(handler="translate", action="import")


def add_find_command(commands) -> None:
    find = commands.add_parser(
        "find",
        help="find the leaflets about a diagnosis, drug or test code (from a build)",
        description="List the leaflets of a build (OUT/manifest.json) whose topic carries "
        "the code: exact matches first, then broader ICD-10-CM categories (a leaflet coded "
        "E11 answers E11.65). Systems: ICD-10-CM, SNOMED CT, RxNorm, LOINC (or their FHIR "
        "URIs). Exit 0 also when nothing matches (an empty list).",
    )
    find.add_argument("--code", required=True, metavar="SYSTEM|CODE",
                      help="e.g. 'ICD-10-CM|E11.9', 'SNOMED CT|44054006', 'RxNorm|860975', "
                      "'LOINC|4548-4' (in quotes: | means something to the shell)")
    find.add_argument("--lang", default=None, metavar="L",
                      help="only leaflets in this language (es also matches es-MX)")
    find.add_argument("--out", type=Path, default=DEFAULT_OUT_DIR, metavar="OUT",
                      help="the build's output folder (default: out/)")
    find.add_argument("--format", choices=("text", "json"), default="text",
                      help="text: a table for people (default); json: for other programs")
    find.set_defaults(handler="find")


def add_personal_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group(
        "a copy for one patient",
        "Printed on the first page only, never in the file name, the PDF metadata or any "
        "message. Without them the leaflet has blank lines to write on.",
    )
    group.add_argument("--patient-name", metavar="NAME", help="printed after 'Prepared for'")
    group.add_argument("--clinician", metavar="NAME", help="printed after 'By'")
    group.add_argument("--date", metavar="YYYY-MM-DD", help="the date of the visit")
    group.add_argument("--note", metavar="TEXT", help="a short note for the notes box")


def _size(text: str) -> int:
    try:
        return parse_size(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def add_brand_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--brand", type=brand_folder, default=DEFAULT_BRAND_DIR, metavar="DIR",
        help="brand folder, or the name of a brand in styles/ or a built-in one (default: the "
        "built-in brand 'default')",
    )


def add_policy_options(parser: argparse.ArgumentParser) -> None:
    """``--allow-draft`` and ``--as-of``: the review policy, shared by ``render`` and ``build``."""
    parser.add_argument(
        "--allow-draft", action="store_true",
        help="also print draft, withdrawn, never-reviewed and overdue topics, with a "
        "watermark on every page (for proofs)",
    )
    parser.add_argument(
        "--as-of", type=iso_date, default=None, metavar="DATE",
        help="judge review dates as of DATE (YYYY-MM-DD; default: today)",
    )


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


def render_options(args: argparse.Namespace) -> RenderOptions:
    """The :class:`~handout_builder.domain.options.RenderOptions` chosen on the command line."""
    return RenderOptions(
        large_print=args.large_print,
        archival=args.archival,
        max_bytes=args.max_size or DEFAULT_MAX_BYTES,
    )


def positive_int(value: str) -> int:
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError("must be 1 or more")
    return number


def positive_seconds(value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {value!r}") from None
    if not 0 < number <= 86_400:
        raise argparse.ArgumentTypeError("must be more than 0 and at most 86400 (a day)")
    return number


def add_build_command(commands) -> None:
    build = commands.add_parser(
        "build",
        help="render a whole library of topics, incrementally",
        description="Render every topic YAML under DIR (recursively) into OUT, with "
        "OUT/manifest.json and a catalogue OUT/index.html. Handouts whose inputs did not "
        "change and whose PDF is intact are skipped; PDFs of deleted topics are removed. "
        "Invalid topics are reported and the rest are still built (exit 1). Draft, "
        "withdrawn, never-reviewed and overdue topics are refused, and removed from OUT, "
        "unless --allow-draft prints them watermarked.",
    )
    build.add_argument("library", nargs="?", type=Path, default=Path("handouts"), metavar="DIR",
                       help="folder of topic files (default: handouts/)")
    build.add_argument("--out", type=Path, default=DEFAULT_OUT_DIR, metavar="OUT",
                       help="output folder (default: out/)")
    add_brand_option(build)
    build.add_argument("--jobs", type=positive_int, default=None, metavar="N",
                       help="worker processes (default: one per CPU)")
    build.add_argument("--force", action="store_true",
                       help="render everything, even what has not changed")
    build.add_argument("--timeout", type=positive_seconds, default=None, metavar="SECONDS",
                       help="stop a topic that takes longer than this to render and report it "
                       "as failed (default: 120)")
    build.add_argument("--executor", choices=("local", "dask"), default="local",
                       help="where topics are rendered: local worker processes (default) or "
                       "a Dask cluster (needs --scheduler and make-handout[dask])")
    build.add_argument("--scheduler", default=None, metavar="ADDRESS",
                       help="the Dask scheduler, for --executor dask (tcp://host:8786)")
    add_policy_options(build)
    add_render_options(build)
    matrix = build.add_argument_group(
        "many brands, languages and variants in one build",
        "Each overrides that part of the `matrix:` in DIR/library.yaml. With a matrix, OUT "
        "holds OUT/<brand>/<language>/<id>[.variant].pdf, one manifest and one catalogue.",
    )
    matrix.add_argument("--brands", type=_brand_list, default=(), metavar="NAMES",
                        help="brands, comma-separated, each a folder or a name as for --brand")
    matrix.add_argument("--languages", type=_language_list, default=(), metavar="TAGS",
                        help="languages, comma-separated (e.g. en,es); a topic is built in each "
                        "it has (its own or a translation file); default: every one found")
    matrix.add_argument("--variants", type=_variant_list, default=(), metavar="NAMES",
                        help="comma-separated: standard, large-print, archival")
    build.add_argument("--index-base", type=_index_base, default=None, metavar="URL",
                       help="also write OUT/leaflets.fhir.json (a FHIR R4 Bundle of "
                       "DocumentReference) and OUT/leaflets.csv, each leaflet's address under "
                       "URL, where OUT is published (e.g. https://leaflets.example.org/)")
    build.set_defaults(handler="build")


def add_serve_command(commands) -> None:
    serve = commands.add_parser(
        "serve",
        help="start the front desk: a web app to find, preview, personalise, print and email leaflets",
        description="Start the desk on this machine (http://127.0.0.1:8000/ by default). It "
        "binds to loopback unless staff sign-in is configured (--config); see the README, "
        "'The front desk'.",
    )
    serve.add_argument("--library", type=Path, default=Path("handouts"), metavar="DIR",
                       help="folder of topic files (default: handouts/)")
    serve.add_argument("--brand", type=brand_folder, action="append", default=None,
                       metavar="DIR", help="a brand folder or name; repeat for several "
                       "(default: the built-in brand 'default')")
    serve.add_argument("--host", default="127.0.0.1",
                       help="address to listen on (default: 127.0.0.1, this machine only)")
    serve.add_argument("--port", type=int, default=8000, help="port (default: 8000)")
    serve.add_argument("--config", type=Path, default=None, metavar="FILE",
                       help="the desk's settings (YAML): sign-in, SMTP, limits")
    serve.add_argument("--hash-password", action="store_true",
                       help="ask for a password and print its hash for the settings file")
    serve.set_defaults(handler="serve", default_brand=DEFAULT_BRAND_DIR)
def _index_base(text: str) -> str:
    from handout_builder.output.index import index_base  # only when the option is given

    try:
        return index_base(text)
    except UserError as error:
        raise argparse.ArgumentTypeError(f"{error.problems[0].message} {error.problems[0].fix}")


def _items(text: str) -> list[str]:
    items = [item.strip() for item in text.split(",") if item.strip()]
    if not items:
        raise argparse.ArgumentTypeError("name at least one, comma-separated")
    return items


def _brand_list(text: str) -> tuple[Path, ...]:
    return tuple(brand_folder(item) for item in _items(text))


def _language_list(text: str) -> tuple[str, ...]:
    import re

    from handout_builder.domain.models import LANGUAGE_PATTERN

    for item in _items(text):
        if not re.fullmatch(LANGUAGE_PATTERN, item):
            raise argparse.ArgumentTypeError(f"not a language tag such as en or es-MX: {item!r}")
    return tuple(_items(text))


def _variant_list(text: str) -> tuple[str, ...]:
    allowed = ("standard", "large-print", "archival")
    for item in _items(text):
        if item not in allowed:
            raise argparse.ArgumentTypeError(f"unknown variant {item!r}; use {', '.join(allowed)}")
    return tuple(_items(text))


def report(error: UserError) -> None:
    for problem in error.problems:
        print(f"error: {problem}", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.handler == "build" and args.executor != "dask":
        # the workers' fork server imports WeasyPrint and the pipeline on the spare core
        # while this process imports the service and plans (standard library only, here)
        from handout_builder.build.fork_server import SERVICE_MODULE, warm_up

        warm_up(SERVICE_MODULE)
    try:
        # a command imports the stages it needs (Pydantic, Jinja2, ...): --help and usage
        # errors must not pay for them, nor one command for another's
        command = importlib.import_module(f"handout_builder.cli.{args.handler}")
        if isinstance(getattr(args, "brand", None), Path):
            from handout_builder.cli.common import check_brand_dir  # with the command's imports

            check_brand_dir(args.brand)
        return command.run(args)
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

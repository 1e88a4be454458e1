"""The command line: ``make-handout`` (also ``python make_handout.py``).

Exit statuses: 0 every output was written; 1 some input was invalid or could not be
rendered (the valid ones were still written); 2 wrong usage; 3 an internal error (a bug).
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import traceback
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from handout_builder.domain.problems import (
    EXIT_BUG, EXIT_INVALID, EXIT_OK, EXIT_USAGE, InvalidOption, Problem, UserError, printable,
)
from handout_builder.paths import (
    BUILTIN_BRANDS_DIR, DEFAULT_BRAND_DIR, DEFAULT_OUT_DIR, brand_folder, brand_names,
)

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


def check_brand_dir(path: Path) -> None:
    """A ``--brand`` that names no folder: say so with the closest brand name and the list of
    brands (exit 1, like any other input that names something missing)."""
    if path.is_dir():
        return
    import difflib

    from handout_builder.domain.personal import COMMAND_LINE

    brands = brand_names()
    close = difflib.get_close_matches(path.name.lower(), brands, n=1, cutoff=0.6)
    shown = f"'{path}'" if str(path).isprintable() else "it"
    listed = ", ".join(
        f"{name} ({'built in' if folder.is_relative_to(BUILTIN_BRANDS_DIR) else folder})"
        for name, folder in sorted(brands.items())
    )
    raise InvalidOption(
        Problem(
            COMMAND_LINE,
            f"The brand folder does not exist: {shown} is neither a folder nor the name of a "
            "brand in styles/ (in the current folder) or a built-in brand.",
            (f"Did you mean '{close[0]}'? " if close else "")
            + f"Give a brand folder, or one of these brands: {listed}.",
            field="--brand",
        )
    )


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
    from importlib import metadata

    try:
        return metadata.version("make-handout")
    except metadata.PackageNotFoundError:
        from handout_builder import __version__

        return __version__


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
    add_brand_option(render)
    add_personal_options(render)
    add_policy_options(render)
    add_render_options(render)
    render.set_defaults(handler=cmd_render, parser=render)

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
    email.set_defaults(handler=cmd_email, parser=email)

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
    add_build_command(commands)
    return parser


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


def personal_from(args: argparse.Namespace):
    from handout_builder.domain.personal import personal_copy

    return personal_copy(args.patient_name, args.clinician, args.date, args.note)


def _size(text: str) -> int:
    from handout_builder.domain.options import parse_size

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


def render_options(args: argparse.Namespace):
    """The :class:`~handout_builder.domain.options.RenderOptions` chosen on the command line."""
    from handout_builder.domain.options import DEFAULT_MAX_BYTES, RenderOptions

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
    add_policy_options(build)
    add_render_options(build)
    build.set_defaults(handler=cmd_build)


def report(error: UserError) -> None:
    for problem in error.problems:
        print(f"error: {problem}", file=sys.stderr)


def personal_options_given(args: argparse.Namespace) -> str:
    """The personal options on the command line, by name (never their values)."""
    names = [("--patient-name", args.patient_name), ("--clinician", args.clinician),
             ("--date", args.date), ("--note", args.note)]
    return ", ".join(option for option, value in names if value is not None)


def skipped(path: Path, personal: bool = False) -> None:
    written_none = ", no personal copy written" if personal else ""
    print(f"skipped: {printable(str(path))} (not rendered{written_none})", file=sys.stderr)


def cmd_render(args: argparse.Namespace) -> int:
    from handout_builder.sources.loader import load_brand
    from handout_builder.render.pdf import Renderer
    from handout_builder.service import render_file
    from handout_builder.output.store import private_folder_problem

    personal = personal_from(args)  # checked first: a bad value stops before any work
    to_stdout = args.out is not None and str(args.out) == "-"
    if to_stdout and len(args.files) != 1:
        args.parser.error("--out - writes one PDF to standard output: give exactly one FILE")
    if to_stdout and sys.stdout.isatty():
        args.parser.error("--out - writes a PDF to standard output, which is a terminal here: "
                          "redirect it to a file or pipe it to a program")
    if personal is not None and not to_stdout:
        problem = private_folder_problem(args.out, "--out", personal_options_given(args))
        if problem is not None:
            raise InvalidOption(problem)
    out_dir = None if to_stdout else (args.out or DEFAULT_OUT_DIR)
    brand = load_brand(args.brand)
    renderer = Renderer(brand, options=render_options(args))
    status = EXIT_OK
    for path in args.files:
        try:
            written = render_file(
                path, renderer, out_dir, as_of=args.as_of, allow_draft=args.allow_draft,
                personal=personal,
            )
        except UserError as error:
            report(error)
            skipped(path, personal=personal is not None)
            status = EXIT_INVALID
            continue
        marked = written.watermark or written.review.example
        note = f", {written.review.description}" if marked else ""
        note += ", watermarked" if written.watermark else ""
        note += ", personal copy: keep it private, delete it once printed" if personal else ""
        if written.path is None:
            sys.stdout.buffer.write(written.pdf.data)
            sys.stdout.flush()
            print(f"wrote standard output ({written.pdf.pages} pages{note})", file=sys.stderr)
        else:
            print(f"wrote {written.path} ({written.pdf.pages} pages{note})")
    return status


def cmd_email(args: argparse.Namespace) -> int:
    from handout_builder.delivery import email as mail
    from handout_builder.sources.loader import load_brand, load_topic
    from handout_builder.render.pdf import Renderer
    from handout_builder.service import check_review, render_topic
    from handout_builder.domain.options import DEFAULT_MAX_BYTES, RenderOptions
    from handout_builder.output.store import output_path, private_folder_problem, write_personal

    if args.smtp is None and (args.starttls or args.user):
        args.parser.error("--starttls and --user go with --smtp")
    # Check every option before any work, so a mistake costs nothing.
    personal = personal_from(args)
    eml_folder = None  # --eml names a folder: the draft gets a name of ours in it
    if args.eml is not None:
        eml = Path(args.eml)
        if args.eml.endswith(("/", os.sep)) or eml.is_dir():
            if not eml.is_dir():
                raise InvalidOption(Problem(
                    "command line", f"The folder {args.eml} does not exist.",
                    "Create the folder first, or give --eml a file name ending in .eml.",
                    field="--eml"))
            eml_folder = eml
        if personal is not None:
            problem = private_folder_problem(
                eml_folder or eml.parent, "--eml", personal_options_given(args))
            if problem is not None:
                raise InvalidOption(problem)
    to = mail.check_address(args.to, "--to")
    sender = mail.check_address(args.sender, "--from") if args.sender else None
    server = None
    if args.smtp is not None:
        host, port = mail.parse_server(args.smtp)
        password = os.environ.get(mail.PASSWORD_VARIABLE) or None
        if args.user and password is None:
            raise InvalidOption(
                Problem("environment", f"--user is given but {mail.PASSWORD_VARIABLE} is not set.",
                        f"Set the password in the environment variable {mail.PASSWORD_VARIABLE} "
                        "(it is never taken from the command line).", field="--user")
            )
        server = mail.SmtpServer(host, port, args.starttls, args.user, password)
    brand = load_brand(args.brand)
    sender = sender or mail.default_sender(brand)
    loaded = load_topic(args.file)
    # only approved, current leaflets go to patients (no --allow-draft); an example topic
    # goes out marked as one (EXAMPLE · NOT MEDICAL ADVICE)
    _, watermark = check_review(loaded)
    budget = args.max_size or DEFAULT_MAX_BYTES
    renderer = Renderer(brand, options=RenderOptions(max_bytes=budget))
    pdf = render_topic(loaded, renderer, watermark=watermark, personal=personal)
    mail.check_size(len(pdf.data), budget, loaded.id)
    message = mail.build_message(pdf.data, loaded, brand, to, sender, draft=server is None)
    attachment = f"{loaded.id}.pdf, {len(pdf.data) / 1000:.0f} kB"
    if server is None:
        target = Path(args.eml)
        if eml_folder is not None and personal is None:
            target = output_path(eml_folder, loaded.id, ".eml", source=str(args.file))
        if eml_folder is not None and personal is not None:  # never over another's draft
            target = write_personal(eml_folder, loaded.id, ".eml", message.as_bytes(),
                                    source=str(args.file))
        else:
            mail.write_eml(message, target)
        print(f"wrote draft {target} (attachment {attachment}); open it in your mail program "
              "to check and send it")
    else:
        mail.send_smtp(message, server)
        print(f"sent: {server.where} accepted the message (attachment {attachment})")
    return EXIT_OK


def cmd_check(args: argparse.Namespace) -> int:
    from handout_builder.quality.checks import check_paths, exit_status, format_json, format_text
    from handout_builder.paths import HANDOUTS_DIR
    from handout_builder.domain.review import today

    as_of = args.as_of or today()
    reports = check_paths(args.paths or [HANDOUTS_DIR], as_of)  # ./handouts
    status = exit_status(reports, strict=args.strict)
    if args.format == "json":
        print(format_json(reports, as_of, strict=args.strict, exit_status=status))
    else:
        print(format_text(reports), end="")
    return status


def cmd_schema(args: argparse.Namespace) -> int:
    from handout_builder.domain.schema import schema_text

    print(schema_text(args.which), end="")
    return EXIT_OK


def cmd_build(args: argparse.Namespace) -> int:
    from handout_builder.build.batch import DEFAULT_TIMEOUT, BuildConfig, build, default_jobs
    from handout_builder.cli.progress import reporter_for, summary

    from handout_builder.domain.review import today

    config = BuildConfig(
        library=args.library, out_dir=args.out, brand_dir=args.brand,
        jobs=args.jobs or default_jobs(), force=args.force,
        render=render_options(args), as_of=args.as_of or today(),
        allow_draft=args.allow_draft, timeout=args.timeout or DEFAULT_TIMEOUT,
    )
    result = build(config, reporter_for(sys.stderr, sys.stdout))
    for outcome in sorted(result.failed, key=lambda o: o.source.rel):
        if outcome.bug:
            print(f"error: {printable(str(outcome.source.path))}: internal error while rendering this topic "
                  f"(a bug in make_handout; please report it):\n{outcome.bug}", file=sys.stderr)
        for problem in outcome.problems:
            print(f"error: {problem}", file=sys.stderr)
        skipped(outcome.source.path)
    print(summary(result))
    if result.has_bug:
        return EXIT_BUG
    return EXIT_INVALID if result.failed else EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if isinstance(getattr(args, "brand", None), Path):
            check_brand_dir(args.brand)
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

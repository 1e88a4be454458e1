"""One function per command: turn the parsed arguments into a service request, call the
service (:mod:`handout_builder.service`), and format its result for a person.

Everything a command does besides reading its options and printing is the service's:
rendering, publishing, email, checks and builds live there, so the web desk and remote
workers run the same code. Imported by :func:`handout_builder.cli.main` only after the
arguments are parsed (it pulls in the whole pipeline).
"""

from __future__ import annotations

import argparse
import difflib
import os
import sys
from pathlib import Path

from handout_builder import service
from handout_builder.cli import available_brands, render_options
from handout_builder.cli.progress import reporter_for, summary
from handout_builder.delivery.email import PASSWORD_VARIABLE, SmtpServer, check_address, parse_server
from handout_builder.domain.personal import COMMAND_LINE, PersonalCopy, personal_copy
from handout_builder.domain.problems import (
    EXIT_BUG, EXIT_INVALID, EXIT_OK, InvalidOption, Problem, printable,
)
from handout_builder.domain import review
from handout_builder.domain.schema import schema_text
from handout_builder.output.store import private_folder_problem
from handout_builder.build.batch import DEFAULT_TIMEOUT, default_jobs
from handout_builder.paths import DEFAULT_OUT_DIR, HANDOUTS_DIR


def run(args: argparse.Namespace) -> int:
    """Run the command the arguments name; its exit status."""
    if isinstance(getattr(args, "brand", None), Path):
        check_brand_dir(args.brand)
    return COMMANDS[args.handler](args)


# --------------------------------------------------------------------------------------
# Options shared by several commands
# --------------------------------------------------------------------------------------


def check_brand_dir(path: Path) -> None:
    """A ``--brand`` that names no folder: say so with the closest brand name and the list of
    brands (exit 1, like any other input that names something missing)."""
    if path.is_dir():
        return
    brands = available_brands()
    close = difflib.get_close_matches(path.name.lower(), brands, n=1, cutoff=0.6)
    shown = f"'{path}'" if str(path).isprintable() else "it"
    raise InvalidOption(
        Problem(
            COMMAND_LINE,
            f"The brand folder does not exist: {shown} is neither a folder nor the name of a "
            "brand under styles/.",
            (f"Did you mean '{close[0]}'? " if close else "")
            + "Give a brand folder, or one of the brands under styles/: "
            + ", ".join(brands) + ".",
            field="--brand",
        )
    )


def personal_from(args: argparse.Namespace) -> PersonalCopy | None:
    return personal_copy(args.patient_name, args.clinician, args.date, args.note)


def personal_options_given(args: argparse.Namespace) -> str:
    """The personal options on the command line, by name (never their values)."""
    names = [("--patient-name", args.patient_name), ("--clinician", args.clinician),
             ("--date", args.date), ("--note", args.note)]
    return ", ".join(option for option, value in names if value is not None)


# --------------------------------------------------------------------------------------
# Output
# --------------------------------------------------------------------------------------


def report(problems) -> None:
    for problem in problems:
        print(f"error: {problem}", file=sys.stderr)


def skipped(path: Path, personal: bool = False) -> None:
    written_none = ", no personal copy written" if personal else ""
    print(f"skipped: {printable(str(path))} (not rendered{written_none})", file=sys.stderr)


# --------------------------------------------------------------------------------------
# The commands
# --------------------------------------------------------------------------------------


def cmd_render(args: argparse.Namespace) -> int:
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
    options = render_options(args)
    renderer = service.open_renderer(args.brand, options)  # a bad brand stops here (exit 1)
    status = EXIT_OK
    for path in args.files:
        request = service.RenderRequest(
            topic=path, brand=renderer.brand, options=options, personal=personal,
            as_of=args.as_of, allow_draft=args.allow_draft,
        )
        if out_dir is None:
            result = service.render_leaflet(request, renderer)
        else:
            result = service.render_to_folder(request, out_dir, renderer)
        if result.problems:
            report(result.problems)
            skipped(path, personal=personal is not None)
            status = EXIT_INVALID
            continue
        assert result.review is not None
        marked = result.watermark or result.review.example
        note = f", {result.review.description}" if marked else ""
        note += ", watermarked" if result.watermark else ""
        note += ", personal copy: keep it private, delete it once printed" if personal else ""
        if result.path is None:
            sys.stdout.buffer.write(result.data)
            sys.stdout.flush()
            print(f"wrote standard output ({result.pages} pages{note})", file=sys.stderr)
        else:
            print(f"wrote {result.path} ({result.pages} pages{note})")
    return status


def cmd_email(args: argparse.Namespace) -> int:
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
    to = check_address(args.to, "--to")
    sender = check_address(args.sender, "--from") if args.sender else None
    server = None
    if args.smtp is not None:
        host, port = parse_server(args.smtp)
        password = os.environ.get(PASSWORD_VARIABLE) or None
        if args.user and password is None:
            raise InvalidOption(
                Problem("environment", f"--user is given but {PASSWORD_VARIABLE} is not set.",
                        f"Set the password in the environment variable {PASSWORD_VARIABLE} "
                        "(it is never taken from the command line).", field="--user")
            )
        server = SmtpServer(host, port, args.starttls, args.user, password)
    request = service.EmailRequest(
        topic=args.file, brand=args.brand, to=to, sender=sender, personal=personal,
        max_bytes=args.max_size or service.DEFAULT_MAX_BYTES,
        draft_file=Path(args.eml) if args.eml is not None and eml_folder is None else None,
        draft_folder=eml_folder, smtp=server,
    )
    result = service.email_leaflet(request)
    if result.problems:
        report(result.problems)
        return EXIT_INVALID
    attachment = f"{result.handout_id}.pdf, {result.attachment_bytes / 1000:.0f} kB"
    if result.sent_to is None:
        print(f"wrote draft {result.draft} (attachment {attachment}); open it in your mail "
              "program to check and send it")
    else:
        print(f"sent: {result.sent_to} accepted the message (attachment {attachment})")
    return EXIT_OK


def cmd_check(args: argparse.Namespace) -> int:
    default = HANDOUTS_DIR
    if default.is_relative_to(Path.cwd()):
        default = default.relative_to(Path.cwd())
    result = service.check_topics(service.CheckRequest(
        paths=tuple(args.paths or [default]), as_of=args.as_of or review.today(), strict=args.strict,
    ))
    if args.format == "json":
        print(result.json())
    else:
        print(result.text(), end="")
    return result.exit_status


def cmd_schema(args: argparse.Namespace) -> int:
    print(schema_text(args.which), end="")
    return EXIT_OK


def cmd_build(args: argparse.Namespace) -> int:
    request = service.BuildRequest(
        library=args.library, out_dir=args.out, brand_dir=args.brand,
        jobs=args.jobs or default_jobs(), force=args.force,
        render=render_options(args), as_of=args.as_of or review.today(),
        allow_draft=args.allow_draft, timeout=args.timeout or DEFAULT_TIMEOUT,
    )
    library = service.build_library(request, reporter_for(sys.stderr, sys.stdout))
    if library.problems:
        report(library.problems)
        return EXIT_INVALID
    result = library.build
    assert result is not None
    for outcome in sorted(result.failed, key=lambda o: o.source.rel):
        if outcome.bug:
            print(f"error: {printable(str(outcome.source.path))}: internal error while rendering "
                  f"this topic (a bug in make_handout; please report it):\n{outcome.bug}",
                  file=sys.stderr)
        for problem in outcome.problems:
            print(f"error: {problem}", file=sys.stderr)
        skipped(outcome.source.path)
    print(summary(result))
    if result.has_bug:
        return EXIT_BUG
    return EXIT_INVALID if result.failed else EXIT_OK


COMMANDS = {
    "render": cmd_render,
    "email": cmd_email,
    "check": cmd_check,
    "schema": cmd_schema,
    "build": cmd_build,
}

"""``make-handout email``: one leaflet as an ``.eml`` draft, or sent over SMTP."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from handout_builder import service
from handout_builder.cli.common import personal_from, personal_options_given, report
from handout_builder.delivery.email import PASSWORD_VARIABLE, SmtpServer, check_address, parse_server
from handout_builder.domain.problems import EXIT_INVALID, EXIT_OK, InvalidOption, Problem
from handout_builder.output.store import private_folder_problem


def run(args: argparse.Namespace) -> int:
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

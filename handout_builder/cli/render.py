"""``make-handout render``: topic files to PDF leaflets (or one to standard output)."""

from __future__ import annotations

import argparse
import sys

from handout_builder import service
from handout_builder.cli import render_options
from handout_builder.cli.common import personal_from, personal_options_given, report, skipped
from handout_builder.domain.problems import EXIT_INVALID, EXIT_OK, InvalidOption, printable
from handout_builder.output.store import private_folder_problem
from handout_builder.paths import DEFAULT_OUT_DIR


def run(args: argparse.Namespace) -> int:
    personal = personal_from(args)  # checked first: a bad value stops before any work
    to_stdout = args.out is not None and str(args.out) == "-"
    if to_stdout and len(args.files) != 1 and args.packet is None:
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
    if args.packet is not None:
        return _packet(args, renderer, options, personal, out_dir)
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
        _wrote(result, f"{result.pages} pages{note}")
    return status


def _packet(args: argparse.Namespace, renderer, options, personal, out_dir) -> int:
    """``--packet NAME``: every FILE in one PDF."""
    request = service.PacketRequest(
        topics=tuple(args.files), brand=renderer.brand, name=args.packet, options=options,
        personal=personal, as_of=args.as_of, allow_draft=args.allow_draft,
    )
    result = service.render_packet(request, renderer, out_dir)
    if result.problems:
        report(result.problems)
        print(f"skipped: packet {printable(args.packet)} (not rendered"
              f"{', no personal copy written' if personal else ''})", file=sys.stderr)
        return EXIT_INVALID
    notes = [status.description for status, watermark in zip(result.reviews, result.watermarks)
             if watermark or status.example]
    note = f", {'; '.join(dict.fromkeys(notes))}" if notes else ""
    note += ", watermarked" if any(result.watermarks) else ""
    note += ", personal copy: keep it private, delete it once printed" if personal else ""
    _wrote(result, f"{len(result.topics)} leaflets, {result.pages} pages{note}")
    return EXIT_OK


def _wrote(result: service.RenderResult | service.PacketResult, summary: str) -> None:
    """The PDF to standard output when it was not written to a file; then say where it went."""
    if result.path is None:
        sys.stdout.buffer.write(result.data)
        sys.stdout.flush()
        print(f"wrote standard output ({summary})", file=sys.stderr)
    else:
        print(f"wrote {result.path} ({summary})")

"""What the commands share: the brand and personal options, and how problems are shown."""

from __future__ import annotations

import argparse
import difflib
import sys
from collections.abc import Iterable
from pathlib import Path

from handout_builder.domain.personal import COMMAND_LINE, PersonalCopy, personal_copy
from handout_builder.domain.problems import InvalidOption, Problem, printable
from handout_builder.paths import BUILTIN_BRANDS_DIR, brand_names


def check_brand_dir(path: Path) -> None:
    """A ``--brand`` that names no folder: say so with the closest brand name and the list of
    brands (exit 1, like any other input that names something missing)."""
    if path.is_dir():
        return
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


def personal_from(args: argparse.Namespace) -> PersonalCopy | None:
    return personal_copy(args.patient_name, args.clinician, args.date, args.note)


def personal_options_given(args: argparse.Namespace) -> str:
    """The personal options on the command line, by name (never their values)."""
    names = [("--patient-name", args.patient_name), ("--clinician", args.clinician),
             ("--date", args.date), ("--note", args.note)]
    return ", ".join(option for option, value in names if value is not None)


def report(problems: Iterable[Problem]) -> None:
    for problem in problems:
        print(f"error: {problem}", file=sys.stderr)


def skipped(path: Path, personal: bool = False) -> None:
    written_none = ", no personal copy written" if personal else ""
    print(f"skipped: {printable(str(path))} (not rendered{written_none})", file=sys.stderr)

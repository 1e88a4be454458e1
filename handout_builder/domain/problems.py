"""Error types.

Two families, kept apart on purpose:

* :class:`UserError` and its subclasses are problems a person can fix (bad YAML, a missing
  field, an unusable brand). They carry :class:`Problem` records that name the file, line,
  field and a plain fix, and the command line prints them without a traceback.
* Anything else that escapes is a bug in make_handout. The command line prints its
  traceback and exits with :data:`EXIT_BUG`, so the two are never confused.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

#: Exit statuses of the ``make-handout`` command (documented in the README).
EXIT_OK = 0
EXIT_INVALID = 1  # some input was invalid or could not be rendered (the rest were written)
EXIT_USAGE = 2  # wrong command-line usage
EXIT_BUG = 3  # an internal error (a bug in make_handout): please report it


#: Characters never shown raw: controls could move the cursor, recolour or clear the
#: terminal (ESC and the other C0/C1 controls); format characters are invisible or reorder
#: what is shown (zero-width spaces, soft hyphens, bidirectional controls).
_UNSAFE_CATEGORIES = ("Cc", "Cf", "Zl", "Zp", "Cs", "Co", "Cn")


def printable(text: str) -> str:
    """``text`` with every control character shown as an escape (``\\x1b``, ``\\u202e``).

    Every message shown to a person passes through here (:meth:`Problem.__str__`), so a
    value or a file name quoted in a message can never drive the terminal.
    """
    if text.isprintable():
        return text
    out = []
    for char in text:
        if char == " " or unicodedata.category(char) not in _UNSAFE_CATEGORIES:
            out.append(char)
        elif ord(char) < 0x100:
            out.append(f"\\x{ord(char):02x}")
        elif ord(char) < 0x10000:
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(f"\\U{ord(char):08x}")
    return "".join(out)


def location(file: str, line: int | None, column: int | None) -> str:
    """``file:line:column``, with the parts that are known."""
    where = file
    if line is not None:
        where += f":{line}"
        if column is not None:
            where += f":{column}"
    return where


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one input, located as precisely as we can."""

    file: str
    message: str
    fix: str = ""
    field: str = ""
    line: int | None = None
    column: int | None = None
    value: str | None = None
    #: Where the located text ends (1-based, just after its last character), when known:
    #: ``line:column`` to ``end_line:end_column`` is the range an editor can underline.
    end_line: int | None = None
    end_column: int | None = None
    #: For ``check``: ``error``, ``warning`` or ``info``, and the stable name of the check
    #: (docs/checks.md). Problems that stop a command are errors.
    severity: str = "error"
    code: str = ""

    @property
    def location(self) -> str:
        """``file:line:column``, with the parts that are known."""
        return location(self.file, self.line, self.column)

    def __str__(self) -> str:
        text = f"{self.location}: "
        if self.field:
            text += f"{self.field}: "
        text += self.message
        if self.value is not None:
            text += f" (found: {self.value})"
        if self.fix:
            text += f" Fix: {self.fix}"
        return printable(text)


class UserError(Exception):
    """A problem with the user's input or setup; carries one or more :class:`Problem`."""

    def __init__(self, problems: list[Problem] | Problem):
        self.problems = [problems] if isinstance(problems, Problem) else list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class InvalidTopic(UserError):
    """A topic file cannot be read or does not follow the topic format."""


class InvalidBrand(UserError):
    """A brand folder is missing a file or its ``brand.yaml`` is invalid."""


class RenderRefused(UserError):
    """The topic is valid but cannot be turned into a good leaflet (layout or output problem)."""


class InvalidOption(UserError):
    """A command-line value (personal details, an address, a size) cannot be used.

    Its problems name the option and the rule, never the value: the value may be personal.
    """


class EmailFailed(UserError):
    """The message was not built, written or sent (size budget, SMTP refusal, no connection)."""

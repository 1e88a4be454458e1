"""Loading and validation: a topic or brand file becomes a model, or a list of problems.

The YAML is parsed safely (no Python objects are ever constructed), every key keeps its line
and column, and Pydantic's error paths are mapped back to those positions and rewritten in
plain words. All problems of one file are collected and raised together as one
:class:`~handout_builder.domain.problems.InvalidTopic` (or :class:`~handout_builder.domain.problems.InvalidBrand`).
"""

from __future__ import annotations

import errno
import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from handout_builder.domain import wording as messages
from handout_builder.domain.error_wording import problems_from
from handout_builder.domain.translation import translation_stem
from handout_builder.domain.models import (
    CONTROL_CHARACTERS, ID_PATTERN, Brand, Topic, is_control_character,
)
from handout_builder.domain.positions import Path_, Position, field_name
from handout_builder.domain.problems import InvalidBrand, InvalidTopic, Problem, UserError
from handout_builder.sources.confined import confined_file
from handout_builder.sources.text_rules import check_topic  # what will print: characters, font, word lengths

MAX_FILE_BYTES = 1_000_000
MAX_PROBLEMS_PER_KIND = 20
#: Control characters the file check never reports: the tab, and the line breaks that
#: ``str.splitlines`` splits at.
_NOT_REPORTED = frozenset("\t\n\r\x0b\x0c\x1c\x1d\x1e\x85")
#: Values an alias (``*name``) may repeat, all aliases of a file together. Aliases are for
#: repeating a small piece (a reference, a reviewer); nested aliases that repeat one another
#: would otherwise grow exponentially (a 653-byte file once took 35 s and 3 GB).
MAX_ALIAS_VALUES = 10_000
#: Lists and groups inside one another; a topic needs four or five levels.
MAX_DEPTH = 40
#: A whole number longer than this is refused before Python converts it (numbers in the
#: formats are years, months and grades; a 5,000-digit number once raised deep inside).
MAX_NUMBER_CHARACTERS = 30


_STANDARD_TAGS = {
    "tag:yaml.org,2002:" + name for name in ("str", "int", "float", "bool", "null", "map", "seq")
}


class _SafeLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # libyaml when present
    """PyYAML's safe loader, but dates stay text so that Pydantic validates (and locates) them."""


_SafeLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


@dataclass(frozen=True)
class LoadedTopic:
    """A validated topic with where it came from. ``topic.id`` is always set."""

    path: Path
    source: bytes
    topic: Topic
    #: Line and column (1-based) of every key and list item, by path: ``("sections", 0, "body")``.
    positions: dict[Path_, Position] = field(default_factory=dict, compare=False, repr=False)

    @property
    def id(self) -> str:
        assert self.topic.id is not None
        return self.topic.id


# --------------------------------------------------------------------------------------
# Public entry points
# --------------------------------------------------------------------------------------


def load_topic(path: Path | str) -> LoadedTopic:
    """Read, parse and validate one topic file; raise :class:`InvalidTopic` with every problem
    (its figures' files included: see :mod:`handout_builder.sources.figures`)."""
    from handout_builder.sources.figures import figure_files  # Pillow: only when there are figures

    path = Path(path)
    loaded = load_topic_bytes(_read_bytes(path, str(path), InvalidTopic), path)
    if any(section.figures for section in loaded.topic.sections):
        figure_files(loaded)
    return loaded


def load_topic_bytes(source: bytes, name: Path | str) -> LoadedTopic:
    """Parse and validate a topic given as bytes (a web form, a remote worker, a test).

    ``name`` stands for the file: problems are located in it, its stem is the default id and
    its last part names the embedded source. Nothing is read from disk.
    """
    path = Path(name)
    shown = str(path)
    spans: dict[Path_, tuple[int, int]] = {}
    data, positions, problems = _parse(source, shown, InvalidTopic, spans)
    if "id" in data and data["id"] is None:
        line, column = positions.get(("id",), (None, None))
        problems.append(
            Problem(shown, "This field is empty.", "Write the handout id (e.g. `id: heart-health`), "
                    "or delete the line to use the file name.", field="id", line=line, column=column)
        )
        data = {k: v for k, v in data.items() if k != "id"}
    elif "id" not in data:
        named = translation_stem(path.stem)  # x.es.yaml: a translation of x
        id_problem = None if named else _default_id_problem(path, shown)
        if id_problem is None:
            data = {"id": named[0] if named else path.stem, **data}
        else:
            problems.insert(0, id_problem)
    language = data.get("language", "en")
    if isinstance(language, str) and not messages.supports(language):
        line, column = positions.get(("language",), (None, None))
        problems.append(
            Problem(
                shown,
                f"There is no leaflet wording for the language '{language}' yet.",
                "Use one of: " + ", ".join(messages.available_languages())
                + " (or add a catalogue in handout_builder/assets/messages/).",
                field="language",
                line=line,
                column=column,
            )
        )
    problems += _translation_name_problems(path, shown, data, positions)
    topic = _validate(Topic, data, positions, shown, problems, InvalidTopic)
    printing = check_topic(topic, positions, shown, source.decode("utf-8-sig"), spans)
    if printing:
        raise InvalidTopic(printing)
    return LoadedTopic(path=path, source=source, topic=topic, positions=positions)


def _translation_name_problems(
    path: Path, shown: str, data: dict, positions: dict[Path_, Position]
) -> list[Problem]:
    """A translation is named ``<id>.<lang>.yaml`` and says so; a source is not."""
    named = translation_stem(path.stem)
    block = data.get("translation")
    if named is None:
        if block is None:
            return []
        line, column = positions.get(("translation",), (None, None))
        return [Problem(shown, "This file has a translation block, but its name is not "
                        "<id>.<language>.yaml, so it would be taken for a source topic.",
                        f"Rename it to {path.stem}.{data.get('language', 'xx')}.yaml, beside its "
                        "source.", field="translation", line=line, column=column)]
    found = []
    language = data.get("language")
    if not isinstance(language, str) or language.lower() != named[1].lower():
        line, column = positions.get(("language",), (1, 1))
        found.append(Problem(shown, f"The file name says this is the '{named[1]}' translation, "
                             f"but `language:` is {language!r}.",
                             f"Set `language: {named[1]}`, or rename the file.",
                             field="language", line=line, column=column))
    if block is None:
        found.append(Problem(shown, "A file named <id>.<language>.yaml is a translation, but "
                             "this one has no translation block (source, translator, method, "
                             "fingerprint).", "Add a `translation:` block (see "
                             "docs/topic-format.md), or rename the file if it is not a "
                             "translation.", field="translation", line=1, column=1))
    return found


def declared_language(source: bytes) -> str | None:
    """The ``language:`` a topic's YAML declares (``en`` when it declares none), parsed safely
    but not validated; None when it cannot be read (loading it reports why). A matrix build
    decides with it which languages a topic file stands for before rendering it."""
    try:
        data, _, _ = _parse(source, "topic", InvalidTopic)
    except UserError:
        return None
    language = data.get("language", "en")
    return language if isinstance(language, str) else None


def declared_figures(source: bytes) -> list[str]:
    """The ``file`` of every figure a topic's YAML declares, parsed safely but not
    validated (only text values, in order); none when it declares none or cannot be read
    (loading it reports why). A build hashes these files with the topic."""
    if b"figures" not in source:
        return []  # most topics: no parse at all
    try:
        data, _, _ = _parse(source, "topic", InvalidTopic)
    except UserError:
        return []
    sections = data.get("sections") if isinstance(data, dict) else None
    files = []
    for section in sections if isinstance(sections, list) else []:
        figures = section.get("figures") if isinstance(section, dict) else None
        for figure in figures if isinstance(figures, list) else []:
            if isinstance(figure, dict) and isinstance(figure.get("file"), str):
                files.append(figure["file"])
    return files


def declared_id(source: bytes) -> str | None:
    """The ``id`` a topic's YAML declares, parsed safely but not validated; None when it
    declares none or cannot be read (the file name then gives the id)."""
    if b"id:" not in source:
        return None  # most topics: no parse at all
    try:
        data, _, _ = _parse(source, "topic", InvalidTopic)
    except UserError:
        return None
    value = data.get("id") if isinstance(data, dict) else None
    return value if isinstance(value, str) else None


def load_model(model: type[BaseModel], path: Path, error: type[UserError]) -> Any:
    """Read, parse and validate any YAML settings file against ``model`` (safely, located)."""
    shown = str(path)
    source = _read_bytes(path, shown, error)
    data, positions, problems = _parse(source, shown, error)
    return _validate(model, data, positions, shown, problems, error)


@dataclass(frozen=True)
class LoadedBrand:
    """A validated brand and its folder (which holds ``brand.yaml``, the logo, any overrides)."""

    dir: Path
    brand: Brand

    @property
    def logo_path(self) -> Path:
        return self.dir / self.brand.logo


def load_brand(directory: Path | str) -> LoadedBrand:
    """Load ``<directory>/brand.yaml`` and check that the logo is there."""
    directory = Path(directory).resolve()
    if not directory.is_dir():
        raise InvalidBrand(
            Problem(str(directory), "The brand folder does not exist.",
                    "Name a brand folder (one holding brand.yaml), e.g. --brand styles/my-clinic.")
        )
    brand = load_brand_file(directory / "brand.yaml")
    confined_file(directory, brand.logo, what="The logo file", error=InvalidBrand,
                  shown=str(directory / "brand.yaml"), field="logo",
                  fix="Put the logo (SVG or PNG) beside brand.yaml, as a plain file.")
    return LoadedBrand(dir=directory, brand=brand)


def load_brand_file(path: Path) -> Brand:
    """Read, parse and validate a ``brand.yaml``; raise :class:`InvalidBrand` with every problem."""
    shown = str(path)
    source = _read_bytes(path, shown, InvalidBrand)
    data, positions, problems = _parse(source, shown, InvalidBrand)
    return _validate(Brand, data, positions, shown, problems, InvalidBrand)


def _default_id_problem(path: Path, shown: str) -> Problem | None:
    if re.fullmatch(ID_PATTERN, path.stem) and len(path.stem) <= 80:
        return None
    suggestion = re.sub(r"[^a-z0-9]+", "-", path.stem.lower()).strip("-") or "my-topic"
    return Problem(
        file=shown,
        line=1,
        column=1,
        field="id",
        message=(
            f"The file name '{path.stem}' cannot be used as the handout id (the output file "
            "name): ids use only lowercase letters, digits and single hyphens."
        ),
        fix=f"Add `id: {suggestion[:80]}` at the top, or rename the file to {suggestion[:80]}.yaml.",
    )


# --------------------------------------------------------------------------------------
# Reading and parsing
# --------------------------------------------------------------------------------------


def read_regular_file(path: Path, limit: int = MAX_FILE_BYTES) -> bytes:
    """The bytes of ``path`` if it is a regular file of at most ``limit`` bytes.

    Only regular files are read: a FIFO, a device or a folder would block the reader or
    never end, so the file is opened without waiting (``O_NONBLOCK``) and checked with
    ``fstat`` before anything is read. Raises :class:`OSError` (``errno`` tells why;
    ``EFBIG`` when over ``limit``, ``EISDIR`` for a folder, ``EINVAL`` for anything else that
    is not a regular file).
    """
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    fd = os.open(path, flags)
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise IsADirectoryError(errno.EISDIR, "is a folder", str(path))
        if not stat.S_ISREG(info.st_mode):
            raise OSError(errno.EINVAL, "not a regular file", str(path))
        if info.st_size > limit:
            raise OSError(errno.EFBIG, "file too large", str(path))
        with os.fdopen(fd, "rb", closefd=True) as handle:
            fd = -1
            data = handle.read(limit + 1)
    finally:
        if fd >= 0:
            os.close(fd)
    if len(data) > limit:
        raise OSError(errno.EFBIG, "file too large", str(path))
    return data


def _read_bytes(path: Path, shown: str, error: type[UserError]) -> bytes:
    try:
        return read_regular_file(path)
    except FileNotFoundError:
        raise error(Problem(shown, "The file does not exist.", "Check the path.")) from None
    except IsADirectoryError:
        raise error(Problem(shown, "This is a folder, not a file.", "Name a .yaml file.")) from None
    except PermissionError:
        raise error(
            Problem(shown, "The file cannot be read (permission denied).", "Check its permissions.")
        ) from None
    except OSError as exc:
        if exc.errno == errno.EFBIG:
            raise error(
                Problem(
                    shown,
                    f"The file is larger than {MAX_FILE_BYTES // 1_000_000} MB.",
                    "A topic is text only; split it into several topics.",
                )
            ) from None
        if exc.errno in (errno.EINVAL, errno.ENXIO):
            raise error(
                Problem(
                    shown,
                    "This is not a regular file (it is a pipe, a device or a socket), so it is "
                    "not read.",
                    "Name a .yaml file saved on disk.",
                )
            ) from None
        raise error(Problem(shown, f"The file cannot be read: {exc.strerror}.")) from None


def _decode(source: bytes, shown: str, error: type[UserError]) -> str:
    try:
        text = source.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = source.count(b"\n", 0, exc.start) + 1
        column = exc.start - (source.rfind(b"\n", 0, exc.start) + 1) + 1
        raise error(
            Problem(
                shown,
                f"The file is not UTF-8 text (byte 0x{source[exc.start]:02X} cannot be read).",
                "Save the file as UTF-8 in your editor (often 'Save with encoding').",
                line=line,
                column=column,
            )
        ) from None
    if all(found.group() in _NOT_REPORTED for found in CONTROL_CHARACTERS.finditer(text)):
        return text  # the common case: one search instead of a look at every character
    problems = []
    for line_no, line in enumerate(text.splitlines(), start=1):
        for col, char in enumerate(line, start=1):
            if char == "\t" or not is_control_character(char):
                continue
            problems.append(
                Problem(
                    shown,
                    f"The invisible control character U+{ord(char):04X} is not allowed.",
                    "Delete it (it often comes from copying text out of another program).",
                    line=line_no,
                    column=col,
                )
            )
    if problems:
        raise error(problems[:MAX_PROBLEMS_PER_KIND])
    return text


def _parse(
    source: bytes, shown: str, error: type[UserError],
    spans: dict[Path_, tuple[int, int]] | None = None,
) -> tuple[dict, dict[Path_, Position], list[Problem]]:
    """Parse YAML safely: (data, position of every key and item, duplicate-key problems).

    ``spans``, when given, receives where each text value is written: (start, end) character
    offsets in the decoded text, so a problem can point at a character inside a value.

    Problems that stop parsing (syntax, encoding, refused tags) are raised at once.
    """
    text = _decode(source, shown, error)
    if not text.strip():
        raise error(
            Problem(
                shown,
                "The file is empty.",
                "Write the topic's fields; docs/topic-format.md has a complete example.",
                line=1,
            )
        )
    loader = _SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            raise error(
                Problem(
                    shown,
                    "The file has no content (only comments).",
                    "Write the topic's fields; docs/topic-format.md has a complete example.",
                    line=1,
                )
            )
        positions: dict[Path_, Position] = {(): _pos(node.start_mark, node.end_mark)}
        problems: list[Problem] = []
        walk = _Walk(shown, positions, problems, spans)
        walk.visit(node, (), ())
        if walk.fatal:  # constructing these would crash, merge keys or explode: stop here
            raise error(_dedupe(problems))
        data = loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        what = exc.problem or "invalid YAML"
        if "found another document" in str(exc):
            what = "the file holds more than one YAML document (a line with ---)"
        tab = _indentation_tab(text, mark)
        if tab is not None:
            raise error(
                Problem(
                    shown,
                    "YAML syntax error: a tab character is used for indentation; YAML needs "
                    "spaces.",
                    "Replace the tab with spaces (set your editor to insert spaces for Tab in "
                    "YAML files).",
                    line=tab[0],
                    column=tab[1],
                )
            ) from None
        raise error(
            Problem(
                shown,
                f"YAML syntax error: {what}.",
                "Check the indentation and quoting on this line and the one before it; text "
                "containing ': ' or starting with a special character (such as * & ! % @ `) "
                "must be in quotes.",
                line=mark.line + 1 if mark else None,
                column=mark.column + 1 if mark else None,
            )
        ) from None
    except RecursionError:  # the pure-Python parser (without libyaml) on very deep nesting
        raise error(
            Problem(shown, f"The values are nested more than {MAX_DEPTH} levels deep.",
                    "Topic files need only a few levels; check the indentation and brackets.")
        ) from None
    except yaml.YAMLError as exc:  # pragma: no cover - the reader checks come first
        raise error(Problem(shown, f"YAML error: {exc}.")) from None
    finally:
        loader.dispose()
    if not isinstance(data, dict):
        raise error(
            Problem(
                shown,
                "The top level of the file must be a set of `key: value` fields.",
                "Start with `title: ...`; docs/topic-format.md has a complete example.",
                line=1,
            )
        )
    return data, positions, problems


def _indentation_tab(text: str, mark: yaml.Mark | None) -> tuple[int, int] | None:
    """Where a tab sits in the indentation (spaces and ``-`` markers) of the line a YAML
    syntax error points at, or None: PyYAML's own words for it never say "tab"."""
    if mark is None:
        return None
    lines = text.split("\n")
    if not 0 <= mark.line < len(lines):
        return None
    indentation = re.match(r"[ \t-]*", lines[mark.line]).group(0)  # type: ignore[union-attr]
    if "\t" not in indentation:
        return None
    return (mark.line + 1, indentation.index("\t") + 1)


def _pos(mark: yaml.Mark, end: yaml.Mark | None = None) -> Position:
    """The 1-based position of ``mark``; with ``end``, where the value ends too."""
    if end is None:
        return Position(mark.line + 1, mark.column + 1)
    return Position(mark.line + 1, mark.column + 1, end.line + 1, end.column + 1)


class _AliasLimit(Exception):
    """The walk stops: aliases repeat too much, or a value contains itself."""


class _Walk:
    """Visit every node once per place it is used, recording positions and refusing what
    cannot be constructed safely: tags other than the standard ones, keys that are not text,
    numbers too long to convert, nesting too deep, aliases that contain themselves or repeat
    more than :data:`MAX_ALIAS_VALUES` values."""

    def __init__(self, shown: str, positions: dict[Path_, Position], problems: list[Problem],
                 spans: dict[Path_, tuple[int, int]] | None = None):
        self.spans = {} if spans is None else spans
        self.shown = shown
        self.positions = positions
        self.problems = problems
        self.fatal = False
        self.seen: set[int] = set()
        self.repeated = 0

    def refuse(self, path: Path_, mark: yaml.Mark, message: str, fix: str, field: str = "") -> None:
        self.fatal = True
        self.problems.append(
            Problem(self.shown, message, fix, field=field or field_name(path),
                    line=mark.line + 1, column=mark.column + 1)
        )

    def visit(self, node: yaml.Node, path: Path_, ancestors: tuple[int, ...],
              used_at: yaml.Mark | None = None) -> None:
        try:
            self._visit(node, path, ancestors, used_at or node.start_mark, None)
        except _AliasLimit:
            pass

    def _visit(self, node: yaml.Node, path: Path_, ancestors: tuple[int, ...],
               used_at: yaml.Mark, alias_at: tuple[Path_, yaml.Mark] | None) -> None:
        """``alias_at``: where the alias being expanded is used (None outside one)."""
        key = id(node)
        if key in ancestors:
            self.refuse(path, used_at, "This alias (*name) refers to the value that contains it, "
                        "so the value would never end.", "Write the value out instead of the alias.")
            raise _AliasLimit
        if key in self.seen and alias_at is None:
            alias_at = (path, used_at)  # a second use of the same node: an alias
        self.seen.add(key)
        aliased = alias_at is not None
        if aliased:
            self.repeated += 1
            if self.repeated > MAX_ALIAS_VALUES:
                assert alias_at is not None
                self.refuse(alias_at[0], alias_at[1], f"The aliases (*name) in this file repeat more than "
                            f"{MAX_ALIAS_VALUES:,} values.", "Aliases are for repeating a "
                            "small piece; write the values out, or use fewer, smaller aliases.")
                raise _AliasLimit
        if len(ancestors) > MAX_DEPTH:
            self.refuse(path, used_at, f"The values are nested more than {MAX_DEPTH} levels deep.",
                        "Topic files need only a few levels; check the indentation and brackets.")
            raise _AliasLimit
        if node.tag not in _STANDARD_TAGS:
            self.refuse(
                path, node.start_mark,
                f"The YAML tag {node.tag} is not allowed: topic files hold only text, numbers, "
                "lists and `key: value` fields.",
                "Remove the tag (the word starting with ! before the value).",
                field="(tag) " + field_name(path) if path else "(tag)",
            )
            return
        if isinstance(node, yaml.ScalarNode):
            if not aliased:
                self.spans[path] = (node.start_mark.index, node.end_mark.index)
            if node.tag.endswith(":int") and len(node.value) > MAX_NUMBER_CHARACTERS:
                self.refuse(path, node.start_mark, f"This number is longer than "
                            f"{MAX_NUMBER_CHARACTERS} characters.", "Correct the number; put "
                            "it in quotes if it is meant as text.")
            return
        inside = ancestors + (key,)
        if isinstance(node, yaml.MappingNode):
            seen_keys: dict[Any, int] = {}
            for key_node, value_node in node.value:
                if key_node.tag.endswith(":merge"):
                    self.refuse(path + ("<<",), key_node.start_mark,
                                "YAML merge keys (<<) are not part of the format.",
                                "Write the fields out in full.")
                    continue
                if not (isinstance(key_node, yaml.ScalarNode) and key_node.tag.endswith(":str")):
                    shown_key = key_node.value if isinstance(key_node, yaml.ScalarNode) else "..."
                    self.refuse(
                        path + (str(shown_key),), key_node.start_mark,
                        "This key is not text (a number, yes/no, a date, null or a list); "
                        "keys must be text.",
                        "Use one of the field names of the format; put a key in quotes if it "
                        "really is meant as text.",
                    )
                    continue
                name = key_node.value
                child = path + (name,)
                if name in seen_keys:
                    self.problems.append(
                        Problem(
                            self.shown,
                            f"The field `{name}` appears twice here (first on line {seen_keys[name]}).",
                            "Keep one of them: merge the two or delete the duplicate.",
                            field=field_name(child),
                            line=key_node.start_mark.line + 1,
                            column=key_node.start_mark.column + 1,
                            end_line=value_node.end_mark.line + 1,
                            end_column=value_node.end_mark.column + 1,
                        )
                    )
                    continue
                seen_keys[name] = key_node.start_mark.line + 1
                if not aliased:
                    self.positions[child] = _pos(key_node.start_mark, value_node.end_mark)
                self._visit(value_node, child, inside, key_node.start_mark, alias_at)
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                child = path + (index,)
                if not aliased:
                    self.positions[child] = _pos(item.start_mark, item.end_mark)
                self._visit(item, child, inside, node.start_mark if id(item) in self.seen
                            else item.start_mark, alias_at)


def _dedupe(problems: list[Problem]) -> list[Problem]:
    out: list[Problem] = []
    for p in problems:
        if p not in out:
            out.append(p)
    return out


# --------------------------------------------------------------------------------------
# Validation and plain-language messages
# --------------------------------------------------------------------------------------


def _validate(
    model: type[BaseModel],
    data: dict,
    positions: dict[Path_, Position],
    shown: str,
    problems: list[Problem],
    error: type[UserError],
) -> Any:
    """Validate ``data``; raise ``error`` with ``problems`` plus every validation problem."""
    try:
        result = model.model_validate(data)
    except ValidationError as exc:
        problems = problems + problems_from(exc, model, shown, positions)
    if problems:
        problems = sorted(_dedupe(problems), key=lambda p: (p.line or 0, p.column or 0))
        raise error(problems)
    return result



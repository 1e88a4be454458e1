"""Loading and validation: a topic or brand file becomes a model, or a list of problems.

The YAML is parsed safely (no Python objects are ever constructed), every key keeps its line
and column, and Pydantic's error paths are mapped back to those positions and rewritten in
plain words. All problems of one file are collected and raised together as one
:class:`~handout_builder.errors.InvalidTopic` (or :class:`~handout_builder.errors.InvalidBrand`).
"""

from __future__ import annotations

import difflib
import re
import types
import typing
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from . import messages
from .confined import confined_file
from .errors import InvalidBrand, InvalidTopic, Problem, UserError
from .model import ID_PATTERN, Brand, Topic

MAX_FILE_BYTES = 1_000_000
MAX_PROBLEMS_PER_KIND = 20

Path_ = tuple[str | int, ...]
Position = tuple[int, int]  # 1-based line and column

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
    """Read, parse and validate one topic file; raise :class:`InvalidTopic` with every problem."""
    path = Path(path)
    shown = str(path)
    source = _read_bytes(path, shown, InvalidTopic)
    data, positions, problems = _parse(source, shown, InvalidTopic)
    if "id" not in data:
        id_problem = _default_id_problem(path, shown)
        if id_problem is None:
            data = {"id": path.stem, **data}
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
                + " (or add a catalogue in handout_builder/messages/).",
                field="language",
                line=line,
                column=column,
            )
        )
    topic = _validate(Topic, data, positions, shown, problems, InvalidTopic)
    return LoadedTopic(path=path, source=source, topic=topic, positions=positions)


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
                    "Name a folder under styles/, e.g. --brand styles/default.")
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


def _read_bytes(path: Path, shown: str, error: type[UserError]) -> bytes:
    try:
        if path.is_dir():
            raise error(Problem(shown, "This is a folder, not a file.", "Name a .yaml file."))
        with path.open("rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        raise error(Problem(shown, "The file does not exist.", "Check the path.")) from None
    except PermissionError:
        raise error(
            Problem(shown, "The file cannot be read (permission denied).", "Check its permissions.")
        ) from None
    except OSError as exc:
        raise error(Problem(shown, f"The file cannot be read: {exc.strerror}.")) from None
    if len(data) > MAX_FILE_BYTES:
        raise error(
            Problem(
                shown,
                f"The file is larger than {MAX_FILE_BYTES // 1_000_000} MB.",
                "A topic is text only; split it into several topics.",
            )
        )
    return data


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
    problems = []
    for line_no, line in enumerate(text.splitlines(), start=1):
        for col, char in enumerate(line, start=1):
            if char == "\t" or not _is_control(char):
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


def _is_control(char: str) -> bool:
    return unicodedata.category(char) == "Cc" or char in (
        "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
    )


def _parse(
    source: bytes, shown: str, error: type[UserError]
) -> tuple[dict, dict[Path_, Position], list[Problem]]:
    """Parse YAML safely: (data, position of every key and item, duplicate-key problems).

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
        positions: dict[Path_, Position] = {(): _pos(node.start_mark)}
        problems: list[Problem] = []
        _walk(node, (), positions, problems, shown)
        if any(p.field.startswith("(tag)") for p in problems):
            raise error(_dedupe(problems))
        data = loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        what = exc.problem or "invalid YAML"
        if "found another document" in str(exc):
            what = "the file holds more than one YAML document (a line with ---)"
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


def _pos(mark: yaml.Mark) -> Position:
    return (mark.line + 1, mark.column + 1)


def _walk(
    node: yaml.Node, path: Path_, positions: dict[Path_, Position], problems: list[Problem], shown: str
) -> None:
    if node.tag not in _STANDARD_TAGS:
        problems.append(
            Problem(
                shown,
                f"The YAML tag {node.tag} is not allowed: topic files hold only text, numbers, "
                "lists and `key: value` fields.",
                "Remove the tag (the word starting with ! before the value).",
                field="(tag) " + _field_name(path) if path else "(tag)",
                line=node.start_mark.line + 1,
                column=node.start_mark.column + 1,
            )
        )
        return
    if isinstance(node, yaml.MappingNode):
        seen: dict[Any, int] = {}
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else str(key_node.value)
            child = path + (key,)
            if key in seen:
                problems.append(
                    Problem(
                        shown,
                        f"The field `{key}` appears twice here (first on line {seen[key]}).",
                        "Keep one of them: merge the two or delete the duplicate.",
                        field=_field_name(child),
                        line=key_node.start_mark.line + 1,
                        column=key_node.start_mark.column + 1,
                    )
                )
                continue
            seen[key] = key_node.start_mark.line + 1
            positions[child] = _pos(key_node.start_mark)
            _walk(value_node, child, positions, problems, shown)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            child = path + (index,)
            positions[child] = _pos(item.start_mark)
            _walk(item, child, positions, problems, shown)


def _dedupe(problems: list[Problem]) -> list[Problem]:
    out: list[Problem] = []
    for p in problems:
        if p not in out:
            out.append(p)
    return out


# --------------------------------------------------------------------------------------
# Validation and plain-language messages
# --------------------------------------------------------------------------------------


def _field_name(path: Path_) -> str:
    """``('sections', 2, 'heading')`` -> ``sections.3.heading`` (list items counted from 1)."""
    parts = [str(p + 1) if isinstance(p, int) else str(p) for p in path]
    return ".".join(parts)


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
        problems = problems + [_problem(model, err, positions, shown) for err in exc.errors()]
    if problems:
        problems = sorted(_dedupe(problems), key=lambda p: (p.line or 0, p.column or 0))
        raise error(problems)
    return result


def _position_of(loc: Path_, positions: dict[Path_, Position]) -> Position | None:
    path = tuple(loc)
    while path and path not in positions:
        path = path[:-1]
    return positions.get(path)


def _model_at(model: type[BaseModel], loc: Path_) -> type[BaseModel] | None:
    """The model class that holds the last key of ``loc`` (to list allowed fields)."""
    current: Any = model
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        if not (isinstance(current, type) and issubclass(current, BaseModel)):
            return None
        field = current.model_fields.get(part)
        if field is None:
            return None
        current = _unwrap(field.annotation)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return current
    return None


def _unwrap(annotation: Any) -> Any:
    while True:
        origin = typing.get_origin(annotation)
        if origin in (typing.Union, types.UnionType):
            args = [a for a in typing.get_args(annotation) if a is not type(None)]
            annotation = args[0] if args else annotation
        elif origin in (list, tuple, typing.Annotated):
            annotation = typing.get_args(annotation)[0]
        else:
            return annotation


def _short(value: Any) -> str | None:
    if isinstance(value, (dict, list)):
        return None
    text = repr(value) if not isinstance(value, str) else f"'{value}'"
    return text if len(text) <= 60 else text[:57] + "...'"


_PATTERN_FIXES = {
    "id": "Use only lowercase letters, digits and single hyphens, e.g. `heart-health`.",
    "language": "Use a language tag such as en, en-US or es.",
    "url": "Write the full web address, starting with https:// (or http://).",
    "logo": "Name an .svg or .png file inside the brand folder, e.g. logo.svg.",
}


def _problem(model: type[BaseModel], err: dict, positions: dict[Path_, Position], shown: str) -> Problem:
    loc: Path_ = tuple(err["loc"])
    kind = err["type"]
    ctx = err.get("ctx") or {}
    name = str(loc[-1]) if loc else ""
    field = _field_name(loc)
    value = _short(err.get("input")) if kind not in ("missing",) else None
    position = _position_of(loc, positions)
    fix = ""
    if kind == "missing":
        message = "This required field is missing."
        fix = f"Add `{name}:` with a value here."
    elif kind == "extra_forbidden":
        holder = _model_at(model, loc)
        allowed = sorted(holder.model_fields) if holder else []
        message = "This field is not part of the format."
        close = difflib.get_close_matches(name, allowed, n=1)
        fix = f"Did you mean `{close[0]}`? " if close else "Remove it, or check its spelling. "
        if allowed:
            fix += "Fields allowed here: " + ", ".join(allowed) + "."
        value = None
    elif kind in ("string_type", "str_type"):
        message = "This should be text."
        fix = "Write text here; put it in quotes if it looks like a number, a date or yes/no."
    elif kind in ("list_type", "tuple_type"):
        message = "This should be a list."
        fix = "Write each item on its own line, starting with '- '."
    elif kind in ("model_type", "dict_type", "model_attributes_type"):
        message = "This should be a group of `key: value` fields."
        fix = "Indent the fields under this key; docs/topic-format.md shows the layout."
        value = None
    elif kind == "string_pattern_mismatch":
        message = "This value does not have the required form."
        fix = _PATTERN_FIXES.get(name, f"It must match {ctx.get('pattern')}.")
        if str(loc[0]) == "colours":
            fix = "Write the colour as #rrggbb, e.g. #1d4f7a."
    elif kind == "string_too_long" or (kind == "too_long" and isinstance(err.get("input"), str)):
        message = f"This is too long (at most {ctx.get('max_length')} characters)."
        fix = "Shorten it."
    elif kind == "too_short":
        message = f"This needs at least {ctx.get('min_length')} item(s)."
        fix = "Add the missing item(s)."
        value = None
    elif kind == "too_long":
        message = f"This has too many items (at most {ctx.get('max_length')})."
        fix = "Keep the most important ones."
        value = None
    elif kind.startswith("date") or (kind == "value_error" and "YYYY-MM-DD" in err["msg"]):
        if kind == "value_error":
            message = "This is not a date written as YYYY-MM-DD."
        else:
            message = "This is not a real calendar date."
        fix = "Write an existing date as YYYY-MM-DD, e.g. 2024-03-01."
    elif kind in ("int_type", "int_parsing", "int_from_float"):
        message = "This should be a whole number."
        fix = "Write digits only, e.g. 2024."
    elif kind in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
        message = f"This number is out of range ({err['msg'].lower()})."
        fix = "Correct the number."
    elif kind == "literal_error":
        message = f"This must be one of: {ctx.get('expected')}."
        fix = "Use one of the listed values."
    elif kind == "value_error":
        message = "This " + str(err["msg"]).removeprefix("Value error, ") + "."
        fix = "Correct the value." if "control character" not in message else (
            "Delete the character (it often comes from copying text out of another program)."
        )
        if "is empty" in message:
            message, fix = "This field is empty.", "Write a value, or delete the field if it is optional."
    else:
        message = str(err["msg"]) + "."
    return Problem(
        file=shown,
        message=message,
        fix=fix,
        field=field,
        line=position[0] if position else None,
        column=position[1] if position else None,
        value=value,
    )

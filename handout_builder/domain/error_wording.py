"""Validation errors in plain words: the one translator of Pydantic's errors.

The wording is data, ``handout_builder/assets/errors.yaml``: by Pydantic error type (and our
validators' own types), a message and a fix for each audience: ``file`` (topic, brand,
library settings, jargon lists: located at the key, the value quoted) and ``command_line``
(a patient's personal copy: the option named, the value never shown).
:func:`problems_from` applies it to every error of one :class:`~pydantic.ValidationError`.

Imports: stdlib, pydantic, PyYAML and the rest of :mod:`handout_builder.domain` (and the
table from ``assets``).
"""

from __future__ import annotations

import difflib
import string
import types
import typing
from collections.abc import Mapping
from functools import cache
from importlib import resources
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ValidationError

from handout_builder.domain.positions import Path_, end_of, field_name, position_of
from handout_builder.domain.problems import Problem

Audience = Literal["file", "command_line"]
#: Longest quoted value (longer ones are cut with ``...``).
MAX_VALUE_CHARACTERS = 60


@cache
def wording_table() -> dict[str, dict[str, dict[str, Any]]]:
    """The table, by audience then error type (``assets/errors.yaml``)."""
    text = (resources.files("handout_builder") / "assets" / "errors.yaml").read_text("utf-8")
    return yaml.safe_load(text)


def problems_from(
    error: ValidationError,
    model: type[BaseModel],
    shown: str,
    positions: Mapping[Path_, tuple[int, int]] | None = None,
    audience: Audience = "file",
    fields: Mapping[str, str] | None = None,
) -> list[Problem]:
    """A :class:`Problem` for every error of ``error``, worded from the table.

    ``shown`` is the file name (or ``command line``); ``positions`` locate each field (the
    problem spans from the key to the end of its value); ``fields`` renames top-level fields
    (``patient_name`` -> ``--patient-name``). With ``audience="command_line"`` no problem
    carries the value, Pydantic's own words, or anything else taken from the value.
    """
    hide = audience == "command_line"
    return [
        _problem(err, model, shown, positions or {}, audience, fields)
        for err in error.errors(include_input=not hide, include_url=False)
    ]


def _problem(err: Any, model: type[BaseModel], shown: str,
             positions: Mapping[Path_, tuple[int, int]], audience: Audience,
             fields: Mapping[str, str] | None) -> Problem:
    table = wording_table()[audience]
    loc: Path_ = tuple(err["loc"])
    kind = err["type"]
    if kind == "too_long" and isinstance(err.get("input"), str):
        kind = "string_too_long"
    entry = table.get(kind) or table["default"]
    name = str(loc[-1]) if loc else ""
    values: dict[str, Any] = {k: _plain(v) for k, v in (err.get("ctx") or {}).items()}
    values["name"] = name
    fix = entry.get("fix", "")
    if audience == "file":
        values["detail"] = str(err["msg"]).removeprefix("Value error, ")
        if kind == "extra_forbidden":
            fix = _unknown_field_fix(entry, model, loc, name)
        fix = entry.get("fix_for", {}).get(name, fix)
        if loc and str(loc[0]) in entry.get("fix_under", {}):
            fix = entry["fix_under"][str(loc[0])]
    message = _fill(entry["message"], values)
    fix = _fill(fix, values)
    if fields is not None:
        field = fields.get(str(loc[0]), "") if loc else ""
    else:
        field = field_name(loc)
    value = None
    if audience == "file" and entry.get("value", True):
        value = _short(err.get("input"))
    position = position_of(loc, positions)
    line, column = position if position else (None, None)
    end_line, end_column = end_of(position)
    return Problem(file=shown, message=message, fix=fix.strip(), field=field, line=line,
                   column=column, value=value, end_line=end_line, end_column=end_column)


def _plain(value: Any) -> Any:
    """A limit as a person writes it: ``18``, not ``18.0``."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


def _fill(template: str, values: Mapping[str, Any]) -> str:
    """``template`` with its ``{placeholders}`` filled; an unknown one stays as written."""
    names = {n for _, n, _, _ in string.Formatter().parse(template) if n}
    return template.format_map({n: values.get(n, "{" + n + "}") for n in names})


def _unknown_field_fix(entry: Mapping[str, str], model: type[BaseModel], loc: Path_,
                       name: str) -> str:
    holder = _model_at(model, loc)
    allowed = sorted(holder.model_fields) if holder else []
    close = difflib.get_close_matches(name, allowed, n=1)
    fix = entry["suggestion"].format(close=close[0]) if close else entry["no_suggestion"]
    if allowed:
        fix += entry["allowed"].format(fields=", ".join(allowed))
    return fix.replace("{", "{{").replace("}", "}}")  # filled already: keep braces as written


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
    limit = MAX_VALUE_CHARACTERS
    return text if len(text) <= limit else text[: limit - 3] + "...'"

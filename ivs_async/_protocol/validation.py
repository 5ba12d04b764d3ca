"""Input validation against the model's constraints, compiled once per input shape.

Rules: required, type, enum, length (strings, lists, maps), range (numbers), pattern (full
match of the model's pattern) and union (exactly one member of a union structure set). Every
violation is collected with the member's path; values of sensitive members never appear in
messages. The client checks input models (Python paths); the
emulator in ``ivs_async.testing`` checks the same rules on wire JSON (wire paths).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

from ivs_async._exceptions import ParamValidationError, Violation
from ivs_async._protocol.schema import Kind, Shape

# check(value, path, violations); value is never None here.
Check = Callable[[Any, str, list[Violation]], None]

_TYPE_NAMES = {
    Kind.STRING: "a string",
    Kind.INTEGER: "an integer",
    Kind.LONG: "an integer",
    Kind.FLOAT: "a number",
    Kind.DOUBLE: "a number",
    Kind.BOOLEAN: "a boolean",
    Kind.TIMESTAMP: "a datetime",
}


def compile_validator(shape: Shape, operation: str) -> Callable[[Any], None]:
    """A function that raises ParamValidationError listing every rule ``value`` breaks."""
    check = _compile(shape, {}, wire=False)

    def validate(value: Any) -> None:
        violations: list[Violation] = []
        check(value, "", violations)
        if violations:
            raise ParamValidationError(operation, violations)

    return validate


def compile_wire_validator(shape: Shape) -> Callable[[Any], list[Violation]]:
    """A function listing every rule a decoded JSON ``value`` of ``shape`` breaks, by wire path."""
    check = _compile(shape, {}, wire=True)

    def violations(value: Any) -> list[Violation]:
        found: list[Violation] = []
        check(value, "", found)
        return found

    return violations


def _show(shape: Shape, value: object) -> str:
    return "(sensitive value hidden)" if shape.sensitive else repr(value)


def _compile(shape: Shape, done: dict[str, Check], *, wire: bool) -> Check:
    if shape.name in done:
        return done[shape.name]
    if shape.kind is Kind.STRUCTURE:
        check = _structure(shape, done, wire)
    elif shape.kind is Kind.LIST:
        check = _list(shape, done, wire)
    elif shape.kind is Kind.MAP:
        check = _map(shape, done, wire)
    else:
        check = _scalar(shape, wire)
    done[shape.name] = check
    return check


def _type_check(shape: Shape, wire: bool) -> Callable[[Any], bool]:
    kind = shape.kind
    if kind is Kind.STRING:
        return lambda v: isinstance(v, str)
    if kind in (Kind.INTEGER, Kind.LONG):
        return lambda v: isinstance(v, int) and not isinstance(v, bool)
    if kind in (Kind.FLOAT, Kind.DOUBLE):
        return lambda v: isinstance(v, int | float) and not isinstance(v, bool)
    if kind is Kind.BOOLEAN:
        return lambda v: isinstance(v, bool)
    if kind is Kind.TIMESTAMP:
        if wire:  # ISO 8601 text or epoch seconds
            return lambda v: isinstance(v, str | int | float) and not isinstance(v, bool)
        return lambda v: isinstance(v, datetime)
    raise AssertionError(kind)


def _bounds(shape: Shape, rule: str, unit: str) -> Callable[[float, str, Any, list[Violation]], None] | None:
    """Length or range check; ``measure`` is the length (or the number itself)."""
    lo, hi = shape.min, shape.max
    if lo is None and hi is None:
        return None

    limits = [f"at least {lo}" if lo is not None else "", f"at most {hi}" if hi is not None else ""]
    nan_message = f"must be {' and '.join(filter(None, limits))}, got NaN"

    def check(measure: float, path: str, value: Any, out: list[Violation]) -> None:
        if measure != measure:  # NaN: false against both bounds, yet within neither
            out.append(Violation(path, rule, nan_message))
        elif lo is not None and measure < lo:
            out.append(
                Violation(path, rule, f"must be at least {lo}{unit}, got {measure if unit else _show(shape, value)}")
            )
        elif hi is not None and measure > hi:
            out.append(
                Violation(path, rule, f"must be at most {hi}{unit}, got {measure if unit else _show(shape, value)}")
            )

    return check


def _scalar(shape: Shape, wire: bool) -> Check:
    is_type = _type_check(shape, wire)
    expected = _TYPE_NAMES[shape.kind]
    numeric = shape.kind in (Kind.INTEGER, Kind.LONG, Kind.FLOAT, Kind.DOUBLE)
    bounds = _bounds(shape, "range" if numeric else "length", "" if numeric else " characters")
    allowed = frozenset(e.value for e in shape.enum) if shape.enum is not None else None
    pattern = re.compile(shape.pattern) if shape.pattern is not None else None

    def check(value: Any, path: str, out: list[Violation]) -> None:
        if not is_type(value):
            out.append(Violation(path, "type", f"must be {expected}, got {type(value).__name__}"))
            return
        if allowed is not None and value not in allowed:
            out.append(
                Violation(path, "enum", f"must be one of {', '.join(sorted(allowed))}, got {_show(shape, value)}")
            )
            return
        if bounds is not None:
            bounds(value if numeric else len(value), path, value, out)
        if pattern is not None and not pattern.fullmatch(value):
            out.append(Violation(path, "pattern", f"must match {pattern.pattern!r}, got {_show(shape, value)}"))

    return check


def _list(shape: Shape, done: dict[str, Check], wire: bool) -> Check:
    assert shape.member is not None
    item = _compile(shape.member, done, wire=wire)
    bounds = _bounds(shape, "length", " items")

    def check(value: Any, path: str, out: list[Violation]) -> None:
        if not isinstance(value, list | tuple):
            out.append(Violation(path, "type", f"must be a list, got {type(value).__name__}"))
            return
        if bounds is not None:
            bounds(len(value), path, value, out)
        for i, element in enumerate(value):
            if element is None:
                out.append(Violation(f"{path}[{i}]", "required", "list items cannot be None"))
            else:
                item(element, f"{path}[{i}]", out)

    return check


def _map(shape: Shape, done: dict[str, Check], wire: bool) -> Check:
    assert shape.key is not None
    assert shape.value is not None
    key_check = _compile(shape.key, done, wire=wire)
    value_check = _compile(shape.value, done, wire=wire)
    bounds = _bounds(shape, "length", " entries")

    def check(value: Any, path: str, out: list[Violation]) -> None:
        if not isinstance(value, dict):
            out.append(Violation(path, "type", f"must be a dict, got {type(value).__name__}"))
            return
        if bounds is not None:
            bounds(len(value), path, value, out)
        for k, v in value.items():
            key_check(k, f"{path}<key {k!r}>" if isinstance(k, str) else f"{path}<key>", out)
            if v is None:
                out.append(Violation(f"{path}[{k!r}]", "required", "map values cannot be None"))
            else:
                value_check(v, f"{path}[{k!r}]", out)

    return check


def _structure(shape: Shape, done: dict[str, Check], wire: bool) -> Check:
    """A model (attributes by Python name) or, with ``wire``, decoded JSON (keys by wire name;
    members bound to the URI or query string arrive in the same dict)."""
    assert wire or shape.cls is not None
    cls: type[Any] = dict if wire or shape.cls is None else shape.cls
    read: Callable[[Any, str], Any] = dict.get if wire else getattr
    expected, top = ("a JSON object", "<body>") if wire else (cls.__name__, "<input>")
    members = [(m.wire if wire else m.name, m.required, _compile(m.shape, done, wire=wire)) for m in shape.members]
    union = ", ".join(name for name, _, _ in members) if shape.union else None

    def check(value: Any, path: str, out: list[Violation]) -> None:
        if not isinstance(value, cls):
            out.append(Violation(path or top, "type", f"must be {expected}, got {type(value).__name__}"))
            return
        prefix = f"{path}." if path else ""
        given = 0
        for name, required, member_check in members:
            member = read(value, name)
            if member is None:
                if required:
                    out.append(Violation(prefix + name, "required", "required member is missing"))
            else:
                given += 1
                member_check(member, prefix + name, out)
        if union is not None and given != 1:
            out.append(Violation(path or top, "union", f"exactly one of {union} must be set, got {given}"))

    return check

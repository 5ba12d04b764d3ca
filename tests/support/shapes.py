"""Test data from the model: hypothesis strategies for valid inputs, and full sample responses."""

from __future__ import annotations

import enum
import re
import re._constants as sre
import re._parser as sre_parse
from datetime import UTC, datetime
from typing import Any

from hypothesis import strategies as st

from ivs_async._protocol.schema import Kind, Shape

_TEXT = st.characters(codec="utf-8", exclude_categories=("Cs",))


def valid(shape: Shape, *, full: bool = False, loose: bool = False) -> st.SearchStrategy[Any]:
    """Values the validator accepts. ``full``: every optional member set, every list non-empty.
    ``loose``: strings of any text within their lengths, patterns ignored (what a reader may get)."""
    kind = shape.kind
    lo, hi = shape.min, shape.max
    if kind is Kind.STRING:
        if shape.enum is not None:
            return st.sampled_from([e.value for e in shape.enum])
        if shape.pattern is not None and not loose:
            low, high = lo or 0, hi if hi is not None else 64
            return st.from_regex(shape.pattern, fullmatch=True).filter(lambda s: low <= len(s) <= high)
        return st.text(_TEXT, min_size=lo or 0, max_size=max(lo or 0, min(hi if hi is not None else 24, 24)))
    if kind in (Kind.INTEGER, Kind.LONG):
        return st.integers(min_value=lo if lo is not None else -(2**31), max_value=hi if hi is not None else 2**31)
    if kind in (Kind.FLOAT, Kind.DOUBLE):
        # Whole numbers too: 30 and 30.0 are both a valid framerate, as a caller may pass either.
        low, high = (lo if lo is not None else -1e9), (hi if hi is not None else 1e9)
        return st.floats(low, high, allow_nan=False, allow_infinity=False) | st.integers(int(low), int(high))
    if kind is Kind.BOOLEAN:
        return st.booleans()
    if kind is Kind.TIMESTAMP:
        return st.datetimes(min_value=datetime(2001, 1, 1), max_value=datetime(2099, 1, 1), timezones=st.just(UTC)).map(
            lambda d: d.replace(microsecond=d.microsecond // 1000 * 1000)
        )
    if kind is Kind.LIST:
        assert shape.member is not None
        min_size = max(lo or 0, 1 if full else 0)
        return st.lists(
            valid(shape.member, full=full, loose=loose), min_size=min_size, max_size=max(min_size, min(hi or 3, 3))
        )
    if kind is Kind.MAP:
        assert shape.key is not None and shape.value is not None
        min_size = max(lo or 0, 1 if full else 0)
        return st.dictionaries(
            valid(shape.key, loose=loose),
            valid(shape.value, full=full, loose=loose),
            min_size=min_size,
            max_size=max(min_size, min(hi or 3, 3)),
        )
    assert shape.cls is not None
    if shape.union:  # exactly one member set, whichever
        cls = shape.cls
        return st.one_of(
            [valid(m.shape, full=full, loose=loose).map(lambda v, name=m.name: cls(**{name: v})) for m in shape.members]
        )
    members = {}
    for m in shape.members:
        value = valid(m.shape, full=full, loose=loose)
        members[m.name] = value if m.required or full else st.none() | value
    return st.builds(shape.cls, **members)


def reference_wire(shape: Shape, value: Any) -> Any:
    """``value`` as botocore takes parameters, built from the schema alone (not our converter)."""
    if value is None:
        return None
    if shape.kind is Kind.STRUCTURE:
        found = {m.wire: reference_wire(m.shape, getattr(value, m.name)) for m in shape.members}
        return {k: v for k, v in found.items() if v is not None}
    if shape.kind is Kind.LIST:
        assert shape.member is not None
        return [reference_wire(shape.member, item) for item in value]
    if shape.kind is Kind.MAP:
        assert shape.value is not None
        return {k: reference_wire(shape.value, v) for k, v in value.items()}
    return value.value if isinstance(value, enum.Enum) else value


def json_wire(shape: Shape, value: Any) -> Any:
    """``value`` as a service would send it in a JSON body (timestamps as ISO 8601 text), built
    from the schema alone; members bound to headers are left out."""
    if value is None:
        return None
    if shape.kind is Kind.STRUCTURE:
        found = {
            m.wire: json_wire(m.shape, getattr(value, m.name)) for m in shape.members if m.location.value == "body"
        }
        return {k: v for k, v in found.items() if v is not None}
    if shape.kind is Kind.LIST:
        assert shape.member is not None
        return [json_wire(shape.member, item) for item in value]
    if shape.kind is Kind.MAP:
        assert shape.value is not None
        return {k: json_wire(shape.value, v) for k, v in value.items()}
    if shape.kind is Kind.TIMESTAMP:
        return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"
    return value.value if isinstance(value, enum.Enum) else value


def sample_wire(shape: Shape, name: str = "x", depth: int = 0) -> Any:
    """A deterministic wire-form value with every member set (for response bodies); of a union,
    its first member only (a union holds exactly one)."""
    kind = shape.kind
    if kind is Kind.STRING:
        if shape.enum is not None:
            return next(iter(shape.enum)).value
        return f"{name}-value"
    if kind in (Kind.INTEGER, Kind.LONG):
        return shape.min if shape.min is not None else 7
    if kind in (Kind.FLOAT, Kind.DOUBLE):
        return float(shape.min) + 0.5 if shape.min is not None else 2.5
    if kind is Kind.BOOLEAN:
        return True
    if kind is Kind.TIMESTAMP:
        return "2024-05-06T07:08:09.123Z"
    if kind is Kind.LIST:
        assert shape.member is not None
        return [sample_wire(shape.member, name, depth + 1)]
    if kind is Kind.MAP:
        assert shape.value is not None
        return {f"{name}-key": sample_wire(shape.value, name, depth + 1)}
    members = [m for m in shape.members if m.location.value == "body"][: 1 if shape.union else None]
    return {m.wire: sample_wire(m.shape, m.wire, depth + 1) for m in members}


def sample_pattern(pattern: str, low: int, high: int) -> str:
    """A short deterministic string that fully matches ``pattern`` with a length in [low, high]."""
    pieces: list[list[Any]] = []  # [char, count, max count]

    def char_of(op: Any, av: Any) -> str:
        if op is sre.LITERAL:
            return chr(av)
        if op is sre.ANY:
            return "a"
        assert op is sre.IN, (op, av)
        for item_op, item in av:
            if item_op is sre.LITERAL and chr(item).isalnum():
                return chr(item)
            if item_op is sre.RANGE:
                return chr(item[0])
            if item_op is sre.CATEGORY:
                return "a"
        return chr(av[0][1])

    def walk(items: Any) -> None:
        for op, av in items:
            if op in (sre.LITERAL, sre.IN, sre.ANY):
                pieces.append([char_of(op, av), 1, 1])
            elif op in (sre.MAX_REPEAT, sre.MIN_REPEAT):
                least, most, sub = av
                if len(sub) == 1 and sub[0][0] in (sre.LITERAL, sre.IN, sre.ANY):
                    pieces.append([char_of(*sub[0]), max(least, 1), most])
                else:
                    for _ in range(max(least, 1)):
                        walk(sub)
            elif op is sre.SUBPATTERN:
                walk(av[-1])
            elif op is sre.BRANCH:
                walk(av[1][-1])  # the last alternative: "^$|^arn:...$" -> the ARN
            elif op is sre.AT:
                continue
            else:
                raise AssertionError(f"unsupported pattern piece {op}")

    walk(sre_parse.parse(pattern))
    total = sum(p[1] for p in pieces)
    for piece in reversed(pieces):
        if total >= low:
            break
        extra = min(low - total, piece[2] - piece[1])
        piece[1] += extra
        total += extra
    text = "".join(p[0] * p[1] for p in pieces)
    assert low <= len(text) <= high and re.fullmatch(pattern, text), (pattern, text)
    return text


def full_valid(shape: Shape) -> Any:
    """A deterministic valid value with every optional member set (for round trips)."""
    kind = shape.kind
    if kind is Kind.STRING:
        if shape.enum is not None:
            return next(iter(shape.enum)).value
        low, high = shape.min or 0, shape.max if shape.max is not None else 64
        if shape.pattern is not None:
            return sample_pattern(shape.pattern, low, high)
        return ("v" * max(low, 1))[:high] if high else ""
    if kind is Kind.LIST:
        assert shape.member is not None
        return [full_valid(shape.member)] * max(shape.min or 0, 1)
    if kind is Kind.MAP:
        assert shape.key is not None and shape.value is not None
        return {full_valid(shape.key): full_valid(shape.value)}
    if kind is Kind.STRUCTURE:
        assert shape.cls is not None
        members = shape.members[: 1 if shape.union else None]  # a union: its first member only
        return shape.cls(**{m.name: full_valid(m.shape) for m in members})
    if kind is Kind.TIMESTAMP:
        return datetime(2024, 5, 6, 7, 8, 9, 123000, tzinfo=UTC)
    if kind is Kind.BOOLEAN:
        return True
    if kind in (Kind.FLOAT, Kind.DOUBLE):
        return float(shape.min) + 0.5 if shape.min is not None else 3.5
    return shape.min if shape.min is not None else 3


# Any JSON value, small: for fuzzing readers with values of the wrong type.
ANY_JSON: st.SearchStrategy[Any] = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=12,
)


def mutated(value: Any, draw: Any, *, one_in: int = 5) -> Any:
    """``value`` (wire form) with about one node in ``one_in`` replaced by JSON of any type."""
    if draw(st.integers(0, one_in - 1)) == 0:
        return draw(ANY_JSON)
    if isinstance(value, dict):
        return {k: mutated(v, draw, one_in=one_in) for k, v in value.items()}
    if isinstance(value, list):
        return [mutated(v, draw, one_in=one_in) for v in value]
    return value

"""Wire forms the readers, the writers and the converter share: timestamps, floats, JSON type names.

Free of cattrs, so that what a call needs loads without it."""

from __future__ import annotations

import math
from datetime import UTC, datetime

# The floats JSON has no number for, as the AWS JSON protocols (and botocore) write them: strings.
NON_FINITE: dict[str, float] = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}


def float_from_wire(value: object) -> float:
    """A float member's JSON value as a float: a number (an integer too, a boolean not), or one of
    the strings NaN, Infinity, -Infinity."""
    if type(value) is float:
        return value
    if type(value) is int:
        return float(value)
    if type(value) is str and value in NON_FINITE:
        return NON_FINITE[value]
    raise TypeError(f"expected a number, got {json_type(value)}")


def float_to_wire(value: float) -> float | str:
    """A float member as JSON: the number, or NaN/Infinity/-Infinity as strings (bare, they are not
    JSON: the standard encoder would write them anyway and orjson would write null)."""
    if type(value) is int or math.isfinite(value):  # an int too big for a float stays an int
        return value
    return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")


def format_timestamp(value: datetime) -> str:
    """ISO 8601 in UTC with a Z, as IVS writes it; naive datetimes are taken as UTC."""
    if value.tzinfo is not None:
        value = value.astimezone(UTC)
    text = value.strftime("%Y-%m-%dT%H:%M:%S")
    if value.microsecond:
        frac = f"{value.microsecond:06d}"
        text += "." + (frac[:3] if frac.endswith("000") else frac)
    return text + "Z"


def parse_timestamp(value: object, _: object = None) -> datetime:
    """ISO 8601 text (or epoch seconds) to an aware UTC datetime."""
    try:
        if isinstance(value, str):
            parsed = datetime.fromisoformat(value)
        elif isinstance(value, int | float) and not isinstance(value, bool):
            return datetime.fromtimestamp(value, UTC)
        elif isinstance(value, datetime):
            parsed = value
        else:
            raise TypeError(f"expected an ISO 8601 timestamp, got {json_type(value)}")
    except (ValueError, OverflowError, OSError):
        # Without the value: the messages of fromisoformat/fromtimestamp quote it.
        raise ValueError("expected an ISO 8601 timestamp within years 1-9999") from None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed


def json_type(value: object) -> str:
    """The JSON name of a value's type, for messages that must not quote the value."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__

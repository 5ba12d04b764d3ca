"""JSON: reading what comes from outside the process (responses, events, credential documents,
emulator input), and writing request bodies.

The standard decoder accepts what RFC 8259 forbids (NaN, Infinity), turns 1e999 into inf, builds
integers of thousands of digits and raises RecursionError on deep nesting. ``loads`` refuses all
of these with one error type, JsonError, that each caller turns into its own typed error.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

# JSON numbers longer than this are not data any AWS source sends (an int64 has 19 digits).
MAX_NUMBER_CHARS = 64
# Nesting deeper than this is refused where documents are walked (events, credential documents,
# emulator input); AWS's deepest documents nest fewer than ten levels.
MAX_DEPTH = 64


class JsonError(ValueError):
    """The text is not JSON we accept; ``reason`` says why without quoting the input."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


def _constant(name: str) -> Any:
    raise JsonError(f"{name} is not a JSON number")


def _int(text: str) -> int:
    if len(text) > MAX_NUMBER_CHARS:
        raise JsonError(f"a number of {len(text)} digits")
    return int(text)


def _float(text: str) -> float:
    if len(text) > MAX_NUMBER_CHARS:
        raise JsonError(f"a number of {len(text)} characters")
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise JsonError("a number out of the range of a double")
    return value


# Built once: json.loads with keyword arguments would build a decoder per call.
_DECODER = json.JSONDecoder(parse_constant=_constant, parse_int=_int, parse_float=_float)


# Built once, as _DECODER: compact, and UTF-8 text as it is (what orjson writes too).
_ENCODE = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode


class _Orjson:
    """orjson's functions, when the ``speedups`` extra is installed: 2 to 3 times faster."""

    __slots__ = ("dumps", "dumps_error", "loads", "loads_error")

    def __init__(self, module: Any) -> None:
        self.loads: Callable[[bytes | str], Any] = module.loads
        self.loads_error: type[Exception] = module.JSONDecodeError
        self.dumps: Callable[[Any], bytes] = module.dumps
        self.dumps_error: type[Exception] = module.JSONEncodeError


def _load_orjson() -> _Orjson | None:
    try:
        import orjson
    except ImportError:
        return None
    return _Orjson(orjson)


# Chosen once, when this module loads. orjson refuses NaN, Infinity, out-of-range doubles and
# nesting past 1024 levels itself; what it refuses is decoded again by the standard decoder, so
# a document is refused with the same reason (and a lone surrogate, which orjson refuses, is
# read as the standard decoder reads it). Numbers differ: orjson reads integers beyond 64 bits
# as floats (a member typed int then fails as malformed) and numbers longer than 64 characters
# rather than refusing them; it reads any number in linear time, which is what that limit of
# the standard decoder guards (int() of thousands of digits).
_FAST = _load_orjson()


def loads(data: bytes | str, *, max_depth: int | None = None) -> Any:
    """The value of ``data`` (UTF-8 when bytes); JsonError for anything else.

    With ``max_depth``, arrays and objects nested deeper are refused too (a walk of the result,
    for documents off the hot path). Without it, nesting is bounded by the interpreter's
    recursion limit, which the C decoder checks.
    """
    fast = _FAST
    if fast is None:
        value = _standard(data)
    else:
        try:
            value = fast.loads(data)
        except fast.loads_error:
            value = _standard(data)  # the standard decoder's verdict, and its reason
    if max_depth is not None and depth_exceeds(value, max_depth):
        raise JsonError(f"nested deeper than {max_depth} levels")
    return value


def dumps(value: Any) -> bytes:
    """A request body: ``value`` (strings, integers, booleans, and lists and dicts of them, as
    the writers make) as compact UTF-8 JSON. What orjson cannot write (an integer beyond 64
    bits) the standard encoder writes, and what neither can (a lone surrogate) raises as before."""
    fast = _FAST
    if fast is not None:
        try:
            # Copied to its own size: orjson's bytes keep the 4 KB block they were written into,
            # and a body lives as long as its call (10,000 queued calls: 40 MB more at peak).
            return memoryview(fast.dumps(value)).tobytes()
        except fast.dumps_error:
            pass
    return _ENCODE(value).encode()


def _standard(data: bytes | str) -> Any:
    try:
        text = data.decode("utf-8") if isinstance(data, bytes | bytearray) else data
        value = _DECODER.decode(text)
    except JsonError:
        raise
    except UnicodeDecodeError as exc:
        raise JsonError(f"not UTF-8 (byte {exc.start})") from None
    except json.JSONDecodeError as exc:
        raise JsonError(f"not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})") from None
    except RecursionError:
        raise JsonError("nested too deeply") from None
    except ValueError as exc:  # int() past the interpreter's digit limit, and the like
        raise JsonError(f"not valid JSON ({type(exc).__name__})") from None
    return value


def depth_exceeds(value: Any, limit: int) -> bool:
    """True when arrays and objects in ``value`` nest deeper than ``limit`` (no recursion)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False

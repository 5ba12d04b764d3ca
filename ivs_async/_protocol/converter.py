"""The two cattrs converters between models and the wire (camelCase JSON) form.

``_WIRE`` reads responses and writes requests: it ignores unknown keys and keeps unknown enum
values as plain strings, but a value whose JSON type is not the model's fails (a model never
holds the string "false" where it declares a bool). It fails fast and without a path; on failure
``_DIAGNOSE`` (the same rules, with cattrs' detailed validation) reads the data again to name
the path. ``_STRICT`` reads user-written wire dicts (``Command.from_dict``): an unknown or
missing key is reported too. All three are built once, at import.
"""

from __future__ import annotations

import difflib
import enum
import importlib
import re
import sys
import types
import typing
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

import cattrs
import cattrs.v
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override

import ivs_async.models  # noqa: F401  (the models' public home: their annotations resolve there)
from ivs_async._core.service import shape_of
from ivs_async._exceptions import ParamValidationError, Violation
from ivs_async._protocol.schema import Shape
from ivs_async._protocol.wire import float_from_wire, format_timestamp, parse_timestamp
from ivs_async._protocol.wire import json_type as _json_type

if TYPE_CHECKING:
    from ivs_async._protocol.command import Operation

T = TypeVar("T")


def _lenient_enum(tp: Any) -> type[enum.Enum] | None:
    """The enum of an ``SomeEnum | str [| None]`` or ``SomeEnum | SomeEnumValue [| None]``
    (its Literal) annotation, else None."""
    if typing.get_origin(tp) not in (typing.Union, types.UnionType):
        return None
    args = typing.get_args(tp)
    enums = [a for a in args if isinstance(a, type) and issubclass(a, enum.Enum)]
    if len(enums) != 1:
        return None
    rest = [a for a in args if a is not enums[0] and a is not type(None)]
    if rest == [str] or (rest and all(typing.get_origin(a) is typing.Literal for a in rest)):
        return enums[0]
    return None


def _enum_hook(tp: Any) -> Callable[[Any, Any], Any]:
    known = _lenient_enum(tp)
    assert known is not None
    lookup = known._value2member_map_
    none_ok = type(None) in typing.get_args(tp)

    def structure(value: Any, _: Any) -> Any:
        # Unknown values stay plain strings: a new enum value from IVS must not break parsing.
        if type(value) is str:
            return lookup.get(value, value)
        if isinstance(value, known) or (value is None and none_ok):
            return value
        raise TypeError(f"expected a string, got {_json_type(value)}")

    return structure


def _enum_value(value: Any) -> Any:
    return value.value if isinstance(value, enum.Enum) else value


def _exact(expected: type[Any], name: str) -> Callable[[Any, Any], Any]:
    """The structure hook of a scalar: the value itself when its type is exactly ``expected``.
    A plain function (a callable object costs twice as much per call on the hot path); the
    container hooks read its ``_scalar`` to check whole arrays and objects at once."""

    def check(value: Any, _: Any) -> Any:
        # `type(...) is`: bool is an int subclass, and a model integer never accepts True.
        if type(value) is expected:
            return value
        raise TypeError(f"expected {name}, got {_json_type(value)}")

    check._scalar = expected  # type: ignore[attr-defined]
    return check


def _scalar_of(hook: Any) -> type[Any] | None:
    scalar: type[Any] | None = getattr(hook, "_scalar", None)
    return scalar


def _all_of(scalar: type[Any], values: Any) -> bool:
    if scalar is str:
        try:
            "".join(values)  # C speed; fails on any non-str
        except TypeError:
            return False
        return True
    return all(type(v) is scalar for v in values)


_SCALARS = ((str, "a string"), (int, "an integer"), (bool, "a boolean"))


def _number(value: Any, _: Any) -> float:
    """A JSON number as a float (an integer is one too; a boolean is not; NaN, Infinity and
    -Infinity come as strings)."""
    return float_from_wire(value)


def _home(cls: type[Any]) -> None:
    """Load the module a model names as its home (ivs_async.chat.models...): cattrs resolves
    the model's annotations there."""
    if cls.__module__ not in sys.modules:
        importlib.import_module(cls.__module__)


def _build(*, forbid_extra: bool, detailed: bool) -> cattrs.Converter:
    conv = cattrs.Converter(detailed_validation=detailed, forbid_extra_keys=forbid_extra)
    conv.register_structure_hook(datetime, parse_timestamp)
    conv.register_unstructure_hook(datetime, format_timestamp)
    for scalar, name in _SCALARS:
        conv.register_structure_hook(scalar, _exact(scalar, name))
    conv.register_structure_hook(float, _number)
    if not detailed:
        _register_fast_containers(conv)
    conv.register_structure_hook_factory(lambda t: _lenient_enum(t) is not None, _enum_hook)
    conv.register_unstructure_hook_factory(lambda t: _lenient_enum(t) is not None, lambda _: _enum_value)

    def structure_fn(cls: type[Any]) -> Any:
        _home(cls)
        generated = make_dict_structure_fn(
            cls, conv, _cattrs_forbid_extra_keys=forbid_extra, _cattrs_detailed_validation=detailed, **_overrides(cls)
        )

        def structure(data: Any, _: Any) -> Any:
            # The generated code tests `key in data`, which a string would pass silently.
            if type(data) is not dict and not isinstance(data, Mapping):
                raise TypeError(f"expected an object ({cls.__name__}), got {_json_type(data)}")
            return generated(data, cls)

        return structure

    def unstructure_fn(cls: type[Any]) -> Any:
        _home(cls)
        return make_dict_unstructure_fn(cls, conv, _cattrs_omit_if_default=True, **_overrides(cls))

    conv.register_structure_hook_factory(lambda t: shape_of(t) is not None, structure_fn)
    conv.register_unstructure_hook_factory(lambda t: shape_of(t) is not None, unstructure_fn)
    return conv


def _register_fast_containers(conv: cattrs.Converter) -> None:
    """Response reading spends most of its time per member: make each member one call.

    cattrs' generic Optional, list and dict hooks dispatch per value; these resolve the inner
    hook once, and keep JSON arrays and objects of scalars as they are once every element has
    the scalar type (a check at C speed).
    """

    def optional(tp: Any) -> Any:
        inner_type = next(a for a in typing.get_args(tp) if a is not type(None))
        inner = conv.get_structure_hook(inner_type)
        expected = _scalar_of(inner)
        if expected is not None:

            def optional_scalar(value: Any, _: Any) -> Any:
                if type(value) is expected or value is None:
                    return value
                return inner(value, inner_type)  # raises, saying what was expected

            return optional_scalar
        # Optional arrays and objects: one hook that also takes null, not a wrapper around one.
        if _origin(inner_type) is list:
            return sequence(inner_type, none_ok=True)
        if _origin(inner_type) is dict:
            return mapping(inner_type, none_ok=True)
        return lambda value, _: None if value is None else inner(value, inner_type)

    def sequence(tp: Any, none_ok: bool = False) -> Any:
        (item_type,) = typing.get_args(tp)
        item = conv.get_structure_hook(item_type)
        scalar = _scalar_of(item)

        def structure_list(value: Any, _: Any) -> Any:
            if type(value) is not list:
                if value is None and none_ok:
                    return None
                raise TypeError(f"expected an array, got {_json_type(value)}")
            if scalar is not None and _all_of(scalar, value):
                return value
            return [item(v, item_type) for v in value]

        return structure_list

    def mapping(tp: Any, none_ok: bool = False) -> Any:
        key_type, value_type = typing.get_args(tp)
        key, value_hook = conv.get_structure_hook(key_type), conv.get_structure_hook(value_type)
        # JSON object keys are always strings: with str keys only the values need a look.
        plain = _scalar_of(value_hook) if _scalar_of(key) is str else None

        def structure_dict(value: Any, _: Any) -> Any:
            if type(value) is not dict:
                if value is None and none_ok:
                    return None
                raise TypeError(f"expected an object, got {_json_type(value)}")
            if plain is not None and _all_of(plain, value.values()):
                return value
            return {key(k, key_type): value_hook(v, value_type) for k, v in value.items()}

        return structure_dict

    def is_optional(tp: Any) -> bool:
        args = typing.get_args(tp)
        return typing.get_origin(tp) in (typing.Union, types.UnionType) and len(args) == 2 and type(None) in args

    conv.register_structure_hook_factory(is_optional, optional)
    conv.register_structure_hook_factory(lambda t: _origin(t) is list, sequence)
    conv.register_structure_hook_factory(lambda t: _origin(t) is dict, mapping)


def _origin(tp: Any) -> Any:
    # Typed as Any: mypy rejects `typing.get_origin(t) is list` as a non-overlapping comparison.
    return typing.get_origin(tp)


def _overrides(cls: type[Any]) -> dict[str, Any]:
    """Wire names of a model's members; response metadata never goes on or comes off the wire.

    PutMetadataRequest has a modeled member named ``metadata`` (the payload): that one is sent.
    """
    shape = shape_of(cls)
    assert shape is not None
    found: dict[str, Any] = {m.name: override(rename=m.wire) for m in shape.members}
    if "metadata" not in found and any(a.name == "metadata" for a in cls.__attrs_attrs__):
        found["metadata"] = override(omit=True)
    return found


_WIRE = _build(forbid_extra=False, detailed=False)
_DIAGNOSE = _build(forbid_extra=False, detailed=True)
_STRICT = _build(forbid_extra=True, detailed=True)


def to_wire(obj: Any) -> dict[str, Any]:
    """A model in wire form: camelCase keys, unset members left out, timestamps as ISO 8601."""
    result: dict[str, Any] = _WIRE.unstructure(obj)
    return result


def unstructure_hook(cls: type[Any]) -> Callable[[Any], dict[str, Any]]:
    """The compiled wire writer of one model class (for the serializer's hot path)."""
    hook: Callable[[Any], dict[str, Any]] = _WIRE.get_unstructure_hook(cls)
    return hook


def structure_hook(cls: type[T]) -> Callable[[Mapping[str, Any], type[T]], T]:
    """The lenient wire reader of one model class (for the deserializer's hot path): the one
    generated for it (``_generated/<service>/readers.py``), else cattrs' (built at its first use)."""
    from ivs_async._core.service import service_of

    service = service_of(cls)
    generated = service.readers.get(cls) if service is not None else None
    hook: Callable[[Mapping[str, Any], type[T]], T] = generated or _WIRE.get_structure_hook(cls)
    return hook


def mismatches(data: Any, cls: type[Any]) -> list[Violation]:
    """Why ``data`` does not read as ``cls``, with paths (``$.channels[3].authorized``).

    The slow path, run only after the fast reader failed: it reads the data again with
    detailed validation. Never quotes values, which may be secrets.
    """
    try:
        _DIAGNOSE.structure(data, cls)
    except cattrs.BaseValidationError as exc:
        return _violations(exc, cls)
    except Exception as exc:  # a failure outside cattrs' bookkeeping still gets a line
        return [Violation("$", "type", f"{type(exc).__name__}: {exc}")]
    return [Violation("$", "type", "unreadable")]


def from_wire(data: Mapping[str, Any], cls: type[T]) -> T:
    """Lenient read of a wire dict, as for responses; a malformed one raises ParamValidationError."""
    try:
        return _WIRE.structure(data, cls)
    except Exception:
        raise ParamValidationError(cls.__name__, mismatches(data, cls)) from None


def input_from_wire(data: Mapping[str, Any], operation: Operation) -> Any:
    """Strict read of a user's wire dict into the operation's input model."""
    cls = operation.input_cls
    if not isinstance(data, Mapping):
        raise ParamValidationError(
            operation.name, [Violation("$", "type", f"expected a mapping, got {type(data).__name__}")]
        )
    try:
        return _STRICT.structure(data, cls)
    except cattrs.BaseValidationError as exc:
        raise ParamValidationError(operation.name, _violations(exc, cls)) from None


def _violations(exc: cattrs.BaseValidationError, cls: type[Any]) -> list[Violation]:
    found = []
    for message in cattrs.transform_error(exc, path="$", format_exception=_format):
        text, _, path = message.rpartition(" @ ")
        where = wire_path(cls, path or "$")
        if text.startswith("extra fields found"):
            names = text[text.index("(") + 1 : text.rindex(")")].split(", ")
            found += [Violation(f"{where}.{name}", "unknown", _unknown_key(cls, where, name)) for name in names]
            continue
        rule = "required" if text.startswith("required field missing") else "type"
        found.append(Violation(where, rule, text or message))
    return found


def _unknown_key(cls: type[Any], where: str, name: str) -> str:
    """Why a key is unknown, with the wire name it probably meant (``latency_mode`` -> ``latencyMode``)."""
    _, shape = _walk(cls, where, by_wire=True)
    wires = [m.wire for m in shape.members] if shape is not None else []
    head, *rest = name.split("_")
    camel = head + "".join(part[:1].upper() + part[1:] for part in rest)
    if camel in wires and camel != name:
        return f"unknown key; did you mean {camel!r}? from_dict takes the wire (camelCase) names"
    close = difflib.get_close_matches(name, wires, n=1)
    return f"unknown key; did you mean {close[0]!r}?" if close else "unknown key"


def _format(exc: BaseException, tp: Any) -> str:
    # Our hooks' messages say what was expected and what came, without the value.
    if isinstance(exc, TypeError | ValueError) and str(exc).startswith("expected "):
        return str(exc)
    text = cattrs.v.format_exception(exc, tp)
    return "expected an object" if text == "expected a mapping" else text  # JSON's word


_SEGMENT = re.compile(r"\.(\w+)|(\[[^\]]*\])")


def wire_path(cls: type[Any], path: str) -> str:
    """A cattrs path of Python names (``$.next_token``) in wire names (``$.nextToken``)."""
    return _walk(cls, path, by_wire=False)[0]


def _walk(cls: type[Any], path: str, *, by_wire: bool) -> tuple[str, Shape | None]:
    """Follow ``path`` (its members by wire or Python name) from ``cls``: the path in wire names,
    and the shape it ends at (None once it leaves the model)."""
    shape: Shape | None = shape_of(cls)
    out = [path[:1]] if path.startswith("$") else []
    for attribute, index in _SEGMENT.findall(path[1:] if out else path):
        if attribute:
            members = shape.members if shape else ()
            member = next((m for m in members if (m.wire if by_wire else m.name) == attribute), None)
            out.append("." + (member.wire if member else attribute))
            shape = member.shape if member else None
        else:
            out.append(index)
            shape = (shape.member or shape.value) if shape else None
    return "".join(out), shape


REDACTED = "****"


def redacted(wire: dict[str, Any], cls: type[Any]) -> dict[str, Any]:
    """A copy of ``wire`` (a ``cls`` in wire form) with every sensitive value replaced."""
    shape = shape_of(cls)
    return wire if shape is None else _redact(wire, shape)


def _redact(value: Any, shape: Shape) -> Any:
    if value is None:
        return None
    if shape.sensitive:
        return REDACTED
    if shape.members and isinstance(value, dict):
        by_wire = {m.wire: m.shape for m in shape.members}
        return {k: _redact(v, by_wire[k]) if k in by_wire else v for k, v in value.items()}
    if shape.member is not None and isinstance(value, list):
        return [_redact(v, shape.member) for v in value]
    if shape.value is not None and isinstance(value, dict):
        return {k: _redact(v, shape.value) for k, v in value.items()}
    return value

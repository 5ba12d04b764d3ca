"""Base class of the generated models, and the metadata every response carries."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Self, TypeVar

import attrs

if TYPE_CHECKING:
    from ivs_async._exceptions import Violation
    from ivs_async._protocol.schema import Shape


def mask_secret(value: object) -> str:
    """repr() of a sensitive member: shows whether it is set, never what it is."""
    return "None" if value is None else "'****'"


@attrs.define(kw_only=True, slots=True)
class ResponseMetadata:
    """HTTP facts of one response; ``attempts`` and ``total_retry_delay`` count the retries.

    ``retry_after`` is the wait in seconds an error response asked for, ``retry_after_header``
    the header that said it (``x-amz-retry-after`` or ``Retry-After``); ``clock_skew_corrected``
    says this response moved the client's clock.
    """

    http_status_code: int = 0
    request_id: str | None = None
    extended_request_id: str | None = None
    cf_id: str | None = None
    attempts: int = 1
    total_retry_delay: float = 0.0
    retry_after: float | None = None
    retry_after_header: str | None = None
    clock_skew_corrected: bool = False


class Model:
    """Wire (camelCase) conversion for the frozen attrs models in [ivs_async.models][ivs_async.models]."""

    __slots__ = ()
    if TYPE_CHECKING:  # for type checkers only: get_type_hints() must resolve in ivs_async.models
        __attrs_attrs__: ClassVar[tuple[Any, ...]]

    # Equality and hashing by value, as attrs would generate them (members compared in order,
    # `metadata` left out), written once here rather than compiled per class at import.
    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        names = _compared(type(self))
        return tuple(getattr(self, n) for n in names) == tuple(getattr(other, n) for n in names)

    def __hash__(self) -> int:
        return hash((type(self), *(getattr(self, n) for n in _compared(type(self)))))

    def __repr__(self) -> str:
        # Only the members that are set, as a service response shows them; sensitive ones masked.
        parts = []
        for field in self.__attrs_attrs__:
            value = getattr(self, field.name)
            if value is None or field.repr is False:
                continue
            shown = field.repr(value) if callable(field.repr) else repr(value)
            parts.append(f"{field.name}={shown}")
        return f"{type(self).__name__}({', '.join(parts)})"

    def to_dict(self, *, redact: bool = False) -> dict[str, Any]:
        """This model in the wire form the service speaks: camelCase keys, no unset members.

        The wire form holds secrets as they are (stream key values, SRT passphrases): never log
        it or return it from an API as is. ``redact=True`` replaces every sensitive value with
        ``"****"``, for logs and API responses.
        """
        from ivs_async._protocol import converter as _converter

        wire = _converter.to_wire(self)
        return _converter.redacted(wire, type(self)) if redact else wire

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Self:
        """Build from the wire form, as the response parser does: unknown keys are ignored."""
        from ivs_async._protocol import converter as _converter

        return _converter.from_wire(data, cls)


def _compared(cls: type[Any]) -> tuple[str, ...]:
    """The members ``cls`` compares and hashes by (derived from the class, kept per class)."""
    names = _COMPARED.get(cls)
    if names is None:
        names = _COMPARED[cls] = tuple(field.name for field in cls.__attrs_attrs__ if field.eq)
    return names


_COMPARED: dict[type[Any], tuple[str, ...]] = {}


M = TypeVar("M")


def from_typed_dict(cls: type[M], value: M | Mapping[str, Any]) -> M:
    """A nested model from what a caller passed: the model itself, or a dict of its snake_case
    members (the generated ``...Dict`` TypedDicts). Unknown or missing keys, at any depth, are
    reported as ParamValidationError with their path from here, like keyword arguments."""
    if not isinstance(value, Mapping):
        return value
    violations = typed_dict_violations(cls, value)
    if violations:
        from ivs_async._exceptions import ParamValidationError

        raise ParamValidationError(cls.__name__, violations)
    return cls(**value)


def typed_dict_violations(cls: type[Any], value: Mapping[str, Any], prefix: str = "") -> list[Violation]:
    """Unknown and missing keys of ``value`` as members of ``cls`` and of the dicts nested in it
    (models, lists and maps of models), each with its path (``destination_configuration.s3.x``)."""
    from ivs_async._core.service import shape_of
    from ivs_async._exceptions import Violation

    shape = shape_of(cls)
    members = {m.name: m for m in shape.members} if shape is not None else {}
    violations = []
    for key in value:
        if key not in members:
            import difflib  # for error messages only: loaded then

            close = difflib.get_close_matches(str(key), list(members), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else f"; members: {', '.join(sorted(members))}"
            message = f"{cls.__name__} has no member {key!r}{hint}"
            violations.append(Violation(f"{prefix}{key}", "unknown", message))
    for name, member in members.items():
        if member.required and value.get(name) is None:
            violations.append(Violation(f"{prefix}{name}", "required", f"required member of {cls.__name__} is missing"))
    for name, item in value.items():
        if name in members:
            violations += _nested_violations(members[name].shape, item, f"{prefix}{name}")
    return violations


def _nested_violations(shape: Shape, item: object, path: str) -> list[Violation]:
    kind = shape.kind.value
    if kind == "structure" and isinstance(item, Mapping) and shape.cls is not None:
        return typed_dict_violations(shape.cls, item, f"{path}.")
    found = []
    if kind == "list" and isinstance(item, list | tuple) and shape.member is not None:
        for index, element in enumerate(item):
            found += _nested_violations(shape.member, element, f"{path}[{index}]")
    elif kind == "map" and isinstance(item, Mapping) and shape.value is not None:
        for key, element in item.items():
            found += _nested_violations(shape.value, element, f"{path}[{key!r}]")
    return found

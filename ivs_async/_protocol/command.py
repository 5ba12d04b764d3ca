"""Command base class and the static description of an operation."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Generic, Self, TypeVar

from ivs_async._exceptions import ParamValidationError, Violation
from ivs_async._protocol.model import typed_dict_violations
from ivs_async._protocol.schema import Kind, Location, Member, Shape

if TYPE_CHECKING:
    from ivs_async._core.service import Service

InputT = TypeVar("InputT")
# Covariant: a GetChannelCommand is a Command[..., object] too, so `x: object = await send(...)`
# and `print(await send(...))` type-check while send() still infers the exact output.
OutputT = TypeVar("OutputT", covariant=True)


class Operation:
    """What the protocol needs to know about one operation; built once per command class."""

    __slots__ = (
        "header_members",
        "input",
        "member_names",
        "method",
        "name",
        "output",
        "query_members",
        "required_names",
        "service",
        "success_code",
        "uri",
        "uri_members",
    )

    def __init__(
        self,
        *,
        service: Service,
        name: str,
        method: str,
        uri: str,
        success_code: int,
        input: Shape,
        output: Shape,
    ) -> None:
        self.service = service
        self.name = name
        self.method = method
        self.uri = uri
        self.success_code = success_code
        self.input = input
        self.output = output
        if input.kind is not Kind.STRUCTURE or output.kind is not Kind.STRUCTURE:
            raise TypeError(f"{name}: input and output shapes must be structures")
        self.member_names = frozenset(m.name for m in input.members)
        # Members a call must name; the input class has no default for these.
        self.required_names = frozenset(m.name for m in input.members if m.required)
        self.uri_members: tuple[Member, ...] = tuple(m for m in input.members if m.location is Location.URI)
        self.query_members: tuple[Member, ...] = tuple(m for m in input.members if m.location is Location.QUERYSTRING)
        self.header_members: tuple[Member, ...] = tuple(m for m in output.members if m.location is Location.HEADER)

    # The model classes load when first used (most operations' models are never used); the
    # shapes, checked to be structures above, keep them once loaded.
    @property
    def input_cls(self) -> type[Any]:
        return self.input.cls  # type: ignore[return-value]

    @property
    def output_cls(self) -> type[Any]:
        return self.output.cls  # type: ignore[return-value]

    def __repr__(self) -> str:
        return f"Operation({self.name}: {self.method} {self.uri})"


def init_command(command: Command[Any, Any], input: Any, members: Mapping[str, Any]) -> None:
    """``Command.__init__``'s work, given the keyword arguments as the dict they arrived in: each
    generated command's typed ``__init__`` hands them on without packing them again."""
    op = command.operation
    if input is None:
        if not (op.member_names.issuperset(members) and op.required_names.issubset(members)):
            raise _invalid_members(op, members)
        try:
            input = op.input_cls(**members)
        except ParamValidationError:  # a nested dict: name each violation by its path from here
            raise ParamValidationError(op.name, typed_dict_violations(op.input_cls, members)) from None
    elif members:
        raise ParamValidationError(
            op.name, [Violation("<input>", "arguments", "pass an input model or keyword arguments, not both")]
        )
    elif not isinstance(input, op.input_cls):
        raise ParamValidationError(
            op.name,
            [Violation("<input>", "type", f"expected {op.input.name}, got {type(input).__name__}")],
        )
    command.input = input


class Command(Generic[InputT, OutputT]):
    """One call of one operation: ``GetChannelCommand(arn=...)`` or ``GetChannelCommand(GetChannelRequest(...))``."""

    __slots__ = ("input",)
    operation: ClassVar[Operation]
    input: InputT

    def __init__(self, input: InputT | None = None, /, **members: Any) -> None:
        init_command(self, input, members)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Self:
        """Build from the wire (camelCase) form; unknown keys and missing members are errors."""
        from ivs_async._protocol import converter as _converter

        return cls(_converter.input_from_wire(data, cls.operation))

    def to_dict(self, *, redact: bool = False) -> dict[str, Any]:
        """The input in the wire (camelCase) form; ``redact=True`` masks sensitive values."""
        from ivs_async._protocol import converter as _converter

        wire = _converter.to_wire(self.input)
        return _converter.redacted(wire, self.operation.input_cls) if redact else wire

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.input!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Command) and type(other) is type(self) and other.input == self.input

    __hash__ = None  # type: ignore[assignment]


def _invalid_members(op: Operation, members: Mapping[str, object]) -> ParamValidationError:
    unknown = members.keys() - op.member_names
    missing = op.required_names - members.keys()
    violations = [Violation(n, "unknown", _no_such_member(op, n)) for n in sorted(unknown)]
    violations += [Violation(n, "required", "required member is missing") for n in sorted(missing)]
    return ParamValidationError(op.name, violations)


def _no_such_member(op: Operation, name: str) -> str:
    import difflib  # for error messages only: loaded then

    close = difflib.get_close_matches(name, sorted(op.member_names), n=1)
    hint = f"; did you mean {close[0]!r}?" if close else f"; members: {', '.join(sorted(op.member_names)) or 'none'}"
    return f"{op.input.name} has no member {name!r}{hint}"

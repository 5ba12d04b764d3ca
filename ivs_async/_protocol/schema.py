"""Wire-level description of a service's shapes: names, kinds, constraints, HTTP bindings.

Each service's generated ``_generated/<service>/schema.py`` builds these once at import. The converter reads the
wire names, the validator reads the constraints, the protocol reads the HTTP bindings; the
typed models themselves stay plain attrs classes.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator, Mapping, ValuesView
from types import ModuleType
from typing import Any, TypeVar

V = TypeVar("V")


class Kind(enum.Enum):
    STRING = "string"
    INTEGER = "integer"
    LONG = "long"
    FLOAT = "float"
    DOUBLE = "double"
    BOOLEAN = "boolean"
    TIMESTAMP = "timestamp"
    LIST = "list"
    MAP = "map"
    STRUCTURE = "structure"


class Location(enum.Enum):
    BODY = "body"
    URI = "uri"
    QUERYSTRING = "querystring"
    HEADER = "header"


# Plain slotted classes, not attrs: they load with every client, and building an attrs class
# costs the import about 0.3 ms. Read-only by convention.
class Shape:
    """One shape of the model. Only the fields that its kind uses are set."""

    __slots__ = (
        "_class_name",
        "_cls",
        "_models",
        "enum",
        "key",
        "kind",
        "max",
        "member",
        "members",
        "min",
        "name",
        "pattern",
        "sensitive",
        "union",
        "value",
    )

    def __init__(
        self,
        name: str,
        kind: Kind,
        *,
        min: int | None = None,
        max: int | None = None,
        pattern: str | None = None,
        enum: type[enum.Enum] | None = None,
        sensitive: bool = False,
        member: Shape | None = None,  # list element
        key: Shape | None = None,  # map key
        value: Shape | None = None,  # map value
        cls: type[Any] | None = None,  # structure's model class
        class_name: str | None = None,  # or its name in ``models``, loaded on first use
        models: ModuleType | None = None,
        members: tuple[Member, ...] = (),
        union: bool = False,  # a structure of which exactly one member is set
    ) -> None:
        self.name = name
        self.kind = kind
        self.min = min
        self.max = max
        self.pattern = pattern
        self.enum = enum
        self.sensitive = sensitive
        self.member = member
        self.key = key
        self.value = value
        self._cls = cls
        self._class_name = class_name
        self._models = models
        self.members = members
        self.union = union

    @property
    def cls(self) -> type[Any] | None:
        """The structure's model class (an operation's input or output: loaded now if need be)."""
        cls = self._cls
        if cls is None and self._class_name is not None and self._models is not None:
            cls = self._cls = getattr(self._models, self._class_name)
        return cls

    def __repr__(self) -> str:
        return f"Shape({self.name!r}, {self.kind})"


class Member:
    """A structure member: Python attribute name, wire name and HTTP binding."""

    __slots__ = ("location", "location_name", "name", "required", "shape", "wire")

    def __init__(
        self,
        name: str,
        wire: str,
        shape: Shape,
        required: bool = False,
        location: Location = Location.BODY,
        location_name: str = "",
    ) -> None:
        self.name = name
        self.wire = wire
        self.shape = shape
        self.required = required
        self.location = location
        self.location_name = location_name

    def __repr__(self) -> str:
        return f"Member({self.name!r}, {self.wire!r}, {self.shape.name})"


class ModelIndex(Mapping[type[Any], V]):
    """Values by model class of one service (``models``, its generated models module), held by
    class name: looking one up loads no other operation's models (they load on first use);
    iterating loads them all."""

    __slots__ = ("_by_name", "_models")

    def __init__(self, by_name: Mapping[str, V], models: ModuleType) -> None:
        self._by_name = dict(by_name)
        self._models = models

    def __getitem__(self, cls: type[Any]) -> V:
        name = getattr(cls, "__name__", None)
        value = self._by_name.get(name) if isinstance(name, str) else None
        if value is None or getattr(self._models, name, None) is not cls:  # type: ignore[arg-type]
            raise KeyError(cls)
        return value

    def __iter__(self) -> Iterator[type[Any]]:
        for name in self._by_name:
            yield getattr(self._models, name)

    def __len__(self) -> int:
        return len(self._by_name)

    def values(self) -> ValuesView[V]:  # no model is loaded
        return self._by_name.values()

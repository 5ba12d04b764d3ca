"""Wire-level description of the IVS shapes: names, kinds, constraints, HTTP bindings.

The generated ``_generated/schema.py`` builds these once at import. The converter reads the
wire names, the validator reads the constraints, the protocol reads the HTTP bindings; the
typed models themselves stay plain attrs classes.
"""

from __future__ import annotations

import enum
from typing import Any


class Kind(enum.Enum):
    STRING = "string"
    INTEGER = "integer"
    LONG = "long"
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
        "cls",
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
        members: tuple[Member, ...] = (),
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
        self.cls = cls
        self.members = members

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

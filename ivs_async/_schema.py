"""Wire-level description of the IVS shapes: names, kinds, constraints, HTTP bindings.

The generated ``_generated/schema.py`` builds these once at import. The converter reads the
wire names, the validator reads the constraints, the protocol reads the HTTP bindings; the
typed models themselves stay plain attrs classes.
"""

from __future__ import annotations

import enum
from typing import Any

import attrs


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


@attrs.frozen(slots=True, eq=False)
class Shape:
    """One shape of the model. Only the fields that its kind uses are set."""

    name: str
    kind: Kind
    min: int | None = None
    max: int | None = None
    pattern: str | None = None
    enum: type[enum.Enum] | None = None
    sensitive: bool = False
    member: Shape | None = None  # list element
    key: Shape | None = None  # map key
    value: Shape | None = None  # map value
    cls: type[Any] | None = None  # structure's model class
    members: tuple[Member, ...] = ()


@attrs.frozen(slots=True, eq=False)
class Member:
    """A structure member: Python attribute name, wire name and HTTP binding."""

    name: str
    wire: str
    shape: Shape
    required: bool = False
    location: Location = Location.BODY
    location_name: str = ""

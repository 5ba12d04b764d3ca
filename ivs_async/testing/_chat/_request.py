"""A chat control-plane request, read member by member.

The server checks every request against the model first; the backend still reads each member
with its type (and the bounds it relies on), so that anything else is a ValidationException
naming the member, never a crash.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from ivs_async.testing._chat._errors import invalid


class Reader:
    """One JSON object of a request; ``path`` names it in errors (``destinationConfiguration.s3``)."""

    __slots__ = ("_data", "_path")

    def __init__(self, data: object, path: str = "") -> None:
        if not isinstance(data, dict):
            raise invalid(path or "request", "must be a JSON object")
        self._data: dict[str, Any] = data
        self._path = path

    @property
    def path(self) -> str:
        return self._path

    def name(self, member: str) -> str:
        return f"{self._path}.{member}" if self._path else member

    def has(self, member: str) -> bool:
        return self._data.get(member) is not None

    def members(self) -> list[str]:
        """The members present (not null)."""
        return [key for key, value in self._data.items() if value is not None]

    def _value(self, member: str, required: bool) -> Any:
        value = self._data.get(member)
        if value is None and required:
            raise invalid(self.name(member), "is required")
        return value

    def string(self, member: str, *, min_length: int = 0, max_length: int = 1024) -> str | None:
        """A string member (None when absent), ``min_length``..``max_length`` characters."""
        value = self._value(member, False)
        return None if value is None else self._string(member, value, min_length, max_length)

    def required_string(self, member: str, *, min_length: int = 1, max_length: int = 1024) -> str:
        return self._string(member, self._value(member, True), min_length, max_length)

    def _string(self, member: str, value: Any, min_length: int, max_length: int) -> str:
        if not isinstance(value, str):
            raise invalid(self.name(member), "must be a string")
        if not min_length <= len(value) <= max_length:
            raise invalid(self.name(member), f"must be {min_length} to {max_length} characters long")
        return value

    def integer(self, member: str, low: int, high: int) -> int | None:
        value = self._value(member, False)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            raise invalid(self.name(member), "must be an integer")
        if not low <= value <= high:
            raise invalid(self.name(member), f"must be between {low} and {high}")
        return value

    def choice(self, member: str, values: Collection[str]) -> str | None:
        value = self._value(member, False)
        if value is None:
            return None
        if not isinstance(value, str) or value not in values:
            raise invalid(self.name(member), f"must be one of {', '.join(values)}")
        return value

    def strings(
        self, member: str, *, max_items: int, max_length: int = 1024, required: bool = False
    ) -> list[str] | None:
        value = self._value(member, required)
        if value is None:
            return None
        if not isinstance(value, list):
            raise invalid(self.name(member), "must be a list")
        if len(value) > max_items:
            raise invalid(self.name(member), f"must have at most {max_items} items")
        for item in value:
            if not isinstance(item, str) or not 1 <= len(item) <= max_length:
                raise invalid(self.name(member), f"must hold strings of 1 to {max_length} characters")
        return list(value)

    def string_map(self, member: str, *, max_items: int, required: bool = False) -> dict[str, str] | None:
        value = self._value(member, required)
        if value is None:
            return None
        if not isinstance(value, dict):
            raise invalid(self.name(member), "must be a JSON object")
        if len(value) > max_items:
            raise invalid(self.name(member), f"must have at most {max_items} entries")
        if not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
            raise invalid(self.name(member), "must map strings to strings")
        return dict(value)

    def struct(self, member: str, *, required: bool = False) -> Reader | None:
        value = self._value(member, required)
        return None if value is None else Reader(value, self.name(member))

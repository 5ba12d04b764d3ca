"""Base class of the generated models, and the metadata every response carries."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self

import attrs


def mask_secret(value: object) -> str:
    """repr() of a sensitive member: shows whether it is set, never what it is."""
    return "None" if value is None else "'****'"


@attrs.define(kw_only=True, slots=True)
class ResponseMetadata:
    """HTTP facts of one response; ``attempts`` and ``total_retry_delay`` count the retries."""

    http_status_code: int = 0
    request_id: str | None = None
    extended_request_id: str | None = None
    cf_id: str | None = None
    attempts: int = 1
    total_retry_delay: float = 0.0


class Model:
    """Wire (camelCase) conversion for the frozen attrs models in :mod:`ivs_async.models`."""

    __slots__ = ()

    def to_dict(self) -> dict[str, Any]:
        """This model in the wire form the service speaks: camelCase keys, no unset members."""
        from ivs_async import _converter

        return _converter.to_wire(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Self:
        """Build from the wire form, as the response parser does: unknown keys are ignored."""
        from ivs_async import _converter

        return _converter.from_wire(data, cls)

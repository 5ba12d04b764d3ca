"""IVS's EventBridge events as typed, frozen models, and a ledger to apply them idempotently.

    event = parse_event(request_body)          # dict, str or bytes: the EventBridge envelope
    if ledger.accept(event):                   # not a duplicate, not older than what was applied
        if isinstance(event, StreamStateChange) and event.event_name == "Stream Start":
            live.add(event.channel_arn)

EventBridge delivers at least once, late, possibly out of order: apply each event through one
[EventLedger][ivs_async.events.EventLedger]. Unknown detail types parse as
[UnknownEvent][ivs_async.events.UnknownEvent]; unknown fields are kept in `unknown_detail` and
`unknown_envelope`; malformed input raises [EventParseError][ivs_async.errors.EventParseError].
"""

from __future__ import annotations

import contextlib
import math
from collections import OrderedDict
from collections.abc import Mapping
from datetime import datetime
from types import MappingProxyType
from typing import Any

import attrs

from ivs_async._core.public import rehome as _rehome
from ivs_async._exceptions import EventParseError as EventParseError
from ivs_async._fleet.redis_ledger import RedisEventLedger as RedisEventLedger
from ivs_async._protocol import json as _json

SOURCE = "aws.ivs"
_ENVELOPE = ("version", "id", "detail-type", "source", "account", "time", "region", "resources", "detail")
_EMPTY: Mapping[str, Any] = MappingProxyType({})
# EventBridge's own limit on an event's size.
MAX_EVENT_BYTES = 256 * 1024


@attrs.frozen(kw_only=True, slots=True)
class IvsEvent:
    """The EventBridge envelope every IVS event has."""

    id: str
    detail_type: str
    source: str
    account: str
    region: str
    time: datetime
    resources: tuple[str, ...] = ()
    version: str = "0"
    detail: Mapping[str, Any] = _EMPTY  # the detail as received
    unknown_detail: Mapping[str, Any] = _EMPTY  # detail fields this version does not model
    unknown_envelope: Mapping[str, Any] = _EMPTY  # envelope fields beyond EventBridge's own

    @property
    def channel_arn(self) -> str | None:
        """The channel the event is about (its first channel resource), if any."""
        return next((r for r in self.resources if ":channel/" in r), None)


@attrs.frozen(kw_only=True, slots=True)
class _StreamEvent(IvsEvent):
    """The detail fields of IVS's stream events."""

    event_name: str | None = None
    channel_name: str | None = None
    stream_id: str | None = None
    reason: str | None = None
    code: str | None = None


@attrs.frozen(kw_only=True, slots=True)
class StreamStateChange(_StreamEvent):
    """A stream session was created or ended, a stream started, ended or failed
    (``event_name``: "Session Created", "Stream Start", "Stream End", "Stream Failure" ...)."""


@attrs.frozen(kw_only=True, slots=True)
class StreamHealthChange(_StreamEvent):
    """A live stream's health changed (``event_name``: "Starvation Start", "Starvation End" ...)."""


@attrs.frozen(kw_only=True, slots=True)
class LimitBreach(IvsEvent):
    """A stream went beyond a limit (ingest bitrate, resolution ...)."""

    event_name: str | None = None
    channel_name: str | None = None
    stream_id: str | None = None
    limit_name: str | None = None
    limit_value: float | None = None
    exceeded_by: float | None = None
    limit_unit: str | None = None


@attrs.frozen(kw_only=True, slots=True)
class RecordingStateChange(IvsEvent):
    """Recording to S3 started, ended or failed."""

    channel_name: str | None = None
    stream_id: str | None = None
    recording_status: str | None = None  # "Recording Start", "Recording End", "... Failure"
    recording_status_reason: str | None = None
    recording_s3_bucket_name: str | None = None
    recording_s3_key_prefix: str | None = None
    recording_duration_ms: int | None = None
    recording_session_id: str | None = None
    recording_session_stream_ids: tuple[str, ...] = ()


@attrs.frozen(kw_only=True, slots=True)
class UnknownEvent(IvsEvent):
    """An IVS detail type this version does not model; everything is in ``detail``."""


_TYPES: dict[str, type[IvsEvent]] = {
    "IVS Stream State Change": StreamStateChange,
    "IVS Stream Health Change": StreamHealthChange,
    "IVS Limit Breach": LimitBreach,
    "IVS Recording State Change": RecordingStateChange,
}
_STREAM_FIELDS = ("event_name", "channel_name", "stream_id", "reason", "code")
# The detail fields each type models (wire name = Python name) and what their values must be.
_DETAIL_FIELDS: dict[type[IvsEvent], dict[str, str]] = {
    StreamStateChange: dict.fromkeys(_STREAM_FIELDS, "str"),
    StreamHealthChange: dict.fromkeys(_STREAM_FIELDS, "str"),
    LimitBreach: {
        **dict.fromkeys(("event_name", "channel_name", "stream_id", "limit_name", "limit_unit"), "str"),
        "limit_value": "number",
        "exceeded_by": "number",
    },
    RecordingStateChange: {
        **dict.fromkeys(
            (
                "channel_name",
                "stream_id",
                "recording_status",
                "recording_status_reason",
                "recording_s3_bucket_name",
                "recording_s3_key_prefix",
                "recording_session_id",
            ),
            "str",
        ),
        "recording_duration_ms": "int",
        "recording_session_stream_ids": "strings",
    },
}


def parse_event(data: Mapping[str, Any] | str | bytes) -> IvsEvent:
    """The typed event for an EventBridge envelope (as a dict, or its JSON text).

    Text is at most 256 KB (EventBridge's limit) and, like a dict, nests at most 64 levels.
    """
    if isinstance(data, str | bytes):
        if len(data) > MAX_EVENT_BYTES:
            raise EventParseError("<event>", "size", f"larger than {MAX_EVENT_BYTES} bytes, EventBridge's limit")
        try:
            data = _json.loads(data)
        except _json.JsonError as exc:
            raise EventParseError("<event>", "json", f"not valid JSON: {exc.reason}") from None
    if not isinstance(data, Mapping):
        raise EventParseError("<event>", "type", f"expected a JSON object, got {type(data).__name__}")
    if _json.depth_exceeds(dict(data), _json.MAX_DEPTH):
        raise EventParseError("<event>", "depth", f"nested deeper than {_json.MAX_DEPTH} levels")
    source = _text(data, "source")
    if source != SOURCE:
        raise EventParseError("source", "value", f"not an IVS event: source is {_shown(source)}, expected {SOURCE!r}")
    detail = data.get("detail")
    if not isinstance(detail, Mapping):
        raise EventParseError("detail", "type", "must be a JSON object")
    resources = data.get("resources", [])
    if not isinstance(resources, list) or not all(isinstance(r, str) for r in resources):
        raise EventParseError("resources", "type", "must be a list of ARNs")
    detail_type = _text(data, "detail-type")
    cls = _TYPES.get(detail_type, UnknownEvent)
    fields = _DETAIL_FIELDS.get(cls, {})
    values = {name: _detail_value(detail, name, kind) for name, kind in fields.items() if name in detail}
    return cls(
        id=_text(data, "id"),
        detail_type=detail_type,
        source=source,
        account=_text(data, "account"),
        region=_text(data, "region"),
        time=_time(data),
        resources=tuple(resources),
        version=_version(data.get("version", "0")),
        detail=MappingProxyType(dict(detail)),
        unknown_detail=MappingProxyType({k: v for k, v in detail.items() if k not in fields}),
        unknown_envelope=MappingProxyType({k: v for k, v in data.items() if k not in _ENVELOPE}),
        **values,
    )


class EventLedger:
    """Applies each event once, and never an older one over a newer one of the same stream.

    ``accept(event)`` is False for an event id already accepted (a duplicate delivery) and for an
    event older than the newest accepted with the same key (a late one); otherwise it records
    the event and returns True. The key defaults to the detail type and channel, so a late
    recording event is not held back by a newer stream event. Events of the same second are
    all accepted: EventBridge times have one-second resolution.

    Memory is bounded: ``remember`` event ids and ``max_keys`` keys, the least recently used
    forgotten first. A late event for a forgotten key is accepted (nothing newer is known).
    """

    def __init__(self, *, remember: int = 10_000, max_keys: int = 50_000) -> None:
        if remember < 1 or max_keys < 1:
            raise ValueError("remember and max_keys must be at least 1")
        self._remember = remember
        self._max_keys = max_keys
        self._ids: OrderedDict[str, None] = OrderedDict()
        self._latest: OrderedDict[str, datetime] = OrderedDict()

    @staticmethod
    def key_of(event: IvsEvent) -> str:
        return f"{event.detail_type}|{event.channel_arn or event.account}"

    def accept(self, event: IvsEvent, *, key: str | None = None) -> bool:
        if event.id in self._ids:
            return False
        key = self.key_of(event) if key is None else key
        latest = self._latest.get(key)
        if latest is not None and event.time < latest:
            return False
        self._latest[key] = event.time
        self._latest.move_to_end(key)
        if len(self._latest) > self._max_keys:
            self._latest.popitem(last=False)
        self._ids[event.id] = None
        if len(self._ids) > self._remember:
            self._ids.popitem(last=False)
        return True

    def __contains__(self, event_id: object) -> bool:
        return event_id in self._ids

    def tracked_keys(self) -> int:
        """How many keys the ledger holds a latest time for (at most ``max_keys``)."""
        return len(self._latest)


def _text(data: Mapping[str, Any], key: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value:
        raise EventParseError(key, "required", "must be a non-empty string")
    return value


def _shown(value: str) -> str:
    """A value for a message: quoted, and short whatever the input was."""
    return repr(value[:64] + ("..." if len(value) > 64 else ""))


def _version(value: object) -> str:
    if isinstance(value, str) and len(value) <= 16:
        return value
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 1000:
        return str(value)
    raise EventParseError("version", "type", "must be a short string")


def _time(data: Mapping[str, Any]) -> datetime:
    raw = _text(data, "time")
    try:
        parsed = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise EventParseError("time", "format", f"{_shown(raw)} is not an ISO 8601 time") from None
    if parsed.tzinfo is None:
        raise EventParseError("time", "format", f"{_shown(raw)} has no time zone")
    return parsed


def _detail_value(detail: Mapping[str, Any], name: str, kind: str) -> Any:
    value = detail[name]
    if value is None:
        return None
    where = f"detail.{name}"
    if kind == "str":
        if not isinstance(value, str):
            raise EventParseError(where, "type", f"must be a string, got {type(value).__name__}")
        return value
    if kind == "number":
        if isinstance(value, str) and len(value) <= 64:  # IVS sends some numbers as text
            with contextlib.suppress(ValueError):
                value = float(value)
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            raise EventParseError(where, "type", "must be a finite number")
        return value
    if kind == "int":
        if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 19:
            return int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            raise EventParseError(where, "type", "must be an integer")
        return value
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):  # "strings"
        raise EventParseError(where, "type", "must be a list of strings")
    return tuple(value)


_rehome(__name__, globals(), ["RedisEventLedger"])

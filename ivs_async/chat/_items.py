"""What a chat room delivers (typed, frozen), the errors of chat messaging, and the parser of the
service's frames."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any

import attrs

from ivs_async._exceptions import ChatError, ChatFrameError
from ivs_async._protocol import json as _json
from ivs_async.chat import _wire

_EMPTY: Mapping[str, str] = MappingProxyType({})
# Frames nest three levels at most (MESSAGE > Sender > Attributes).
_MAX_DEPTH = 8


# Attributes are read-only mappings, left out of hashes (equality still compares them).
def _attributes(value: Mapping[str, str] | None) -> Mapping[str, str]:
    return _EMPTY if not value else MappingProxyType(dict(value))


def _shown(value: Mapping[str, str]) -> str:
    return repr(dict(value))


@attrs.frozen(kw_only=True, slots=True)
class ChatSender:
    """Who sent a message: the user id and attributes of their chat token."""

    user_id: str
    attributes: Mapping[str, str] = attrs.field(default=_EMPTY, converter=_attributes, repr=_shown, hash=False)


@attrs.frozen(kw_only=True, slots=True)
class ChatMessage:
    """A message sent to the room (``id`` is IVS's; ``request_id`` the sender's own, when given)."""

    id: str
    content: str
    sender: ChatSender
    send_time: datetime
    attributes: Mapping[str, str] = attrs.field(default=_EMPTY, converter=_attributes, repr=_shown, hash=False)
    request_id: str | None = None


@attrs.frozen(kw_only=True, slots=True)
class ChatEvent:
    """An event: an application's SendEvent, or one of IVS's this version does not model."""

    id: str
    event_name: str
    send_time: datetime
    attributes: Mapping[str, str] = attrs.field(default=_EMPTY, converter=_attributes, repr=_shown, hash=False)
    request_id: str | None = None


@attrs.frozen(kw_only=True, slots=True)
class DeletedMessage:
    """IVS's ``aws:DELETE_MESSAGE`` event: clients should hide message ``message_id``."""

    id: str
    message_id: str
    reason: str | None
    send_time: datetime
    attributes: Mapping[str, str] = attrs.field(default=_EMPTY, converter=_attributes, repr=_shown, hash=False)
    request_id: str | None = None


@attrs.frozen(kw_only=True, slots=True)
class UserDisconnected:
    """IVS's ``aws:DISCONNECT_USER`` event: every connection of ``user_id`` was closed."""

    id: str
    user_id: str
    reason: str | None
    send_time: datetime
    attributes: Mapping[str, str] = attrs.field(default=_EMPTY, converter=_attributes, repr=_shown, hash=False)
    request_id: str | None = None


ChatItem = ChatMessage | ChatEvent | DeletedMessage | UserDisconnected | ChatError
"""What iterating a room yields."""


def parse_frame(data: str | bytes) -> ChatItem | None:
    """One frame from the service, typed; None for a ``Type`` this version does not know.
    Anything else raises ChatFrameError naming the field."""
    try:
        frame = _json.loads(data, max_depth=_MAX_DEPTH)
    except _json.JsonError as exc:
        raise ChatFrameError("frame", "json", f"not a JSON frame: {exc.reason}") from None
    if not isinstance(frame, dict):
        raise ChatFrameError("frame", "type", f"must be a JSON object, got {_kind(frame)}")
    kind = _text(frame, "Type")
    if kind not in (_wire.MESSAGE, _wire.EVENT, _wire.ERROR):
        return None
    id = _text(frame, "Id")
    request_id = _optional_text(frame, "RequestId")
    if kind == _wire.ERROR:
        code = frame.get("ErrorCode")
        if isinstance(code, bool) or not isinstance(code, int | float) or code != int(code) or not 0 <= code < 1000:
            raise ChatFrameError("ErrorCode", "type", f"must be a whole number below 1000, got {_kind(code)}")
        message = _optional_text(frame, "ErrorMessage") or ""
        return ChatError.from_frame(int(code), message, id=id, request_id=request_id)
    send_time = _time(frame, "SendTime")
    attributes = _string_map(frame, "Attributes", "Attributes")
    if kind == _wire.MESSAGE:
        sender = frame.get("Sender")
        if not isinstance(sender, dict):
            raise ChatFrameError("Sender", "type", f"must be an object, got {_kind(sender)}")
        return ChatMessage(
            id=id,
            content=_text(frame, "Content"),
            sender=ChatSender(
                user_id=_text(sender, "UserId", "Sender.UserId"),
                attributes=_string_map(sender, "Attributes", "Sender.Attributes"),
            ),
            send_time=send_time,
            attributes=attributes,
            request_id=request_id,
        )
    name = _text(frame, "EventName")
    if name == _wire.DELETE_MESSAGE_EVENT:
        # MessageId is current; MessageID is the older spelling (the one the JS client reads).
        message_id = attributes.get("MessageId") or attributes.get("MessageID")
        if not message_id:
            raise ChatFrameError("Attributes.MessageId", "required", "a deleted message's id is missing")
        return DeletedMessage(
            id=id,
            message_id=message_id,
            reason=attributes.get("Reason"),
            send_time=send_time,
            attributes=attributes,
            request_id=request_id,
        )
    if name == _wire.DISCONNECT_USER_EVENT:
        user_id = attributes.get("UserId")
        if not user_id:
            raise ChatFrameError("Attributes.UserId", "required", "a disconnected user's id is missing")
        return UserDisconnected(
            id=id,
            user_id=user_id,
            reason=attributes.get("Reason"),
            send_time=send_time,
            attributes=attributes,
            request_id=request_id,
        )
    return ChatEvent(id=id, event_name=name, send_time=send_time, attributes=attributes, request_id=request_id)


def _kind(value: object) -> str:
    return "null" if value is None else type(value).__name__


def _text(data: Mapping[str, Any], key: str, field: str | None = None) -> str:
    value = data.get(key)
    if not isinstance(value, str):
        raise ChatFrameError(field or key, "type", f"must be a string, got {_kind(value)}")
    return value


def _optional_text(data: Mapping[str, Any], key: str) -> str | None:
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise ChatFrameError(key, "type", f"must be a string, got {_kind(value)}")
    return value


def _string_map(data: Mapping[str, Any], key: str, field: str) -> Mapping[str, str]:
    value = data.get(key)
    if value is None:
        return _EMPTY
    if not isinstance(value, dict):
        raise ChatFrameError(field, "type", f"must be an object, got {_kind(value)}")
    for name, item in value.items():
        if not isinstance(item, str):
            raise ChatFrameError(f"{field}.{name[:64]}", "type", f"must be a string, got {_kind(item)}")
    return MappingProxyType(value)


def _time(data: Mapping[str, Any], key: str) -> datetime:
    raw = _text(data, key)
    try:
        parsed = datetime.fromisoformat(raw[:64].replace("Z", "+00:00")) if len(raw) <= 64 else None
    except ValueError:
        parsed = None
    if parsed is None:
        raise ChatFrameError(key, "format", "must be an ISO 8601 time")
    # IVS writes UTC with a Z; a time without a zone is read as UTC rather than as local time.
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)

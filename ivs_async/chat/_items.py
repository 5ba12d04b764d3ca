"""What a chat room delivers (typed, frozen), the errors of chat messaging, and the parser of the
service's frames."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any

import attrs

from ivs_async import _json
from ivs_async._exceptions import IvsError, IvsSdkError, _FieldError
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


class ChatError(IvsError):
    """An ERROR frame: IVS refused a request (``request_id`` names it) or the connection.

    ``code`` is the numeric ``ErrorCode`` (a ``ChatErrorCode`` when IVS documents it); each
    documented code has its subclass. Errors that answer one of this room's requests are raised
    by that request; others are delivered by the iteration."""

    code: int = 0  # the class's own code; an instance has the frame's

    def __init__(self, code: int, message: str, *, id: str, request_id: str | None = None) -> None:
        self.code = code
        self.message = message
        self.id = id
        self.request_id = request_id
        self.retryable = code in (_wire.ChatErrorCode.TOO_MANY_REQUESTS, _wire.ChatErrorCode.INTERNAL_SERVER_ERROR)
        super().__init__(f"{code}: {message}")

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild_error, (type(self), self.code, self.message, self.id, self.request_id))

    @classmethod
    def from_frame(cls, code: int, message: str, *, id: str, request_id: str | None = None) -> ChatError:
        """The error of this code's class (ChatError itself for an undocumented code)."""
        return _BY_CODE.get(code, ChatError)(code, message, id=id, request_id=request_id)


def _rebuild_error(kind: type[ChatError], code: int, message: str, id: str, request_id: str | None) -> ChatError:
    return kind(code, message, id=id, request_id=request_id)


class ChatBadRequestError(ChatError):
    """400: the request is malformed or invalid."""

    code = 400


class ChatUnauthorizedError(ChatError):
    """401: the connection's session expired (the room reconnects with a new token)."""

    code = 401


class ChatForbiddenError(ChatError):
    """403: the chat token's capabilities do not allow this action."""

    code = 403


class ChatRoomNotFoundError(ChatError):
    """404: the room does not exist (any more)."""

    code = 404


class ChatMessageRejectedError(ChatError):
    """406: the room's message review handler refused the message."""

    code = 406


class ChatPayloadTooLargeError(ChatError):
    """413: a field of the request is too large (a message longer than the room allows ...)."""

    code = 413


class ChatThrottledError(ChatError):
    """429: a rate limit was exceeded (the room's messages per second ...)."""

    code = 429


class ChatInternalError(ChatError):
    """500: IVS failed on its side."""

    code = 500


_BY_CODE: dict[int, type[ChatError]] = {
    cls.code: cls
    for cls in (
        ChatBadRequestError,
        ChatUnauthorizedError,
        ChatForbiddenError,
        ChatRoomNotFoundError,
        ChatMessageRejectedError,
        ChatPayloadTooLargeError,
        ChatThrottledError,
        ChatInternalError,
    )
}


class ChatConnectionError(IvsSdkError):
    """The room could not connect (or reconnect) to the chat service, or a connection broke while a
    request waited for its answer (which may or may not have reached the room). ``status`` is the
    handshake's HTTP status, when the service answered one."""

    def __init__(self, message: str, *, status: int | None = None, permanent: bool = False) -> None:
        self.status = status
        self.permanent = permanent  # trying again with a new token cannot help
        self.retryable = not permanent
        super().__init__(message)

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild_connection, (type(self), str(self), self.status, self.permanent))


def _rebuild_connection(
    kind: type[ChatConnectionError], message: str, status: int | None, permanent: bool
) -> ChatConnectionError:
    return kind(message, status=status, permanent=permanent)


class ChatClosedError(ChatConnectionError):
    """The room is closed: by ``close()``, or by the service for good (``code`` and ``reason`` of
    its close frame: a disconnect of this user, a deleted room, an expired session ...)."""

    def __init__(self, reason: str, *, code: int | None = None) -> None:
        self.code = code
        self.reason = reason
        super().__init__(
            f"the chat room is closed: {reason}" + (f" (close code {code})" if code else ""), permanent=True
        )

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild_closed, (self.reason, self.code))


def _rebuild_closed(reason: str, code: int | None) -> ChatClosedError:
    return ChatClosedError(reason, code=code)


class ChatTimeoutError(IvsSdkError, TimeoutError):
    """A request's answer did not come within its timeout (it may still reach the room)."""


class ChatTokenError(_FieldError):
    """The token provider's answer cannot be used (``field`` names what is wrong); the token
    itself is never in the message."""


class ChatFrameError(_FieldError):
    """A frame from the service is not one the Chat Messaging API sends (``field`` names where);
    the room drops it and goes on."""


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

"""The chat socket's side of the Chat Messaging API: reading a client's frame, writing MESSAGE,
EVENT and ERROR frames, and the ids IVS gives them."""

from __future__ import annotations

import json
import secrets
import string
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import attrs

from ivs_async._protocol import json as _json
from ivs_async.chat import _wire
from ivs_async.chat._wire import ChatErrorCode

_ID_ALPHABET = string.ascii_letters + string.digits
MAX_REQUEST_ID = 128  # echoed back: bounded like the other identifiers
_MAX_DEPTH = 8  # a client frame nests two levels (the frame, its Attributes)


def new_id() -> str:
    """An id as IVS makes them: 12 letters and digits."""
    return "".join(secrets.choice(_ID_ALPHABET) for _ in range(_wire.ID_LENGTH))


def wire_time(value: datetime) -> str:
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class FrameRefused(Exception):
    """A client frame answered with an ERROR frame (``request_id`` echoed when it had one)."""

    def __init__(self, code: ChatErrorCode, message: str, request_id: str | None = None) -> None:
        self.code = code
        self.message = message
        self.request_id = request_id
        super().__init__(f"{int(code)}: {message}")


@attrs.frozen(kw_only=True, slots=True)
class ClientRequest:
    """One valid client frame (its fields as sent; which apply depends on ``action``)."""

    action: str
    request_id: str | None = None
    content: str = ""
    attributes: Mapping[str, str] | None = None
    id: str = ""  # DELETE_MESSAGE: the message to delete
    user_id: str = ""  # DISCONNECT_USER: the user to disconnect
    reason: str | None = None


def parse_request(data: str) -> ClientRequest:
    """A client's text frame as a request, or FrameRefused with IVS's code: 400 for a malformed
    frame, 413 for a field over its bound. Capabilities and room limits are the socket's to check."""
    try:
        frame = _json.loads(data, max_depth=_MAX_DEPTH)
    except _json.JsonError as exc:
        raise FrameRefused(ChatErrorCode.BAD_REQUEST, f"the frame is not JSON: {exc.reason}") from None
    if not isinstance(frame, dict):
        raise FrameRefused(ChatErrorCode.BAD_REQUEST, "the frame must be a JSON object")
    request_id = frame.get("RequestId")
    if request_id is not None and (not isinstance(request_id, str) or not 0 < len(request_id) <= MAX_REQUEST_ID):
        raise FrameRefused(ChatErrorCode.BAD_REQUEST, f"RequestId must be a string of 1 to {MAX_REQUEST_ID} characters")
    action = frame.get("Action")
    if action not in _wire.ACTIONS:
        raise FrameRefused(ChatErrorCode.BAD_REQUEST, f"Action must be one of {', '.join(_wire.ACTIONS)}", request_id)
    reason = _optional_text(frame, "Reason", _wire.MAX_REASON, request_id)
    if action == _wire.SEND_MESSAGE:
        content = frame.get("Content")
        if not isinstance(content, str) or not content:
            raise FrameRefused(ChatErrorCode.BAD_REQUEST, "Content must be a non-empty string", request_id)
        return ClientRequest(
            action=action,
            request_id=request_id,
            content=content,
            attributes=_attributes(frame.get("Attributes"), request_id),
        )
    if action == _wire.DELETE_MESSAGE:
        id = frame.get("Id")
        if not isinstance(id, str) or _wire.MESSAGE_ID.fullmatch(id) is None:
            raise FrameRefused(ChatErrorCode.BAD_REQUEST, "Id must be a message id (12 letters and digits)", request_id)
        return ClientRequest(action=action, request_id=request_id, id=id, reason=reason)
    user_id = frame.get("UserId")
    if not isinstance(user_id, str) or not user_id:
        raise FrameRefused(ChatErrorCode.BAD_REQUEST, "UserId must be a non-empty string", request_id)
    if len(user_id) > _wire.MAX_USER_ID:
        raise FrameRefused(
            ChatErrorCode.PAYLOAD_TOO_LARGE, f"UserId is longer than {_wire.MAX_USER_ID} characters", request_id
        )
    return ClientRequest(action=action, request_id=request_id, user_id=user_id, reason=reason)


def _optional_text(frame: Mapping[str, Any], key: str, limit: int, request_id: str | None) -> str | None:
    value = frame.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not value:
        raise FrameRefused(ChatErrorCode.BAD_REQUEST, f"{key} must be a non-empty string", request_id)
    if len(value) > limit:
        raise FrameRefused(ChatErrorCode.PAYLOAD_TOO_LARGE, f"{key} is longer than {limit} characters", request_id)
    return value


def _attributes(value: object, request_id: str | None) -> Mapping[str, str] | None:
    if value is None:
        return None
    if not isinstance(value, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
        raise FrameRefused(ChatErrorCode.BAD_REQUEST, "Attributes must map strings to strings", request_id)
    if attributes_size(value) > _wire.MAX_ATTRIBUTES_BYTES:
        raise FrameRefused(
            ChatErrorCode.PAYLOAD_TOO_LARGE,
            f"Attributes are larger than {_wire.MAX_ATTRIBUTES_BYTES} bytes in all",
            request_id,
        )
    return value


def attributes_size(attributes: Mapping[str, str]) -> int:
    """UTF-8 bytes of the keys and values (lone surrogates counted as three bytes each)."""
    return sum(
        len(k.encode("utf-8", "surrogatepass")) + len(v.encode("utf-8", "surrogatepass")) for k, v in attributes.items()
    )


def _dump(frame: dict[str, Any]) -> str:
    text = json.dumps(frame, ensure_ascii=False, separators=(",", ":"))
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate (JSON can carry one): escaped, the frame is valid UTF-8
        text = json.dumps(frame, separators=(",", ":"))
    return text


def message_frame(
    *,
    id: str,
    request_id: str | None,
    content: str,
    attributes: Mapping[str, str] | None,
    send_time: datetime,
    user_id: str,
    user_attributes: Mapping[str, str],
) -> str:
    frame: dict[str, Any] = {"Type": _wire.MESSAGE, "Id": id}
    if request_id is not None:
        frame["RequestId"] = request_id
    frame["Content"] = content
    if attributes is not None:
        frame["Attributes"] = dict(attributes)
    frame["SendTime"] = wire_time(send_time)
    frame["Sender"] = {"UserId": user_id, "Attributes": dict(user_attributes)}
    return _dump(frame)


def event_frame(
    *, id: str, request_id: str | None, name: str, attributes: Mapping[str, str] | None, send_time: datetime
) -> str:
    frame: dict[str, Any] = {"Type": _wire.EVENT, "Id": id}
    if request_id is not None:
        frame["RequestId"] = request_id
    frame["EventName"] = name
    frame["Attributes"] = dict(attributes or {})
    frame["SendTime"] = wire_time(send_time)
    return _dump(frame)


def error_frame(*, id: str, request_id: str | None, code: ChatErrorCode, message: str) -> str:
    frame: dict[str, Any] = {"Type": _wire.ERROR, "Id": id}
    if request_id is not None:
        frame["RequestId"] = request_id
    frame["ErrorCode"] = int(code)
    frame["ErrorMessage"] = message
    return _dump(frame)

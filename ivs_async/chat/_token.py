"""Chat tokens as a room receives them from its provider: CreateChatToken's output (the model, or
its wire form as a dict), its fields, or the bare token."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime
from typing import NotRequired, Protocol, Required, TypedDict

import attrs

from ivs_async._exceptions import ChatTokenError
from ivs_async.chat._wire import is_token

# A real token is a few hundred characters; this is far beyond any, and keeps headers bounded.
MAX_TOKEN_LENGTH = 8192


class ChatTokenLike(Protocol):
    """An object with CreateChatToken's output fields (the ivschat output model has them)."""

    @property
    def token(self) -> str | None: ...

    @property
    def token_expiration_time(self) -> datetime | None: ...

    @property
    def session_expiration_time(self) -> datetime | None: ...


class ChatTokenDict(TypedDict, total=False):
    """CreateChatToken's output in its wire form (times as ISO 8601 text or datetimes), as a
    backend relays it to its clients; the shape the JS client's token provider returns too."""

    token: Required[str]
    tokenExpirationTime: NotRequired[str | datetime | None]
    sessionExpirationTime: NotRequired[str | datetime | None]


TokenProvider = Callable[[], Awaitable[ChatTokenLike | ChatTokenDict | str]]
"""An async callable that returns a fresh chat token each time a room (re)connects."""


def _masked(value: str) -> str:
    return "****"


@attrs.frozen(kw_only=True, slots=True)
class ChatToken:
    """A chat token and when it stops being usable (None: not said). The token never shows in
    ``repr``."""

    token: str = attrs.field(repr=_masked)
    token_expiration_time: datetime | None = None
    session_expiration_time: datetime | None = None

    @property
    def expires(self) -> datetime | None:
        """The earlier of the two expirations: when a new connection must be open."""
        times = [t for t in (self.token_expiration_time, self.session_expiration_time) if t is not None]
        return min(times) if times else None


def chat_token(value: object) -> ChatToken:
    """The provider's answer as a ChatToken; ChatTokenError names the field that is wrong."""
    token: object
    token_expiry: object
    session_expiry: object
    if isinstance(value, str):
        token, token_expiry, session_expiry = value, None, None
    elif isinstance(value, Mapping):
        token = value.get("token")
        token_expiry = value.get("tokenExpirationTime")
        session_expiry = value.get("sessionExpirationTime")
    elif hasattr(value, "token"):
        token = value.token
        token_expiry = getattr(value, "token_expiration_time", None)
        session_expiry = getattr(value, "session_expiration_time", None)
    else:
        raise ChatTokenError(
            "token", "type", f"the token provider returned {type(value).__name__}, not a chat token or its fields"
        )
    if not isinstance(token, str) or not token:
        raise ChatTokenError("token", "type", "must be a non-empty string")
    if len(token) > MAX_TOKEN_LENGTH:
        raise ChatTokenError("token", "length", f"is longer than {MAX_TOKEN_LENGTH} characters")
    if not is_token(token):
        # As a browser's WebSocket refuses it: the token travels as the Sec-WebSocket-Protocol.
        raise ChatTokenError(
            "token", "pattern", "has characters a WebSocket subprotocol cannot carry (RFC 7230 token characters only)"
        )
    return ChatToken(
        token=token,
        token_expiration_time=_time(token_expiry, "tokenExpirationTime"),
        session_expiration_time=_time(session_expiry, "sessionExpirationTime"),
    )


def _time(value: object, field: str) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str) and len(value) <= 64:
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise ChatTokenError(field, "format", "must be an ISO 8601 time") from None
    else:
        raise ChatTokenError(field, "type", f"must be a datetime or ISO 8601 text, got {type(value).__name__}")
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)

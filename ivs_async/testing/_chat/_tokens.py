"""What the chat socket needs from IVS Local's chat backend: the session a token opens, and a
room's current settings. The backend implements ``ChatTokens``; the socket never stores tokens."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from types import MappingProxyType
from typing import Protocol

import attrs

from ivs_async.chat._wire import CAPABILITIES, MAX_MESSAGE_LENGTH


def _frozen_map(value: Mapping[str, str] | None) -> Mapping[str, str]:
    return MappingProxyType(dict(value or {}))


def _capabilities(value: object) -> frozenset[str]:
    found = frozenset(value) if isinstance(value, set | frozenset | list | tuple) else frozenset()
    unknown = found - set(CAPABILITIES)
    if unknown:
        raise ValueError(f"unknown chat capabilities {sorted(unknown)}; known: {', '.join(CAPABILITIES)}")
    return found


@attrs.frozen(kw_only=True, slots=True)
class ChatSession:
    """What a chat token grants: one user in one room, until ``session_expiration_time`` (the
    emulator's clock). ``capabilities``: SEND_MESSAGE, DELETE_MESSAGE, DISCONNECT_USER (receiving
    needs none); ``attributes`` go out with each of the user's messages as ``Sender.Attributes``."""

    room_arn: str
    user_id: str
    session_expiration_time: datetime
    capabilities: frozenset[str] = attrs.field(default=frozenset(), converter=_capabilities)
    attributes: Mapping[str, str] = attrs.field(factory=dict, converter=_frozen_map)


@attrs.frozen(kw_only=True, slots=True)
class RoomSettings:
    """The settings of a room that the socket applies (CreateRoom's defaults)."""

    maximum_message_length: int = MAX_MESSAGE_LENGTH  # code points of a message's content
    maximum_message_rate_per_second: int = 10  # messages to the room per second, from all clients


class ChatRefused(Exception):
    """A token that opens no session: ``status`` is the handshake's HTTP answer (401: unknown or
    expired token; 404: its room is gone)."""

    def __init__(self, status: int, message: str) -> None:
        self.status = status
        self.message = message
        super().__init__(f"{status}: {message}")


class ChatTokens(Protocol):
    """The chat backend, as the socket sees it. Both methods are called on the event loop that
    serves the socket, and must not block."""

    def redeem(self, token: str) -> ChatSession:
        """The session ``token`` opens now, or ChatRefused. Whether a token opens one connection or
        many until it expires is the backend's choice."""
        ...

    def room(self, room_arn: str) -> RoomSettings | None:
        """The room's settings now (UpdateRoom applies to the next message), None once deleted."""
        ...

"""The IVS Chat Messaging API's vocabulary: what ChatRoom and IVS Local's chat socket both speak.

Frames are JSON objects with capitalised keys. A client publishes ``{"Action": ...}``; the
service pushes ``{"Type": "MESSAGE" | "EVENT" | "ERROR", "Id": ...}``. The chat token travels as
the only ``Sec-WebSocket-Protocol`` of the handshake, and the service echoes it.
"""

from __future__ import annotations

import enum
import re

SEND_MESSAGE = "SEND_MESSAGE"
DELETE_MESSAGE = "DELETE_MESSAGE"
DISCONNECT_USER = "DISCONNECT_USER"
ACTIONS = (SEND_MESSAGE, DELETE_MESSAGE, DISCONNECT_USER)
# The capabilities a chat token can grant are the actions' names (receiving needs none).
CAPABILITIES = ACTIONS

MESSAGE = "MESSAGE"
EVENT = "EVENT"
ERROR = "ERROR"

# The events IVS itself sends; any other name comes from an application's SendEvent.
DELETE_MESSAGE_EVENT = "aws:DELETE_MESSAGE"
DISCONNECT_USER_EVENT = "aws:DISCONNECT_USER"


class ChatErrorCode(enum.IntEnum):
    """The numeric ``ErrorCode`` of an ERROR frame (HTTP status numbers)."""

    BAD_REQUEST = 400  # malformed or invalid
    UNAUTHORIZED = 401  # the connection (its session) expired, or no token
    FORBIDDEN = 403  # the token's capabilities do not allow the action
    NOT_FOUND = 404  # the room does not exist
    NOT_ACCEPTABLE = 406  # a message review handler refused the message
    PAYLOAD_TOO_LARGE = 413  # a field is too large
    TOO_MANY_REQUESTS = 429  # a rate limit was exceeded
    INTERNAL_SERVER_ERROR = 500


# A subprotocol is an RFC 7230 token: browsers (and the official JS client) refuse anything else
# before connecting, so a chat token with "/" or "=" can never be used.
_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")


def is_token(value: str) -> bool:
    """Whether ``value`` can be sent as a WebSocket subprotocol (RFC 7230 token characters)."""
    return _TOKEN.fullmatch(value) is not None


# Message and event ids are 12 letters and digits (the ivschat model's ID shape).
ID_LENGTH = 12
MESSAGE_ID = re.compile(r"[a-zA-Z0-9]{12}")
# The control plane's bounds on what moderation requests carry (the ivschat model's shapes).
MAX_USER_ID = 128
MAX_REASON = 256
MAX_EVENT_NAME = 100
MAX_ATTRIBUTES_BYTES = 1024  # event and token attributes: "1 KB total"
MAX_MESSAGE_LENGTH = 500  # code points, the largest maximumMessageLength a room can have

"""Amazon IVS Chat: the Chat API (``IvsChatClient``, the aggregated ``IvsChat``; rooms, logging
configurations, chat tokens) and the Chat Messaging API (``ChatRoom``, a room over a WebSocket
with the tokens CreateChatToken makes).

    async with IvsChat(region="us-west-2") as chat:
        room = await chat.create_room(name="lobby")

    async with ChatRoom("us-west-2", token_provider) as room:
        await room.send_message("hello")

``ivs_async.chat.commands``, ``.models``, ``.errors``, ``.paginators`` and ``.messaging`` hold the
rest. The names below load when first used: importing ``ivs_async`` (or this package) imports
none of these modules.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ivs_async._core.lazy import lazy_attributes as _lazy_attributes

if TYPE_CHECKING:  # what type checkers see; at run time __getattr__ loads each name when first used
    from ivs_async._generated.ivschat.aggregated import IvsChat as IvsChat
    from ivs_async.chat import commands as commands
    from ivs_async.chat import errors as errors
    from ivs_async.chat import messaging as messaging
    from ivs_async.chat import models as models
    from ivs_async.chat import paginators as paginators
    from ivs_async.chat._client import IvsChatClient as IvsChatClient
    from ivs_async.chat.messaging import ChatBadRequestError as ChatBadRequestError
    from ivs_async.chat.messaging import ChatClosedError as ChatClosedError
    from ivs_async.chat.messaging import ChatConnectionError as ChatConnectionError
    from ivs_async.chat.messaging import ChatError as ChatError
    from ivs_async.chat.messaging import ChatErrorCode as ChatErrorCode
    from ivs_async.chat.messaging import ChatEvent as ChatEvent
    from ivs_async.chat.messaging import ChatForbiddenError as ChatForbiddenError
    from ivs_async.chat.messaging import ChatFrameError as ChatFrameError
    from ivs_async.chat.messaging import ChatInternalError as ChatInternalError
    from ivs_async.chat.messaging import ChatItem as ChatItem
    from ivs_async.chat.messaging import ChatMessage as ChatMessage
    from ivs_async.chat.messaging import ChatMessageRejectedError as ChatMessageRejectedError
    from ivs_async.chat.messaging import ChatPayloadTooLargeError as ChatPayloadTooLargeError
    from ivs_async.chat.messaging import ChatRoom as ChatRoom
    from ivs_async.chat.messaging import ChatRoomNotFoundError as ChatRoomNotFoundError
    from ivs_async.chat.messaging import ChatSender as ChatSender
    from ivs_async.chat.messaging import ChatThrottledError as ChatThrottledError
    from ivs_async.chat.messaging import ChatTimeoutError as ChatTimeoutError
    from ivs_async.chat.messaging import ChatToken as ChatToken
    from ivs_async.chat.messaging import ChatTokenDict as ChatTokenDict
    from ivs_async.chat.messaging import ChatTokenError as ChatTokenError
    from ivs_async.chat.messaging import ChatTokenLike as ChatTokenLike
    from ivs_async.chat.messaging import ChatUnauthorizedError as ChatUnauthorizedError
    from ivs_async.chat.messaging import DeletedMessage as DeletedMessage
    from ivs_async.chat.messaging import TokenProvider as TokenProvider
    from ivs_async.chat.messaging import UserDisconnected as UserDisconnected
    from ivs_async.chat.messaging import chat_url as chat_url

# The two clients and the messaging names (from ivs_async.chat.messaging; a test keeps
# those and its __all__ equal).
_CLIENTS = {"IvsChat": "ivs_async._generated.ivschat.aggregated", "IvsChatClient": "ivs_async.chat._client"}
__all__ = [
    "ChatBadRequestError",
    "ChatClosedError",
    "ChatConnectionError",
    "ChatError",
    "ChatErrorCode",
    "ChatEvent",
    "ChatForbiddenError",
    "ChatFrameError",
    "ChatInternalError",
    "ChatItem",
    "ChatMessage",
    "ChatMessageRejectedError",
    "ChatPayloadTooLargeError",
    "ChatRoom",
    "ChatRoomNotFoundError",
    "ChatSender",
    "ChatThrottledError",
    "ChatTimeoutError",
    "ChatToken",
    "ChatTokenDict",
    "ChatTokenError",
    "ChatTokenLike",
    "ChatUnauthorizedError",
    "DeletedMessage",
    "IvsChat",
    "IvsChatClient",
    "TokenProvider",
    "UserDisconnected",
    "chat_url",
]

__getattr__, __dir__ = _lazy_attributes(
    __name__,
    {**dict.fromkeys(__all__, "ivs_async.chat.messaging"), **_CLIENTS},
    submodules=("commands", "errors", "messaging", "models", "paginators"),
)

"""IVS Local's side of the IVS Chat Messaging API: the WebSocket chat clients connect to.

The chat backend (rooms, CreateChatToken) implements ``ChatTokens``; the server routes the
requests ``ChatSocket.serves`` to ``ChatSocket.handle``; the backend's SendEvent, DeleteMessage,
DisconnectUser and DeleteRoom call the socket's methods of the same names.
"""

from ivs_async.testing._chat._socket import ChatSocket
from ivs_async.testing._chat._tokens import ChatRefused, ChatSession, ChatTokens, RoomSettings

__all__ = ["ChatRefused", "ChatSession", "ChatSocket", "ChatTokens", "RoomSettings"]

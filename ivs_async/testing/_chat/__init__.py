"""IVS Local's IVS Chat: the control plane (``ChatBackend``: rooms, logging configurations,
CreateChatToken, tags) and the Messaging API's WebSocket chat clients connect to (``ChatSocket``).

The chat backend implements ``ChatTokens``; the server routes the
requests ``ChatSocket.serves`` to ``ChatSocket.handle``; the backend's SendEvent, DeleteMessage,
DisconnectUser and DeleteRoom call the socket's methods of the same names.
"""

from ivs_async.testing._chat._backend import ChatBackend, ChatQuotas
from ivs_async.testing._chat._socket import ChatSocket
from ivs_async.testing._chat._tokens import ChatRefused, ChatSession, ChatTokens, RoomSettings

__all__ = ["ChatBackend", "ChatQuotas", "ChatRefused", "ChatSession", "ChatSocket", "ChatTokens", "RoomSettings"]

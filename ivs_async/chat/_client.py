"""IvsChatClient: the shared client core, speaking IVS Chat."""

from __future__ import annotations

from ivs_async._core.client import ServiceClient
from ivs_async._generated.ivschat import SERVICE


class IvsChatClient(ServiceClient):
    """An asyncio client for the Amazon IVS Chat API: ``await client.send(CreateRoomCommand(name="lobby"))``.

    It takes the keywords of [IvsClient][ivs_async.IvsClient] and works as it does (middleware
    stack, retries, credentials, endpoints, telemetry); it signs as ``ivschat``, and a
    ``rate_limiter`` paces each call to IVS Chat's per-account API rates.
    """

    __module__ = "ivs_async.chat"
    service = SERVICE

"""IvsRealTimeClient: the shared client core, speaking IVS Real-Time."""

from __future__ import annotations

from ivs_async._core.client import ServiceClient
from ivs_async._generated.ivs_realtime import SERVICE


class IvsRealTimeClient(ServiceClient):
    """An asyncio client for the Amazon IVS Real-Time API: ``await client.send(CreateStageCommand(name="studio"))``.

    It takes the keywords of [IvsClient][ivs_async.IvsClient] and works as it does (middleware
    stack, retries, credentials, endpoints, telemetry); it signs as ``ivs``, and a
    ``rate_limiter`` paces each call to IVS Real-Time's per-account API rates.
    """

    __module__ = "ivs_async.realtime"
    service = SERVICE

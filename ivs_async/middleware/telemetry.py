"""initialize (first): one telemetry record (span, metrics) per call, when the client has a provider.

Without a provider the entry adds no handler at all, so telemetry off costs nothing per call.
"""

from __future__ import annotations

import asyncio
import inspect
from urllib.parse import urlsplit

from ivs_async._core.context import Call, HandlerContext
from ivs_async._core.stack import Handler
from ivs_async._exceptions import IvsError

NAME = "telemetry"


def telemetry_middleware(next_handler: Handler, context: HandlerContext) -> Handler:
    telemetry = context.telemetry
    if telemetry is None:
        return next_handler
    operation = context.operation.name
    region = context.config.region or ""
    endpoint = urlsplit(context.config.endpoint.origin if context.config.endpoint else "")
    host = endpoint.hostname or ""
    port = endpoint.port or (443 if endpoint.scheme == "https" else 80)
    # The service (IVS, IVSChat, IVSRealTime) goes to providers that take it: one written before
    # the other services came may not.
    start_call = telemetry.start_call
    named = {"service": context.operation.service.telemetry_name} if _takes_service(start_call) else {}

    async def record(call: Call) -> object:
        recorder = start_call(operation, region=region, host=host, port=port, **named)
        call.telemetry = recorder
        try:
            result = await next_handler(call)
        except (IvsError, asyncio.CancelledError) as exc:
            md = exc.metadata if isinstance(exc, IvsError) else None
            recorder.end(
                status=md.http_status_code if md else 0,
                request_id=md.request_id if md else None,
                attempts=md.attempts if md else call.attempt,
                error=exc,
            )
            raise
        md = getattr(result, "metadata", None)
        recorder.end(
            status=md.http_status_code if md else 0,
            request_id=md.request_id if md else None,
            attempts=md.attempts if md else call.attempt,
            error=None,
        )
        return result

    return record


def _takes_service(start_call: object) -> bool:
    try:
        parameters = inspect.signature(start_call).parameters  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False
    return "service" in parameters or any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values())

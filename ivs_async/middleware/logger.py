"""initialize (high): one DEBUG line per call on the client's logger; never bodies or headers."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable

from ivs_async._core.context import Call, HandlerContext
from ivs_async._core.stack import Handler
from ivs_async._exceptions import IvsError
from ivs_async._protocol.model import ResponseMetadata

NAME = "logger"


def logging_middleware(next_handler: Handler, context: HandlerContext) -> Handler:
    logger = context.logger
    op = context.operation.name

    def log(call: Call) -> Awaitable[object]:
        if not logger.isEnabledFor(logging.DEBUG):
            return next_handler(call)
        return logged(call)

    async def logged(call: Call) -> object:
        start = time.perf_counter()
        try:
            result = await next_handler(call)
        except IvsError as exc:
            md = exc.metadata
            logger.debug(
                "ivs %s failed: %s (%s, request id %s, %s) in %.1f ms",
                op,
                type(exc).__name__,
                answer(md),
                (md.request_id if md else None) or "-",
                attempts(md.attempts if md else call.attempt),
                (time.perf_counter() - start) * 1000,
                extra=call.telemetry.log_extra if call.telemetry is not None else None,
            )
            raise
        md = getattr(result, "metadata", None)
        logger.debug(
            "ivs %s: %s, request id %s, %s in %.1f ms",
            op,
            answer(md),
            (md.request_id if md else None) or "-",
            attempts(md.attempts if md else call.attempt),
            (time.perf_counter() - start) * 1000,
            extra=call.telemetry.log_extra if call.telemetry is not None else None,
        )
        return result

    return log


def answer(md: ResponseMetadata | None) -> str:
    """ "HTTP 503", or "no response" when the exchange failed below HTTP."""
    return f"HTTP {md.http_status_code}" if md is not None and md.http_status_code else "no response"


def attempts(count: int) -> str:
    return "1 attempt" if count == 1 else f"{count} attempts"

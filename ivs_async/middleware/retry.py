"""finalize (high): run the rest of the stack again after retryable errors, per the strategy."""

from __future__ import annotations

import asyncio

from ivs_async._context import Call, HandlerContext
from ivs_async._exceptions import IvsError
from ivs_async._model import ResponseMetadata
from ivs_async._stack import Handler

NAME = "retry"


def retry_middleware(next_handler: Handler, context: HandlerContext) -> Handler:
    strategy = context.retry_strategy

    async def retry(call: Call) -> object:
        token = strategy.acquire_token()
        while True:
            call.attempt = token.attempts
            try:
                result = await next_handler(call)
            except IvsError as exc:
                delay = strategy.retry_delay(token, exc)
                if delay is None:
                    if exc.metadata is None:
                        exc.metadata = ResponseMetadata()
                    exc.metadata.attempts = token.attempts
                    exc.metadata.total_retry_delay = token.total_delay
                    raise
                token.total_delay += delay
                await asyncio.sleep(delay)
                continue
            strategy.record_success(token)
            md = result.metadata
            md.attempts = token.attempts
            md.total_retry_delay = token.total_delay
            return result

    return retry

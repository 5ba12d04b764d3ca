"""finalize (after retry): sign each attempt's request with SigV4, on the clock IVS's answers set.

Retry hands every attempt the request as it reached retry, so each is signed afresh; the
deserializer corrects the clock from the answers' ``Date``.
"""

from __future__ import annotations

from collections.abc import Awaitable
from datetime import UTC, datetime

from ivs_async._core.context import Call, HandlerContext
from ivs_async._core.signing import amz_date, signed_headers
from ivs_async._core.stack import Handler
from ivs_async.credentials import Credentials, Provider

NAME = "signing"


def signing_middleware(next_handler: Handler, context: HandlerContext) -> Handler:
    signer = context.signer
    clock = context.clock
    provider = context.config.credentials
    fixed = provider if isinstance(provider, Credentials) else None
    # Our providers answer from what they hold without a coroutine; others are awaited.
    ours = provider if isinstance(provider, Provider) and provider._cache_trusted else None

    last_second, last_date = -1, ""

    def sign_with(call: Call, credentials: Credentials) -> None:
        nonlocal last_second, last_date
        unsigned = call.request
        assert unsigned is not None
        now = clock.now()
        if int(now) != last_second:  # X-Amz-Date has a one-second resolution: format it once a second
            last_second, last_date = int(now), amz_date(datetime.fromtimestamp(now, UTC))
        call.request = unsigned.with_headers(signed_headers(signer, unsigned, credentials, last_date))

    # A plain function, not a coroutine: with credentials at hand, signing needs no await, and
    # every coroutine between the caller and the transport costs each call a frame to resume.
    def sign(call: Call) -> Awaitable[object]:
        credentials = fixed or (ours._cached() if ours is not None else None)
        if credentials is None:
            return resolve_and_sign(call)  # a first load, a refresh, or a provider of the user's
        sign_with(call, credentials)
        return next_handler(call)

    async def resolve_and_sign(call: Call) -> object:
        sign_with(call, await provider.resolve())
        return await next_handler(call)

    return sign

"""finalize (after retry): sign every attempt afresh with SigV4."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from ivs_async._context import Call, HandlerContext
from ivs_async._signing import amz_date, signed_headers
from ivs_async._stack import Handler
from ivs_async.credentials import Credentials

NAME = "signing"


def signing_middleware(next_handler: Handler, context: HandlerContext) -> Handler:
    signer = context.signer
    provider = context.config.credentials
    fixed = provider if isinstance(provider, Credentials) else None

    last_second, last_date = -1, ""

    async def sign(call: Call) -> object:
        nonlocal last_second, last_date
        credentials = fixed or await provider.resolve()
        unsigned = call.request
        assert unsigned is not None
        now = time.time()
        if int(now) != last_second:  # X-Amz-Date has a one-second resolution: format it once a second
            last_second, last_date = int(now), amz_date(datetime.fromtimestamp(now, UTC))
        call.request = unsigned.with_headers(signed_headers(signer, unsigned, credentials, last_date))
        try:
            return await next_handler(call)
        finally:
            call.request = unsigned  # the next attempt signs the unsigned request again

    return sign

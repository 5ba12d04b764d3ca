"""finalize (after retry): sign every attempt afresh with SigV4, on the clock IVS's answers set."""

from __future__ import annotations

from datetime import UTC, datetime

from ivs_async._context import Call, HandlerContext
from ivs_async._exceptions import IvsError
from ivs_async._signing import amz_date, signed_headers
from ivs_async._stack import Handler
from ivs_async.credentials import Credentials

NAME = "signing"


def signing_middleware(next_handler: Handler, context: HandlerContext) -> Handler:
    signer = context.signer
    clock = context.clock
    provider = context.config.credentials
    fixed = provider if isinstance(provider, Credentials) else None

    last_second, last_date = -1, ""

    async def sign(call: Call) -> object:
        nonlocal last_second, last_date
        credentials = fixed or await provider.resolve()
        unsigned = call.request
        assert unsigned is not None
        now = clock.now()
        if int(now) != last_second:  # X-Amz-Date has a one-second resolution: format it once a second
            last_second, last_date = int(now), amz_date(datetime.fromtimestamp(now, UTC))
        call.request = unsigned.with_headers(signed_headers(signer, unsigned, credentials, last_date))
        call.response = None
        try:
            result = await next_handler(call)
        except IvsError as exc:
            if call.response is not None and clock.observe(call.response.headers.get("Date")) and exc.metadata:
                exc.metadata.clock_skew_corrected = True  # the retry strategy may retry at once
            raise
        finally:
            call.request = unsigned  # the next attempt signs the unsigned request again
        if call.response is not None:
            clock.observe(call.response.headers.get("Date"))
        return result

    return sign

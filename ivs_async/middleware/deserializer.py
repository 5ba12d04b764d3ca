"""deserialize: turn the response into the output model, or raise its typed error; the
response's ``Date`` corrects the client's clock (the next signature uses it)."""

from __future__ import annotations

from ivs_async._core.context import Call, HandlerContext
from ivs_async._core.stack import Handler
from ivs_async._exceptions import IvsError
from ivs_async._protocol.rest_json import response_parser

NAME = "deserializer"


def deserializer_middleware(next_handler: Handler, context: HandlerContext) -> Handler:
    parse = response_parser(context.operation)
    clock = context.clock

    async def deserialize(call: Call) -> object:
        call.response = None  # never a previous attempt's
        await next_handler(call)
        response = call.response
        assert response is not None
        skewed = clock.observe(response.headers.get("Date"))
        try:
            return parse(response)
        except IvsError as exc:
            if skewed and exc.metadata:
                exc.metadata.clock_skew_corrected = True  # the retry strategy may retry at once
            raise

    return deserialize

"""deserialize: turn the response into the output model, or raise its typed error."""

from __future__ import annotations

from ivs_async._context import Call, HandlerContext
from ivs_async._protocol import response_parser
from ivs_async._stack import Handler

NAME = "deserializer"


def deserializer_middleware(next_handler: Handler, context: HandlerContext) -> Handler:
    parse = response_parser(context.operation)

    async def deserialize(call: Call) -> object:
        await next_handler(call)
        assert call.response is not None
        return parse(call.response)

    return deserialize

"""serialize: build the rest-json HttpRequest from the input."""

from __future__ import annotations

from collections.abc import Awaitable

from ivs_async._core.context import Call, HandlerContext
from ivs_async._core.stack import Handler
from ivs_async._protocol.rest_json import request_builder

NAME = "serializer"


def serializer_middleware(next_handler: Handler, context: HandlerContext) -> Handler:
    build = request_builder(context.operation, context.config.require_region()[1])

    def serialize(call: Call) -> Awaitable[object]:
        call.request = build(call.input)
        return next_handler(call)

    return serialize

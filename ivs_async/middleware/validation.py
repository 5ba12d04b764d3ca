"""initialize: check the input against the model before anything is sent."""

from __future__ import annotations

from collections.abc import Awaitable

from ivs_async._core.context import Call, HandlerContext
from ivs_async._core.stack import Handler
from ivs_async._protocol.validation import compile_validator

NAME = "validation"


def validation_middleware(next_handler: Handler, context: HandlerContext) -> Handler:
    op = context.operation
    validate = compile_validator(op.input, op.name)

    def validation(call: Call) -> Awaitable[object]:
        validate(call.input)
        return next_handler(call)

    return validation

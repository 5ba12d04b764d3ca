"""initialize: check the input against the model before anything is sent."""

from __future__ import annotations

from ivs_async._context import Call, HandlerContext
from ivs_async._stack import Handler
from ivs_async._validation import compile_validator

NAME = "validation"


def validation_middleware(next_handler: Handler, context: HandlerContext) -> Handler:
    op = context.operation
    validate = compile_validator(op.input, op.name)

    async def validation(call: Call) -> object:
        validate(call.input)
        return await next_handler(call)

    return validation

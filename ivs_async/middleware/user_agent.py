"""build: the User-Agent header."""

from __future__ import annotations

from collections.abc import Awaitable

from ivs_async._core.context import Call, HandlerContext
from ivs_async._core.stack import Handler

NAME = "user-agent"


def user_agent_middleware(next_handler: Handler, context: HandlerContext) -> Handler:
    agent = context.config.user_agent

    def user_agent(call: Call) -> Awaitable[object]:
        assert call.request is not None
        call.request.headers["User-Agent"] = agent
        return next_handler(call)

    return user_agent

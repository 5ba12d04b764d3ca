"""build: the User-Agent header."""

from __future__ import annotations

from ivs_async._context import Call, HandlerContext
from ivs_async._stack import Handler

NAME = "user-agent"


def user_agent_middleware(next_handler: Handler, context: HandlerContext) -> Handler:
    agent = context.config.user_agent

    async def user_agent(call: Call) -> object:
        assert call.request is not None
        call.request.headers["User-Agent"] = agent
        return await next_handler(call)

    return user_agent

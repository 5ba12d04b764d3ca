"""A programmable HTTP server on 127.0.0.1 that records what it receives. Test-only."""

from __future__ import annotations

import asyncio
import json
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any

import attrs
from aiohttp import web


@attrs.define
class Received:
    method: str
    raw_path: str  # path and query exactly as sent (still percent-encoded)
    headers: dict[str, str]
    body: bytes
    header_lines: list[tuple[str, str]] = attrs.Factory(list)  # every header line, repeats too

    @property
    def url(self) -> str:
        return f"http://{self.headers['Host']}{self.raw_path}"


@attrs.define
class Reply:
    status: int = 200
    body: bytes | dict[str, Any] = b"{}"
    headers: dict[str, str] = attrs.Factory(dict)
    delay: float = 0.0
    action: str = ""  # "reset": close the connection without answering

    def encoded(self) -> bytes:
        return json.dumps(self.body).encode() if isinstance(self.body, dict) else self.body


class LoopbackServer:
    """Answers each request with the next queued Reply (or ``default``), or with ``handler``."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        self.replies: deque[Reply] = deque()
        self.default = Reply(200, b"{}", {"x-amzn-RequestId": "req-default"})
        self.handler: Callable[[Received], Awaitable[Reply]] | None = None
        self._runner: web.AppRunner | None = None
        self.endpoint = ""

    def queue(self, *replies: Reply) -> None:
        self.replies.extend(replies)

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        received = Received(
            request.method, request.raw_path, dict(request.headers), await request.read(), list(request.headers.items())
        )
        self.received.append(received)
        if self.handler is not None:
            reply = await self.handler(received)
        else:
            reply = self.replies.popleft() if self.replies else self.default
        if reply.delay:
            await asyncio.sleep(reply.delay)
        if reply.action == "reset":
            assert request.transport is not None
            request.transport.close()
            raise asyncio.CancelledError
        headers = {"Content-Type": "application/json", **reply.headers}
        return web.Response(status=reply.status, body=reply.encoded(), headers=headers)

    async def start(self) -> str:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.1)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert server is not None
        port = server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.endpoint = f"http://127.0.0.1:{port}"
        return self.endpoint

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

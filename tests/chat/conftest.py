"""A chat socket in an aiohttp app on 127.0.0.1, with the stub chat backend, and token providers."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping
from typing import Any

import attrs
import pytest
from aiohttp import web

from ivs_async.testing._chat import ChatSocket
from ivs_async.testing._limits import Limits, Peers
from tests.support.chat_tokens import StubChatTokens


@attrs.define
class ChatServer:
    url: str
    tokens: StubChatTokens
    socket: ChatSocket
    peers: Peers
    runner: web.AppRunner
    issued: list[str] = attrs.Factory(list)  # every token handed to a provider

    def provider(
        self,
        room_arn: str,
        user_id: str,
        *,
        capabilities: Iterable[str] = (),
        attributes: Mapping[str, str] | None = None,
        session_seconds: float = 3600,
        shape: Callable[[dict[str, str]], Any] = lambda wire: wire,
    ) -> Provider:
        return Provider(self, room_arn, user_id, tuple(capabilities), dict(attributes or {}), session_seconds, shape)

    async def stop(self) -> None:
        await self.socket.shutdown()
        await self.runner.cleanup()


@attrs.define
class Provider:
    """A token provider as an application writes one: a fresh CreateChatToken answer each call."""

    server: ChatServer
    room_arn: str
    user_id: str
    capabilities: tuple[str, ...]
    attributes: dict[str, str]
    session_seconds: float
    shape: Callable[[dict[str, str]], Any]
    calls: int = 0

    async def __call__(self) -> Any:
        self.calls += 1
        wire = self.server.tokens.issue(
            self.room_arn,
            self.user_id,
            capabilities=self.capabilities,
            attributes=self.attributes,
            session_seconds=self.session_seconds,
        )
        self.server.issued.append(wire["token"])
        return self.shape(wire)


MakeServer = Callable[..., Awaitable[ChatServer]]


@pytest.fixture
async def make_chat_server() -> AsyncIterator[MakeServer]:
    servers: list[ChatServer] = []

    async def make(limits: Limits | None = None, *, port: int = 0) -> ChatServer:
        tokens = StubChatTokens()
        peers = Peers(limits or Limits())
        socket = ChatSocket(tokens, peers, clock=tokens.clock, sweep_every=0.05)

        async def route(request: web.Request) -> web.StreamResponse:
            if socket.serves(request):
                return await socket.handle(request)
            return web.Response(status=404)

        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", route)
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5, handler_cancellation=True)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", port)
        await site.start()
        bound = runner.addresses[0][1]
        server = ChatServer(f"ws://127.0.0.1:{bound}", tokens, socket, peers, runner)
        servers.append(server)
        return server

    yield make
    for server in servers:
        await server.stop()


@pytest.fixture
async def chat_server(make_chat_server: MakeServer) -> ChatServer:
    return await make_chat_server()

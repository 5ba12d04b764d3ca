"""A TCP server on 127.0.0.1 that answers HTTP requests with bytes a test writes itself:
headers no HTTP library would send, bodies that drip, lie about their length or never end.
Test-only."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

Respond = Callable[[asyncio.StreamWriter], Awaitable[None]]


def response(status: int, body: bytes, headers: dict[str, str] | None = None, *, raw_headers: bytes = b"") -> bytes:
    """One whole HTTP/1.1 answer; ``raw_headers`` are added as they are (any bytes)."""
    head = [f"HTTP/1.1 {status} X", f"Content-Length: {len(body)}", "Content-Type: application/json"]
    head += [f"{name}: {value}" for name, value in (headers or {}).items()]
    return ("\r\n".join(head) + "\r\n").encode() + raw_headers + b"\r\n" + body


class LoopbackServer:
    """A TCP server on 127.0.0.1 for ``async with``: each connection runs ``serve(reader, writer)``
    in a task, cancelled when the server stops. ``port`` is set once it listens."""

    def __init__(self) -> None:
        self.port = 0
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        raise NotImplementedError

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()
        for task in list(self._tasks):
            task.cancel()
        with contextlib.suppress(BaseException):
            await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            await self.serve(reader, writer)
        finally:
            self._tasks.discard(task)
            writer.close()


class RawServer(LoopbackServer):
    """Each request gets ``respond(writer)``; ``requests`` counts them."""

    def __init__(self, respond: Respond) -> None:
        super().__init__()
        self.respond = respond
        self.requests = 0
        self.endpoint = ""

    async def __aenter__(self) -> RawServer:
        await self.start()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        return self

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    name, _, value = line.partition(b":")
                    if name.strip().lower() == b"content-length":
                        length = int(value)
                await reader.readexactly(length)
                self.requests += 1
                await self.respond(writer)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError):
            pass

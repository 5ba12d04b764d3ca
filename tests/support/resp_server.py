"""A TCP server on 127.0.0.1 that reads Redis commands (RESP arrays of bulk strings) and answers
each with bytes a test chooses: a Redis that is not one, or one whose replies have the wrong shape.
Test-only."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from tests.support.raw_server import LoopbackServer

Answer = Callable[[list[bytes]], bytes]

# What Redis 7 answers to HELLO 3 (the handshake redis-py opens every connection with).
HELLO_REPLY = (
    b"%7\r\n$6\r\nserver\r\n$5\r\nredis\r\n$7\r\nversion\r\n$5\r\n7.2.0\r\n$5\r\nproto\r\n:3\r\n"
    b"$2\r\nid\r\n:7\r\n$4\r\nmode\r\n$10\r\nstandalone\r\n$4\r\nrole\r\n$6\r\nmaster\r\n$7\r\nmodules\r\n*0\r\n"
)


def to_everything(reply: bytes) -> Answer:
    """``reply`` to every command, the handshake included."""
    return lambda command: reply


def after_the_handshake(reply: bytes) -> Answer:
    """A sound handshake (HELLO, CLIENT SETINFO, SELECT), then ``reply`` to every other command."""

    def answer(command: list[bytes]) -> bytes:
        name = command[0].upper() if command else b""
        if name == b"HELLO":
            return HELLO_REPLY
        if name in (b"CLIENT", b"SELECT", b"AUTH"):
            return b"+OK\r\n"
        return reply

    return answer


class RespServer(LoopbackServer):
    """Each command gets ``answer(command)``; ``commands`` keeps their names."""

    def __init__(self, answer: Answer) -> None:
        super().__init__()
        self.answer = answer
        self.commands: list[bytes] = []
        self.url = ""

    async def __aenter__(self) -> RespServer:
        await self.start()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        return self

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while command := await _read_command(reader):
                self.commands.append(command[0].upper())
                writer.write(self.answer(command))
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError, ValueError):
            pass


async def _read_command(reader: asyncio.StreamReader) -> list[bytes]:
    head = await reader.readline()
    if not head:
        return []
    if not head.startswith(b"*"):
        raise ValueError("not a RESP array")
    parts = []
    for _ in range(int(head[1:])):
        size = await reader.readline()
        if not size.startswith(b"$"):
            raise ValueError("not a bulk string")
        parts.append((await reader.readexactly(int(size[1:]) + 2))[:-2])
    return parts

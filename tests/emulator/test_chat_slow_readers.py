"""IVS Local's chat WebSocket holds clients that do not read to bounds in bytes (``Limits``): what
waits for one connection (``chat_queued_bytes``) and for all of them together
(``chat_queued_bytes_total``), in memory, whatever the frames' size. A client past a bound is cut
and what waited for it is freed at once; a client that reads keeps its place."""

from __future__ import annotations

import asyncio
import base64
import gc
import logging
import os
import socket
import sys
import tracemalloc
from collections.abc import Callable

import aiohttp
import pytest

from ivs_async.testing import LocalIvs
from ivs_async.testing._chat._socket import ChatSocket
from ivs_async.testing._limits import Limits

# An event of about 10 KB on the wire, 40 KB in memory (4 bytes a character for an emoji's text).
BIG = {f"a{i}": "\U0001f600" * 250 for i in range(10)}


async def silent_client(local: LocalIvs, token: str) -> asyncio.StreamWriter:
    """A chat connection that reads nothing after its handshake, with a small receive buffer that
    fills at once."""
    port = int(local.endpoint.rsplit(":", 1)[1])
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.setblocking(False)
    await asyncio.get_running_loop().sock_connect(sock, ("127.0.0.1", port))
    reader, writer = await asyncio.open_connection(sock=sock)
    key = base64.b64encode(os.urandom(16)).decode()
    writer.write(
        (
            f"GET / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: {token}\r\n\r\n"
        ).encode()
    )
    head = await reader.readuntil(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 101"), head[:40]
    return writer


async def until(condition: Callable[[], bool]) -> None:
    async with asyncio.timeout(5):
        while not condition():
            await asyncio.sleep(0.01)


def chat_socket(local: LocalIvs) -> ChatSocket:
    found = local._server.chat_socket
    assert found is not None
    return found


def waiting(local: LocalIvs) -> list[int]:
    """The bytes (Python objects, measured) waiting for each connection."""
    return [
        sum(sys.getsizeof(item) for item in list(session.queue._queue))  # type: ignore[attr-defined]
        for room in chat_socket(local)._rooms.values()
        for session in room.sessions
    ]


async def new_room(local: LocalIvs, users: list[str]) -> tuple[str, list[str]]:
    async with local.chat_client() as chat:
        room = await chat.create_room()
        assert room.arn is not None
        tokens = []
        for user in users:
            made = await chat.create_chat_token(room_identifier=room.arn, user_id=user)
            assert made.token is not None
            tokens.append(made.token)
    return room.arn, tokens


async def test_a_chat_client_that_does_not_read_holds_at_most_chat_queued_bytes() -> None:
    limits = Limits()  # the defaults: with a bound in frames only, this client held 12 MB
    gc.collect()
    tracemalloc.start()
    try:
        async with LocalIvs() as local:
            arn, (token,) = await new_room(local, ["silent"])
            silent = await silent_client(local, token)
            socket_ = chat_socket(local)
            await asyncio.sleep(0.1)
            before = tracemalloc.get_traced_memory()[0]
            tracemalloc.reset_peak()
            most = 0
            for _ in range(5000):  # 50 MB of events, far more than the kernel's buffers and the bound
                socket_.send_event(arn, "flood", BIG)
                await asyncio.sleep(0)
                most = max([most, *waiting(local)])
                if not socket_.connections(arn):
                    break
            traced = tracemalloc.get_traced_memory()[1] - before
            assert socket_.connections(arn) == [], "still connected"
            assert local._peers.chat_bytes.held == 0  # freed as it was cut
            silent.transport.abort()
            assert local.unexpected_errors == 0
    finally:
        tracemalloc.stop()
    assert limits.chat_queued_bytes // 2 < most <= limits.chat_queued_bytes, most
    # Everything the emulator allocated meanwhile: the queue, the frame being sent, aiohttp's buffer.
    assert traced < 2 * limits.chat_queued_bytes, traced


async def test_the_bytes_waiting_for_every_chat_client_together_are_bounded(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # Each client may hold more than half the total: the total binds first.
    limits = Limits(chat_queued_bytes=512 * 1024, chat_queued_bytes_total=640 * 1024)
    caplog.set_level(logging.WARNING, "ivs_async.testing")
    async with LocalIvs(limits=limits) as local, aiohttp.ClientSession() as http:
        socket_ = chat_socket(local)
        pool = local._peers.chat_bytes
        quiet = [await new_room(local, [f"silent-{n}"]) for n in range(2)]
        silent = [await silent_client(local, token) for _, (token,) in quiet]
        busy, (token,) = await new_room(local, ["reader"])
        reader = await http.ws_connect(local.endpoint.replace("http", "ws"), protocols=(token,))
        # The two clients that do not read take the total but one frame.
        size = most = 0
        for n in range(2000):
            before = pool.held
            socket_.send_event(quiet[n % 2][0], "flood", BIG)
            size = max(size, pool.held - before)  # what one frame holds
            await asyncio.sleep(0)
            most = max(most, pool.held, sum(waiting(local)))
            if pool.held + size > limits.chat_queued_bytes_total:
                break
        assert pool.held + size > limits.chat_queued_bytes_total >= most, (pool.held, size)
        assert [socket_.connections(arn) for arn, _ in quiet] == [["silent-0"], ["silent-1"]]
        # A frame for the client that reads: the client furthest behind makes room for it.
        socket_.send_event(busy, "flood", BIG)
        assert pool.held <= limits.chat_queued_bytes_total
        assert sorted(len(socket_.connections(arn)) for arn, _ in quiet) == [0, 1]
        assert "bytes waiting for every chat connection" in caplog.text
        message = await reader.receive(timeout=5)
        assert message.type is aiohttp.WSMsgType.TEXT and message.data.count("\U0001f600") == 2500
        assert socket_.connections(busy) == ["reader"]
        for writer in silent:
            writer.transport.abort()
        await reader.close()
        await until(lambda: pool.held == 0)  # given back as the connections went
        assert local.unexpected_errors == 0

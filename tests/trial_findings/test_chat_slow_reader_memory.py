"""Finding 1 (High): a chat client that does not read makes IVS Local hold about 10 MB, because the
frames waiting for a connection are bounded in number (chat_queued_frames=1024), not in bytes.
64 such connections from one address held ~720 MB; 256 from four loopback addresses 2.46 GB (RSS
kept after they went): see chat_slow_readers.py. Expected: a byte bound per connection and in
all, as RTMP has (buffered_bytes=8 MiB a connection, 128 MiB in all).

Here: one connection alone in its room floods maximum-size messages (100 a second, the room's
maximum) and never reads; the bytes waiting for it must stay within 8 MiB (RTMP's per-connection
bound)."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import socket
import struct
import sys

from ivs_async.testing import LocalIvs


def _masked_text_frame(text: str) -> bytes:
    payload = text.encode()
    mask = os.urandom(4)
    header = bytes([0x81])
    if len(payload) < 126:
        header += bytes([0x80 | len(payload)])
    else:
        header += bytes([0x80 | 126]) + struct.pack("!H", len(payload))
    return header + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


async def _open_non_reading_socket(port: int, token: str) -> asyncio.StreamWriter:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # fills at once: the client "does not read"
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
    return writer  # the reader is never read again


def _queued_bytes(local: LocalIvs) -> int:
    """The most bytes (Python objects) waiting for one connection."""
    socket_ = local._server.chat_socket
    assert socket_ is not None
    most = 0
    for room in socket_._rooms.values():
        for session in room.sessions:
            waiting: list[object] = list(session.queue._queue)  # type: ignore[attr-defined]
            most = max(most, sum(sys.getsizeof(item) for item in waiting))
    return most


def _connected(local: LocalIvs) -> bool:
    socket_ = local._server.chat_socket
    return socket_ is not None and any(room.sessions for room in socket_._rooms.values())


async def test_a_chat_client_that_does_not_read_holds_a_bounded_number_of_bytes() -> None:
    async with LocalIvs() as local, local.chat_client() as chat:
        room = await chat.create_room(maximum_message_rate_per_second=100)
        assert room.arn is not None
        token = await chat.create_chat_token(
            room_identifier=room.arn,
            user_id="u" * 128,
            capabilities=["SEND_MESSAGE"],
            attributes={f"k{i}": "v" * 98 for i in range(10)},
        )
        assert token.token is not None
        writer = await _open_non_reading_socket(int(local.endpoint.rsplit(":", 1)[1]), token.token)
        frame = _masked_text_frame(
            json.dumps(
                {
                    "Action": "SEND_MESSAGE",
                    "Content": "\U0001f600" * 500,
                    "Attributes": {f"a{i}": "b" * 98 for i in range(10)},
                }
            )
        )
        peak = 0
        for _ in range(2500):  # 25 s at the room's 100 messages a second (the kernel buffers fill first)
            writer.write(frame)
            await asyncio.sleep(0.0101)
            peak = max(peak, _queued_bytes(local))
            if peak and not _connected(local):  # cut once 1024 frames waited for it
                break
        writer.transport.abort()
        assert local.unexpected_errors == 0
        assert peak <= 8 * 1024 * 1024, f"{peak / 1e6:.1f} MB waited for one client that does not read"

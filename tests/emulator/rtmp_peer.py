"""An RTMP peer written by hand, for tests that must send what no encoder sends (or send it badly)."""

from __future__ import annotations

import asyncio
import contextlib

from ivs_async.testing._rtmp import COMMAND_AMF0, SET_CHUNK_SIZE, VIDEO, amf_encode


class RtmpPeer:
    """One connection to the emulator's RTMP ingest."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer
        self.size = 128  # the chunk size this peer told the server

    @classmethod
    async def connect(cls, port: int, *, handshake: bool = True) -> RtmpPeer:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        peer = cls(reader, writer)
        if handshake:
            writer.write(b"\x03" + bytes(1536))
            await reader.readexactly(1 + 1536 + 1536)
            writer.write(bytes(1536))
            await writer.drain()
        return peer

    def message(self, csid: int, kind: int, payload: bytes, *, length: int | None = None, stream_id: int = 0) -> None:
        """A message's first chunk (fmt 0) carrying ``payload`` (a message of ``length`` bytes)."""
        size = len(payload) if length is None else length
        header = bytes([csid]) + bytes(3) + size.to_bytes(3, "big") + bytes([kind]) + stream_id.to_bytes(4, "little")
        self.writer.write(header + payload)

    def chunk_size(self, size: int) -> None:
        self.message(2, SET_CHUNK_SIZE, size.to_bytes(4, "big"))
        self.size = size

    def command(self, *values: object, stream_id: int = 0) -> None:
        self.message(3, COMMAND_AMF0, b"".join(amf_encode(v) for v in values), stream_id=stream_id)

    async def publish(self, key: str) -> None:
        """connect, createStream and publish with ``key`` (64 KiB chunks: each command in one)."""
        self.chunk_size(64 * 1024)
        self.command("connect", 1, {"app": "app", "type": "nonprivate"})
        self.command("createStream", 2, None)
        self.command("publish", 3, None, key, "live", stream_id=1)
        await self.writer.drain()

    def partial_video(self, csid: int, length: int, sent: int) -> None:
        """The first chunks of a video message of ``length`` bytes, ``sent`` bytes of it (rounded
        down to whole chunks), never finished."""
        chunks = max(1, sent // self.size)
        self.message(csid, VIDEO, bytes(self.size), length=length, stream_id=1)
        for _ in range(chunks - 1):
            self.writer.write(bytes([0xC0 | csid]) + bytes(self.size))  # fmt 3: the same message goes on

    async def closed_by_server(self, seconds: float = 10) -> bool:
        """Whether the server hangs up within ``seconds`` (reading whatever it sends meanwhile)."""
        try:
            async with asyncio.timeout(seconds):
                while await self.reader.read(65536):
                    pass
        except TimeoutError:
            return False
        except ConnectionError:
            pass
        return True

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.writer.transport.abort()

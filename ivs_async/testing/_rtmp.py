"""The emulator's RTMP ingest: an encoder (OBS, ffmpeg) publishing to ``rtmp://HOST:PORT/app/<stream
key>`` makes that key's channel LIVE, with an ingest configuration read from the stream's metadata.

Just enough RTMP for a publisher: the simple handshake, the chunk stream (chunk sizes from 128, the
four header formats, extended timestamps), AMF0 commands (connect, createStream, publish,
deleteStream) and the ``onMetaData`` the encoder sends. Audio and video are handed on, not decoded.

Every peer is bounded (``_limits.Limits``): connections, the time to handshake, to publish and
between messages, the size of each message (small until a stream key was accepted), the chunk
streams, the unfinished bytes it may hold and that all peers together may hold, its message rate,
and how long a write to it may wait. Parsing yields to the event loop every ``parse_step_bytes``,
so the IVS API keeps answering while a peer floods the port. A connection publishes once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import ssl
import struct
import time
from collections.abc import Callable
from typing import Any

from ivs_async.testing._limits import ByteBudget, Peers, accept_backlog

_log = logging.getLogger("ivs_async.testing")

HANDSHAKE_SIZE = 1536
OUR_CHUNK_SIZE = 4096
_SEND_BUFFER = 64 * 1024  # bytes the kernel may hold for a peer: the ingest's answers are small

# Message types.
SET_CHUNK_SIZE, ABORT, ACK, USER_CONTROL, WINDOW_ACK_SIZE, PEER_BANDWIDTH = 1, 2, 3, 4, 5, 6
AUDIO, VIDEO, DATA_AMF0, COMMAND_AMF0 = 8, 9, 18, 20


class RtmpError(Exception):
    """The peer broke the protocol; the connection is closed."""


# -- AMF0 -------------------------------------------------------------------------------------------


def amf_decode_all(data: bytes) -> list[Any]:
    """Every AMF0 value in ``data``; RtmpError for anything that is not AMF0."""
    values, offset = [], 0
    try:
        while offset < len(data):
            value, offset = _amf_value(data, offset, 0)
            values.append(value)
    except (struct.error, IndexError):
        raise RtmpError("AMF value cut short") from None
    return values


def _amf_value(data: bytes, offset: int, depth: int) -> tuple[Any, int]:
    if depth > 16:
        raise RtmpError("AMF nested too deeply")
    if offset >= len(data):
        raise RtmpError("AMF value cut short")
    marker = data[offset]
    offset += 1
    if marker == 0x00:
        return _unpack(">d", data, offset, 8)
    if marker == 0x01:
        return data[offset] != 0 if offset < len(data) else _short(), offset + 1
    if marker == 0x02:
        return _amf_string(data, offset, 2)
    if marker == 0x0C:
        return _amf_string(data, offset, 4)
    if marker in (0x05, 0x06):
        return None, offset
    if marker in (0x03, 0x08):
        if marker == 0x08:
            offset += 4  # the ECMA array's count: the entries end with an end marker anyway
        found: dict[str, Any] = {}
        while True:
            if data[offset : offset + 3] == b"\x00\x00\x09":
                return found, offset + 3
            key, offset = _amf_string(data, offset, 2)
            found[key], offset = _amf_value(data, offset, depth + 1)
            if len(found) > 1000:
                raise RtmpError("AMF object too large")
    if marker == 0x0A:
        count, offset = _unpack(">I", data, offset, 4)
        if count > 10000:
            raise RtmpError("AMF array too large")
        items = []
        for _ in range(count):
            item, offset = _amf_value(data, offset, depth + 1)
            items.append(item)
        return items, offset
    if marker == 0x0B:
        value, offset = _unpack(">d", data, offset, 8)
        return value, offset + 2
    raise RtmpError(f"unsupported AMF0 marker {marker:#x}")


def _unpack(fmt: str, data: bytes, offset: int, size: int) -> tuple[Any, int]:
    if offset + size > len(data):
        _short()
    return struct.unpack_from(fmt, data, offset)[0], offset + size


def _short() -> Any:
    raise RtmpError("AMF value cut short")


def _amf_string(data: bytes, offset: int, width: int) -> tuple[str, int]:
    length, offset = _unpack(">H" if width == 2 else ">I", data, offset, width)
    if offset + length > len(data):
        _short()
    return data[offset : offset + length].decode("utf-8", "replace"), offset + length


# What an onMetaData may tell about a stream: kept at most these keys, short scalar values only,
# so that a peer repeating it holds nothing more than one small dict.
_METADATA_KEYS = frozenset(
    {
        "width", "height", "framerate", "videodatarate", "videocodecid", "audiodatarate", "audiocodecid",
        "audiosamplerate", "audiosamplesize", "audiochannels", "stereo", "encoder", "duration", "filesize",
    }
)  # fmt: skip
_METADATA_TEXT = 256


def _describe(metadata: dict[str, Any], found: dict[str, Any]) -> bool:
    """Take what ``found`` (an onMetaData object) says of the stream into ``metadata``; whether
    anything changed."""
    changed = False
    for key in _METADATA_KEYS.intersection(found):
        value = found[key]
        if isinstance(value, str):
            value = value[:_METADATA_TEXT]
        elif not isinstance(value, int | float | bool):
            continue
        if metadata.get(key) != value:
            metadata[key] = value
            changed = True
    return changed


def amf_encode(value: Any) -> bytes:
    if value is None:
        return b"\x05"
    if isinstance(value, bool):
        return b"\x01" + bytes([value])
    if isinstance(value, int | float):
        return b"\x00" + struct.pack(">d", float(value))
    if isinstance(value, str):
        raw = value.encode()
        return b"\x02" + struct.pack(">H", len(raw)) + raw
    if isinstance(value, dict):
        body = b"".join(struct.pack(">H", len(k.encode())) + k.encode() + amf_encode(v) for k, v in value.items())
        return b"\x03" + body + b"\x00\x00\x09"
    raise TypeError(f"cannot encode {type(value).__name__} in AMF0")


# -- one connection ----------------------------------------------------------------------------------


class _Chunks:
    """Reassembles RTMP messages from the chunk stream of one connection, within its bounds."""

    def __init__(self, reader: asyncio.StreamReader, peers: Peers) -> None:
        self._reader = reader
        self._peers = peers
        self._limits = peers.limits
        self.chunk_size = 128
        self.published = False  # before, every message is held to the size of a command
        # csid -> [timestamp, length, type, stream id, extended, delta]: timestamps made absolute.
        self._headers: dict[int, list[int]] = {}
        self._partial: dict[int, bytearray] = {}
        # Bytes of unfinished messages, over every chunk stream (and in the ingest's pool).
        self._held = ByteBudget(peers.rtmp_bytes, self._limits.buffered_bytes)
        self._since_yield = 0
        self._tokens = float(self._limits.messages_per_second)  # the message-rate bucket
        self._refilled = time.monotonic()

    async def message(self, idle: float) -> tuple[int, int, int, bytes]:
        """The next whole message: (type, stream id, timestamp in ms, payload). RtmpError when the
        peer breaks the protocol or a bound; TimeoutError after ``idle`` seconds of silence."""
        limits = self._limits
        while True:
            first = (await self._read(1, idle))[0]
            fmt, csid = first >> 6, first & 0x3F
            if csid == 0:
                csid = 64 + (await self._read(1, idle))[0]
            elif csid == 1:
                low, high = await self._read(2, idle)
                csid = 64 + low + high * 256
            header = self._headers.get(csid)
            if fmt < 3 or header is None:
                if header is None and fmt != 0:
                    raise RtmpError(f"chunk stream {csid} starts without a full header")
                if self._partial.get(csid):
                    raise RtmpError(f"a new message on chunk stream {csid} before its last one ended")
                if header is None:
                    if len(self._headers) >= limits.chunk_streams:
                        raise RtmpError(f"more than {limits.chunk_streams} chunk streams")
                    header = self._headers[csid] = [0, 0, 0, 0, 0, 0]
                raw = await self._read((11, 7, 3, 0)[fmt], idle)
                timestamp = int.from_bytes(raw[0:3], "big")
                if fmt <= 1:
                    header[1] = int.from_bytes(raw[3:6], "big")
                    header[2] = raw[6]
                    allowed = self._allowed(header[2])
                    if header[1] > allowed:
                        raise RtmpError(f"a message of {header[1]} bytes (at most {allowed} here)")
                if fmt == 0:
                    header[3] = int.from_bytes(raw[7:11], "little")
                header[4] = timestamp == 0xFFFFFF
                if header[4]:
                    timestamp = int.from_bytes(await self._read(4, idle), "big")
                if fmt == 0:
                    header[0], header[5] = timestamp, 0
                else:  # fmt 1 and 2 carry the delta from the previous message
                    header[0], header[5] = header[0] + timestamp, timestamp
            else:
                if header[4]:
                    await self._read(4, idle)  # fmt 3 chunks repeat an extended timestamp
                if not self._partial.get(csid):
                    header[0] += header[5]  # a new message on fmt 3 repeats the last delta
                    if header[1] > self._allowed(header[2]):  # the limit may have changed since
                        raise RtmpError(f"a message of {header[1]} bytes")
            buffer = self._partial.setdefault(csid, bytearray())
            take = min(self.chunk_size, header[1] - len(buffer))
            self._hold(take)
            buffer += await self._read(take, idle)
            if len(buffer) < header[1]:
                continue
            payload = bytes(buffer)
            self._held.give(len(buffer))
            del self._partial[csid]
            self._count_message()
            if header[2] == SET_CHUNK_SIZE:
                size = int.from_bytes(payload[:4], "big") & 0x7FFFFFFF
                if not limits.min_chunk_size <= size <= limits.message_bytes:
                    raise RtmpError(f"chunk size {size} (from {limits.min_chunk_size} to {limits.message_bytes})")
                self.chunk_size = size
                continue
            return header[2], header[3], header[0] & 0xFFFFFFFF, payload

    def _allowed(self, kind: int) -> int:
        """The largest message of ``kind`` this peer may send now: media after a publish."""
        if self.published and kind in (AUDIO, VIDEO):
            return self._limits.message_bytes
        return self._limits.command_bytes

    def _hold(self, count: int) -> None:
        """``count`` more bytes of unfinished messages, within this peer's and everyone's bounds.
        Messages may interleave across chunk streams (audio within a video frame), but many
        half-sent messages are not an encoder."""
        held = self._held
        if not held.fits(count):
            raise RtmpError(f"more than {held.bound} bytes of unfinished messages")
        if not held.pool.fits(count):
            raise RtmpError(f"the ingest holds {held.pool.bound} bytes of unfinished messages in all")
        held.take(count)

    def _count_message(self) -> None:
        rate = self._limits.messages_per_second
        now = time.monotonic()
        self._tokens = min(float(rate), self._tokens + (now - self._refilled) * rate)
        self._refilled = now
        if self._tokens < 1:
            raise RtmpError(f"more than {rate} messages a second")
        self._tokens -= 1

    async def _read(self, count: int, idle: float) -> bytes:
        if count == 0:
            return b""
        async with asyncio.timeout(idle):
            data = await self._reader.readexactly(count)
        self._since_yield += count
        if self._since_yield >= self._limits.parse_step_bytes:
            self._since_yield = 0
            await asyncio.sleep(0)  # buffered input never holds the loop: others are served meanwhile
        return data

    def close(self) -> None:
        """Forget every unfinished message, and give its bytes back to the ingest's budget."""
        self._held.give_all()
        self._partial.clear()
        self._headers.clear()


def _message(csid: int, kind: int, stream_id: int, payload: bytes) -> bytes:
    """One message in one chunk (fmt 0): our chunk size is set larger than anything we send."""
    header = bytes([csid]) + (0).to_bytes(3, "big") + len(payload).to_bytes(3, "big") + bytes([kind])
    return header + stream_id.to_bytes(4, "little") + payload


class IngestHooks:
    """What the ingest needs of the emulator: find a key's channel, go live, end, and ask whether
    the stream it started is still the live one (StopStream ends it from the API side)."""

    def __init__(
        self,
        *,
        channel_for_key: Callable[[str], str | None],
        start: Callable[[str, dict[str, Any]], str],
        end: Callable[[str, str], None],
        current: Callable[[str], str | None],
        describe: Callable[[str, str, dict[str, Any]], None],
        media: Callable[[str, int, int, bytes], None] | None = None,
    ) -> None:
        self.channel_for_key = channel_for_key
        self.start = start
        self.describe = describe
        self.media = media or (lambda channel, kind, timestamp, payload: None)
        self.end = end
        self.current = current


class RtmpIngest:
    """An RTMP server on its own port, feeding one emulator."""

    def __init__(self, hooks: IngestHooks, peers: Peers) -> None:
        self._hooks = hooks
        self._peers = peers
        self._server: asyncio.Server | None = None
        self._connections: set[asyncio.Task[None]] = set()
        self.port = 0

    async def start(self, host: str, port: int, *, tls: ssl.SSLContext | None = None) -> int:
        """Listen on ``host``:``port`` (0: any free port), with TLS when given (RTMPS)."""
        handshake = self._peers.limits.handshake_seconds
        self._server = await asyncio.start_server(
            self._serve,
            host,
            port,
            ssl=tls,
            ssl_handshake_timeout=handshake if tls else None,
            backlog=accept_backlog(self._peers.limits),
        )
        self.port = self._server.sockets[0].getsockname()[1]
        return self.port

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            for task in list(self._connections):
                task.cancel()
            with contextlib.suppress(BaseException):
                await asyncio.gather(*self._connections, return_exceptions=True)
            await self._server.wait_closed()
            self._server = None

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peer = writer.get_extra_info("peername")
        address = str(peer[0]) if isinstance(peer, tuple) and peer else "?"
        if not self._peers.admit(address, rtmp=True):
            writer.transport.abort()
            return
        sock = writer.get_extra_info("socket")
        if sock is not None:  # an ingest sends little: a small kernel buffer, and a stalled reader shows soon
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, _SEND_BUFFER)
        task = asyncio.current_task()
        assert task is not None
        self._connections.add(task)
        connection = _Connection(self._hooks, self._peers, reader, writer)
        try:
            await connection.run()
        except (RtmpError, asyncio.IncompleteReadError, ConnectionError, TimeoutError, ssl.SSLError) as exc:
            if isinstance(exc, RtmpError | TimeoutError):
                # One line a minute for each address and kind of fault, whatever a peer varies.
                self._peers.once(f"rtmp:{address}:{type(exc).__name__}", "ivs-local closed an RTMP connection "
                                 "from %s: %s", address, str(exc) or "it went silent")  # fmt: skip
            _log.debug("rtmp connection from %s closed: %s", address, exc)
        except asyncio.CancelledError:
            pass  # the ingest stops: the connection ends here, as if the encoder had gone
        except Exception as exc:  # an emulator bug a peer found: the connection ends, the ingest goes on
            self._peers.once(f"rtmp:bug:{type(exc).__name__}", "ivs-local closed an RTMP connection from %s on "
                             "an unexpected error: %r", address, exc)  # fmt: skip
        finally:
            connection.close()
            self._connections.discard(task)
            self._peers.release(address, rtmp=True)


class _Connection:
    """One peer of the ingest, from its handshake to its end: publishes at most once."""

    def __init__(
        self, hooks: IngestHooks, peers: Peers, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        self._hooks = hooks
        self._limits = peers.limits
        self._reader: asyncio.StreamReader | None = reader
        self._writer: asyncio.StreamWriter | None = writer
        self._chunks = _Chunks(reader, peers)
        self.published: tuple[str, str] | None = None  # (channel ARN, stream id), once published
        self._metadata: dict[str, Any] = {}

    async def run(self) -> None:
        reader, writer, limits = self._reader, self._writer, self._limits
        assert reader is not None and writer is not None
        async with asyncio.timeout(limits.handshake_seconds):
            await _handshake(reader, writer)
            await self._drained()
        writer.write(_message(2, SET_CHUNK_SIZE, 0, OUR_CHUNK_SIZE.to_bytes(4, "big")))
        # Until it publishes, a peer is held to commands, and to the time an encoder needs.
        publish_by = asyncio.get_running_loop().time() + limits.rtmp_idle_seconds
        while True:
            wait = limits.rtmp_idle_seconds
            if self.published is None:
                wait = publish_by - asyncio.get_running_loop().time()
                if wait <= 0:
                    raise RtmpError(f"no publish within {limits.rtmp_idle_seconds:.0f} s")
            kind, stream_id, timestamp, payload = await self._chunks.message(wait)
            if self.published is not None and self._hooks.current(self.published[0]) != self.published[1]:
                return  # ended from the API (StopStream): disconnect the encoder
            if not self._handle(kind, stream_id, timestamp, payload):
                return
            await self._drained()

    def _handle(self, kind: int, stream_id: int, timestamp: int, payload: bytes) -> bool:
        """Act on one message; False when the connection is to end."""
        live, metadata = self.published, self._metadata
        if live is not None and kind in (AUDIO, VIDEO):
            self._hooks.media(live[0], kind, timestamp, payload)
            seen = "video" if kind == VIDEO else "audio"
            if seen not in metadata:  # the first of its kind: the stream carries this track
                metadata[seen] = True
                self._hooks.describe(live[0], live[1], metadata)
        if kind == COMMAND_AMF0:
            values = amf_decode_all(payload)
            command = values[0] if values else None
            txn = values[1] if len(values) > 1 and type(values[1]) in (int, float) else 0
            if command == "connect":
                self._send(_message(2, WINDOW_ACK_SIZE, 0, (5_000_000).to_bytes(4, "big")))
                self._send(_message(2, PEER_BANDWIDTH, 0, (5_000_000).to_bytes(4, "big") + b"\x02"))
                info = {
                    "level": "status",
                    "code": "NetConnection.Connect.Success",
                    "description": "Connection succeeded.",
                    "objectEncoding": 0,
                }
                self._command(0, "_result", txn, {"fmsVer": "FMS/3,0,1,123", "capabilities": 31}, info)
            elif command == "createStream":
                self._command(0, "_result", txn, None, 1)
            elif command in ("releaseStream", "FCPublish"):
                self._command(0, "_result", txn, None, None)
            elif command == "publish":
                key = values[3] if len(values) > 3 and isinstance(values[3], str) else ""
                return self._publish(stream_id, key.split("?", 1)[0])
            elif command in ("FCUnpublish", "deleteStream", "closeStream"):
                return False
        elif kind == VIDEO and len(payload) >= 9 and payload[0] & 0x0F == 7 and payload[1] == 0:
            # An AVC sequence header: its decoder configuration names profile and level.
            metadata["avc"] = (payload[6], payload[7], payload[8])
            if live is not None:
                self._hooks.describe(live[0], live[1], metadata)
        elif kind == AUDIO and len(payload) >= 3 and payload[0] >> 4 == 10 and payload[1] == 0:
            # An AAC sequence header: its AudioSpecificConfig names the object type (2: LC).
            metadata["aac"] = payload[2] >> 3
            if live is not None:
                self._hooks.describe(live[0], live[1], metadata)
        elif kind == DATA_AMF0:
            values = amf_decode_all(payload)
            found = next((v for v in values if isinstance(v, dict)), None)
            if found is not None and "onMetaData" in values and _describe(metadata, found) and live is not None:
                self._hooks.describe(live[0], live[1], metadata)  # encoders send it right after publishing
        return True

    def _publish(self, stream_id: int, key: str) -> bool:
        """The one publish of this connection: False (it ends) when refused, or when it is another."""
        if self.published is not None:
            self._status(stream_id, "error", "NetStream.Publish.BadName", "this connection is publishing already")
            return False
        channel = self._hooks.channel_for_key(key) if key else None
        if channel is None:
            self._status(stream_id, "error", "NetStream.Publish.BadName", "unknown stream key")
            return False
        if self._hooks.current(channel) is not None:
            self._status(stream_id, "error", "NetStream.Publish.BadName", "the channel is already live")
            return False
        self.published = (channel, self._hooks.start(channel, self._metadata))
        self._chunks.published = True
        self._status(stream_id, "status", "NetStream.Publish.Start", "publishing")
        return True

    def _command(self, stream_id: int, name: str, txn: Any, *args: Any) -> None:
        payload = amf_encode(name) + amf_encode(txn) + b"".join(amf_encode(a) for a in args)
        self._send(_message(3, COMMAND_AMF0, stream_id, payload))

    def _status(self, stream_id: int, level: str, code: str, text: str) -> None:
        self._command(stream_id, "onStatus", 0, None, {"level": level, "code": code, "description": text})

    def _send(self, data: bytes) -> None:
        if self._writer is not None:
            self._writer.write(data)

    async def _drained(self) -> None:
        """What was written has left, in time: a peer that does not read is cut off."""
        writer = self._writer
        if writer is not None and writer.transport.get_write_buffer_size():
            try:
                async with asyncio.timeout(self._limits.write_stall_seconds):
                    await writer.drain()
            except TimeoutError:
                raise RtmpError(f"it read nothing for {self._limits.write_stall_seconds:.0f} s") from None

    def close(self) -> None:
        """End the stream it published, give its buffers back, and close (at once if it does not read)."""
        published, self.published = self.published, None
        if published is not None:
            self._hooks.end(*published)  # the emulator ends the stream if it is still this one
        self._chunks.close()
        writer, self._writer, self._reader = self._writer, None, None
        if writer is not None:
            transport = writer.transport
            if transport.get_write_buffer_size():
                transport.abort()  # close() would wait for a peer that may never read
            else:
                transport.close()


async def _handshake(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    c0c1 = await reader.readexactly(1 + HANDSHAKE_SIZE)
    if c0c1[0] != 3:
        raise RtmpError(f"RTMP version {c0c1[0]}")
    s1 = bytes(8) + os.urandom(HANDSHAKE_SIZE - 8)
    writer.write(b"\x03" + s1 + c0c1[1:])  # S0, S1, S2 (= C1)
    await reader.readexactly(HANDSHAKE_SIZE)  # C2


_AVC_PROFILES = {
    66: "Baseline",
    77: "Main",
    88: "Extended",
    100: "High",
    110: "High 10",
    122: "High 4:2:2",
    244: "High 4:4:4 Predictive",
}


def carried(metadata: dict[str, Any]) -> tuple[bool, bool]:
    """(video, audio): the tracks a stream carries, as its encoder named them (onMetaData's codec
    ids) or as its media showed them (``"video"``/``"audio"`` once a message of the kind came)."""
    video = "videocodecid" in metadata or "avc" in metadata or bool(metadata.get("video"))
    audio = "audiocodecid" in metadata or "aac" in metadata or bool(metadata.get("audio"))
    return video, audio


def ingest_configuration(metadata: dict[str, Any], default: dict[str, Any]) -> dict[str, Any]:
    """IVS's ingestConfiguration from an encoder's onMetaData and codec headers: a video and an
    audio part for the tracks the stream carries only, with the encoder's own values where it
    sent them (``default``'s otherwise)."""

    def number(key: str) -> int | None:
        value = metadata.get(key)
        return int(value) if isinstance(value, int | float) and not isinstance(value, bool) and value >= 0 else None

    video = dict(default["video"])
    audio = dict(default["audio"])
    for target, key, scale in (
        (video, "videoWidth", "width"),
        (video, "videoHeight", "height"),
        (video, "targetFramerate", "framerate"),
    ):
        found = number(scale)
        if found is not None:
            target[key] = found
    bitrate = number("videodatarate")
    if bitrate is not None:
        video["targetBitrate"] = bitrate * 1000  # kbit/s in FLV metadata
    avc = metadata.get("avc")
    if isinstance(avc, tuple) and len(avc) == 3:
        profile, compatibility, level = avc
        video["codec"] = f"avc1.{profile:02X}{compatibility:02X}{level:02X}"
        video["avcProfile"] = video["profile"] = _AVC_PROFILES.get(profile, str(profile))
        video["avcLevel"] = video["level"] = f"{level // 10}.{level % 10}"
    encoder = metadata.get("encoder")
    if isinstance(encoder, str):
        video["encoder"] = encoder[:128]
    aac = metadata.get("aac")
    if isinstance(aac, int):
        audio["codec"] = f"mp4a.40.{aac}"
    audio_rate = number("audiodatarate")
    if audio_rate is not None:
        audio["targetBitrate"] = audio_rate * 1000
    sample_rate = number("audiosamplerate")
    if sample_rate is not None:
        audio["sampleRate"] = sample_rate
    if isinstance(metadata.get("stereo"), bool):
        audio["channels"] = 2 if metadata["stereo"] else 1
    channels = number("audiochannels")
    if channels is not None:
        audio["channels"] = channels
    has_video, has_audio = carried(metadata)
    return {**({"video": video} if has_video else {}), **({"audio": audio} if has_audio else {})}

"""The emulator's RTMP ingest: an encoder (OBS, ffmpeg) publishing to ``rtmp://HOST:PORT/app/<stream
key>`` makes that key's channel LIVE, with an ingest configuration read from the stream's metadata.

Just enough RTMP for a publisher: the simple handshake, the chunk stream (any chunk size, the four
header formats, extended timestamps), AMF0 commands (connect, createStream, publish, deleteStream)
and the ``onMetaData`` the encoder sends. Audio and video are counted, not decoded. Every read is
bounded: message sizes, the handshake's time, and idle connections.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import ssl
import struct
from collections.abc import Callable
from typing import Any

_log = logging.getLogger("ivs_async.testing")

HANDSHAKE_SIZE = 1536
MAX_MESSAGE = 4 * 1024 * 1024  # a keyframe of a 4K stream fits; more is not an encoder talking
HANDSHAKE_TIMEOUT = 10.0
IDLE_TIMEOUT = 30.0  # an encoder sends many messages a second
OUR_CHUNK_SIZE = 4096

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
    """Reassembles RTMP messages from the chunk stream of one connection."""

    def __init__(self, reader: asyncio.StreamReader) -> None:
        self._reader = reader
        self.chunk_size = 128
        # csid -> [timestamp, length, type, stream id, extended, delta]: timestamps made absolute.
        self._headers: dict[int, list[int]] = {}
        self._partial: dict[int, bytearray] = {}
        self._buffered = 0  # bytes of unfinished messages, over every chunk stream

    async def message(self) -> tuple[int, int, int, bytes]:
        """The next whole message: (type, stream id, timestamp in ms, payload)."""
        while True:
            first = (await self._read(1))[0]
            fmt, csid = first >> 6, first & 0x3F
            if csid == 0:
                csid = 64 + (await self._read(1))[0]
            elif csid == 1:
                low, high = await self._read(2)
                csid = 64 + low + high * 256
            header = self._headers.get(csid)
            if fmt < 3 or header is None:
                if header is None and fmt != 0:
                    raise RtmpError(f"chunk stream {csid} starts without a full header")
                header = self._headers.setdefault(csid, [0, 0, 0, 0, 0, 0])
                raw = await self._read((11, 7, 3, 0)[fmt])
                timestamp = int.from_bytes(raw[0:3], "big")
                if fmt <= 1:
                    header[1] = int.from_bytes(raw[3:6], "big")
                    header[2] = raw[6]
                    if header[1] > MAX_MESSAGE:
                        raise RtmpError(f"a message of {header[1]} bytes")
                if fmt == 0:
                    header[3] = int.from_bytes(raw[7:11], "little")
                header[4] = timestamp == 0xFFFFFF
                if header[4]:
                    timestamp = int.from_bytes(await self._read(4), "big")
                if fmt == 0:
                    header[0], header[5] = timestamp, 0
                else:  # fmt 1 and 2 carry the delta from the previous message
                    header[0], header[5] = header[0] + timestamp, timestamp
            else:
                if header[4]:
                    await self._read(4)  # fmt 3 chunks repeat an extended timestamp
                if not self._partial.get(csid):
                    header[0] += header[5]  # a new message on fmt 3 repeats the last delta
            buffer = self._partial.setdefault(csid, bytearray())
            take = min(self.chunk_size, header[1] - len(buffer))
            # Messages may interleave across chunk streams (audio within a video frame), but never
            # beyond two whole messages' worth: many half-sent messages are not an encoder.
            self._buffered += take
            if self._buffered > 2 * MAX_MESSAGE:
                raise RtmpError("too many unfinished messages")
            buffer += await self._read(take)
            if len(buffer) >= header[1]:
                payload = bytes(buffer)
                self._buffered -= len(buffer)
                buffer.clear()
                if header[2] == SET_CHUNK_SIZE:
                    size = int.from_bytes(payload[:4], "big") & 0x7FFFFFFF
                    if not 1 <= size <= MAX_MESSAGE:
                        raise RtmpError(f"chunk size {size}")
                    self.chunk_size = size
                    continue
                return header[2], header[3], header[0] & 0xFFFFFFFF, payload

    async def _read(self, count: int) -> bytes:
        async with asyncio.timeout(IDLE_TIMEOUT):
            return await self._reader.readexactly(count)


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

    def __init__(self, hooks: IngestHooks) -> None:
        self._hooks = hooks
        self._server: asyncio.Server | None = None
        self._connections: set[asyncio.Task[None]] = set()
        self.port = 0

    async def start(self, host: str, port: int, *, tls: ssl.SSLContext | None = None) -> int:
        """Listen on ``host``:``port`` (0: any free port), with TLS when given (RTMPS)."""
        self._server = await asyncio.start_server(
            self._serve, host, port, ssl=tls, ssl_handshake_timeout=HANDSHAKE_TIMEOUT if tls else None
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
        task = asyncio.current_task()
        assert task is not None
        self._connections.add(task)
        live: tuple[str, str] | None = None  # (channel ARN, stream id) while publishing
        published: tuple[str, str] | None = None
        try:
            async with asyncio.timeout(HANDSHAKE_TIMEOUT):
                await _handshake(reader, writer)
            chunks = _Chunks(reader)
            writer.write(_message(2, SET_CHUNK_SIZE, 0, OUR_CHUNK_SIZE.to_bytes(4, "big")))
            metadata: dict[str, Any] = {}
            while True:
                kind, stream_id, timestamp, payload = await chunks.message()
                if live is not None and self._hooks.current(live[0]) != live[1]:
                    live = None  # ended from the API (StopStream): disconnect the encoder
                    break
                if live is not None and kind in (AUDIO, VIDEO):
                    self._hooks.media(live[0], kind, timestamp, payload)
                    seen = "video" if kind == VIDEO else "audio"
                    if seen not in metadata:  # the first of its kind: the stream carries this track
                        metadata[seen] = True
                        self._hooks.describe(live[0], live[1], metadata)
                if kind == COMMAND_AMF0:
                    values = amf_decode_all(payload)
                    command = values[0] if values else None
                    txn = values[1] if len(values) > 1 else 0
                    if command == "connect":
                        writer.write(_message(2, WINDOW_ACK_SIZE, 0, (5_000_000).to_bytes(4, "big")))
                        writer.write(_message(2, PEER_BANDWIDTH, 0, (5_000_000).to_bytes(4, "big") + b"\x02"))
                        info = {
                            "level": "status",
                            "code": "NetConnection.Connect.Success",
                            "description": "Connection succeeded.",
                            "objectEncoding": 0,
                        }
                        self._command(writer, 0, "_result", txn, {"fmsVer": "FMS/3,0,1,123", "capabilities": 31}, info)
                    elif command == "createStream":
                        self._command(writer, 0, "_result", txn, None, 1)
                    elif command in ("releaseStream", "FCPublish"):
                        self._command(writer, 0, "_result", txn, None, None)
                    elif command == "publish":
                        key = values[3] if len(values) > 3 and isinstance(values[3], str) else ""
                        live = published = self._publish(writer, stream_id, key.split("?", 1)[0], metadata)
                        if live is None:
                            break
                    elif command in ("FCUnpublish", "deleteStream", "closeStream"):
                        break
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
                    if found is not None and "onMetaData" in values:
                        metadata.update(found)
                        if live is not None:  # encoders send it right after publishing
                            self._hooks.describe(live[0], live[1], metadata)
                await writer.drain()
        except (RtmpError, asyncio.IncompleteReadError, ConnectionError, TimeoutError) as exc:
            _log.debug("rtmp connection closed: %s", exc)
        except asyncio.CancelledError:
            pass  # the ingest stops: the connection ends here, as if the encoder had gone
        finally:
            self._connections.discard(task)
            if published is not None:
                self._hooks.end(*published)  # the emulator ends the stream if it is still this one
            writer.close()

    def _publish(
        self, writer: asyncio.StreamWriter, stream_id: int, key: str, metadata: dict[str, Any]
    ) -> tuple[str, str] | None:
        channel = self._hooks.channel_for_key(key) if key else None
        if channel is None:
            self._status(writer, stream_id, "error", "NetStream.Publish.BadName", "unknown stream key")
            return None
        if self._hooks.current(channel) is not None:
            self._status(writer, stream_id, "error", "NetStream.Publish.BadName", "the channel is already live")
            return None
        started = self._hooks.start(channel, metadata)
        self._status(writer, stream_id, "status", "NetStream.Publish.Start", "publishing")
        return channel, started

    def _command(self, writer: asyncio.StreamWriter, stream_id: int, name: str, txn: Any, *args: Any) -> None:
        payload = amf_encode(name) + amf_encode(txn) + b"".join(amf_encode(a) for a in args)
        writer.write(_message(3, COMMAND_AMF0, stream_id, payload))

    def _status(self, writer: asyncio.StreamWriter, stream_id: int, level: str, code: str, text: str) -> None:
        self._command(writer, stream_id, "onStatus", 0, None, {"level": level, "code": code, "description": text})


async def _handshake(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    c0c1 = await reader.readexactly(1 + HANDSHAKE_SIZE)
    if c0c1[0] != 3:
        raise RtmpError(f"RTMP version {c0c1[0]}")
    s1 = bytes(8) + os.urandom(HANDSHAKE_SIZE - 8)
    writer.write(b"\x03" + s1 + c0c1[1:])  # S0, S1, S2 (= C1)
    await writer.drain()
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

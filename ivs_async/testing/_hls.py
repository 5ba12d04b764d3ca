"""HLS of a live RTMP ingest: the stream's audio and video, remuxed (not transcoded) by ffmpeg into
segments and a live playlist that the channel's playback URL serves.

ffmpeg comes from ``imageio-ffmpeg`` (the ``media`` extra, which bundles the binary), or
``IVS_LOCAL_FFMPEG``, or ``ffmpeg`` on the PATH. Without it, playback URLs keep answering the
playlist that only says the stream is live. PutMetadata payloads reach the segments as timed ID3
tags (see _id3.py), in the segment ffmpeg is writing when the call arrives.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import re
import shutil
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from ivs_async._files import read_bounded
from ivs_async.testing._id3 import MAX_SEGMENT_BYTES, id3_tag, insert_timed_id3

_log = logging.getLogger("ivs_async.testing")
SEGMENT_SECONDS = 2
PLAYLIST = "index.m3u8"
FILE_NAME = re.compile(r"(index\.m3u8|seg[0-9]{5}\.ts)")
_FLV_HEADER = b"FLV\x01\x05\x00\x00\x00\x09" + bytes(4)  # audio and video, then PreviousTagSize0
_MAX_BACKLOG = 32 * 1024 * 1024  # bytes of FLV ffmpeg may lag behind before the packager stops feeding it
_MAX_TAGS_PER_SEGMENT = 64  # PutMetadata allows 5 a second per channel: 10 per 2 s segment
_KEPT_SEGMENTS = 32  # timed metadata is kept for this many segments (the playlist lists 10)
_MAX_PLAYLIST_BYTES = 16 * 1024 * 1024  # a day of 6-second segments is about 2 MB of playlist
_MAX_RECORDED_TAGS = 100_000  # a day at PutMetadata's 5 per second is 432,000: keep the first ones


def find_ffmpeg() -> str | None:
    """The ffmpeg binary to package HLS with, or None."""
    configured = os.environ.get("IVS_LOCAL_FFMPEG")
    if configured:
        return configured
    try:
        import imageio_ffmpeg
    except ImportError:
        return shutil.which("ffmpeg")
    found: str = imageio_ffmpeg.get_ffmpeg_exe()
    return found


class HlsPackager:
    """One live session's HLS: FLV tags in (through ffmpeg's stdin), a playlist and segments out."""

    def __init__(self, ffmpeg: str, *, record_to: Path | None = None) -> None:
        self._ffmpeg = ffmpeg
        self.folder = Path(tempfile.mkdtemp(prefix="ivs-local-hls-"))
        # A recording, as IVS writes one: the whole session's HLS and a thumbnail a minute.
        self.record_to = record_to
        self.started_at = datetime.now(UTC)
        self._process: asyncio.subprocess.Process | None = None
        self._broken = False
        self._pending: list[bytes] = [_FLV_HEADER]  # what came before ffmpeg was running
        self._started = time.time()
        self._timed: dict[int, list[tuple[float, bytes]]] = {}  # segment number -> (offset s, ID3 tag)
        self._recorded: list[tuple[float, bytes]] = []  # (seconds into the session, ID3 tag)

    async def start(self) -> None:
        self._process = await asyncio.create_subprocess_exec(
            self._ffmpeg,
            "-hide_banner",
            "-loglevel", "error",
            "-f", "flv", "-i", "pipe:0",
            "-c", "copy",
            "-f", "hls",
            "-hls_time", str(SEGMENT_SECONDS),
            "-hls_list_size", "10",
            "-hls_flags", "delete_segments+independent_segments",
            "-hls_segment_filename", str(self.folder / "seg%05d.ts"),
            str(self.folder / PLAYLIST),
            *self._recording_outputs(),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )  # fmt: skip
        pending, self._pending = self._pending, []
        for data in pending:
            self._write(data)

    def _recording_outputs(self) -> list[str]:
        if self.record_to is None:
            return []
        hls, thumbnails = self.record_to / "media" / "hls", self.record_to / "media" / "thumbnails"
        hls.mkdir(parents=True, exist_ok=True)
        thumbnails.mkdir(parents=True, exist_ok=True)
        return [
            "-map", "0", "-c", "copy", "-f", "hls", "-hls_time", "6", "-hls_list_size", "0",
            "-hls_playlist_type", "event", "-hls_segment_filename", str(hls / "%d.ts"), str(hls / "playlist.m3u8"),
            # The first frame, then one a minute (IVS's default interval).
            "-map", "0:v:0", "-vf", "select='isnan(prev_selected_t)+gte(t-prev_selected_t,60)'",
            "-fps_mode", "vfr", "-q:v", "5", str(thumbnails / "thumb%d.jpg"),
        ]  # fmt: skip

    def media(self, kind: int, timestamp: int, payload: bytes) -> None:
        """One audio (8) or video (9) message as an FLV tag."""
        size = len(payload)
        tag = (
            bytes([kind])
            + size.to_bytes(3, "big")
            + (timestamp & 0xFFFFFF).to_bytes(3, "big")
            + bytes([(timestamp >> 24) & 0xFF])
            + bytes(3)
        )
        self._write(tag + payload + (11 + size).to_bytes(4, "big"))

    def _write(self, data: bytes) -> None:
        process = self._process
        if process is None and not self._broken:
            if sum(map(len, self._pending)) < _MAX_BACKLOG:
                self._pending.append(data)
            return
        if self._broken or process is None or process.stdin is None or process.stdin.is_closing():
            return
        transport = process.stdin.transport
        if transport.get_write_buffer_size() > _MAX_BACKLOG:
            _log.warning("ivs-local: ffmpeg fell behind the ingest; HLS stops for this session")
            self._broken = True
            return
        process.stdin.write(data)

    def playlist(self) -> bytes | None:
        try:
            return (self.folder / PLAYLIST).read_bytes()
        except OSError:
            return None

    def file(self, name: str) -> bytes | None:
        if not FILE_NAME.fullmatch(name):
            return None
        try:
            data = (self.folder / name).read_bytes()
        except OSError:
            return None
        tags = self._timed.get(int(name[3:8])) if name.startswith("seg") else None
        return insert_timed_id3(data, tags) if tags else data

    def timed_metadata(self, text: str) -> None:
        """A PutMetadata payload, timed where the live edge is now: in the segment being written."""
        numbers = [int(p.name[3:8]) for p in self.folder.glob("seg[0-9][0-9][0-9][0-9][0-9].ts")]
        current = max(numbers, default=0)
        try:  # the segment being written began when the one before it was finished
            began = (self.folder / f"seg{current - 1:05d}.ts").stat().st_mtime
        except OSError:
            began = self._started
        offset = min(max(0.0, time.time() - began), 2.0 * SEGMENT_SECONDS)
        tag = id3_tag(text)
        tags = self._timed.setdefault(current, [])
        if len(tags) < _MAX_TAGS_PER_SEGMENT:
            tags.append((offset, tag))
        if self.record_to is not None and len(self._recorded) < _MAX_RECORDED_TAGS:
            self._recorded.append((time.time() - self._started, tag))
        for old in [n for n in self._timed if n < current - _KEPT_SEGMENTS]:
            del self._timed[old]

    async def stop(self) -> None:
        self._broken = True  # nothing more is fed
        process, self._process = self._process, None
        if process is not None:
            if process.stdin is not None:
                process.stdin.close()
            try:
                await asyncio.wait_for(process.wait(), 5)
            except TimeoutError:
                process.kill()
                await process.wait()
        with contextlib.suppress(OSError):
            shutil.rmtree(self.folder)
        if self.record_to is not None and self._recorded:
            await asyncio.to_thread(_tag_recording, self.record_to / "media" / "hls", self._recorded)


def _tag_recording(folder: Path, tags: list[tuple[float, bytes]]) -> None:
    """The session's timed metadata into the recording's segments, once ffmpeg has written them:
    each tag in the segment its time falls in (by the playlist's durations)."""
    try:
        playlist = read_bounded(folder / "playlist.m3u8", _MAX_PLAYLIST_BYTES)
    except (OSError, ValueError):
        return
    segments: list[tuple[float, float, str]] = []  # (start s, end s, file name)
    start, duration = 0.0, None
    for line in playlist.splitlines()[:100_000]:
        if line.startswith("#EXTINF:"):
            with contextlib.suppress(ValueError):
                duration = float(line[8:].split(",", 1)[0])
        elif line and not line.startswith("#") and duration is not None:
            segments.append((start, start + duration, line.strip()))
            start, duration = start + duration, None
    for seg_start, seg_end, name in segments:
        mine = [(at - seg_start, tag) for at, tag in tags if seg_start <= at < seg_end]
        if segments[-1][2] == name:
            mine += [(seg_end - seg_start, tag) for at, tag in tags if at >= seg_end]  # after the last cut
        if not mine or "/" in name or not name.endswith(".ts"):
            continue
        path = folder / name
        try:
            if path.stat().st_size > MAX_SEGMENT_BYTES:
                continue  # left as it is, as insert_timed_id3 would
            data = path.read_bytes()
            tagged = insert_timed_id3(data, mine)
            if tagged is not data:
                partial = path.with_suffix(".ts.partial")
                partial.write_bytes(tagged)
                os.replace(partial, path)  # a reader never sees half a segment
        except OSError:
            continue

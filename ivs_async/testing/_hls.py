"""HLS of a live RTMP ingest: the stream's audio and video, remuxed (not transcoded) by ffmpeg into
2-second segments, which the emulator lists and serves itself once ffmpeg has finished each one.

ffmpeg comes from ``imageio-ffmpeg`` (the ``media`` extra, which bundles the binary), or
``IVS_LOCAL_FFMPEG``, or ``ffmpeg`` on the PATH.

Owning the list of finished segments is what makes timed metadata reach every player: a
PutMetadata is timed at the live edge of the ingest (the newest timestamp it received), which no
finished segment reaches, so it always lands in a segment that no playlist has listed yet, at
the moment the call was made, and a player at the live edge fires it once, in order.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import os
import re
import shutil
import tempfile
from collections import deque
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from ivs_async._core.files import read_bounded
from ivs_async.testing._delivery import Rendition
from ivs_async.testing._id3 import MAX_SEGMENT_BYTES, id3_tag, insert_timed_id3

_log = logging.getLogger("ivs_async.testing")
SEGMENT_SECONDS = 2
PLAYLIST = "index.m3u8"
AUDIO, VIDEO = 8, 9
_MAX_BACKLOG = 32 * 1024 * 1024  # bytes of FLV ffmpeg may lag behind before the packager stops feeding it
_MAX_PLAYLIST_BYTES = 1024 * 1024  # ffmpeg's own playlist lists ten segments
_WATCH_EVERY = 0.2  # seconds between looks at ffmpeg's playlist
_WINDOW = 5  # segments a variant playlist lists
_KEPT = _WINDOW + 8  # finished segments kept on disk: the window, and some for slow players
_MAX_PENDING_TAGS = 1000
_ONE_TRACK_AFTER_MS = 2000  # with no word from the encoder, a stream with one kind of media this long has one
_DEFAULT_BANDWIDTH = 2_000_000
_AVC_PROFILES = {66, 77, 88, 100, 110, 122, 244}
_STALE = re.compile(r"ivs-local-(?:hls|pattern)-([0-9]{1,10})-[A-Za-z0-9_]+")


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
    """One live session of an RTMP ingest: FLV tags in (through ffmpeg's stdin), segments out."""

    def __init__(self, ffmpeg: str, stream_id: str) -> None:
        self.stream_id = stream_id
        self._ffmpeg = ffmpeg
        self.folder = Path(tempfile.mkdtemp(prefix=f"ivs-local-hls-{os.getpid()}-"))
        # More of ffmpeg's outputs for a stream with video: a recording's thumbnails.
        self.video_outputs: Callable[[], list[str]] | None = None
        self._process: asyncio.subprocess.Process | None = None
        self._watcher: asyncio.Task[None] | None = None
        self._broken = False
        self._stopping = False
        # What the stream carries, as its encoder says (onMetaData) or as its media shows.
        self._declared: dict[int, bool] = {}
        self._seen: set[int] = set()
        self._pending: list[bytes] = []  # FLV tags before ffmpeg runs
        self._pending_bytes = 0
        self._first_ms: int | None = None  # the first media timestamp: time 0 of the stream
        self._edge_ms = 0  # the newest media timestamp received
        self.metadata: dict[str, Any] = {}
        # Finished segments, oldest first: (number, start s, duration s, path, bytes).
        self._segments: deque[tuple[int, float, float, Path, int]] = deque()
        self._next_number = 0
        self._next_start = 0.0
        self._peak_bps = 0  # the highest bit rate of a finished segment
        self._tags: list[tuple[float, bytes]] = []  # (seconds into the stream, ID3 tag), not yet placed
        # Told of each finished segment (its file, duration and rendition) before it can be deleted:
        # a recording.
        self.on_segment: Callable[[Path, float, Rendition], Awaitable[None]] | None = None

    # -- LiveMedia ------------------------------------------------------------------------------

    def renditions(self) -> tuple[Rendition, ...]:
        if not self._segments:
            return ()
        return (self._rendition(),)

    @property
    def problem(self) -> str:
        if self._broken and not self._segments:
            return "the stream is live, but ivs-local's ffmpeg could not package it"
        return ""

    def window(self) -> tuple[int, list[float]]:
        listed = list(self._segments)[-_WINDOW:]
        if not listed:
            return self._next_number, []
        return listed[0][0], [duration for _, _, duration, _, _ in listed]

    def segment(self, rendition: str, number: int) -> Path | None:
        for found, _, _, path, _ in self._segments:
            if found == number:
                return path
        return None

    def timed_metadata(self, text: str) -> None:
        """A PutMetadata payload at the live edge: no finished segment reaches it."""
        if len(self._tags) < _MAX_PENDING_TAGS:
            at = max(0.0, (self._edge_ms - (self._first_ms or 0)) / 1000)
            self._tags.append((at, id3_tag(text)))

    # -- input ----------------------------------------------------------------------------------

    def describe(self, metadata: dict[str, Any]) -> None:
        """What the encoder says of its stream (onMetaData): the tracks it has decide the FLV header."""
        self.metadata.update(metadata)
        for kind, key in ((VIDEO, "videocodecid"), (AUDIO, "audiocodecid")):
            if key in metadata:
                self._declared[kind] = True
        if self._declared and self._process is None:
            # An encoder that names one codec id sends only that kind (ffmpeg names what it has).
            self._declared.setdefault(VIDEO, False)
            self._declared.setdefault(AUDIO, False)
            self._start_when_known()

    def media(self, kind: int, timestamp: int, payload: bytes) -> None:
        """One audio (8) or video (9) message, as an FLV tag."""
        if not _is_config(kind, payload):
            if self._first_ms is None:
                self._first_ms = timestamp
            self._edge_ms = max(self._edge_ms, timestamp)
        self._seen.add(kind)
        size = len(payload)
        tag = (
            bytes([kind])
            + size.to_bytes(3, "big")
            + (timestamp & 0xFFFFFF).to_bytes(3, "big")
            + bytes([(timestamp >> 24) & 0xFF])
            + bytes(3)
        )
        self._write(tag + payload + (11 + size).to_bytes(4, "big"))
        if self._process is None and not self._broken:
            self._start_when_known()

    def tracks(self) -> tuple[bool, bool] | None:
        """(video, audio) once known: as the encoder declared them, or as its media showed them."""
        if self._declared:
            return self._declared.get(VIDEO, False), self._declared.get(AUDIO, False)
        if {VIDEO, AUDIO} <= self._seen:
            return True, True
        if self._seen and self._edge_ms - (self._first_ms or 0) >= _ONE_TRACK_AFTER_MS:
            return VIDEO in self._seen, AUDIO in self._seen
        return None

    def _start_when_known(self) -> None:
        tracks = self.tracks()
        if tracks is not None and not self._stopping:
            self._start(*tracks)

    def _start(self, video: bool, audio: bool) -> None:
        if self._watcher is not None:
            return
        flags = (0x04 if audio else 0) | (0x01 if video else 0)
        header = b"FLV\x01" + bytes([flags]) + b"\x00\x00\x00\x09" + bytes(4)  # then PreviousTagSize0
        self._pending.insert(0, header)
        extra = self.video_outputs() if video and self.video_outputs is not None else []
        # ffmpeg looks for more streams for its whole analysis time unless every declared one has
        # shown up: with one track, it would wait 5 s for the other before writing anything.
        probe = [] if video and audio else ["-analyzeduration", "500000"]
        self._watcher = asyncio.ensure_future(self._run(probe, extra))

    def _write(self, data: bytes) -> None:
        process = self._process
        if process is None:
            if not self._broken and self._pending_bytes < _MAX_BACKLOG:
                self._pending.append(data)
                self._pending_bytes += len(data)
            return
        if self._broken or process.stdin is None or process.stdin.is_closing():
            return
        if process.stdin.transport.get_write_buffer_size() > _MAX_BACKLOG:
            _log.warning("ivs-local: ffmpeg fell behind the ingest; HLS stops for this session")
            self._broken = True
            return
        process.stdin.write(data)

    # -- ffmpeg and its segments ----------------------------------------------------------------

    async def _run(self, input_options: list[str], extra_outputs: list[str]) -> None:
        try:
            self._process = await asyncio.create_subprocess_exec(
                self._ffmpeg,
                "-hide_banner", "-loglevel", "error", "-nostdin",
                *input_options, "-f", "flv", "-i", "pipe:0",
                "-map", "0", "-c", "copy",
                "-f", "hls", "-hls_time", str(SEGMENT_SECONDS), "-hls_list_size", "10",
                "-hls_flags", "independent_segments",
                "-hls_segment_filename", str(self.folder / "seg%06d.ts"),
                str(self.folder / PLAYLIST),
                *extra_outputs,
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.DEVNULL,
            )  # fmt: skip
        except OSError as exc:
            _log.warning("ivs-local could not start ffmpeg for HLS: %s", exc)
            self._broken = True
            return
        pending, self._pending, self._pending_bytes = self._pending, [], 0
        for data in pending:
            self._write(data)
        if self._stopping and self._process.stdin is not None:
            self._process.stdin.close()
        while True:
            done = self._process.returncode is not None
            await self._collect(final=done)
            if done:
                return
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(self._process.wait()), _WATCH_EVERY)

    async def _collect(self, *, final: bool) -> None:
        """Take every segment ffmpeg has finished since the last look, in order."""
        try:
            text = read_bounded(self.folder / PLAYLIST, _MAX_PLAYLIST_BYTES)
        except (OSError, ValueError):
            return
        listed = _segments_of(text)
        for index, (number, duration) in enumerate(listed):
            if number < self._next_number:
                continue
            last = final and index == len(listed) - 1
            await self._finish(number, duration, last=last)

    async def _finish(self, number: int, duration: float, *, last: bool) -> None:
        start, end = self._next_start, self._next_start + duration
        mine = [(max(0.0, at - start), tag) for at, tag in self._tags if at < end or last]
        self._tags = [(at, tag) for at, tag in self._tags if not (at < end or last)]
        mine = [(min(offset, duration), tag) for offset, tag in mine]
        path = self.folder / f"seg{number:06d}.ts"
        self._next_number, self._next_start = number + 1, end
        size = await asyncio.to_thread(_tag_segment, path, mine)
        if size is None:
            return  # gone: players skip it
        if self.on_segment is not None:
            await self.on_segment(path, duration, self._rendition())
        if duration > 0:
            self._peak_bps = max(self._peak_bps, int(size * 8 / duration))
        self._segments.append((number, start, duration, path, size))
        while len(self._segments) > _KEPT:
            self._segments.popleft()[3].unlink(missing_ok=True)

    def _rendition(self) -> Rendition:
        width, height = _number(self.metadata.get("width")), _number(self.metadata.get("height"))
        rate = self.metadata.get("framerate")
        frame_rate = float(rate) if isinstance(rate, int | float) and not isinstance(rate, bool) and rate > 0 else None
        name = f"{height}p{round(frame_rate)}" if height and frame_rate else f"{height}p" if height else "source"
        # HLS's BANDWIDTH is the peak rate of any segment: the highest so far, or what the encoder
        # said it sends (kbit/s in onMetaData), if more.
        declared = sum(_number(self.metadata.get(key)) or 0 for key in ("videodatarate", "audiodatarate")) * 1000
        bandwidth = max(self._peak_bps, declared)
        video, audio = self.tracks() or (True, True)
        codecs = []
        avc = self.metadata.get("avc")
        if video and isinstance(avc, tuple) and avc[0] in _AVC_PROFILES:
            codecs.append("avc1.{:02X}{:02X}{:02X}".format(*avc))
        aac = self.metadata.get("aac")
        if audio and isinstance(aac, int) and 0 < aac < 32:
            codecs.append(f"mp4a.40.{aac}")
        known = len(codecs) == int(video) + int(audio)
        return Rendition(
            name, width, height, frame_rate, bandwidth or _DEFAULT_BANDWIDTH, ",".join(codecs) if known else None
        )

    async def stop(self) -> None:
        """End of the ingest: ffmpeg finishes its last segment, which is taken like the others."""
        self._stopping = True
        if self._watcher is None and self._seen:  # a short stream: what it showed is what it has
            self._start(VIDEO in self._seen, AUDIO in self._seen)
        process = self._process
        if process is not None and process.stdin is not None:
            process.stdin.close()
        watcher = self._watcher
        if watcher is not None:
            try:
                await asyncio.wait_for(asyncio.shield(watcher), 10)
            except TimeoutError:
                watcher.cancel()
        if process is not None and process.returncode is None:
            process.kill()
            await process.wait()

    def remove(self) -> None:
        """Forget the segments on disk (after stop, once nothing serves or records them)."""
        with contextlib.suppress(OSError):
            shutil.rmtree(self.folder)


def remove_stale_folders() -> int:
    """Remove the temporary folders (HLS, the test pattern) of emulator processes that are gone, as
    one that was killed leaves them; how many. Folders carry their process's id in their name."""
    root = Path(tempfile.gettempdir())
    removed = 0
    try:
        entries = list(itertools.islice(root.iterdir(), 100_000))
    except OSError:
        return 0
    for entry in entries:
        match = _STALE.fullmatch(entry.name)
        if match is None or int(match.group(1)) == os.getpid():
            continue
        try:
            if entry.is_symlink() or not entry.is_dir() or entry.stat().st_uid != os.getuid():
                continue
            os.kill(int(match.group(1)), 0)
        except ProcessLookupError:
            shutil.rmtree(entry, ignore_errors=True)
            removed += 1
        except (OSError, ValueError, OverflowError):
            continue  # alive (another user's), or not ours to judge
    return removed


def _segments_of(playlist: str) -> list[tuple[int, float]]:
    """(number, duration) of each segment ffmpeg's playlist lists."""
    found: list[tuple[int, float]] = []
    sequence, duration = 0, None
    for line in playlist.splitlines()[:1000]:
        if line.startswith("#EXT-X-MEDIA-SEQUENCE:"):
            with contextlib.suppress(ValueError):
                sequence = int(line.split(":", 1)[1])
        elif line.startswith("#EXTINF:"):
            with contextlib.suppress(ValueError):
                duration = float(line[8:].split(",", 1)[0])
        elif line and not line.startswith("#") and duration is not None:
            found.append((sequence + len(found), duration))
            duration = None
    return found


def _tag_segment(path: Path, tags: list[tuple[float, bytes]]) -> int | None:
    """Declare the metadata stream in a finished segment and put its tags in; its size, or None."""
    try:
        if path.stat().st_size > MAX_SEGMENT_BYTES:
            return path.stat().st_size  # left as it is, as insert_timed_id3 would
        data = path.read_bytes()
        tagged = insert_timed_id3(data, tags)
        if tagged is not data:
            partial = path.with_suffix(".ts.partial")
            partial.write_bytes(tagged)
            os.replace(partial, path)  # a reader never sees half a segment
        return len(tagged)
    except OSError:
        return None


def _is_config(kind: int, payload: bytes) -> bool:
    """An AVC or AAC sequence header: codec configuration, not a frame with a time."""
    if len(payload) < 2:
        return True
    if kind == VIDEO:
        return payload[0] & 0x0F == 7 and payload[1] == 0
    return payload[0] >> 4 == 10 and payload[1] == 0


def _number(value: object) -> int | None:
    return (
        int(value) if isinstance(value, int | float) and not isinstance(value, bool) and 0 < value < 100_000 else None
    )

"""Recordings written to a folder as IVS writes them to S3 (``ivs-local --recordings-dir``), so that
code that post-processes recordings can be tested: under ``<dir>/<bucket>/<prefix>/``, where the
prefix is the Recording State Change events' ``recording_s3_key_prefix``
(``ivs/v1/<account>/<channel id>/<y>/<m>/<d>/<h>/<min>/<recording id>``):

- ``media/hls/master.m3u8`` and ``byte-range-multivariant.m3u8``, and a folder per rendition
  (``720p30/``) holding 10-second media files (``0.ts``, ``1.ts``...), ``playlist.m3u8`` and
  ``byte-range-variant.m3u8`` (each keyframe interval a byte range of a media file);
- ``media/thumbnails/thumb0.jpg``... every ``targetIntervalSeconds`` (storage ``SEQUENTIAL``) and
  ``media/latest_thumbnail/thumb.jpg`` (storage ``LATEST``), at the configured resolution;
- ``events/recording-started.json``, then ``recording-ended.json`` or ``recording-failed.json``,
  with the fields of IVS's documents and no others.

The emulator records the stream it receives, not a transcoded ladder: one rendition, the source.
A stream that joins the recording (within ``recordingReconnectWindowSeconds``) continues its
playlists after a discontinuity.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ivs_async.testing import _ts
from ivs_async.testing._delivery import Rendition
from ivs_async.testing._id3 import MAX_SEGMENT_BYTES

CHUNK_SECONDS = 10.0  # IVS's recorded media files hold about 10 seconds each
_HEIGHTS = {"LOWEST_RESOLUTION": 160, "SD": 480, "HD": 720, "FULL_HD": 1080}
_FAILURE = "InternalServerException"


def _time(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class _Chunk:
    """One media file of the recording: the live segments appended to it, each a byte range."""

    def __init__(self, number: int, *, after_gap: bool) -> None:
        self.number = number
        self.after_gap = after_gap  # the first media file of a stream that joined the recording
        self.parts: list[tuple[int, int, float]] = []  # (offset, length, duration)

    @property
    def duration(self) -> float:
        return sum(part[2] for part in self.parts)

    @property
    def size(self) -> int:
        return sum(part[1] for part in self.parts)


class RecordingWriter:
    """One recording's files. Its methods do file I/O: call them from a worker thread."""

    def __init__(self, folder: Path, channel_arn: str, started_at: datetime, configuration: dict[str, Any]) -> None:
        self.folder = folder
        self.channel_arn = channel_arn
        self.started_at = started_at
        thumbnails = configuration.get("thumbnailConfiguration") or {}
        self._interval = int(thumbnails.get("targetIntervalSeconds", 60))
        self._thumbnail_mode = thumbnails.get("recordingMode", "INTERVAL")
        self._storage = list(thumbnails.get("storage") or ["SEQUENTIAL"])
        self._thumbnail_height = _HEIGHTS.get(thumbnails.get("resolution") or "")
        rendition = configuration.get("renditionConfiguration") or {}
        self._records_media = rendition.get("renditionSelection", "ALL") != "NONE"
        self.rendition: Rendition | None = None
        self.has_video = True
        self._chunks: list[_Chunk] = []
        self._open: _Chunk | None = None
        self._gap = False
        self.failed = False
        self._started_written = False

    # -- while recording ------------------------------------------------------------------------

    def start(self) -> None:
        """The prefix exists from the start, as IVS validates and creates it at Recording Start."""
        self._guarded(lambda: (self.folder / "events").mkdir(parents=True, exist_ok=True))

    def thumbnail_outputs(self) -> list[str]:
        """ffmpeg's outputs for this recording's thumbnails (the stream's first video track)."""
        if self._thumbnail_mode != "INTERVAL" or self.failed:
            return []
        chosen = f"select='isnan(prev_selected_t)+gte(t-prev_selected_t,{self._interval})'"
        if self._thumbnail_height:
            chosen += f",scale=-2:'min(ih,{self._thumbnail_height})'"
        outputs: list[str] = []
        if "SEQUENTIAL" in self._storage:
            sequential = self.folder / "media" / "thumbnails"
            self._guarded(lambda: sequential.mkdir(parents=True, exist_ok=True))
            first = len(list(sequential.glob("thumb*.jpg")))  # a joining stream numbers on
            outputs += ["-map", "0:v:0", "-vf", chosen, "-fps_mode", "vfr", "-q:v", "5"]
            outputs += ["-start_number", str(first), str(sequential / "thumb%d.jpg")]
        if "LATEST" in self._storage:
            latest = self.folder / "media" / "latest_thumbnail"
            self._guarded(lambda: latest.mkdir(parents=True, exist_ok=True))
            outputs += ["-map", "0:v:0", "-vf", chosen, "-fps_mode", "vfr", "-q:v", "5", "-update", "1"]
            outputs += [str(latest / "thumb.jpg")]
        return outputs

    def join(self) -> None:
        """Another stream continues the recording: its media follows a discontinuity."""
        self._close_chunk()
        self._gap = bool(self._chunks)

    def add(self, segment: Path, duration: float, rendition: Rendition, has_video: bool) -> None:
        """A finished live segment: appended to the media file being written."""
        self.has_video = has_video
        if self.rendition is None:
            self.rendition = rendition
        if not self._started_written:
            self._write_document("recording-started.json", self._document("RECORDING_STARTED"))
        if not self._records_media or self.failed:
            return
        chunk = self._open
        if chunk is None:
            chunk = self._open = _Chunk(len(self._chunks), after_gap=self._gap)
            self._gap = False
        media = self._rendition_folder() / f"{chunk.number}.ts"

        def append() -> None:
            media.parent.mkdir(parents=True, exist_ok=True)
            data = segment.read_bytes()
            with open(media, "ab") as out:
                out.write(data)
            chunk.parts.append((chunk.size, len(data), duration))

        self._guarded(append)
        if chunk.duration >= CHUNK_SECONDS - 0.5:
            self._close_chunk()

    def finish(self, ended_at: datetime, *, failed: bool = False) -> None:
        """The recording ends: its playlists close and its last document is written."""
        self.failed = self.failed or failed
        self._close_chunk(final=True)
        if not self._started_written:
            self._write_document("recording-started.json", self._document("RECORDING_STARTED"))
        if self.failed:
            document = self._document("RECORDING_ENDED_WITH_FAILURE", ended_at)
            self._write_document("recording-failed.json", document, force=True)
        else:
            self._write_document("recording-ended.json", self._document("RECORDING_ENDED", ended_at))

    # -- files ------------------------------------------------------------------------------------

    def _rendition_folder(self) -> Path:
        assert self.rendition is not None
        return self.folder / "media" / "hls" / self.rendition.name

    def _close_chunk(self, *, final: bool = False) -> None:
        if self._open is not None and self._open.parts:
            self._chunks.append(self._open)
        self._open = None
        if self._chunks and self.rendition is not None and self._records_media and not self.failed:
            self._guarded(lambda: self._write_playlists(final))

    def _write_playlists(self, final: bool) -> None:
        assert self.rendition is not None
        folder = self._rendition_folder()
        whole = ["#EXTM3U", "#EXT-X-VERSION:3", "#EXT-X-PLAYLIST-TYPE:EVENT"]
        whole += [f"#EXT-X-TARGETDURATION:{max(int(-(-c.duration // 1)) for c in self._chunks)}"]
        whole += ["#EXT-X-MEDIA-SEQUENCE:0"]
        parts = ["#EXTM3U", "#EXT-X-VERSION:4", "#EXT-X-PLAYLIST-TYPE:EVENT"]
        longest = max(int(-(-p[2] // 1)) for c in self._chunks for p in c.parts)
        parts += [f"#EXT-X-TARGETDURATION:{longest}", "#EXT-X-MEDIA-SEQUENCE:0"]
        for chunk in self._chunks:
            if chunk.after_gap:
                whole.append("#EXT-X-DISCONTINUITY")
                parts.append("#EXT-X-DISCONTINUITY")
            whole += [f"#EXTINF:{chunk.duration:.3f},", f"{chunk.number}.ts"]
            for offset, length, duration in chunk.parts:
                parts += [f"#EXTINF:{duration:.3f},", f"#EXT-X-BYTERANGE:{length}@{offset}", f"{chunk.number}.ts"]
        if final:
            whole.append("#EXT-X-ENDLIST")
            parts.append("#EXT-X-ENDLIST")
        _replace(folder / "playlist.m3u8", "\n".join(whole) + "\n")
        _replace(folder / "byte-range-variant.m3u8", "\n".join(parts) + "\n")
        info = [f"BANDWIDTH={self._bandwidth()}"]
        rendition = self.rendition
        if rendition.width and rendition.height:
            info.append(f"RESOLUTION={rendition.width}x{rendition.height}")
        if rendition.codecs:
            info.append(f'CODECS="{rendition.codecs}"')
        head = ["#EXTM3U", "#EXT-X-VERSION:3", "#EXT-X-INDEPENDENT-SEGMENTS", "#EXT-X-STREAM-INF:" + ",".join(info)]
        hls = self.folder / "media" / "hls"
        _replace(hls / "master.m3u8", "\n".join([*head, f"{rendition.name}/playlist.m3u8"]) + "\n")
        _replace(
            hls / "byte-range-multivariant.m3u8", "\n".join([*head, f"{rendition.name}/byte-range-variant.m3u8"]) + "\n"
        )

    def _bandwidth(self) -> int:
        rates = [int(p[1] * 8 / p[2]) for c in self._chunks for p in c.parts if p[2] > 0]
        return max(rates, default=0) or 1

    def _document(self, status: str, ended_at: datetime | None = None) -> dict[str, Any]:
        failed = status == "RECORDING_ENDED_WITH_FAILURE"
        document: dict[str, Any] = {"version": "v1", "channel_arn": self.channel_arn}
        if ended_at is not None:
            document["recording_ended_at"] = _time(ended_at)
        document["recording_started_at"] = _time(self.started_at)
        document["recording_status"] = status
        if failed:
            document["recording_status_message"] = _FAILURE
        hls: dict[str, Any] = {}
        if ended_at is not None:
            hls["duration_ms"] = int(sum(c.duration for c in self._chunks) * 1000)
        hls["path"] = "media/hls"
        hls["playlist"] = "master.m3u8"
        if not failed:
            hls["byte_range_playlist"] = "byte-range-multivariant.m3u8"
        hls["renditions"] = []
        rendition = self.rendition
        if rendition is not None and self._records_media:
            entry: dict[str, Any] = {"path": rendition.name, "playlist": "playlist.m3u8"}
            if not failed:
                entry["byte_range_playlist"] = "byte-range-variant.m3u8"
            if self.has_video and rendition.width and rendition.height:
                entry["resolution_height"], entry["resolution_width"] = rendition.height, rendition.width
            hls["renditions"].append(entry)
        media: dict[str, Any] = {"hls": hls}
        if self._thumbnail_mode == "INTERVAL" and self.has_video:
            size = self._thumbnail_size()
            if "SEQUENTIAL" in self._storage:
                media["thumbnails"] = {"path": "media/thumbnails", **size}
            if "LATEST" in self._storage:
                media["latest_thumbnail"] = {"path": "media/latest_thumbnail/thumb.jpg", **size}
        document["media"] = media
        return document

    def _thumbnail_size(self) -> dict[str, int]:
        rendition = self.rendition
        if rendition is None or not rendition.width or not rendition.height:
            return {}
        height = min(rendition.height, self._thumbnail_height or rendition.height)
        width = round(rendition.width * height / rendition.height / 2) * 2
        return {"resolution_height": height, "resolution_width": width}

    def _write_document(self, name: str, document: dict[str, Any], *, force: bool = False) -> None:
        if self.failed and not force:
            return
        self._guarded(lambda: _replace(self.folder / "events" / name, json.dumps(document, indent=2)))
        if name == "recording-started.json":
            self._started_written = True

    def _guarded(self, action: Any) -> None:
        """Run one write; a failure of the disk fails the recording (recording-failed.json)."""
        try:
            action()
        except OSError:
            self.failed = True


def _replace(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` whole: a reader sees the old file or the new one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    partial.write_text(text)
    os.replace(partial, path)


def finish_abandoned(folder: Path, ended_at: datetime) -> bool:
    """End a recording a previous run of the emulator could not end (it crashed): its playlists
    close with what they list, a media file they do not list goes, and recording-ended.json is
    written from recording-started.json. False when there is nothing to finish."""
    events = folder / "events"
    try:
        if (events / "recording-ended.json").exists() or (events / "recording-failed.json").exists():
            return False
        started = json.loads((events / "recording-started.json").read_text()[:1_000_000])
    except (OSError, ValueError):
        return False
    if not isinstance(started, dict) or not isinstance(started.get("media"), dict):
        return False
    duration = 0.0
    hls = started["media"].get("hls") if isinstance(started["media"].get("hls"), dict) else {}
    for entry in hls.get("renditions") or []:
        name = entry.get("path") if isinstance(entry, dict) else None
        if not isinstance(name, str) or "/" in name or name in ("", ".", ".."):
            continue
        rendition = folder / "media" / "hls" / name
        listed: set[str] = set()
        texts: dict[str, list[str]] = {}
        for playlist in ("playlist.m3u8", "byte-range-variant.m3u8"):
            try:
                texts[playlist] = (rendition / playlist).read_text()[:10_000_000].splitlines()
            except OSError:
                texts[playlist] = _empty_playlist(playlist)
            listed |= {line for line in texts[playlist] if line and not line.startswith("#")}
        # The media file being written when it stopped: whole segments, listed as one part.
        for media in sorted(rendition.glob("*.ts"), key=lambda p: (len(p.name), p.name))[:1000]:
            if media.name in listed:
                continue
            try:
                data = media.read_bytes() if media.stat().st_size <= MAX_SEGMENT_BYTES else b""
            except OSError:
                continue
            seconds = _ts.duration(data)
            if not seconds:
                media.unlink(missing_ok=True)
                continue
            texts["playlist.m3u8"] += [f"#EXTINF:{seconds:.3f},", media.name]
            texts["byte-range-variant.m3u8"] += [
                f"#EXTINF:{seconds:.3f},",
                f"#EXT-X-BYTERANGE:{len(data)}@0",
                media.name,
            ]
        for playlist, lines in texts.items():
            lines = [line for line in lines if line != "#EXT-X-ENDLIST"] + ["#EXT-X-ENDLIST"]
            if playlist == "playlist.m3u8":
                duration = max(duration, sum(_extinf(line) for line in lines))
            _replace(rendition / playlist, "\n".join(lines) + "\n")
    ended = {k: v for k, v in started.items() if k in ("version", "channel_arn")}
    ended["recording_ended_at"] = _time(ended_at)
    ended["recording_started_at"] = started.get("recording_started_at", _time(ended_at))
    ended["recording_status"] = "RECORDING_ENDED"
    ended["media"] = {**started["media"], "hls": {"duration_ms": int(duration * 1000), **hls}}
    _replace(events / "recording-ended.json", json.dumps(ended, indent=2))
    return True


def _empty_playlist(name: str) -> list[str]:
    version = "4" if name.startswith("byte-range") else "3"
    return ["#EXTM3U", f"#EXT-X-VERSION:{version}", "#EXT-X-PLAYLIST-TYPE:EVENT",
            f"#EXT-X-TARGETDURATION:{int(CHUNK_SECONDS) + 2}", "#EXT-X-MEDIA-SEQUENCE:0"]  # fmt: skip


def _extinf(line: str) -> float:
    if not line.startswith("#EXTINF:"):
        return 0.0
    try:
        return float(line[8:].split(",", 1)[0])
    except ValueError:
        return 0.0

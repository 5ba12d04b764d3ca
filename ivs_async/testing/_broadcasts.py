"""The media of the emulator's live streams: which stream has which media (an RTMP ingest's HLS, a
simulated stream's test pattern), where PutMetadata goes, and the recordings of real ingests.

The backend decides what a stream and a recording are (their states and events); this room makes
what players fetch and what lands in ``--recordings-dir``, and follows the backend's decisions.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Callable, Coroutine
from datetime import datetime
from pathlib import Path
from typing import Any

from ivs_async.testing._backend import IvsBackend, Json, default_ingest_configuration, parse_time
from ivs_async.testing._delivery import Delivery, LiveMedia, Rendition
from ivs_async.testing._hls import HlsPackager, find_ffmpeg, remove_stale_folders
from ivs_async.testing._pattern import SimulatedStream, shared_pattern
from ivs_async.testing._recordings import RecordingWriter, finish_abandoned
from ivs_async.testing._rtmp import IngestHooks, ingest_configuration

_log = logging.getLogger("ivs_async.testing")
_SETTLE_EVERY = 0.5  # seconds between looks at recordings whose reconnect window may have passed
_NO_FFMPEG = (
    "the stream is live, but ivs-local makes no media without ffmpeg: pip install 'ivs-async[media]' "
    "(or set IVS_LOCAL_FFMPEG)"
)


class Broadcasts:
    """The media side of one emulator's live streams."""

    def __init__(
        self,
        backend: IvsBackend,
        *,
        clock: Callable[[], datetime],
        recordings_dir: Path | None,
        persist: Callable[[], None],
    ) -> None:
        self._backend = backend
        self._clock = clock
        self._recordings_dir = recordings_dir
        self._persist = persist
        self.media: dict[str, LiveMedia] = {}  # channel ARN -> the media of its live (or last) stream
        self.delivery = Delivery(backend, self.media.get)
        self._writers: dict[str, RecordingWriter] = {}  # channel ARN -> its open recording's files
        self._stopping: dict[str, asyncio.Task[None]] = {}  # channel ARN -> its ingest's packager ending
        self._tasks: set[asyncio.Future[None]] = set()
        self._settler: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._ffmpeg: str | None = None
        self._looked_for_ffmpeg = False
        self._lock = threading.Lock()
        backend.metadata_listener = self._timed_metadata
        backend.recording_listener = self._recording_ended

    def hooks(self) -> IngestHooks:
        """What an RTMP ingest needs of the emulator."""
        backend = self._backend
        return IngestHooks(
            channel_for_key=backend.channel_for_stream_key,
            start=self._start_ingest,
            end=self._end_ingest,
            current=backend.live_stream_id,
            describe=self._describe_ingest,
            media=self._ingest_media,
        )

    @property
    def recordings_dir(self) -> Path | None:
        return self._recordings_dir

    def ffmpeg(self) -> str | None:
        with self._lock:
            if not self._looked_for_ffmpeg:
                self._ffmpeg, self._looked_for_ffmpeg = find_ffmpeg(), True
            return self._ffmpeg

    # -- serving ------------------------------------------------------------------------------------

    def start(self) -> None:
        """In the emulator's event loop: recordings whose reconnect window passes are ended on time;
        what an earlier run left (its encoders' streams, ffmpeg's folders) is ended and removed."""
        self._loop = asyncio.get_running_loop()
        self._settler = asyncio.ensure_future(self._settle_forever())
        remove_stale_folders()
        if self._backend.end_abandoned_ingests():
            self._persist()

    async def _settle_forever(self) -> None:
        while True:
            await asyncio.sleep(_SETTLE_EVERY)
            self._backend.settle()

    async def stop(self) -> None:
        """Every ingest's HLS ends and every open recording is finished."""
        if self._settler is not None:
            self._settler.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._settler
            self._settler = None
        for channel_arn, media in list(self.media.items()):
            if isinstance(media, HlsPackager):
                self._stop_packager(channel_arn, media)
        for channel_arn, writer in list(self._writers.items()):
            del self._writers[channel_arn]
            self._spawn(self._finish_recording(channel_arn, writer, failed=False))
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        self.media.clear()
        self._loop = None

    def reset(self) -> None:
        """The backend forgot every stream: simulated media goes (ingests end on their own)."""
        for channel_arn, media in list(self.media.items()):
            if not isinstance(media, HlsPackager):
                self.media.pop(channel_arn, None)

    def _spawn(self, work: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    # -- simulated streams --------------------------------------------------------------------------

    def simulated(self, channel_arn: str, stream_id: str) -> None:
        """A simulated stream started: it plays the test pattern (made by ffmpeg, once)."""
        ffmpeg = self.ffmpeg()
        if ffmpeg is None:
            self.delivery.no_media_reason = _NO_FFMPEG
            self.media.pop(channel_arn, None)
            return
        pattern = shared_pattern(ffmpeg)
        pattern.start()
        self.media[channel_arn] = SimulatedStream(pattern, stream_id)

    def ended(self, channel_arn: str) -> None:
        """A simulated stream ended (an ingest's media ends with its connection)."""
        if not isinstance(self.media.get(channel_arn), HlsPackager):
            self.media.pop(channel_arn, None)

    def playable(self, channel_arn: str, stream_id: str) -> tuple[bool, str]:
        """Whether the stream's playback URL serves a playlist now; if not, why ("" while it starts)."""
        media = self.media.get(channel_arn)
        if media is None or media.stream_id != stream_id:
            return False, self.delivery.no_media_reason
        return bool(media.renditions()), media.problem

    def recording_files(self, bucket: str, prefix: str, *, limit: int = 500) -> list[tuple[str, int]] | None:
        """The files of a recording under ``--recordings-dir`` (path in the recording, size), at
        most ``limit``; None when recordings are not written. File I/O: call from a worker thread."""
        folder = self._folder_of({"bucket": bucket, "prefix": prefix})
        if folder is None:
            return None
        found: list[tuple[str, int]] = []
        for path in sorted(folder.rglob("*")) if folder.is_dir() else []:
            with contextlib.suppress(OSError):  # a file ffmpeg is replacing right now
                if path.is_file() and not path.name.startswith("."):
                    found.append((path.relative_to(folder).as_posix(), path.stat().st_size))
            if len(found) >= limit:
                break
        return found

    def _timed_metadata(self, channel_arn: str, stream_id: str, payload: str) -> None:
        media = self.media.get(channel_arn)
        if media is not None and media.stream_id == stream_id:
            media.timed_metadata(payload)

    # -- RTMP ingests -------------------------------------------------------------------------------

    def _start_ingest(self, channel_arn: str, metadata: dict[str, Any]) -> str:
        ingest = ingest_configuration(metadata, default_ingest_configuration())
        stream_id = self._backend.start_stream(channel_arn, ingest=ingest)
        self._persist()
        ffmpeg = self.ffmpeg()
        if ffmpeg is None:
            return stream_id
        packager = HlsPackager(ffmpeg, stream_id)
        self.media[channel_arn] = packager
        writer = self._recording_for(channel_arn, stream_id)
        if writer is not None:
            packager.video_outputs = writer.thumbnail_outputs

            async def record(path: Path, duration: float, rendition: Rendition) -> None:
                has_video = (packager.tracks() or (True, True))[0]
                await asyncio.to_thread(writer.add, path, duration, rendition, has_video)
                if writer.failed:
                    self._backend.fail_recording(channel_arn, writer.folder.name)

            packager.on_segment = record
        return stream_id

    def _recording_for(self, channel_arn: str, stream_id: str) -> RecordingWriter | None:
        """The files of the recording this stream is part of, when recordings are written."""
        recording = self._backend.recording_of(channel_arn)
        if self._recordings_dir is None or recording is None or stream_id not in recording["streamIds"]:
            return None
        writer = self._writers.get(channel_arn)
        if writer is not None and writer.folder.name == recording["recordingId"]:
            writer.join()
            return writer
        folder = self._folder_of(recording)
        if folder is None:
            return None
        writer = RecordingWriter(folder, channel_arn, parse_time(recording["startedAt"]), recording["configuration"])
        writer.start()
        if writer.failed:
            self._backend.fail_recording(channel_arn, recording["recordingId"])
            return None
        self._writers[channel_arn] = writer
        return writer

    def _folder_of(self, recording: Json) -> Path | None:
        """Where a recording's files go: under --recordings-dir, or nowhere."""
        if self._recordings_dir is None:
            return None
        root = self._recordings_dir.resolve()
        folder: Path = (root / str(recording["bucket"]) / str(recording["prefix"])).resolve()
        if not folder.is_relative_to(root) or folder == root:
            _log.warning("ivs-local: a recording outside --recordings-dir is not written (%s)", recording["bucket"])
            return None
        return folder

    def _ingest_media(self, channel_arn: str, kind: int, timestamp: int, payload: bytes) -> None:
        media = self.media.get(channel_arn)
        if isinstance(media, HlsPackager):
            media.media(kind, timestamp, payload)

    def _describe_ingest(self, channel_arn: str, stream_id: str, metadata: dict[str, Any]) -> None:
        ingest = ingest_configuration(metadata, default_ingest_configuration())
        self._backend.set_ingest(channel_arn, stream_id, ingest)
        self._persist()
        media = self.media.get(channel_arn)
        if isinstance(media, HlsPackager) and media.stream_id == stream_id:
            media.describe(metadata)

    def _end_ingest(self, channel_arn: str, stream_id: str) -> None:
        if self._backend.live_stream_id(channel_arn) == stream_id:
            self._backend.end_stream(channel_arn)
            self._persist()
        media = self.media.get(channel_arn)
        if isinstance(media, HlsPackager) and media.stream_id == stream_id:
            self._stop_packager(channel_arn, media)

    def _stop_packager(self, channel_arn: str, packager: HlsPackager) -> None:
        async def stop() -> None:
            try:
                await packager.stop()  # its last segments still reach the recording
            finally:
                if self.media.get(channel_arn) is packager:
                    del self.media[channel_arn]
                packager.remove()

        self._stopping[channel_arn] = self._spawn(stop())

    # -- recordings ---------------------------------------------------------------------------------

    def _recording_ended(self, channel_arn: str, recording: Json) -> None:
        """The backend ended a recording (from whichever thread changed the state)."""
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        loop.call_soon_threadsafe(self._finish_soon, channel_arn, recording)

    def _finish_soon(self, channel_arn: str, recording: Json) -> None:
        writer = self._writers.get(channel_arn)
        if writer is None or writer.folder.name != recording["recordingId"]:
            folder = self._folder_of(recording)
            if folder is not None:  # a recording of an earlier run: its files end as they are
                self._spawn(self._finish_abandoned(folder))
            return
        del self._writers[channel_arn]
        self._spawn(self._finish_recording(channel_arn, writer, failed=bool(recording.get("failed"))))

    async def _finish_abandoned(self, folder: Path) -> None:
        await asyncio.to_thread(finish_abandoned, folder, self._clock())

    async def _finish_recording(self, channel_arn: str, writer: RecordingWriter, *, failed: bool) -> None:
        stopping = self._stopping.get(channel_arn)
        if stopping is not None:
            with contextlib.suppress(Exception):
                await asyncio.shield(stopping)  # the last segments are in before the playlists close
        await asyncio.to_thread(writer.finish, self._clock(), failed=failed)

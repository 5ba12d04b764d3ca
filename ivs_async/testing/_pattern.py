"""The picture of a simulated stream: a test pattern any player decodes, in three renditions.

ffmpeg makes 8 seconds of it once per process (about 3 s of CPU, 3.4 MB kept in memory), the first
time a simulated stream starts; a live stream then plays it in a loop, each pass's timestamps and
continuity counters moved on so that a player sees one continuous stream. Eight seconds hold whole
numbers of 30 fps frames and of 1024-sample AAC frames at 48 kHz, so the loop has no seam.
"""

from __future__ import annotations

import atexit
import logging
import os
import shutil
import subprocess
import tempfile
import threading
import time
from collections import OrderedDict
from pathlib import Path

from ivs_async.testing import _ts
from ivs_async.testing._delivery import Rendition
from ivs_async.testing._id3 import id3_tag, insert_timed_id3

_log = logging.getLogger("ivs_async.testing")
SEGMENT_SECONDS = 2
LOOP_SEGMENTS = 4
LOOP_TICKS = LOOP_SEGMENTS * SEGMENT_SECONDS * 90_000
_MAX_SEGMENT_BYTES = 8 * 1024 * 1024
_MAKE_TIMEOUT = 120.0
# The AAC encoder adds a frame of priming samples: one frame less of sound makes the loop's audio
# exactly as long as its video.
_AAC_PRIMING = 1024 / 48_000
_KEPT_SEGMENTS = 24  # recently served (rendition, number) segments, for viewers fetching the same ones
# A simulated stream starts with this many segments behind it, as if its encoder had been on a while:
# a player joining at once has the three segments it starts behind the live edge with.
PREROLL_SEGMENTS = 3
WINDOW_SEGMENTS = 5  # what a variant playlist lists
_KEPT_TAGGED = 32  # segments whose timed metadata is kept
_MAX_TAGS_PER_SEGMENT = 64  # PutMetadata allows 5 a second per channel: 10 per segment


# Best first, as IVS's multivariant playlists list them; names as IVS names renditions.
_LADDER = (("1080p30", 1920, 1080, 1_500_000), ("720p30", 1280, 720, 900_000), ("480p30", 852, 480, 500_000))


_PATTERNS: dict[str, TestPattern] = {}
_PATTERNS_LOCK = threading.Lock()


def shared_pattern(ffmpeg: str) -> TestPattern:
    """The test pattern of this ffmpeg binary: one per process, shared by every emulator in it (it is
    made once, never changes, and costs seconds of CPU to make)."""
    with _PATTERNS_LOCK:
        found = _PATTERNS.get(ffmpeg)
        if found is None:
            found = _PATTERNS[ffmpeg] = TestPattern(ffmpeg)
        return found


class TestPattern:
    """The looping test pattern of one ffmpeg binary: ``start()`` makes it in a thread."""

    __test__ = False  # not a pytest test class, whatever its name

    def __init__(self, ffmpeg: str) -> None:
        self._ffmpeg = ffmpeg
        self._lock = threading.Lock()
        self._started = False
        self.problem = ""  # why the pattern could not be made
        self.renditions: tuple[Rendition, ...] = ()
        self._segments: dict[str, list[bytes]] = {}
        self._counts: dict[str, dict[int, int]] = {}  # per rendition: packets per PID in one loop

    @property
    def ready(self) -> bool:
        return bool(self.renditions)

    def start(self) -> None:
        """Make the pattern in a thread of its own, once."""
        with self._lock:
            if self._started:
                return
            self._started = True
        threading.Thread(target=self._make, name="ivs-local-test-pattern", daemon=True).start()

    def segment(self, rendition: str, number: int) -> bytes | None:
        """Segment ``number`` (0, 1, ...) of the endless stream of ``rendition``."""
        segments = self._segments.get(rendition)
        if segments is None or number < 0:
            return None
        loops, index = divmod(number, LOOP_SEGMENTS)
        counters = {pid: (loops * count) % 16 for pid, count in self._counts[rendition].items()}
        return _ts.shifted(segments[index], loops * LOOP_TICKS, counters)

    def _make(self) -> None:
        try:
            segments = self._run_ffmpeg()
        except (OSError, subprocess.SubprocessError, ValueError) as exc:
            self.problem = f"the stream is live, but ivs-local could not make its test pattern with ffmpeg ({exc})"
            _log.warning("ivs-local could not make the test pattern of simulated streams: %s", exc)
            return
        renditions = []
        for name, width, height, _ in _LADDER:
            video = _avc_codec(segments[name][0])
            codecs = f"{video},mp4a.40.2" if video else None
            # The peak rate of its segments, as HLS defines BANDWIDTH (with room for the timed metadata).
            peak = max(len(segment) * 8 // SEGMENT_SECONDS for segment in segments[name]) * 102 // 100
            renditions.append(Rendition(name, width, height, 30.0, peak, codecs))
            counts: dict[int, int] = {}
            for segment in segments[name]:
                for pid, count in _ts.continuity_counts(segment).items():
                    counts[pid] = counts.get(pid, 0) + count
            self._counts[name] = counts
        self._segments = segments
        self.renditions = tuple(renditions)  # last: ready from here on

    def _run_ffmpeg(self) -> dict[str, list[bytes]]:
        seconds = LOOP_SEGMENTS * SEGMENT_SECONDS
        scales = "".join(f"[v{i}]scale={w}:{h}[s{i}];" for i, (_, w, h, _) in enumerate(_LADDER))
        graph = f"[0:v]split={len(_LADDER)}" + "".join(f"[v{i}]" for i in range(len(_LADDER))) + ";" + scales
        folder = tempfile.mkdtemp(prefix=f"ivs-local-pattern-{os.getpid()}-")
        try:
            outputs: list[str] = []
            for i, (name, _, _, bandwidth) in enumerate(_LADDER):
                outputs += [
                    "-map", f"[s{i}]", "-map", "1:a",
                    "-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency", "-pix_fmt", "yuv420p",
                    "-g", "60", "-keyint_min", "60", "-sc_threshold", "0", "-b:v", str(bandwidth * 9 // 10),
                    "-c:a", "aac", "-b:a", "96k",
                    "-f", "hls", "-hls_time", str(SEGMENT_SECONDS), "-hls_list_size", "0",
                    "-hls_segment_filename", f"{folder}/{name}_%d.ts", f"{folder}/{name}.m3u8",
                ]  # fmt: skip
            process = subprocess.Popen(
                [
                    self._ffmpeg, "-hide_banner", "-loglevel", "quiet", "-nostdin",
                    "-f", "lavfi", "-i", f"testsrc2=size=640x360:rate=30:duration={seconds}",
                    "-f", "lavfi", "-i", f"sine=frequency=440:sample_rate=48000:duration={seconds - _AAC_PRIMING}",
                    "-filter_complex", graph.rstrip(";"), *outputs,
                ],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )  # fmt: skip

            def stop_at_exit() -> None:  # a process ending meanwhile leaves no ffmpeg and no folder behind
                process.kill()
                shutil.rmtree(folder, ignore_errors=True)

            atexit.register(stop_at_exit)
            try:
                code = process.wait(timeout=_MAKE_TIMEOUT)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
                raise ValueError(f"ffmpeg did not finish in {_MAKE_TIMEOUT:.0f} s") from None
            finally:
                atexit.unregister(stop_at_exit)
            if code:
                raise ValueError(f"ffmpeg exited with status {code}")
            found: dict[str, list[bytes]] = {}
            for name, *_ in _LADDER:
                files = [Path(folder) / f"{name}_{i}.ts" for i in range(LOOP_SEGMENTS)]
                if any(not f.is_file() or f.stat().st_size > _MAX_SEGMENT_BYTES for f in files):
                    raise ValueError(f"ffmpeg did not write {LOOP_SEGMENTS} segments of {name}")
                found[name] = [f.read_bytes() for f in files]
            return found
        finally:
            shutil.rmtree(folder, ignore_errors=True)


def _avc_codec(segment: bytes) -> str | None:
    """``avc1.PPCCLL`` from the first sequence parameter set of the segment's H.264 stream."""
    packets = _ts.split(segment)
    if packets is None:
        return None
    pmt_pid = _ts.pmt_pid(packets)
    video = None
    for packet in packets:
        if _ts.pid(packet) == pmt_pid:
            streams = _ts.pmt_streams(packet) or []
            video = next((pid for kind, pid in streams if kind == 0x1B), None)
            break
    data = b"".join(_ts.payload(p) or b"" for p in packets[:200] if _ts.pid(p) == video)
    start = data.find(b"\x00\x00\x01\x67")
    if video is None or start < 0 or start + 7 > len(data):
        return None
    profile, constraints, level = data[start + 4 : start + 7]
    return f"avc1.{profile:02X}{constraints:02X}{level:02X}"


class SimulatedStream:
    """The media of a simulated stream: the test pattern, live since the stream started, with the
    timed metadata sent to it. Its clock is the machine's, not the emulator's (which tests may stop)."""

    def __init__(self, pattern: TestPattern, stream_id: str, *, now: float | None = None) -> None:
        self.stream_id = stream_id
        self._pattern = pattern
        self._began = (time.monotonic() if now is None else now) - PREROLL_SEGMENTS * SEGMENT_SECONDS
        self._tags: dict[int, list[tuple[float, bytes]]] = {}  # segment number -> (offset s, ID3 tag)
        self._served: OrderedDict[tuple[str, int], bytes] = OrderedDict()

    def renditions(self) -> tuple[Rendition, ...]:
        return self._pattern.renditions

    @property
    def problem(self) -> str:
        return self._pattern.problem

    def window(self) -> tuple[int, list[float]]:
        """The first listed segment's number and the durations of those listed: the finished ones."""
        finished = int(self._elapsed() // SEGMENT_SECONDS)
        first = max(0, finished - WINDOW_SEGMENTS)
        return first, [float(SEGMENT_SECONDS)] * (finished - first)

    def segment(self, rendition: str, number: int) -> bytes | None:
        if number >= int(self._elapsed() // SEGMENT_SECONDS):
            return None  # not finished: no playlist has listed it
        key = (rendition, number)
        found = self._served.get(key)
        if found is None:
            base = self._pattern.segment(rendition, number)
            if base is None:
                return None
            found = insert_timed_id3(base, self._tags.get(number, []))
            self._served[key] = found
            while len(self._served) > _KEPT_SEGMENTS:
                self._served.popitem(last=False)
        return found

    def timed_metadata(self, text: str) -> None:
        """PutMetadata, at the live edge: in the segment being made, which no playlist lists yet."""
        elapsed = self._elapsed()
        number = int(elapsed // SEGMENT_SECONDS)
        tags = self._tags.setdefault(number, [])
        if len(tags) < _MAX_TAGS_PER_SEGMENT:
            tags.append((elapsed - number * SEGMENT_SECONDS, id3_tag(text)))
        for old in [n for n in self._tags if n < number - _KEPT_TAGGED]:
            del self._tags[old]

    def _elapsed(self) -> float:
        return time.monotonic() - self._began

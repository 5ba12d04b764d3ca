"""The emulator's MPEG-TS and playlist readers: the looping test pattern is one seamless stream,
and no bytes or text make the readers raise."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ivs_async.testing import _ts
from ivs_async.testing._hls import _segments_of, find_ffmpeg
from ivs_async.testing._pattern import LOOP_SEGMENTS, LOOP_TICKS, TestPattern, _avc_codec
from tests.emulator.media import FFMPEG


@pytest.fixture(scope="module")
def pattern() -> TestPattern:
    ffmpeg = find_ffmpeg()
    assert ffmpeg is not None
    made = TestPattern(ffmpeg)
    made.start()
    deadline = time.monotonic() + 120
    while not made.ready:
        assert not made.problem and time.monotonic() < deadline
        time.sleep(0.05)
    return made


def test_the_pattern_loops_as_one_continuous_stream(pattern: TestPattern, tmp_path: Path) -> None:
    assert [r.name for r in pattern.renditions] == ["1080p30", "720p30", "480p30"]
    assert all((r.codecs or "").startswith("avc1.42") for r in pattern.renditions)
    stream = tmp_path / "three-loops.ts"
    stream.write_bytes(b"".join(pattern.segment("480p30", n) or b"" for n in range(3 * LOOP_SEGMENTS)))
    decoded = subprocess.run(
        [FFMPEG, "-hide_banner", "-i", str(stream), "-f", "null", "-"], capture_output=True, text=True, timeout=60
    )
    assert decoded.returncode == 0, decoded.stderr[-500:]
    assert "non monotonically increasing" not in decoded.stderr  # no seam where a loop starts again
    assert "Duration: 00:00:24.0" in decoded.stderr
    # The second loop is the first one, LOOP_TICKS later.
    first, again = pattern.segment("480p30", 0), pattern.segment("480p30", LOOP_SEGMENTS)
    assert first is not None and again is not None and len(first) == len(again)
    packets = _ts.split(first)
    assert packets is not None
    pids = {pid for _, pid in _ts.pmt_streams(next(p for p in packets if _ts.pid(p) == 4096)) or []}
    assert _ts.first_pts(_ts.split(again) or [], pids) == (_ts.first_pts(packets, pids) or 0) + LOOP_TICKS


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_a_shift_reads_back_as_itself_moved(pattern: TestPattern, data: st.DataObject) -> None:
    segment = pattern.segment("480p30", 1)
    assert segment is not None
    ticks = data.draw(st.integers(0, _ts.PTS_WRAP - 1))
    moved = _ts.shifted(segment, ticks, {})
    assert moved is not None and len(moved) == len(segment)
    packets, shifted_packets = _ts.split(segment), _ts.split(moved)
    assert packets is not None and shifted_packets is not None
    pids = {256, 257}
    before, after = _ts.first_pts(packets, pids), _ts.first_pts(shifted_packets, pids)
    assert before is not None and after == (before + ticks) % _ts.PTS_WRAP
    back = _ts.shifted(moved, _ts.PTS_WRAP - ticks, {})
    assert back == segment


@settings(max_examples=300, deadline=None)
@given(blob=st.binary(max_size=188 * 6), ticks=st.integers(0, _ts.PTS_WRAP), counter=st.integers(0, 15))
def test_any_bytes_shift_or_are_refused_without_raising(blob: bytes, ticks: int, counter: int) -> None:
    moved = _ts.shifted(blob, ticks, dict.fromkeys(range(0, 0x2000, 97), counter))
    assert moved is None or len(moved) == len(blob)
    assert _avc_codec(blob) is None or _avc_codec(blob).startswith("avc1.")  # type: ignore[union-attr]
    _ts.first_pts(_ts.split(blob) or [], {256, 257})


@given(st.text(max_size=2000))
def test_any_text_as_ffmpegs_playlist_reads_as_a_list_of_segments(text: str) -> None:
    found = _segments_of(text)
    assert all(isinstance(number, int) and isinstance(duration, float) for number, duration in found)
    assert [n for n, _ in found] == sorted({n for n, _ in found})


def test_ffmpegs_playlist_gives_numbers_and_durations() -> None:
    playlist = "#EXTM3U\n#EXT-X-MEDIA-SEQUENCE:41\n#EXTINF:2.002,\nseg000041.ts\n#EXTINF:1.5,\nseg000042.ts\n"
    assert _segments_of(playlist) == [(41, 2.002), (42, 1.5)]

"""PutMetadata as IVS delivers it: timed ID3 tags inside the HLS segments of a live ingest."""

from __future__ import annotations

import asyncio
import re
import subprocess
from pathlib import Path

import aiohttp
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ivs_async import Ivs
from ivs_async.testing import LocalIvs
from ivs_async.testing._id3 import id3_tag, insert_timed_id3
from tests.emulator.media import FFMPEG, publish, stop, timed_id3_of, until


@pytest.fixture(scope="module")
def segment(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """Two seconds of H.264 and AAC in MPEG-TS, as ffmpeg's HLS muxer cuts them."""
    path = tmp_path_factory.mktemp("ts") / "segment.ts"
    subprocess.run(
        [
            FFMPEG, "-hide_banner", "-loglevel", "error",
            "-f", "lavfi", "-i", "testsrc=size=160x90:rate=25", "-f", "lavfi", "-i", "sine",
            "-t", "2", "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac", "-f", "mpegts", str(path),
        ],
        check=True,
        timeout=60,
    )  # fmt: skip
    return path.read_bytes()


def test_tags_become_a_timed_id3_stream_that_ffmpeg_reads(segment: bytes, tmp_path: Path) -> None:
    first, second = id3_tag("score: 2-1 ü"), id3_tag('{"question": 7}')
    out = insert_timed_id3(segment, [(0.5, first), (1.25, second)])
    assert len(out) % 188 == 0 and len(out) > len(segment)
    streams, payloads = timed_id3_of(out, tmp_path)
    data = [s for s in streams if "Data: timed_id3" in s]
    assert len(data) == 1
    video = next(s for s in streams if "Video:" in s)
    start = lambda line: float(re.search(r"start (\d+\.\d+)", line).group(1))  # noqa: E731
    assert start(data[0]) == pytest.approx(start(video) + 0.5, abs=0.001)
    assert payloads == first + second
    assert first.startswith(b"ID3\x04") and "score: 2-1 ü".encode() in first and b"TXXX" in first
    decoded = subprocess.run(
        [FFMPEG, "-hide_banner", "-loglevel", "error", "-f", "mpegts", "-i", "-", "-f", "null", "-"],
        input=out,
        capture_output=True,
        timeout=60,
    )
    assert decoded.returncode == 0, decoded.stderr[-300:]
    assert insert_timed_id3(out, [(0.0, first)]) == out  # already has a metadata stream: left alone


def test_nothing_to_add_or_not_a_transport_stream_is_left_as_is(segment: bytes) -> None:
    assert insert_timed_id3(segment, []) == segment
    assert insert_timed_id3(b"<html>not ts</html>", [(0.0, id3_tag("x"))]) == b"<html>not ts</html>"
    assert insert_timed_id3(segment[:-1], [(0.0, id3_tag("x"))]) == segment[:-1]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_damage_to_a_segment_never_raises(segment: bytes, data: st.DataObject) -> None:
    damaged = bytearray(segment[: 188 * data.draw(st.integers(1, 40))])
    for _ in range(data.draw(st.integers(1, 30))):
        damaged[data.draw(st.integers(0, len(damaged) - 1))] = data.draw(st.integers(0, 255))
    text = data.draw(st.text(max_size=300))
    out = insert_timed_id3(bytes(damaged), [(data.draw(st.floats(-5, 5)), id3_tag(text))])
    assert out == bytes(damaged) or (len(out) % 188 == 0 and len(out) > len(damaged))


@given(blob=st.binary(max_size=188 * 4))
def test_any_bytes_never_raise(blob: bytes) -> None:
    out = insert_timed_id3(blob, [(0.0, id3_tag("x"))])
    assert isinstance(out, bytes)


async def test_put_metadata_reaches_the_live_segments(emulator: tuple[LocalIvs, Ivs], tmp_path: Path) -> None:
    ivs, client = emulator
    created = await client.create_channel(name="with-metadata")
    assert created.channel is not None and created.channel.arn and created.channel.playback_url
    assert created.stream_key is not None and created.stream_key.value
    encoder = await publish(ivs.rtmp_url + created.stream_key.value)
    try:
        async with aiohttp.ClientSession() as http:

            async def media_playlist() -> str | None:
                async with http.get(created.channel.playback_url) as response:  # type: ignore[union-attr]
                    master = await response.text()
                if "/_ivs_local/hls/" not in master:
                    return None
                return ivs.endpoint + master.strip().splitlines()[-1]

            async def live() -> bool:
                return ivs.is_live(created.channel.arn) and await media_playlist() is not None  # type: ignore[union-attr]

            await until(live, seconds=20)
            await client.put_metadata(channel_arn=created.channel.arn, metadata="quiz: question 3")
            found: list[bytes] = []

            async def tagged_segment() -> bool:
                url = await media_playlist()
                assert url is not None
                async with http.get(url) as response:
                    listed = [line for line in (await response.text()).splitlines() if line.endswith(".ts")]
                for name in listed:
                    async with http.get(url.rsplit("/", 1)[0] + "/" + name) as response:
                        body = await response.read()
                    streams, payloads = await asyncio.to_thread(timed_id3_of, body, tmp_path)
                    if payloads:
                        assert any("Data: timed_id3" in s for s in streams)
                        found.append(payloads)
                        return True
                return False

            await until(tagged_segment, seconds=20)
        assert found[0] == id3_tag("quiz: question 3")
    finally:
        await stop(encoder)

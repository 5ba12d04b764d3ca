"""PutMetadata as IVS delivers it: timed ID3 tags inside the HLS segments of a live ingest."""

from __future__ import annotations

import asyncio
import re
import subprocess
from collections.abc import Awaitable, Callable
from pathlib import Path

import aiohttp
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ivs_async import Ivs
from ivs_async.testing import LocalIvs
from ivs_async.testing._id3 import id3_tag, insert_timed_id3
from tests.emulator.media import FFMPEG, playable_variant, publish, stop, timed_id3_of
from tests.emulator.viewer import Viewer


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


def test_a_segment_without_tags_declares_the_metadata_stream_all_the_same(segment: bytes, tmp_path: Path) -> None:
    declared = insert_timed_id3(segment, [])
    streams, payloads = timed_id3_of(declared, tmp_path)
    assert any("Data: timed_id3" in s for s in streams) and payloads == b""
    assert len(declared) == len(segment)  # only the program map changed


def test_not_a_transport_stream_is_left_as_is(segment: bytes) -> None:
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


class LiveEdgePlayer:
    """A player at the live edge: it fetches each segment as soon as a playlist lists it, and keeps
    the timed metadata it finds, by segment."""

    def __init__(self, viewer: Viewer, variant_url: str, folder: Path) -> None:
        self.viewer, self.variant_url, self.folder = viewer, variant_url, folder
        self.payloads: dict[int, bytes] = {}  # segment number -> its timed ID3 payloads

    async def follow(self) -> set[int]:
        """Fetch what the playlist newly lists; the numbers of every segment fetched so far."""
        playlist = await self.viewer.get(self.variant_url)
        assert playlist.status == 200, playlist.text
        first = Viewer.media_sequence(playlist.text)
        for number, url in enumerate(Viewer.segments(self.variant_url, playlist.text), start=first):
            if number not in self.payloads:
                segment = await self.viewer.get(url)
                assert segment.status == 200, url
                self.payloads[number] = (await asyncio.to_thread(timed_id3_of, segment.body, self.folder))[1]
        return set(self.payloads)


async def every_cue_once_in_order(
    player: LiveEdgePlayer, put: Callable[[str], Awaitable[object]], texts: list[str]
) -> None:
    """Each PutMetadata lands, once, in a segment no playlist had listed when the call was made, in
    the order of the calls: what a player at the live edge needs to fire every cue."""
    listed_before: dict[str, set[int]] = {}
    for text in texts:
        listed_before[text] = await player.follow()
        await put(text)
        await asyncio.sleep(0.7)
    for _ in range(100):
        await player.follow()
        if all(any(id3_tag(t) in p for p in player.payloads.values()) for t in texts):
            break
        await asyncio.sleep(0.1)
    timeline = b"".join(player.payloads[n] for n in sorted(player.payloads))
    assert timeline == b"".join(id3_tag(t) for t in texts)  # each once, in order, nothing else
    for text in texts:
        (number,) = [n for n, p in player.payloads.items() if id3_tag(text) in p]
        assert number not in listed_before[text], (text, number, sorted(listed_before[text]))


async def test_put_metadata_reaches_a_player_at_the_live_edge_of_an_ingest(
    emulator: tuple[LocalIvs, Ivs], tmp_path: Path
) -> None:
    ivs, client = emulator
    created = await client.create_channel(name="with-metadata")
    assert created.channel is not None and created.channel.arn and created.stream_key and created.stream_key.value
    arn = created.channel.arn
    encoder = await publish(ivs.rtmp_url + created.stream_key.value)
    try:
        async with aiohttp.ClientSession() as http:
            variant, _ = await playable_variant(ivs, client, arn, http)
            player = LiveEdgePlayer(Viewer(http), variant.url, tmp_path)
            texts = ["quiz: question 1", '{"question": 2}', "quiz: question 3 ü"]
            await every_cue_once_in_order(player, lambda t: client.put_metadata(channel_arn=arn, metadata=t), texts)
    finally:
        await stop(encoder)


async def test_put_metadata_reaches_a_player_of_a_simulated_stream(
    ivs: Ivs, ivs_emulator: LocalIvs, tmp_path: Path
) -> None:
    created = await ivs.create_channel(name="simulated")
    assert created.channel is not None and created.channel.arn and created.channel.playback_url
    arn = created.channel.arn
    ivs_emulator.start_stream(arn)
    async with aiohttp.ClientSession() as http:
        variant, _ = await Viewer(http).first_variant(created.channel.playback_url)
        player = LiveEdgePlayer(Viewer(http), variant.url, tmp_path)
        texts = ["first", "second", "third"]
        await every_cue_once_in_order(player, lambda t: ivs.put_metadata(channel_arn=arn, metadata=t), texts)

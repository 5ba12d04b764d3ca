"""Recordings as IVS writes them: the layout and documents of the IVS User Guide ("IVS Auto-Record
to Amazon S3"), a recording id of its own, and streams that reconnect within the configuration's
window joining the same recording."""

from __future__ import annotations

import asyncio
import itertools
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from ivs_async import Ivs
from ivs_async.testing import LocalIvs
from ivs_async.testing._id3 import id3_tag
from tests.emulator.media import byte_ranges, decodes, publish, stop, timed_id3_of, until


async def recording_channel(client: Ivs, **configuration: Any) -> tuple[str, str]:
    """A channel recording to the bucket "my-recordings": its ARN and stream key."""
    recording = await client.create_recording_configuration(
        destination_configuration={"s3": {"bucket_name": "my-recordings"}}, **configuration
    )
    assert recording.recording_configuration is not None and recording.recording_configuration.arn
    created = await client.create_channel(
        name="recorded", recording_configuration_arn=recording.recording_configuration.arn
    )
    assert created.channel is not None and created.channel.arn and created.stream_key and created.stream_key.value
    return created.channel.arn, created.stream_key.value


def recording_events(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [e["detail"] for e in events if e["detail-type"] == "IVS Recording State Change"]


async def test_a_recording_is_laid_out_and_described_as_ivs_documents(tmp_path: Path) -> None:
    async with LocalIvs(rtmp_port=0, recordings_dir=tmp_path) as ivs, ivs.aggregated_client() as client:
        arn, key = await recording_channel(
            client,
            thumbnail_configuration={
                "recording_mode": "INTERVAL",
                "target_interval_seconds": 2,
                "storage": ["SEQUENTIAL", "LATEST"],
                "resolution": "LOWEST_RESOLUTION",
            },
        )
        events: list[dict[str, Any]] = []
        ivs.subscribe(events.append)
        encoder = await publish(ivs.rtmp_url + key, seconds=13)
        try:
            await until(lambda: asyncio.sleep(0, result=ivs.is_live(arn)))
            await asyncio.sleep(3)
            await client.put_metadata(channel_arn=arn, metadata="recorded cue")
            await asyncio.wait_for(encoder.wait(), 30)
        finally:
            await stop(encoder)
        await until(lambda: asyncio.sleep(0, result=any(tmp_path.rglob("recording-ended.json"))), seconds=20)
    stream_id = next(e["detail"]["stream_id"] for e in events if e["detail"].get("event_name") == "Stream Start")
    recorded = recording_events(events)
    assert [d["recording_status"] for d in recorded] == ["Recording Start", "Recording End"]
    prefix = recorded[0]["recording_s3_key_prefix"]
    assert all(d["recording_s3_key_prefix"] == prefix for d in recorded)
    assert all(d["recording_session_stream_ids"] == [stream_id] for d in recorded)
    recording_id = prefix.rsplit("/", 1)[1]
    assert prefix.startswith(f"ivs/v1/{ivs.account_id}/{arn.rsplit('/', 1)[1]}/")
    assert len(recording_id) == 12 and recording_id not in (stream_id, recorded[0]["recording_session_id"])
    folder = tmp_path / "my-recordings" / prefix
    started = json.loads((folder / "events" / "recording-started.json").read_text())
    ended = json.loads((folder / "events" / "recording-ended.json").read_text())
    assert not (folder / "events" / "recording-failed.json").exists()
    # Exactly the fields of IVS's documents.
    assert list(started) == ["version", "channel_arn", "recording_started_at", "recording_status", "media"]
    assert list(ended) == [
        "version", "channel_arn", "recording_ended_at", "recording_started_at", "recording_status", "media"
    ]  # fmt: skip
    assert (started["recording_status"], ended["recording_status"]) == ("RECORDING_STARTED", "RECORDING_ENDED")
    assert started["channel_arn"] == ended["channel_arn"] == arn
    assert list(ended["media"]) == ["hls", "thumbnails", "latest_thumbnail"]
    hls = ended["media"]["hls"]
    assert list(hls) == ["duration_ms", "path", "playlist", "byte_range_playlist", "renditions"]
    assert (hls["path"], hls["playlist"], hls["byte_range_playlist"]) == (
        "media/hls",
        "master.m3u8",
        "byte-range-multivariant.m3u8",
    )
    assert 10_000 <= hls["duration_ms"] <= 14_000
    (rendition,) = hls["renditions"]
    assert rendition == {
        "path": "360p25",
        "playlist": "playlist.m3u8",
        "byte_range_playlist": "byte-range-variant.m3u8",
        "resolution_height": 360,
        "resolution_width": 640,
    }
    thumbnail_size = {"resolution_height": 160, "resolution_width": 284}
    assert ended["media"]["thumbnails"] == {"path": "media/thumbnails", **thumbnail_size}
    assert ended["media"]["latest_thumbnail"] == {"path": "media/latest_thumbnail/thumb.jpg", **thumbnail_size}
    assert started["media"]["hls"]["renditions"] == [rendition] and "duration_ms" not in started["media"]["hls"]
    # The files: a multivariant playlist, a folder per rendition with 10-second media files, and
    # byte-range playlists whose ranges cover each file exactly.
    media = folder / "media" / "hls"
    assert "360p25/playlist.m3u8" in (media / "master.m3u8").read_text()
    assert "360p25/byte-range-variant.m3u8" in (media / "byte-range-multivariant.m3u8").read_text()
    playlist = (media / "360p25" / "playlist.m3u8").read_text()
    assert playlist.rstrip().endswith("#EXT-X-ENDLIST")
    durations = [float(line[8:].split(",")[0]) for line in playlist.splitlines() if line.startswith("#EXTINF:")]
    assert len(durations) == 2 and durations[0] >= 9.5
    ranges = byte_ranges((media / "360p25" / "byte-range-variant.m3u8").read_text())
    assert len(ranges) >= 5
    for name in {file for file, _, _ in ranges}:
        parts = [(offset, length) for file, offset, length in ranges if file == name]
        assert parts[0][0] == 0 and all(a[0] + a[1] == b[0] for a, b in itertools.pairwise(parts))
        assert parts[-1][0] + parts[-1][1] == (media / "360p25" / name).stat().st_size
    for entry in ("master.m3u8", "byte-range-multivariant.m3u8"):
        streams = await decodes(str(media / entry))
        assert any("Video: h264" in s for s in streams)
    thumbnails = sorted((folder / "media" / "thumbnails").glob("thumb*.jpg"))
    assert 5 <= len(thumbnails) <= 8 and (folder / "media" / "thumbnails" / "thumb0.jpg").exists()
    assert (folder / "media" / "latest_thumbnail" / "thumb.jpg").stat().st_size > 0
    # PutMetadata is in the recording too, once, as timed ID3.
    payloads = [timed_id3_of(p.read_bytes(), tmp_path)[1] for p in sorted((media / "360p25").glob("*.ts"))]
    assert b"".join(payloads) == id3_tag("recorded cue")


async def test_a_stream_within_the_reconnect_window_joins_the_recording_and_delays_its_end() -> None:
    now = [datetime.now(UTC)]  # moved on by the test, less than the signatures allow (5 minutes)
    async with LocalIvs(clock=lambda: now[0]) as ivs, ivs.aggregated_client() as client:
        arn, _ = await recording_channel(client, recording_reconnect_window_seconds=60)
        events: list[dict[str, Any]] = []
        ivs.subscribe(events.append)
        first = ivs.start_stream(arn)
        now[0] += timedelta(seconds=30)
        ivs.end_stream(arn)
        assert [d["recording_status"] for d in recording_events(events)] == ["Recording Start"]  # not yet
        now[0] += timedelta(seconds=59)
        second = ivs.start_stream(arn)  # within the window: the same recording
        now[0] += timedelta(seconds=10)
        ivs.end_stream(arn)
        now[0] += timedelta(seconds=59)
        await client.list_channels()
        assert [d["recording_status"] for d in recording_events(events)] == ["Recording Start"]
        now[0] += timedelta(seconds=2)  # the window has passed: the next request sees it
        await client.list_channels()
        start, end = recording_events(events)
        assert end["recording_status"] == "Recording End"
        assert end["recording_s3_key_prefix"] == start["recording_s3_key_prefix"]
        assert end["recording_session_id"] == start["recording_session_id"]
        assert end["recording_session_stream_ids"] == [first, second] and end["stream_id"] == second
        assert end["recording_duration_ms"] == 40_000  # the two streams' time, not the gap
        sessions = {}
        for stream_id in (first, second):
            session = (await client.get_stream_session(channel_arn=arn, stream_id=stream_id)).stream_session
            assert session is not None
            sessions[stream_id] = [e.name for e in session.truncated_events or [] if "Recording" in (e.name or "")]
        assert sessions == {first: ["Recording Start"], second: ["Recording End"]}
        # After the window a stream starts a recording of its own.
        now[0] += timedelta(minutes=5)
        ivs.start_stream(arn)
        third = recording_events(events)[-1]
        assert third["recording_status"] == "Recording Start"
        assert third["recording_s3_key_prefix"] != start["recording_s3_key_prefix"]


async def test_without_a_window_each_stream_is_a_recording_of_its_own() -> None:
    async with LocalIvs() as ivs, ivs.aggregated_client() as client:
        arn, _ = await recording_channel(client)
        events: list[dict[str, Any]] = []
        ivs.subscribe(events.append)
        for _ in range(2):
            ivs.start_stream(arn)
            ivs.end_stream(arn)
        statuses = [(d["recording_status"], d["recording_s3_key_prefix"]) for d in recording_events(events)]
        assert [s for s, _ in statuses] == ["Recording Start", "Recording End"] * 2
        assert statuses[0][1] == statuses[1][1] != statuses[2][1] == statuses[3][1]


async def test_a_reconnecting_encoder_continues_the_recording_files(tmp_path: Path) -> None:
    async with LocalIvs(rtmp_port=0, recordings_dir=tmp_path) as ivs, ivs.aggregated_client() as client:
        arn, key = await recording_channel(client, recording_reconnect_window_seconds=4)
        events: list[dict[str, Any]] = []
        ivs.subscribe(events.append)
        for _ in range(2):
            encoder = await publish(ivs.rtmp_url + key, seconds=5, size="320x180")
            try:
                await until(lambda: asyncio.sleep(0, result=ivs.is_live(arn)))
                await asyncio.wait_for(encoder.wait(), 30)
            finally:
                await stop(encoder)
            await until(lambda: asyncio.sleep(0, result=not ivs.is_live(arn)))
        assert [d["recording_status"] for d in recording_events(events)] == ["Recording Start"]
        await until(lambda: asyncio.sleep(0, result=any(tmp_path.rglob("recording-ended.json"))), seconds=20)
    start, end = recording_events(events)
    assert len(end["recording_session_stream_ids"]) == 2
    folder = tmp_path / "my-recordings" / start["recording_s3_key_prefix"]
    assert [p.name for p in (tmp_path / "my-recordings").rglob("recording-started.json")] == ["recording-started.json"]
    ended = json.loads((folder / "events" / "recording-ended.json").read_text())
    assert 8_000 <= ended["media"]["hls"]["duration_ms"] <= 12_000
    rendition = folder / "media" / "hls" / ended["media"]["hls"]["renditions"][0]["path"]
    for name in ("playlist.m3u8", "byte-range-variant.m3u8"):
        assert (rendition / name).read_text().count("#EXT-X-DISCONTINUITY") == 1
    assert any("Video: h264" in s for s in await decodes(str(folder / "media" / "hls" / "master.m3u8")))

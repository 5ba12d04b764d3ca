"""A real encoder publishing to the emulator's RTMP ingest: ffmpeg (bundled by imageio-ffmpeg)
sends a generated test pattern; the channel goes live with the pattern's properties."""

from __future__ import annotations

import asyncio
import contextlib
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ivs_async import Ivs
from ivs_async.errors import ChannelNotBroadcasting
from ivs_async.testing import LocalIvs
from ivs_async.testing._id3 import id3_tag
from ivs_async.testing._rtmp import RtmpError, amf_decode_all
from tests.emulator.media import FFMPEG, described, publish, stop, timed_id3_of, until


async def test_an_encoder_makes_its_channel_live(emulator: tuple[LocalIvs, Ivs]) -> None:
    ivs, client = emulator
    created = await client.create_channel(name="encoded")
    assert created.channel is not None and created.channel.arn and created.stream_key and created.stream_key.value
    arn = created.channel.arn
    events: list[dict[str, Any]] = []
    ivs.subscribe(events.append)
    encoder = await publish(ivs.rtmp_url + created.stream_key.value)
    try:
        await until(lambda: described(ivs, client, arn, width=640))
        stream = (await client.get_stream(channel_arn=arn)).stream
        assert stream is not None and stream.state == "LIVE" and stream.health == "HEALTHY"
        assert [s.channel_arn for s in (await client.list_streams()).streams or []] == [arn]
        session = (await client.get_stream_session(channel_arn=arn)).stream_session
        assert session is not None and session.ingest_configuration is not None
        video, audio = session.ingest_configuration.video, session.ingest_configuration.audio
        assert video is not None and audio is not None
        assert (video.video_width, video.video_height, video.target_framerate) == (640, 360, 25)
        # x264 ultrafast writes Constrained Baseline (profile 66): the name and the codec string agree.
        assert video.avc_profile == "Baseline" and video.codec and video.codec.startswith("avc1.42")
        assert video.encoder and video.encoder.startswith("Lavf")
        assert (audio.sample_rate, audio.channels) == (48000, 2)
        assert 500_000 <= (video.target_bitrate or 0) <= 1_000_000
    finally:
        await stop(encoder)
    # The encoder went away: the stream and its session end, with their events.
    await until(lambda: asyncio.sleep(0, result=not ivs.is_live(arn)))
    with pytest.raises(ChannelNotBroadcasting):
        await client.get_stream(channel_arn=arn)
    names = [e["detail"].get("event_name") for e in events]
    assert names[:2] == ["Session Created", "Stream Start"] and "Stream End" in names


async def test_a_wrong_key_and_a_second_publisher_are_refused(emulator: tuple[LocalIvs, Ivs]) -> None:
    ivs, client = emulator
    created = await client.create_channel(name="one-publisher")
    assert created.channel is not None and created.channel.arn and created.stream_key and created.stream_key.value
    arn = created.channel.arn
    wrong = await publish(ivs.rtmp_url + "sk_us-west-2_not_a_key", seconds=5)
    assert await asyncio.wait_for(wrong.wait(), 20) != 0
    assert not ivs.is_live(arn)
    first = await publish(ivs.rtmp_url + created.stream_key.value)
    try:
        await until(lambda: asyncio.sleep(0, result=ivs.is_live(arn)))
        second = await publish(ivs.rtmp_url + created.stream_key.value, seconds=5)
        assert await asyncio.wait_for(second.wait(), 20) != 0
        assert ivs.is_live(arn) and first.returncode is None  # the first one goes on
    finally:
        await stop(first)


async def test_stop_stream_disconnects_the_encoder(emulator: tuple[LocalIvs, Ivs]) -> None:
    ivs, client = emulator
    created = await client.create_channel(name="stopped")
    assert created.channel is not None and created.channel.arn and created.stream_key and created.stream_key.value
    arn = created.channel.arn
    encoder = await publish(ivs.rtmp_url + created.stream_key.value)
    try:
        await until(lambda: asyncio.sleep(0, result=ivs.is_live(arn)))
        await client.stop_stream(channel_arn=arn)
        assert await asyncio.wait_for(encoder.wait(), 20) != 0  # the connection was closed under it
        assert not ivs.is_live(arn)
    finally:
        await stop(encoder)


@settings(max_examples=300, deadline=None)
@given(data=st.binary(max_size=200))
def test_any_amf_bytes_decode_or_raise_rtmp_error(data: bytes) -> None:
    try:
        values = amf_decode_all(data)
    except RtmpError:
        return
    assert isinstance(values, list)


async def test_garbage_after_the_handshake_closes_the_connection(emulator: tuple[LocalIvs, Ivs]) -> None:
    ivs, _ = emulator
    import os
    import random

    rng = random.Random(7)
    for size in (1, 3, 12, 200, 5000):
        reader, writer = await asyncio.open_connection("127.0.0.1", ivs.rtmp_port)
        writer.write(b"\x03" + os.urandom(1536))
        await reader.readexactly(1 + 1536 + 1536)
        writer.write(os.urandom(1536) + bytes(rng.randrange(256) for _ in range(size)))
        await writer.drain()
        writer.close()
    # A message header announcing 1 GB is refused at once, not buffered.
    reader, writer = await asyncio.open_connection("127.0.0.1", ivs.rtmp_port)
    writer.write(b"\x03" + bytes(1536))
    await reader.readexactly(1 + 1536 + 1536)
    writer.write(bytes(1536) + b"\x03" + bytes(3) + (0xFFFFFF).to_bytes(3, "big") + b"\x14" + bytes(4))
    await writer.drain()
    assert await asyncio.wait_for(reader.read(), 5) is not None  # the server hangs up
    writer.close()


async def test_the_playback_url_serves_hls_of_the_ingest_that_ffmpeg_decodes(emulator: tuple[LocalIvs, Ivs]) -> None:
    import aiohttp

    ivs, client = emulator
    created = await client.create_channel(name="watched")
    assert created.channel is not None and created.channel.arn and created.channel.playback_url
    assert created.stream_key is not None and created.stream_key.value
    encoder = await publish(ivs.rtmp_url + created.stream_key.value)
    try:
        async with aiohttp.ClientSession() as http:

            async def segments() -> bool:
                async with http.get(created.channel.playback_url) as response:  # type: ignore[union-attr]
                    master = await response.text()
                if "/_ivs_local/hls/" not in master:
                    return False
                media_url = ivs.endpoint + master.strip().splitlines()[-1]
                async with http.get(media_url) as response:
                    return response.status == 200 and ".ts" in await response.text()

            await until(segments, seconds=20)
            async with http.get(created.channel.playback_url) as response:
                media_url = ivs.endpoint + (await response.text()).strip().splitlines()[-1]
        # A standard player's view: ffmpeg reads the playlist over HTTP and decodes the segments.
        probe = await asyncio.create_subprocess_exec(
            FFMPEG, "-hide_banner", "-loglevel", "error", "-i", media_url, "-t", "1", "-f", "null", "-",
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        _, errors = await asyncio.wait_for(probe.communicate(), 30)
        assert probe.returncode == 0, errors.decode()[-500:]
    finally:
        await stop(encoder)


async def test_a_recording_lands_in_the_local_layout(tmp_path: Path) -> None:
    async with LocalIvs(rtmp_port=0, recordings_dir=tmp_path) as ivs, ivs.aggregated_client() as client:
        recording = await client.create_recording_configuration(
            destination_configuration={"s3": {"bucket_name": "my-recordings"}},
            thumbnail_configuration={"recording_mode": "INTERVAL", "target_interval_seconds": 60},
        )
        assert recording.recording_configuration is not None and recording.recording_configuration.arn
        created = await client.create_channel(
            name="recorded", recording_configuration_arn=recording.recording_configuration.arn
        )
        assert created.channel is not None and created.channel.arn and created.stream_key and created.stream_key.value
        arn = created.channel.arn
        events: list[dict[str, Any]] = []
        ivs.subscribe(events.append)
        encoder = await publish(ivs.rtmp_url + created.stream_key.value, seconds=4)
        try:
            await until(lambda: asyncio.sleep(0, result=ivs.is_live(arn)))
            await client.put_metadata(channel_arn=arn, metadata="recorded cue")
            await asyncio.wait_for(encoder.wait(), 30)
        finally:
            await stop(encoder)
        await until(lambda: asyncio.sleep(0, result=not ivs.is_live(arn)))
        ended = [e for e in events if e["detail"].get("recording_status") == "Recording End"]
        await until(lambda: asyncio.sleep(0, result=any(tmp_path.rglob("recording-ended.json"))))
    (prefix,) = [e["detail"]["recording_s3_key_prefix"] for e in ended]
    folder = tmp_path / "my-recordings" / prefix
    channel_id = arn.rsplit("/", 1)[1]
    assert prefix.startswith(f"ivs/v1/{ivs.account_id}/{channel_id}/")
    started = json.loads((folder / "events" / "recording-started.json").read_text())
    finished = json.loads((folder / "events" / "recording-ended.json").read_text())
    assert started["recording_status"] == "RECORDING_STARTED" and started["channel_arn"] == arn
    assert finished["recording_status"] == "RECORDING_ENDED" and finished["media"]["hls"]["duration_ms"] > 0
    playlist = (folder / "media" / "hls" / "playlist.m3u8").read_text()
    assert "#EXT-X-ENDLIST" in playlist and list((folder / "media" / "hls").glob("*.ts"))
    assert list((folder / "media" / "thumbnails").glob("*.jpg"))
    # PutMetadata is in the recording too, as timed ID3 in the segment of its time.
    payloads = [timed_id3_of(p.read_bytes(), tmp_path)[1] for p in sorted((folder / "media" / "hls").glob("*.ts"))]
    assert [p for p in payloads if p] == [id3_tag("recorded cue")]


async def test_unfinished_messages_are_bounded(emulator: tuple[LocalIvs, Ivs]) -> None:
    ivs, _ = emulator
    reader, writer = await asyncio.open_connection("127.0.0.1", ivs.rtmp_port)
    writer.write(b"\x03" + bytes(1536))
    await reader.readexactly(1 + 1536 + 1536)
    chunk, size = 1024 * 1024, 4 * 1024 * 1024
    set_chunk = b"\x02" + bytes(3) + (4).to_bytes(3, "big") + b"\x01" + bytes(4) + chunk.to_bytes(4, "big")
    writer.write(bytes(1536) + set_chunk)
    # Chunk streams each starting a 4 MB message with its first 1 MB chunk and never finishing it:
    # past 8 MB unfinished, the server hangs up instead of buffering more.
    for csid in range(3, 20):
        header = bytes([csid]) + bytes(3) + size.to_bytes(3, "big") + b"\x09" + bytes(4)
        writer.write(header + bytes(chunk))
        try:
            await writer.drain()
        except ConnectionError:
            break
    # The server hangs up (a reset, with our bytes unread) rather than waiting for more; a
    # server that kept buffering would let this time out.
    with contextlib.suppress(ConnectionResetError):
        await asyncio.wait_for(reader.read(), 10)
    writer.close()


async def test_an_encoder_publishes_over_rtmps(tmp_path: Path) -> None:
    import ssl

    async with LocalIvs(rtmps_port=0) as ivs, ivs.aggregated_client() as client:
        assert ivs.rtmps_url.startswith("rtmps://127.0.0.1:") and ivs.rtmps_certificate.startswith("-----BEGIN")
        # The certificate is the one served, for 127.0.0.1: a client that checks it can trust it.
        verifying = ssl.create_default_context(cadata=ivs.rtmps_certificate)
        _, writer = await asyncio.open_connection("127.0.0.1", ivs.rtmps_port, ssl=verifying)
        writer.close()
        with pytest.raises(ssl.SSLError):  # and it is self-signed: not trusted by default
            await asyncio.open_connection("127.0.0.1", ivs.rtmps_port, ssl=ssl.create_default_context())
        created = await client.create_channel(name="over-tls")
        assert created.channel is not None and created.channel.arn
        assert created.stream_key is not None and created.stream_key.value
        arn = created.channel.arn
        trusted = tmp_path / "ivs-local.pem"
        trusted.write_text(ivs.rtmps_certificate)  # ffmpeg checks the certificate against this
        encoder = await publish(
            ivs.rtmps_url + created.stream_key.value, size="320x180", options=("-ca_file", str(trusted))
        )
        try:
            await until(lambda: described(ivs, client, arn, width=320))
        finally:
            await stop(encoder)
        await until(lambda: asyncio.sleep(0, result=not ivs.is_live(arn)))


def test_rtmps_without_cryptography_is_a_clear_error() -> None:
    import subprocess
    import sys

    code = (
        "import builtins, sys\n"
        "real = builtins.__import__\n"
        "def hidden(name, *args, **kwargs):\n"
        "    if name.startswith('cryptography'):\n"
        "        raise ImportError(name)\n"
        "    return real(name, *args, **kwargs)\n"
        "builtins.__import__ = hidden\n"
        "from ivs_async.testing._cli import main\n"
        "sys.exit(main(['--port', '0', '--rtmp-port', '-1', '--rtmps-port', '0']))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 1
    assert "RTMPS ingest needs cryptography" in done.stderr and "Traceback" not in done.stderr

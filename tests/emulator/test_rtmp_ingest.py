"""A real encoder publishing to the emulator's RTMP ingest: ffmpeg (bundled by imageio-ffmpeg)
sends a generated test pattern; the channel goes live with the pattern's properties."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ivs_async import Ivs
from ivs_async.errors import ChannelNotBroadcasting
from ivs_async.testing import LocalIvs
from ivs_async.testing._rtmp import RtmpError, amf_decode_all
from tests.emulator.media import decodes, described, playable_variant, publish, stop, until


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
    ivs, client = emulator
    created = await client.create_channel(name="watched")
    assert created.channel is not None and created.channel.arn and created.stream_key and created.stream_key.value
    encoder = await publish(ivs.rtmp_url + created.stream_key.value)
    try:
        async with aiohttp.ClientSession() as http:
            variant, _ = await playable_variant(ivs, client, created.channel.arn, http)
        # The source rendition, described as the encoder sent it.
        assert variant.info["RESOLUTION"] == "640x360" and variant.info["VIDEO"] == "360p25"
        assert variant.info["CODECS"].startswith("avc1.42") and variant.info["CODECS"].endswith(",mp4a.40.2")
        streams = await decodes(variant.url)  # a standard player: ffmpeg reads the playlist over HTTP
        assert any("Video: h264" in s for s in streams) and any("Audio: aac" in s for s in streams)
        assert any("Data: timed_id3" in s for s in streams)  # declared in every segment, as IVS does
    finally:
        await stop(encoder)


@pytest.mark.parametrize(("dropped", "kept"), [("-an", "video"), ("-vn", "audio")])
async def test_an_encoder_with_one_track_plays_and_is_described_as_it_is(
    emulator: tuple[LocalIvs, Ivs], dropped: str, kept: str
) -> None:
    ivs, client = emulator
    created = await client.create_channel(name=f"{kept}-only")
    assert created.channel is not None and created.channel.arn and created.stream_key and created.stream_key.value
    arn = created.channel.arn
    encoder = await publish(ivs.rtmp_url + created.stream_key.value, options=(dropped,))
    try:
        async with aiohttp.ClientSession() as http:
            started = asyncio.get_running_loop().time()
            variant, _ = await playable_variant(ivs, client, arn, http)
            assert asyncio.get_running_loop().time() - started < 15  # ffmpeg does not wait for a missing track
        streams = await decodes(variant.url)
        assert any(f"{kept.title()}:" in s for s in streams)
        assert not any(f"{'Audio' if kept == 'video' else 'Video'}:" in s for s in streams)
        assert variant.info["CODECS"] == ("avc1.42C01E" if kept == "video" else "mp4a.40.2")
        session = (await client.get_stream_session(channel_arn=arn)).stream_session
        assert session is not None and session.ingest_configuration and session.ingest_configurations
        single, lists = session.ingest_configuration, session.ingest_configurations
        if kept == "video":
            assert single.audio is None and lists.audio_configurations == []
            assert single.video and single.video.video_width == 640 and len(lists.video_configurations or []) == 1
        else:
            assert single.video is None and lists.video_configurations == []
            assert single.audio and single.audio.sample_rate == 48000 and len(lists.audio_configurations or []) == 1
    finally:
        await stop(encoder)


async def test_the_local_form_of_the_encoder_url_is_built_from_the_ingest_endpoint(
    emulator: tuple[LocalIvs, Ivs],
) -> None:
    ivs, client = emulator
    created = await client.create_channel(name="from-the-api")
    channel, key = created.channel, created.stream_key
    assert channel is not None and channel.arn and channel.ingest_endpoint and key and key.value
    # As IVS documents rtmps://{ingestEndpoint}:443/app/, with the port the emulator's ingest serves.
    encoder = await publish(f"rtmp://{channel.ingest_endpoint}:{ivs.rtmp_port}/app/{key.value}", size="320x180")
    try:
        await until(lambda: described(ivs, client, channel.arn or "", width=320))
    finally:
        await stop(encoder)


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


async def test_ivs_documented_encoder_url_works_when_rtmps_has_port_443() -> None:
    import socket

    probe = socket.socket()
    try:
        probe.bind(("127.0.0.1", 443))
    except OSError as exc:  # not root, or 443 taken: the Docker image's case is not this machine's
        pytest.skip(f"port 443 cannot be listened on here ({exc.strerror})")
    finally:
        probe.close()
    async with LocalIvs(rtmps_port=443) as ivs, ivs.aggregated_client() as client:
        created = await client.create_channel(name="documented-form")
        channel, key = created.channel, created.stream_key
        assert channel is not None and channel.arn and channel.ingest_endpoint and key and key.value
        # Exactly what IVS's getting-started guide builds for an encoder.
        url = f"rtmps://{channel.ingest_endpoint}:443/app/{key.value}"
        encoder = await publish(url, size="320x180", options=("-tls_verify", "0"))
        try:
            await until(lambda: described(ivs, client, channel.arn or "", width=320))
        finally:
            await stop(encoder)

"""Every URL the emulator gives out names where clients reach it: its endpoint, playback URLs and
ingest endpoints follow the port it serves on (across restarts) and the host it is told to advertise."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ivs_async import Ivs
from ivs_async.errors import ConfigurationError
from ivs_async.testing import LocalIvs
from ivs_async.testing._addresses import bracketed, checked_host, reachable_host
from tests.emulator.test_lifecycle import serve_from_command_line


async def urls(ivs: Ivs, arn: str) -> set[str]:
    """Every URL and host that GetChannel, GetStream and GetStreamSession answer for a live channel."""
    channel = (await ivs.get_channel(arn=arn)).channel
    stream = (await ivs.get_stream(channel_arn=arn)).stream
    session = (await ivs.get_stream_session(channel_arn=arn)).stream_session
    assert channel is not None and channel.srt is not None and stream is not None
    assert session is not None and session.channel is not None and session.channel.srt is not None
    return {
        f"ingest:{channel.ingest_endpoint}",
        f"srt:{channel.srt.endpoint}",
        f"playback:{channel.playback_url}",
        f"playback:{stream.playback_url}",
        f"ingest:{session.channel.ingest_endpoint}",
        f"srt:{session.channel.srt.endpoint}",
        f"playback:{session.channel.playback_url}",
    }


async def test_a_restart_on_another_port_moves_every_url(tmp_path: Path) -> None:
    async with LocalIvs(state_dir=tmp_path) as first, first.aggregated_client() as ivs:
        created = await ivs.create_channel(name="moves")
        assert created.channel is not None and created.channel.arn
        arn = created.channel.arn
        first.start_stream(arn)
        before = await urls(ivs, arn)
        first_endpoint = first.endpoint
    channel_id = arn.rsplit("/", 1)[1]
    path = f"/api/video/v1/us-west-2.123456789012.channel.{channel_id}.m3u8"
    assert before == {"ingest:127.0.0.1", "srt:127.0.0.1", f"playback:{first_endpoint}{path}"}
    async with LocalIvs(state_dir=tmp_path) as second, second.aggregated_client() as ivs:
        assert second.endpoint != first_endpoint
        assert await urls(ivs, arn) == {"ingest:127.0.0.1", "srt:127.0.0.1", f"playback:{second.endpoint}{path}"}
    # The saved state holds no address: nothing in it can go stale.
    saved = (tmp_path / "state.json").read_text()
    assert first_endpoint not in saved and "ingestEndpoint" not in saved and "playbackUrl" not in saved


async def test_an_advertised_host_is_named_everywhere() -> None:
    async with LocalIvs(advertise_host="ivs-local.test") as emulator:
        port = emulator.endpoint.rsplit(":", 1)[1]
        assert emulator.endpoint == f"http://ivs-local.test:{port}"
        # The test reaches it on loopback, as a container's published port would be reached.
        async with Ivs(
            region=emulator.region,
            endpoint=f"http://127.0.0.1:{port}",
            credentials=emulator.credentials,
            max_attempts=1,
        ) as ivs:
            created = await ivs.create_channel(name="advertised")
            assert created.channel is not None and created.channel.arn
            emulator.start_stream(created.channel.arn)
            found = await urls(ivs, created.channel.arn)
    assert {url.split(":", 1)[0] + ":" + url.split(":", 1)[1].split("/api/")[0] for url in found} == {
        "ingest:ivs-local.test",
        "srt:ivs-local.test",
        f"playback:http://ivs-local.test:{port}",
    }


async def test_an_ipv6_advertised_host_is_bracketed_where_a_url_needs_it() -> None:
    async with LocalIvs(advertise_host="[::1]", rtmp_port=0) as emulator:
        assert emulator.advertise_host == "::1"
        assert emulator.endpoint.startswith("http://[::1]:")
        assert emulator.rtmp_url.startswith("rtmp://[::1]:")


def test_the_command_line_advertises_the_host_it_is_given() -> None:
    process, endpoint, lines = serve_from_command_line("--advertise-host", "localhost")
    try:
        assert endpoint.startswith("http://localhost:")
        assert any(line.startswith(f"  AWS_ENDPOINT_URL_IVS={endpoint}") for line in lines)
    finally:
        process.terminate()
        process.wait(timeout=20)


@pytest.mark.parametrize(
    "value", ["", "http://ivs-local", "ivs-local:4566", "0.0.0.0", "[::]", "a..b", "-x.test", "x" * 64, "a/b"]
)
def test_a_host_that_no_url_can_name_is_a_configuration_error(value: str) -> None:
    with pytest.raises(ConfigurationError, match="advertise_host"):
        LocalIvs(advertise_host=value)


def test_wildcard_listening_addresses_are_reached_on_loopback() -> None:
    assert reachable_host("0.0.0.0") == "127.0.0.1"
    assert reachable_host("::") == "::1"
    assert reachable_host("192.0.2.7") == "192.0.2.7"


@given(st.text(max_size=300))
def test_any_text_is_a_host_or_a_configuration_error(text: str) -> None:
    try:
        host = checked_host(text)
    except ConfigurationError:
        return
    shown = bracketed(host)
    assert checked_host(shown) == host  # a URL's host reads back as itself
    assert not any(c in shown for c in "/?#@ \t\r\n")

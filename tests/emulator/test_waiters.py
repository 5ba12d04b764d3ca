"""Waiters against the emulator: live, offline, a recording configuration that takes a while or fails."""

from __future__ import annotations

import asyncio
import time

import pytest

from ivs_async import Ivs
from ivs_async.errors import IvsError, ResourceNotFoundException
from ivs_async.testing import LocalIvs
from ivs_async.waiters import (
    WaiterFailedError,
    WaiterTimeoutError,
    wait_until_recording_configuration_active,
    wait_until_stream_live,
    wait_until_stream_offline,
)

FAST = {"min_delay": 0.02, "max_delay": 0.1}


async def channel(ivs: Ivs) -> str:
    out = await ivs.create_channel(name="waited")
    assert out.channel is not None and out.channel.arn is not None
    return out.channel.arn


async def test_live_then_offline(ivs: Ivs, ivs_emulator: LocalIvs) -> None:
    arn = await channel(ivs)
    loop = asyncio.get_running_loop()
    loop.call_later(0.2, ivs_emulator.start_stream, arn)
    started = time.monotonic()
    live = await wait_until_stream_live(ivs, channel_arn=arn, max_wait=5, **FAST)
    assert live.stream is not None and live.stream.state == "LIVE"
    assert 0.15 < time.monotonic() - started < 3
    loop.call_later(0.2, ivs_emulator.end_stream, arn)
    assert await ivs.wait_until_stream_offline(channel_arn=arn, max_wait=5, **FAST) is None


async def test_a_stream_that_never_comes_times_out(ivs: Ivs) -> None:
    arn = await channel(ivs)
    started = time.monotonic()
    with pytest.raises(WaiterTimeoutError) as info:
        await ivs.wait_until_stream_live(channel_arn=arn, max_wait=0.3, **FAST)
    assert 0.3 <= time.monotonic() - started < 1.5
    assert info.value.attempts >= 3 and info.value.last_output is None
    assert isinstance(info.value, IvsError) and "not broadcasting" in str(info.value)


async def test_an_offline_channel_is_offline_at_once(ivs: Ivs) -> None:
    arn = await channel(ivs)
    assert await wait_until_stream_offline(ivs, channel_arn=arn, max_wait=1, **FAST) is None


async def test_a_recording_configuration_that_takes_a_while(ivs: Ivs, ivs_emulator: LocalIvs) -> None:
    ivs_emulator.simulate_recording_configurations(creating_for=0.3)
    created = await ivs.create_recording_configuration(destination_configuration={"s3": {"bucket_name": "recordings"}})
    assert created.recording_configuration is not None and created.recording_configuration.arn
    assert created.recording_configuration.state == "CREATING"
    arn = created.recording_configuration.arn
    out = await wait_until_recording_configuration_active(ivs, arn=arn, max_wait=5, **FAST)
    assert out.recording_configuration is not None and out.recording_configuration.state == "ACTIVE"


async def test_a_failed_recording_configuration_ends_the_wait_at_once(ivs: Ivs, ivs_emulator: LocalIvs) -> None:
    ivs_emulator.simulate_recording_configurations(creating_for=0.1, outcome="CREATE_FAILED")
    created = await ivs.create_recording_configuration(destination_configuration={"s3": {"bucket_name": "recordings"}})
    assert created.recording_configuration is not None and created.recording_configuration.arn
    started = time.monotonic()
    with pytest.raises(WaiterFailedError, match="CREATE_FAILED") as info:
        await ivs.wait_until_recording_configuration_active(
            arn=created.recording_configuration.arn, max_wait=30, min_delay=0.05, max_delay=0.05
        )
    assert time.monotonic() - started < 2  # not the whole max_wait
    assert info.value.last_output is not None


async def test_errors_the_waiter_does_not_expect_pass_through(ivs: Ivs) -> None:
    with pytest.raises(ResourceNotFoundException):
        await ivs.wait_until_recording_configuration_active(
            arn="arn:aws:ivs:us-west-2:123456789012:recording-configuration/nothere1234", max_wait=1, **FAST
        )


async def test_bad_timings_are_refused(ivs: Ivs) -> None:
    with pytest.raises(ValueError, match="max_wait"):
        await ivs.wait_until_stream_live(channel_arn="arn", max_wait=0)

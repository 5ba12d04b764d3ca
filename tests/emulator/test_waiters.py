"""Waiters against the emulator: live, offline, a recording configuration that takes a while or fails."""

from __future__ import annotations

import asyncio
import time
from typing import cast

import pytest

from ivs_async import Ivs, IvsClient
from ivs_async.errors import IvsError, ResourceNotFoundException
from ivs_async.models import GetRecordingConfigurationResponse
from ivs_async.testing import Fault, FaultKind, LocalIvs
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


# max_wait bounds the whole wait: a poll in flight at the deadline is cancelled. The elapsed
# bounds below are loose (max_wait + 2 s): they tell "bounded" from "one read timeout (30 s) or
# the client's timeout (90 s) later", nothing finer.


@pytest.mark.parametrize(
    "fault",
    [
        pytest.param(Fault(kind=FaultKind.HANG, operation="GetStream", times=None, delay=120), id="hang"),
        pytest.param(Fault(kind=FaultKind.DELAY, operation="GetStream", times=None, delay=20), id="slow-answer"),
    ],
)
async def test_max_wait_cuts_a_poll_in_flight(ivs_emulator: LocalIvs, fault: Fault) -> None:
    async with ivs_emulator.aggregated_client() as ivs:  # the defaults: 3 attempts, read_timeout 30 s, timeout 90 s
        arn = await channel(ivs)
        ivs_emulator.faults.add(fault)
        started = time.monotonic()
        with pytest.raises(WaiterTimeoutError) as info:
            await ivs.wait_until_stream_live(channel_arn=arn, max_wait=1, **FAST)
        elapsed = time.monotonic() - started
        assert 1 <= elapsed < 1 + 2
        assert info.value.attempts == 1 and info.value.last_output is None
        assert "no answer after 1 s" in str(info.value) and "cancelled" in str(info.value)
        assert isinstance(info.value.__cause__, TimeoutError)
        # The cut poll released its connection: the client goes on working.
        ivs_emulator.faults.clear()
        assert await wait_until_stream_offline(ivs, channel_arn=arn, max_wait=5, **FAST) is None
        in_use, _idle = ivs.transport.connections()  # type: ignore[attr-defined]
        assert in_use == 0


async def test_a_later_poll_in_flight_is_cut_too(ivs: Ivs, ivs_emulator: LocalIvs) -> None:
    arn = await channel(ivs)
    # Two quick "not broadcasting" answers, then polls that hang.
    ivs_emulator.faults.add(
        Fault(kind=FaultKind.ERROR, operation="GetStream", times=2, status=404, error_code="ChannelNotBroadcasting"),
        Fault(kind=FaultKind.HANG, operation="GetStream", times=None, delay=120),
    )
    started = time.monotonic()
    with pytest.raises(WaiterTimeoutError) as info:
        await ivs.wait_until_stream_live(channel_arn=arn, max_wait=1.5, min_delay=0.05, max_delay=0.05)
    assert 1.5 <= time.monotonic() - started < 1.5 + 2
    assert info.value.attempts == 3


async def test_the_sleep_before_a_poll_never_passes_max_wait(ivs: Ivs, ivs_emulator: LocalIvs) -> None:
    arn = await channel(ivs)
    started = time.monotonic()
    with pytest.raises(WaiterTimeoutError) as info:
        await ivs.wait_until_stream_live(channel_arn=arn, max_wait=1, min_delay=20, max_delay=30)
    assert 1 <= time.monotonic() - started < 1 + 2
    # One poll, then a sleep cut at the deadline; no poll is started with no time left.
    assert info.value.attempts == 1 and ivs_emulator.requests("GetStream") == 1


async def test_cancelling_a_waiter_is_not_a_timeout(ivs: Ivs, ivs_emulator: LocalIvs) -> None:
    arn = await channel(ivs)
    ivs_emulator.faults.add(Fault(kind=FaultKind.HANG, operation="GetStream", times=None, delay=120))
    task = asyncio.ensure_future(ivs.wait_until_stream_live(channel_arn=arn, max_wait=30, **FAST))
    await asyncio.sleep(0.3)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def test_a_long_wait_of_short_delays_keeps_polling() -> None:
    # More than 1024 polls: the backoff's 2 ** (attempt - 1) must not overflow a float.
    class Client:
        calls = 0

        async def send(self, command: object) -> GetRecordingConfigurationResponse:
            self.calls += 1
            state = "ACTIVE" if self.calls > 1100 else "CREATING"
            return GetRecordingConfigurationResponse.from_dict({"recordingConfiguration": {"arn": "a", "state": state}})

    client = Client()
    out = await wait_until_recording_configuration_active(
        cast(IvsClient, client), arn="a", max_wait=60, min_delay=1e-6, max_delay=1e-6
    )
    assert out.recording_configuration is not None and client.calls == 1101

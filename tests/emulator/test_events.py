"""The emulator's IVS events: emitted as streams start, end, record and starve; parsed by ivs_async.events."""

from __future__ import annotations

import asyncio
from typing import Any

from ivs_async import Ivs
from ivs_async.events import RecordingStateChange, StreamHealthChange, StreamStateChange, parse_event
from ivs_async.models import DestinationConfiguration, S3DestinationConfiguration
from ivs_async.testing import LocalIvs


async def drain(queue: asyncio.Queue[dict[str, Any]], count: int) -> list[dict[str, Any]]:
    return [await asyncio.wait_for(queue.get(), timeout=5) for _ in range(count)]


async def test_a_stream_start_and_end(ivs: Ivs, ivs_emulator: LocalIvs) -> None:
    queue = ivs_emulator.event_queue()
    created = await ivs.create_channel(name="events")
    assert created.channel is not None and created.channel.arn
    arn = created.channel.arn
    stream_id = ivs_emulator.start_stream(arn)
    ivs_emulator.end_stream(arn)
    events = [parse_event(e) for e in await drain(queue, 4)]
    assert all(isinstance(e, StreamStateChange) for e in events)
    names = [e.event_name for e in events if isinstance(e, StreamStateChange)]
    assert names == ["Session Created", "Stream Start", "Stream End", "Session Ended"]
    for event in events:
        assert event.channel_arn == arn and event.account == ivs_emulator.account_id
        assert isinstance(event, StreamStateChange) and (event.stream_id, event.channel_name) == (stream_id, "events")
        assert event.unknown_detail == {}  # the emulator sends only fields we model
    assert len({e.id for e in events}) == 4


async def test_stop_stream_through_the_api_emits_too(ivs: Ivs, ivs_emulator: LocalIvs) -> None:
    created = await ivs.create_channel(name="stopped")
    assert created.channel is not None and created.channel.arn
    ivs_emulator.start_stream(created.channel.arn)
    received: list[dict[str, Any]] = []
    ivs_emulator.subscribe(received.append)  # a plain callback, called in the emulator's thread
    await ivs.stop_stream(channel_arn=created.channel.arn)
    assert [e["detail"]["event_name"] for e in received] == ["Stream End", "Session Ended"]


async def test_failure_recording_and_health(ivs: Ivs, ivs_emulator: LocalIvs) -> None:
    destination = DestinationConfiguration(s3=S3DestinationConfiguration(bucket_name="vods"))
    recording = await ivs.create_recording_configuration(destination_configuration=destination)
    assert recording.recording_configuration is not None
    created = await ivs.create_channel(name="rec", recording_configuration_arn=recording.recording_configuration.arn)
    assert created.channel is not None and created.channel.arn
    arn = created.channel.arn
    seen: list[dict[str, Any]] = []

    async def handler(event: dict[str, Any]) -> None:  # a coroutine function runs on this loop
        seen.append(event)

    ivs_emulator.subscribe(handler)
    ivs_emulator.start_stream(arn)
    ivs_emulator.update_stream(arn, health="STARVING")
    ivs_emulator.update_stream(arn, health="STARVING")  # no change, no event
    ivs_emulator.update_stream(arn, health="HEALTHY")
    ivs_emulator.end_stream(arn, failure="BitrateTooHigh")
    for _ in range(100):
        if len(seen) >= 10:
            break
        await asyncio.sleep(0.01)
    events = [parse_event(e) for e in seen]
    kinds = [(type(e).__name__, getattr(e, "event_name", None) or getattr(e, "recording_status", None)) for e in events]
    assert kinds == [
        ("StreamStateChange", "Session Created"),
        ("StreamStateChange", "Stream Start"),
        ("RecordingStateChange", "Recording Start"),
        ("StreamHealthChange", "Starvation Start"),
        ("StreamHealthChange", "Starvation End"),
        ("StreamStateChange", "Stream Failure"),
        ("StreamStateChange", "Stream End"),
        ("RecordingStateChange", "Recording End"),
        ("StreamStateChange", "Session Ended"),
    ]
    failure = events[5]
    assert isinstance(failure, StreamStateChange) and failure.code == "BitrateTooHigh" and failure.reason
    end = events[7]
    assert isinstance(end, RecordingStateChange) and end.recording_s3_bucket_name == "vods"
    assert end.recording_duration_ms is not None and end.recording_duration_ms >= 0
    assert end.recording_s3_key_prefix is not None and end.recording_s3_key_prefix.startswith(
        f"ivs/v1/{ivs_emulator.account_id}/{arn.rsplit('/', 1)[1]}/"
    )
    assert isinstance(events[3], StreamHealthChange)


async def test_a_failing_subscriber_is_dropped_and_others_still_hear(ivs: Ivs, ivs_emulator: LocalIvs) -> None:
    def broken(event: dict[str, Any]) -> None:
        raise RuntimeError("subscriber bug")

    heard: list[str] = []
    ivs_emulator.subscribe(broken)
    unsubscribe = ivs_emulator.subscribe(lambda e: heard.append(e["detail"]["event_name"]))
    created = await ivs.create_channel(name="x")
    assert created.channel is not None and created.channel.arn
    ivs_emulator.start_stream(created.channel.arn)
    unsubscribe()
    ivs_emulator.end_stream(created.channel.arn)
    assert heard == ["Session Created", "Stream Start"]


async def test_reset_drops_subscribers(ivs_emulator: LocalIvs) -> None:
    heard: list[object] = []
    ivs_emulator.subscribe(heard.append)
    ivs_emulator.reset()
    async with ivs_emulator.client() as client:
        from ivs_async.commands import CreateChannelCommand

        created = await client.send(CreateChannelCommand(name="after-reset"))
    assert created.channel is not None and created.channel.arn
    ivs_emulator.start_stream(created.channel.arn)
    assert heard == []

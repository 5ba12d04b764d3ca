"""PutMetadata pacing against the emulator's own enforcement of IVS's limits."""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict

import pytest

from ivs_async import Ivs
from ivs_async.errors import ParamValidationError, ThrottlingException
from ivs_async.middleware import PacingTimeoutError, PutMetadataPacer
from ivs_async.testing import LocalIvs, Quotas


async def live_channels(ivs: Ivs, emulator: LocalIvs, count: int) -> list[str]:
    arns = []
    for n in range(count):
        created = await ivs.create_channel(name=f"meta-{n}")
        assert created.channel is not None and created.channel.arn
        emulator.start_stream(created.channel.arn)
        arns.append(created.channel.arn)
    return arns


def busiest_second(times: list[float]) -> int:
    return max(sum(1 for s in times if t - 1.0 < s <= t) for t in times)


async def test_many_coroutines_stay_within_the_per_channel_limit(ivs: Ivs, ivs_emulator: LocalIvs) -> None:
    arns = await live_channels(ivs, ivs_emulator, 4)
    # Without pacing, the burst is throttled by the emulator.
    unpaced = await asyncio.gather(
        *(ivs.put_metadata(channel_arn=arn, metadata="x") for arn in arns for _ in range(8)), return_exceptions=True
    )
    assert sum(isinstance(r, ThrottlingException) for r in unpaced) == 4 * 3
    await asyncio.sleep(1.1)  # let the emulator's window pass
    PutMetadataPacer(max_wait=10).install(ivs)
    before = len(ivs_emulator.metadata())
    started = time.monotonic()
    paced = await asyncio.gather(
        *(ivs.put_metadata(channel_arn=arn, metadata=f"{n}") for arn in arns for n in range(12)),
        return_exceptions=True,
    )
    elapsed = time.monotonic() - started
    assert [r for r in paced if isinstance(r, Exception)] == []  # max_attempts=1: no throttle, no retry
    received = ivs_emulator.metadata()[before:]
    assert len(received) == 48
    per_channel: defaultdict[str, list[float]] = defaultdict(list)
    for record in received:
        per_channel[record.channel_arn].append(record.received_at.timestamp())
    assert all(busiest_second(times) <= 5 for times in per_channel.values())
    assert elapsed >= 2.0  # 12 per channel at 5 per second: the third batch waits two windows


async def test_the_account_limit_holds_across_channels(ivs: Ivs, ivs_emulator: LocalIvs) -> None:
    ivs_emulator.quotas = Quotas(metadata_per_second_per_account=8)
    arns = await live_channels(ivs, ivs_emulator, 6)
    PutMetadataPacer(per_account=8, max_wait=10).install(ivs)
    results = await asyncio.gather(
        *(ivs.put_metadata(channel_arn=arn, metadata="y") for arn in arns for _ in range(3)), return_exceptions=True
    )
    assert [r for r in results if isinstance(r, Exception)] == []
    times = [r.received_at.timestamp() for r in ivs_emulator.metadata()]
    assert len(times) == 18 and busiest_second(times) <= 8


async def test_a_wait_beyond_max_wait_fails_at_once(ivs: Ivs, ivs_emulator: LocalIvs) -> None:
    (arn,) = await live_channels(ivs, ivs_emulator, 1)
    PutMetadataPacer(max_wait=0.5).install(ivs)
    started = time.monotonic()
    results = await asyncio.gather(
        *(ivs.put_metadata(channel_arn=arn, metadata="z") for _ in range(15)), return_exceptions=True
    )
    refused = [r for r in results if isinstance(r, PacingTimeoutError)]
    assert len(refused) == 10  # 5 go at once; the next 5 would wait a window plus margin (1.05 s), and so on
    assert all(r.channel_arn == arn and "per channel" in r.limit for r in refused)
    assert time.monotonic() - started < 3
    assert ivs_emulator.requests("PutMetadata") == 15 - len(refused)


async def test_oversized_payloads_never_leave(ivs: Ivs, ivs_emulator: LocalIvs) -> None:
    (arn,) = await live_channels(ivs, ivs_emulator, 1)
    PutMetadataPacer().install(ivs)
    with pytest.raises(ParamValidationError) as caught:
        await ivs.put_metadata(channel_arn=arn, metadata="€" * 342)  # 1026 bytes in 342 characters
    assert (caught.value.field, caught.value.rule) == ("metadata", "length")
    assert "€" not in str(caught.value)  # the payload is sensitive: never echoed
    assert ivs_emulator.requests("PutMetadata") == 0
    await ivs.put_metadata(channel_arn=arn, metadata="€" * 341)  # 1023 bytes: fine
    assert ivs_emulator.requests("PutMetadata") == 1


async def test_other_operations_are_not_touched(ivs: Ivs) -> None:
    PutMetadataPacer().install(ivs)
    assert "put-metadata-pacing" in ivs.middleware_stack
    assert ivs.middleware_stack.identify().index("put-metadata-pacing - finalize") == (
        ivs.middleware_stack.identify().index("signing - finalize") - 1
    )
    out = await ivs.list_channels()
    assert out.channels == []


async def test_a_burst_bigger_than_the_account_limit(ivs: Ivs, ivs_emulator: LocalIvs) -> None:
    # 320 calls at once: the client itself needs time to send 155 requests, so each must count
    # from when it ended, not from when it was planned, or the next window starts too early.
    arns = await live_channels(ivs, ivs_emulator, 160)
    PutMetadataPacer(max_wait=10).install(ivs)
    started = time.monotonic()
    results = await asyncio.gather(
        *(ivs.put_metadata(channel_arn=arn, metadata="b") for arn in arns for _ in range(2)), return_exceptions=True
    )
    elapsed = time.monotonic() - started
    assert [r for r in results if isinstance(r, Exception)] == []
    times = [r.received_at.timestamp() for r in ivs_emulator.metadata()]
    assert len(times) == 320 and busiest_second(times) <= 155
    assert elapsed >= 2.0  # three account windows' worth

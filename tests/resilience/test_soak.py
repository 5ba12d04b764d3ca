"""Soak: 10,000 calls from 64 coroutines on one client, 5 % of them hit by injected faults.

Every call must return the right channel or raise a typed error after its retries; nothing may
leak; the memory peak of the second half must not outgrow the first half's. Memory is read from
the process's resident set every 20 ms (tracemalloc would slow the run tenfold) and, to catch
small leaks the RSS hides, as the count of live objects after each half.
"""

from __future__ import annotations

import asyncio
import collections
import gc
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager

from ivs_async import IvsClient, IvsError
from ivs_async.commands import CreateChannelCommand, GetChannelCommand
from ivs_async.testing import Fault, FaultKind, LocalIvs
from tests.resilience.conftest import assert_nothing_leaked

CALLS = 10_000
WORKERS = 64
CHANNELS = 32
# 5 % of calls in all, mixed the way a bad day mixes them. Rules are tried in order, each at its
# own probability, so these are the shares of all calls.
FAULTS = (
    Fault(operation="GetChannel", times=None, probability=0.015, error_code="ServiceUnavailable"),
    Fault(operation="GetChannel", times=None, probability=0.010, error_code="ThrottlingException"),
    Fault(operation="GetChannel", times=None, probability=0.008, kind=FaultKind.RESET),
    Fault(operation="GetChannel", times=None, probability=0.007, kind=FaultKind.NON_JSON, status=502),
    Fault(operation="GetChannel", times=None, probability=0.005, kind=FaultKind.RESET_MID_BODY),
    Fault(operation="GetChannel", times=None, probability=0.003, kind=FaultKind.TRUNCATED_JSON),
    Fault(operation="GetChannel", times=None, probability=0.002, kind=FaultKind.HANG, delay=5),
)


async def _half(client: IvsClient, arns: list[tuple[str, str]], calls: int, tally: collections.Counter[str]) -> None:
    remaining = iter(range(calls))

    async def worker() -> None:
        for n in remaining:
            arn, name = arns[n % len(arns)]
            try:
                out = await client.send(GetChannelCommand(arn=arn))
            except IvsError as exc:
                tally[type(exc).__name__] += 1
                tally["attempts"] += exc.metadata.attempts if exc.metadata else 0  # 0 fails the count check
                continue
            assert out.channel is not None and (out.channel.arn, out.channel.name) == (arn, name)
            tally["ok"] += 1
            tally["retried ok"] += out.metadata.attempts > 1
            tally["attempts"] += out.metadata.attempts

    await asyncio.gather(*(worker() for _ in range(WORKERS)))


def _rss() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


@contextmanager
def _peak_rss(peaks: list[int]) -> Iterator[None]:
    """Appends the highest resident set size seen while the block runs."""
    peak = _rss()

    async def sample() -> None:
        nonlocal peak
        while True:
            peak = max(peak, _rss())
            await asyncio.sleep(0.02)

    task = asyncio.get_running_loop().create_task(sample())
    try:
        yield
    finally:
        task.cancel()
        peaks.append(max(peak, _rss()))


def _live_objects() -> int:
    gc.collect()
    return len(gc.get_objects())


async def test_soak_with_five_percent_faults() -> None:
    with LocalIvs(seed=20261126) as emulator:
        client = emulator.client(read_timeout=0.5)
        arns = []
        for n in range(CHANNELS):
            created = await client.send(CreateChannelCommand(name=f"soak-{n}"))
            assert created.channel is not None and created.channel.arn is not None
            arns.append((created.channel.arn, f"soak-{n}"))
        emulator.faults.add(*FAULTS)
        tally: collections.Counter[str] = collections.Counter()
        peaks: list[int] = []
        objects = []
        started = time.perf_counter()
        for _ in range(2):
            with _peak_rss(peaks):
                await _half(client, arns, CALLS // 2, tally)
            await asyncio.sleep(0)  # let the sampler's cancellation land
            objects.append(_live_objects())
        elapsed = time.perf_counter() - started
        fired = sum(emulator.faults.fired.values())
        requests = emulator.requests("GetChannel")
        await assert_nothing_leaked(client)
    failed = sum(v for k, v in tally.items() if k not in ("ok", "retried ok", "attempts"))
    print(
        f"\nsoak: {CALLS} calls in {elapsed:.1f} s ({CALLS / elapsed:.0f} calls/s), {requests} requests, "
        f"{fired} faults injected; outcomes {dict(tally)}; peak RSS {peaks[0] / 1e6:.1f} MB then "
        f"{peaks[1] / 1e6:.1f} MB; live objects {objects[0]} then {objects[1]}"
    )
    assert tally["ok"] + failed == CALLS  # every call accounted for
    assert requests == tally["attempts"]  # every attempt the client counted reached the emulator
    assert 0.03 * CALLS < fired < 0.07 * CALLS  # about 5 % of the requests were hit
    assert tally["retried ok"] > 0.8 * fired - failed  # most faults were absorbed by retries
    assert failed < 0.01 * CALLS  # three attempts make a lost call rare
    assert peaks[1] <= peaks[0] + 4 * 1024 * 1024  # flat: no growth beyond allocator noise
    assert objects[1] - objects[0] < 500  # a leak of one object per call would add 5000

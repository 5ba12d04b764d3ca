"""Four worker processes against the emulator's limits: throttled alone, never with the shared limiter.
Two webhook workers fed the same events apply each one once."""

from __future__ import annotations

import asyncio
import json
import os
import random
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from ivs_async import Ivs
from ivs_async.testing import LocalIvs, Quotas
from tests.emulator.test_pacing import busiest_second, live_channels
from tests.fleet.conftest import RedisServer
from tests.fleet.test_outages import event

ROOT = Path(__file__).resolve().parents[2]
WORKERS = 4


async def run_fleet(jobs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    env = {**os.environ, "AWS_EC2_METADATA_DISABLED": "true", "NO_PROXY": "127.0.0.1"}
    procs = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "tests.fleet.worker",
            json.dumps(job),
            cwd=ROOT,
            env=env,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        for job in jobs
    ]
    try:
        for proc in procs:
            assert proc.stdout is not None
            line = await asyncio.wait_for(proc.stdout.readline(), 60)
            assert line == b"ready\n", line
        for proc in procs:  # all start together
            assert proc.stdin is not None
            proc.stdin.write(b"go\n")
            await proc.stdin.drain()
        reports = []
        for proc in procs:
            out, err = await asyncio.wait_for(proc.communicate(), 60)
            assert proc.returncode == 0, err.decode()[-2000:]
            reports.append(json.loads(out.decode().strip().splitlines()[-1]))
        return reports
    finally:
        for proc in procs:
            if proc.returncode is None:
                proc.kill()
                await proc.wait()


def job(
    emulator: LocalIvs, redis: RedisServer, limiter: str, operation: str, channels: list[str], calls: int
) -> dict[str, Any]:
    creds = emulator.credentials
    return {
        "limiter": limiter,
        "operation": operation,
        "channels": channels,
        "calls": calls,
        "redis": redis.url,
        "account": emulator.account_id,
        "region": emulator.region,
        "endpoint": emulator.endpoint,
        "key": creds.access_key_id,
        "secret": creds.secret_access_key,
    }


async def test_put_metadata_from_four_workers(ivs: Ivs, ivs_emulator: LocalIvs, redis_server: RedisServer) -> None:
    channels = await live_channels(ivs, ivs_emulator, 2)
    per_worker = 5  # calls per channel per worker: what one worker may send in a second

    alone = await run_fleet([job(ivs_emulator, redis_server, "local", "put_metadata", channels, per_worker)] * WORKERS)
    assert sum(r["throttled"] for r in alone) >= len(channels) * (WORKERS - 1) * per_worker // 2
    await asyncio.sleep(1.1)  # the emulator's window passes
    before = len(ivs_emulator.metadata())

    shared = await run_fleet([job(ivs_emulator, redis_server, "redis", "put_metadata", channels, per_worker)] * WORKERS)
    assert [(r["throttled"], r["other_errors"]) for r in shared] == [(0, [])] * WORKERS
    assert sum(r["ok"] for r in shared) == WORKERS * len(channels) * per_worker
    records = ivs_emulator.metadata()[before:]
    for arn in channels:
        assert busiest_second([r.received_at.timestamp() for r in records if r.channel_arn == arn]) <= 5
    # 20 calls per channel at 5 per second (plus the 5 % margin): at least 19 intervals of 0.21 s.
    minimum = (WORKERS * per_worker - 1) * 1.05 / 5
    slowest = max(r["elapsed"] for r in shared)
    assert minimum * 0.95 <= slowest <= minimum * 1.6


async def test_an_api_rate_from_four_workers(ivs: Ivs, ivs_emulator: LocalIvs, redis_server: RedisServer) -> None:
    channels = await live_channels(ivs, ivs_emulator, 1)
    await asyncio.sleep(1.1)  # CreateChannel calls out of GetChannel's way, though each has its own rate
    ivs_emulator.quotas = Quotas(enforce_api_rates=True)
    per_worker = 4  # GetChannel: 5 per second per account

    alone = await run_fleet([job(ivs_emulator, redis_server, "local", "get_channel", channels, per_worker)] * WORKERS)
    assert sum(r["throttled"] for r in alone) >= WORKERS * per_worker - 5 - 4  # 5 fit the second, a few the next
    await asyncio.sleep(1.1)

    shared = await run_fleet([job(ivs_emulator, redis_server, "redis", "get_channel", channels, per_worker)] * WORKERS)
    assert [(r["throttled"], r["other_errors"]) for r in shared] == [(0, [])] * WORKERS
    minimum = (WORKERS * per_worker - 1) * 1.05 / 5
    slowest = max(r["elapsed"] for r in shared)
    assert minimum * 0.95 <= slowest <= minimum * 1.6


async def test_two_webhook_workers_apply_each_event_once(redis_server: RedisServer) -> None:
    start = datetime.now(UTC).replace(microsecond=0)
    events = [event(n, start + timedelta(seconds=n)) for n in range(40)]
    late = event(100, start - timedelta(seconds=5))  # older than everything: never applied
    deliveries = [*events, *random.Random(7).sample(events, 15), late]  # EventBridge: at least once
    jobs = []
    for seed in (1, 2):
        mine = list(deliveries)
        random.Random(seed).shuffle(mine)
        jobs.append({"operation": "ledger", "redis": redis_server.url, "namespace": "fleet", "events": mine})
    reports = await run_fleet(jobs)
    first, second = (set(r["applied"]) for r in reports)
    assert not first & second  # no event applied by both
    applied = first | second
    assert sum(len(r["applied"]) for r in reports) == len(applied)  # nor twice by one
    assert {f"event-{n}" for n in range(40)} - applied <= {f"event-{n}" for n in range(39)}  # the newest always
    assert "event-100" not in applied or len(applied) == 41

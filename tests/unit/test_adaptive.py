"""Adaptive retry mode: the CUBIC rate limiter against botocore's, and through the client."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import pytest
from botocore.retries import adaptive as bc_adaptive
from botocore.retries import bucket as bc_bucket
from botocore.retries import throttling as bc_throttling
from hypothesis import given, settings
from hypothesis import strategies as st

from ivs_async import IvsClient, StaticCredentials
from ivs_async._core.retries import AdaptiveRetryStrategy, StandardRetryStrategy
from ivs_async._fleet.rate_limit import ClientRateLimiter, CubicRate, TokenBucket
from ivs_async.commands import ListChannelsCommand
from ivs_async.errors import ConfigurationError
from tests.conftest import KEY, REGION, SECRET
from tests.support.loopback import LoopbackServer, Reply

THROTTLED = Reply(400, {"exceptionMessage": "slow down"}, {"x-amzn-ErrorType": "ThrottlingException"})


class FakeClock:
    """A clock both implementations read: ours calls it, botocore's asks current_time()."""

    def __init__(self, start: float) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def current_time(self) -> float:
        return self.now

    def sleep(self, amount: float) -> None:  # botocore's bucket would block; these tests never wait
        raise AssertionError("unexpected sleep")


class _Detector:
    def is_throttling_error(self, **kwargs: Any) -> bool:
        return bool(kwargs["throttled"])


# Events: seconds since the previous response and whether it was a throttle.
events = st.lists(st.tuples(st.floats(min_value=0, max_value=3), st.booleans()), min_size=1, max_size=60)


@settings(max_examples=200, deadline=None)
@given(start=st.floats(min_value=0, max_value=1e6), events=events)
def test_rates_match_botocores_adaptive_mode(start: float, events: list[tuple[float, bool]]) -> None:
    clock = FakeClock(start)
    ours = ClientRateLimiter(clock)
    reference_bucket = bc_bucket.TokenBucket(max_rate=1, clock=clock)
    reference = bc_adaptive.ClientRateLimiter(
        rate_adjustor=bc_throttling.CubicCalculator(starting_max_rate=0, start_time=start),
        rate_clocker=bc_adaptive.RateClocker(clock),
        token_bucket=reference_bucket,
        throttling_detector=_Detector(),
        clock=clock,
    )
    for gap, throttled in events:
        clock.now += gap
        ours.record(throttled)
        reference.on_receiving_response(throttled=throttled)
        assert ours.enabled == reference._enabled
        assert ours.rate == pytest.approx(reference_bucket.max_rate, rel=1e-9, abs=1e-9)
        assert ours.bucket.capacity == pytest.approx(reference_bucket.max_capacity, rel=1e-9, abs=1e-9)
        assert ours.meter.rate == pytest.approx(reference._rate_clocker.measured_rate, rel=1e-9, abs=1e-9)


def test_cubic_constants() -> None:
    cubic = CubicRate(start_time=0.0)
    assert cubic.on_throttle(10.0, now=5.0) == pytest.approx(7.0)  # beta 0.7
    k = (10.0 * 0.3 / 0.4) ** (1 / 3)
    assert cubic.k == pytest.approx(k)
    assert cubic.on_success(5.0 + k) == pytest.approx(10.0)  # back at W_max after K seconds
    assert cubic.on_success(5.0 + k + 1) == pytest.approx(10.4)  # then grows by 0.4 * t^3


def test_new_rate_is_at_most_twice_the_measured_rate() -> None:
    clock = FakeClock(100.0)
    limiter = ClientRateLimiter(clock)
    for _ in range(10):  # 10 answers in one half-second bucket, then a throttle in the next
        clock.now += 0.04
        limiter.record(False)
    clock.now = 100.6
    limiter.record(True)
    measured = limiter.meter.rate
    assert limiter.enabled and measured > 0
    for _ in range(40):
        clock.now += 0.5
        limiter.record(False)
        assert limiter.rate <= max(2 * limiter.meter.rate, 0.5) + 1e-9


async def test_the_bucket_paces_and_serves_waiters_in_turn() -> None:
    bucket = TokenBucket(time.monotonic, rate=20.0)
    order: list[int] = []

    async def take(n: int) -> None:
        await bucket.acquire()
        order.append(n)

    started = time.monotonic()
    await asyncio.gather(*(take(n) for n in range(10)))
    elapsed = time.monotonic() - started
    assert order == list(range(10))
    assert elapsed >= 9 / 20 - 0.05  # 10 tokens from an empty bucket at 20/s (measured: about 0.5 s)


async def test_a_cancelled_waiter_gives_its_token_back() -> None:
    bucket = TokenBucket(time.monotonic, rate=1.0)
    waiter = asyncio.create_task(bucket.acquire())
    await asyncio.sleep(0.05)
    waiter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiter
    assert bucket.available > -0.5  # the reservation was returned


async def test_a_disabled_limiter_never_waits() -> None:
    limiter = ClientRateLimiter()
    started = time.monotonic()
    for _ in range(1000):
        await limiter.acquire()
    assert not limiter.enabled and time.monotonic() - started < 1


def test_mode_from_argument_environment_and_profile(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config_file = tmp_path / "config"
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config_file))
    creds = StaticCredentials(KEY, SECRET)
    assert type(IvsClient(region=REGION, credentials=creds).retry_strategy) is StandardRetryStrategy
    assert isinstance(
        IvsClient(region=REGION, credentials=creds, retry_mode="adaptive").retry_strategy, AdaptiveRetryStrategy
    )
    config_file.write_text("[default]\nretry_mode = adaptive\nmax_attempts = 5\n")
    from_profile = IvsClient(region=REGION, credentials=creds).retry_strategy
    assert isinstance(from_profile, AdaptiveRetryStrategy) and from_profile.max_attempts == 5
    monkeypatch.setenv("AWS_RETRY_MODE", "standard")
    assert type(IvsClient(region=REGION, credentials=creds).retry_strategy) is StandardRetryStrategy
    # boto3's "legacy" is accepted and runs as standard; anything else names where it came from.
    monkeypatch.setenv("AWS_RETRY_MODE", "legacy")
    assert type(IvsClient(region=REGION, credentials=creds).retry_strategy) is StandardRetryStrategy
    monkeypatch.setenv("AWS_RETRY_MODE", "fancy")
    with pytest.raises(
        ConfigurationError, match=r"AWS_RETRY_MODE \(environment variable\).*standard, adaptive, legacy"
    ):
        IvsClient(region=REGION, credentials=creds)
    # Two clients never share a limiter.
    a = IvsClient(region=REGION, credentials=creds, retry_mode="adaptive").retry_strategy
    b = IvsClient(region=REGION, credentials=creds, retry_mode="adaptive").retry_strategy
    assert isinstance(a, AdaptiveRetryStrategy) and isinstance(b, AdaptiveRetryStrategy)
    assert a.rate_limiter is not b.rate_limiter


class SpyLimiter(ClientRateLimiter):
    """Records what the client asks of its limiter."""

    def __init__(self) -> None:
        super().__init__()
        self.recorded: list[bool] = []
        self.tokens_after: list[int] = []  # for each token taken: how many answers came before

    def record(self, throttled: bool) -> None:
        self.recorded.append(throttled)
        super().record(throttled)

    async def acquire(self) -> None:
        if self.enabled:
            self.tokens_after.append(len(self.recorded))
        await super().acquire()


def adaptive_client(endpoint: str, limiter: ClientRateLimiter) -> IvsClient:
    strategy = AdaptiveRetryStrategy(3, rate_limiter=limiter, base_delay=0.001, throttling_base_delay=0.001)
    return IvsClient(
        region=REGION, credentials=StaticCredentials(KEY, SECRET), endpoint=endpoint, retry_strategy=strategy
    )


async def test_a_throttle_turns_the_limiter_on_for_every_later_attempt(server: LoopbackServer) -> None:
    server.queue(THROTTLED)
    limiter = SpyLimiter()
    async with adaptive_client(server.endpoint, limiter) as client:
        out = await client.send(ListChannelsCommand())
        assert out.metadata.attempts == 2 and limiter.enabled
        await client.send(ListChannelsCommand())
    assert limiter.recorded == [True, False, False]  # every answer feeds the meter
    assert limiter.tokens_after == [1, 2]  # no token before the first throttle, one per attempt after it


async def test_connection_failures_do_not_feed_the_rate_meter(server: LoopbackServer) -> None:
    server.queue(Reply(action="reset"))
    limiter = SpyLimiter()
    async with adaptive_client(server.endpoint, limiter) as client:
        out = await client.send(ListChannelsCommand())
    assert out.metadata.attempts == 2
    assert limiter.recorded == [False]  # the success only: a reset says nothing about the service's rate

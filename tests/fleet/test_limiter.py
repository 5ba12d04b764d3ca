"""The GCRA limiters: the schedule's guarantee (property-tested), Redis's scripts, configuration."""

from __future__ import annotations

import asyncio
import itertools
import logging
import math

import pytest
import redis.asyncio
from hypothesis import given, settings
from hypothesis import strategies as st

from ivs_async.errors import ConfigurationError
from ivs_async.events import RedisEventLedger
from ivs_async.limits import API_RATES, InProcessRateLimiter, Limit, RateLimiter, RedisRateLimiter, Reservation
from tests.fleet.conftest import RedisServer

ACCOUNT = "123456789012"
SCOPE = f"{ACCOUNT}:us-west-2"


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def most_in_a_window(times: list[float], period: float) -> int:
    times = sorted(times)
    # Sends a whole period apart are in different windows; 1e-9 absorbs float rounding of the sums.
    return max((sum(1 for s in times if t <= s < t + period - 1e-9) for t in times), default=0)


@settings(max_examples=150, deadline=None)
@given(
    steps=st.lists(
        st.tuples(
            st.floats(0, 0.5),  # time passing before the acquisition
            st.sets(st.sampled_from(["a", "b", "c"]), min_size=1),
            st.integers(1, 3),  # cost
            st.booleans(),  # release it (the caller was cancelled before sending)
        ),
        max_size=60,
    ),
    rate=st.integers(2, 10),
)
def test_no_window_ever_holds_more_than_the_rate(steps: list[tuple[float, set[str], int, bool]], rate: int) -> None:
    clock = FakeClock()
    limiter = InProcessRateLimiter(clock=clock)
    # "a" and "b" are ordered keys (per channel), "c" a shared one over both (per account).
    limits = {
        "a": Limit(rate, 1.0, margin=0.0),
        "b": Limit(rate, 1.0, margin=0.0),
        "c": Limit(rate, 1.0, 0.0, shared=True),
    }
    sent: dict[str, list[float]] = {"a": [], "b": [], "c": []}
    for advance, names, cost, release in steps:
        clock.now += advance
        keys = [(name, limits[name]) for name in sorted(names)]
        reservation = limiter.reserve(SCOPE, keys, cost=cost, max_wait=math.inf)
        assert reservation.granted and reservation.wait >= 0
        if release:
            asyncio.run(limiter.release(reservation))
            continue
        for name in names:
            # A call of cost n counts as n calls an interval apart from its send time.
            sent[name].extend(clock.now + reservation.wait + limits[name].interval * k for k in range(cost))
    for times in sent.values():
        assert most_in_a_window(times, 1.0) <= rate


def test_a_wait_beyond_max_wait_reserves_nothing() -> None:
    clock = FakeClock()
    limiter = InProcessRateLimiter(clock=clock)
    keys = [("api:GetChannel", Limit(5, 1.0, margin=0.0))]
    waits = [limiter.reserve(SCOPE, keys, max_wait=0.5).wait for _ in range(3)]
    assert waits == pytest.approx([0.0, 0.2, 0.4])
    refused = limiter.reserve(SCOPE, keys, max_wait=0.5)
    assert not refused.granted and refused.wait == pytest.approx(0.6) and refused.bound == 0
    assert limiter.reserve(SCOPE, keys, max_wait=1.0).wait == pytest.approx(0.6)  # nothing was taken


def test_limits_are_checked() -> None:
    with pytest.raises(ConfigurationError, match=r"Limit\.rate must be a positive number"):
        Limit(0)
    with pytest.raises(ConfigurationError, match=r"Limit\.margin"):
        Limit(5, 1.0, margin=-1)
    assert Limit(5, 1.0, 0.05).interval == pytest.approx(0.21)


def test_the_rate_table_covers_every_operation() -> None:
    from ivs_async._generated.ivs.commands import OPERATIONS

    assert set(API_RATES) == set(OPERATIONS) - {"PutMetadata"}
    assert API_RATES["GetChannel"] == 5 and API_RATES["TagResource"] == 10 and API_RATES["GetPlaybackKeyPair"] == 3


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"url": "http://127.0.0.1:6379"}, "Redis URL must be redis://"),
        ({"url": "redis://127.0.0.1:99999/0"}, "Redis URL must be redis://"),
        ({"url": "redis://127.0.0.1:6379/zero"}, "Redis URL must be redis://"),
        ({"url": "redis:///0"}, "Redis URL must be redis://"),
        ({"url": "unix://"}, "Redis URL must be redis://"),
        ({"account_id": "12345"}, "12-digit AWS account id"),
        ({"on_failure": "maybe"}, "on_failure must be 'open' or 'closed'"),
        ({"timeout": 0}, "timeout must be a positive number"),
        ({"recheck_after": math.nan}, "recheck_after must be a positive number"),
    ],
)
def test_configuration_mistakes_are_typed_errors(kwargs: dict[str, object], message: str) -> None:
    options: dict[str, object] = {"url": "redis://127.0.0.1:6379/0", "account_id": ACCOUNT, **kwargs}
    url = options.pop("url")
    with pytest.raises(ConfigurationError, match=message):
        RedisRateLimiter(url, **options)  # type: ignore[arg-type]


def test_the_password_never_shows() -> None:
    limiter = RedisRateLimiter("redis://:s3cret-pass@127.0.0.1:6390/0", account_id=ACCOUNT)
    ledger = RedisEventLedger("redis://user:s3cret-pass@127.0.0.1:6390/0")
    assert "s3cret" not in repr(limiter) and "s3cret" not in repr(ledger)
    assert "127.0.0.1:6390" in repr(limiter)
    assert isinstance(limiter, RateLimiter) and isinstance(InProcessRateLimiter(), RateLimiter)


async def test_redis_spaces_calls_of_one_key_across_limiters(redis_server: RedisServer) -> None:
    # Two limiters (two connection pools, as two workers) share one schedule.
    first = RedisRateLimiter(redis_server.url, account_id=ACCOUNT)
    second = RedisRateLimiter(redis_server.url, account_id=ACCOUNT)
    keys = [("api:GetChannel", Limit(5, 1.0, margin=0.0))]
    try:
        waits = [(await (first if n % 2 else second).acquire(SCOPE, keys)).wait for n in range(6)]
        assert waits[0] < 0.05
        gaps = [b - a for a, b in itertools.pairwise(waits)]
        assert all(gap == pytest.approx(0.2, abs=0.02) for gap in gaps)
        assert first.stats.calls == 3 and second.stats.calls == 3 and first.stats.fallbacks == 0
    finally:
        await first.aclose()
        await second.aclose()


async def test_redis_keys_are_hash_tagged_and_expire(redis_server: RedisServer) -> None:
    limiter = RedisRateLimiter(redis_server.url, account_id=ACCOUNT)
    channel = "arn:aws:ivs:us-west-2:123456789012:channel/abc"
    keys = [(f"PutMetadata:channel:{channel}", Limit(5)), ("PutMetadata:account", Limit(155))]
    inspector = redis.asyncio.Redis.from_url(redis_server.url)
    try:
        reservation = await limiter.acquire(SCOPE, keys)
        assert reservation.granted
        stored = sorted(k.decode() for k in await inspector.keys("*"))
        assert stored == [
            f"ivs-async:{{{SCOPE}}}:PutMetadata:account",
            f"ivs-async:{{{SCOPE}}}:PutMetadata:channel:{channel}",
        ]
        for key in stored:
            assert 0 < await inspector.pttl(key) <= 2000  # gone soon after the schedule passes
    finally:
        await inspector.aclose()
        await limiter.aclose()


async def test_redis_refusal_release_and_throttle_feedback(redis_server: RedisServer) -> None:
    limiter = RedisRateLimiter(redis_server.url, account_id=ACCOUNT)
    keys = [("api:ListChannels", Limit(2, 1.0, margin=0.0))]
    try:
        assert (await limiter.acquire(SCOPE, keys)).wait < 0.05
        second = await limiter.acquire(SCOPE, keys)
        assert second.wait == pytest.approx(0.5, abs=0.05)
        refused = await limiter.acquire(SCOPE, keys, max_wait=0.6)
        assert not refused.granted and refused.wait == pytest.approx(1.0, abs=0.05) and refused.bound == 0
        await limiter.release(second)  # the last reservation hands its slot back
        again = await limiter.acquire(SCOPE, keys)
        assert again.wait == pytest.approx(0.5, abs=0.05)
        await limiter.throttled(SCOPE, keys)  # nobody sends for a period from now
        after = await limiter.acquire(SCOPE, keys)
        assert after.wait == pytest.approx(1.0, abs=0.05)
    finally:
        await limiter.aclose()


async def test_a_redis_limiter_in_a_client_paces_every_worker(
    redis_server: RedisServer, caplog: pytest.LogCaptureFixture
) -> None:
    from ivs_async.testing import LocalIvs

    caplog.set_level(logging.WARNING)
    limiter = RedisRateLimiter(redis_server.url, account_id="123456789012")
    async with LocalIvs() as emulator, emulator.aggregated_client(rate_limiter=limiter, max_attempts=1) as ivs:
        assert "api-rate-limit - finalize" in ivs.middleware_stack.identify()
        await asyncio.gather(*(ivs.list_channels() for _ in range(3)))
    assert limiter.stats.calls == 3 and not caplog.records
    await limiter.aclose()


def test_reservation_is_frozen() -> None:
    reservation = Reservation(True, 0.0)
    with pytest.raises(AttributeError):
        reservation.wait = 1.0  # type: ignore[misc]


replies = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**64), 2**64) | st.binary(max_size=8) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=7),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(reply=replies)
def test_any_reply_to_the_acquire_script_is_a_reservation_or_down(reply: object) -> None:
    from ivs_async._fleet.redis_limiter import parse_acquire_reply
    from ivs_async._fleet.redis_link import Down

    keys = [("a", Limit(5)), ("b", Limit(155, shared=True))]
    reason = ""
    try:
        reservation = parse_acquire_reply(reply, ["k:a", "k:b"], keys, 1, 2_000_000)
    except Down as down:
        reason = down.reason
    if reason:
        assert reason == "unexpected reply to the rate limiter script"
    else:
        assert reservation.wait >= 0 and -1 <= reservation.bound <= 1
        assert not reservation.granted or (len(reservation.next_at) == 2 and reservation.wait <= 2.0)


def test_a_client_refuses_what_is_not_a_limiter() -> None:
    from ivs_async import IvsClient

    with pytest.raises(ConfigurationError, match="rate_limiter must implement"):
        IvsClient(region="us-west-2", environ={}, rate_limiter=object())  # type: ignore[arg-type]


async def test_the_emulator_enforces_the_api_rates_when_asked() -> None:
    from ivs_async.errors import ThrottlingException
    from ivs_async.testing import LocalIvs, Quotas

    async with LocalIvs(quotas=Quotas(enforce_api_rates=True)) as emulator:
        async with emulator.aggregated_client(max_attempts=1) as ivs:
            results = await asyncio.gather(*(ivs.list_channels() for _ in range(8)), return_exceptions=True)
        throttled = [r for r in results if isinstance(r, ThrottlingException)]
        assert len(throttled) == 8 - API_RATES["ListChannels"]
        assert "ListChannels is limited to 5 requests per second" in str(throttled[0])
        async with emulator.aggregated_client(max_attempts=1, rate_limiter=InProcessRateLimiter()) as ivs:
            await asyncio.sleep(1.0)
            paced = await asyncio.gather(*(ivs.list_channels() for _ in range(8)), return_exceptions=True)
        assert [r for r in paced if isinstance(r, BaseException)] == []


async def test_a_throttle_seen_by_one_worker_slows_the_others(redis_server: RedisServer) -> None:
    from ivs_async.errors import ThrottlingException
    from ivs_async.testing import Fault, FaultKind, LocalIvs

    first = RedisRateLimiter(redis_server.url, account_id=ACCOUNT)
    second = RedisRateLimiter(redis_server.url, account_id=ACCOUNT)
    async with (
        LocalIvs() as emulator,
        emulator.aggregated_client(rate_limiter=first, max_attempts=1) as one,
        emulator.aggregated_client(rate_limiter=second, max_attempts=1) as other,
    ):
        emulator.faults.add(
            Fault(kind=FaultKind.ERROR, operation="ListStreams", error_code="ThrottlingException", times=1)
        )
        with pytest.raises(ThrottlingException):
            await one.list_streams()
        started = asyncio.get_running_loop().time()
        await other.list_streams()  # another worker: waits out the pause IVS asked for
        assert asyncio.get_running_loop().time() - started >= 0.9
        started = asyncio.get_running_loop().time()
        await other.list_channels()  # other operations are not held back
        assert asyncio.get_running_loop().time() - started < 0.5
    await first.aclose()
    await second.aclose()


def test_nothing_imports_redis_until_a_call_needs_it() -> None:
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from ivs_async.limits import RedisRateLimiter\n"
        "from ivs_async.events import RedisEventLedger\n"
        "RedisRateLimiter('redis://127.0.0.1:1/0', account_id='123456789012')\n"
        "RedisEventLedger('redis://127.0.0.1:1/0')\n"
        "print('redis' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert out.stdout.strip() == "False"


@settings(max_examples=300, deadline=None)
@given(url=st.text(max_size=60) | st.builds(lambda rest: "redis://" + rest, st.text(max_size=40)))
def test_any_url_is_accepted_or_a_configuration_error(url: str) -> None:
    message = ""
    try:
        limiter = RedisRateLimiter(url, account_id=ACCOUNT)
    except ConfigurationError as exc:
        message = str(exc)
    if message:
        assert "Redis URL must be" in message
    else:
        assert url.startswith(("redis://", "rediss://", "unix://")) and repr(limiter)


def test_a_granted_wait_beyond_what_was_asked_is_refused() -> None:
    from ivs_async._fleet.redis_limiter import parse_acquire_reply
    from ivs_async._fleet.redis_link import Down

    keys = [("a", Limit(5))]
    assert parse_acquire_reply([1, 500_000, 1, 7, 9], ["k:a"], keys, 1, 500_000).wait == 0.5
    with pytest.raises(Down):
        parse_acquire_reply([1, 500_001, 1, 7, 9], ["k:a"], keys, 1, 500_000)

"""Standard retries: what is retried, the backoff, the quota, re-signing, cancellation."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from email.utils import formatdate

import pytest
from multidict import CIMultiDict

from ivs_async import IvsClient, IvsError, IvsServiceException, ResponseMetadata, StaticCredentials
from ivs_async._core.clock import SkewedClock
from ivs_async._core.retries import RetryToken, StandardRetryStrategy
from ivs_async._protocol.rest_json import retry_after
from ivs_async.commands import GetChannelCommand
from ivs_async.errors import (
    ConnectionFailedError,
    DeadlineExceededError,
    InternalServerException,
    RequestTimeoutError,
    ResponseParseError,
    ServiceUnavailable,
    ValidationException,
)
from tests.conftest import KEY, REGION, SECRET
from tests.support.botocore_ref import verify_signature
from tests.support.loopback import LoopbackServer, Reply

ARN = "arn:aws:ivs:us-west-2:123456789012:channel/abcdEFGH1234"
OK = Reply(200, {"channel": {"arn": ARN}}, {"x-amzn-RequestId": "ok"})
UNAVAILABLE = Reply(503, {"exceptionMessage": "busy"}, {"x-amzn-ErrorType": "ServiceUnavailable"})


def fast(**kwargs: object) -> StandardRetryStrategy:
    return StandardRetryStrategy(base_delay=0.001, **kwargs)  # type: ignore[arg-type]


@pytest.fixture
async def retrying(server: LoopbackServer) -> AsyncIterator[IvsClient]:
    async with IvsClient(
        region=REGION, credentials=StaticCredentials(KEY, SECRET), endpoint=server.endpoint, retry_strategy=fast()
    ) as c:
        yield c


async def test_transient_errors_are_retried_and_each_attempt_is_signed(
    server: LoopbackServer, retrying: IvsClient
) -> None:
    server.queue(UNAVAILABLE, Reply(500, {}, {"x-amzn-ErrorType": "InternalServerException"}), OK)
    out = await retrying.send(GetChannelCommand(arn=ARN))
    assert out.metadata.attempts == 3
    assert 0 < out.metadata.total_retry_delay <= 0.001 + 0.002
    assert len(server.received) == 3
    for r in server.received:
        assert verify_signature(r.method, r.url, r.headers, r.body, key=KEY, secret=SECRET, region=REGION)[0]


@pytest.mark.parametrize("status", [500, 502, 503, 504])
async def test_server_statuses_are_retried_even_with_html(
    server: LoopbackServer, retrying: IvsClient, status: int
) -> None:
    server.queue(Reply(status, b"<html>oops</html>", {"Content-Type": "text/html"}), OK)
    out = await retrying.send(GetChannelCommand(arn=ARN))
    assert out.metadata.attempts == 2


async def test_throttling_is_retried(server: LoopbackServer, retrying: IvsClient) -> None:
    server.queue(Reply(429, {"exceptionMessage": "slow"}, {"x-amzn-ErrorType": "ThrottlingException"}), OK)
    assert (await retrying.send(GetChannelCommand(arn=ARN))).metadata.attempts == 2


async def test_client_errors_are_not_retried(server: LoopbackServer, retrying: IvsClient) -> None:
    server.queue(Reply(400, {"exceptionMessage": "no"}, {"x-amzn-ErrorType": "ValidationException"}), OK)
    with pytest.raises(ValidationException) as info:
        await retrying.send(GetChannelCommand(arn=ARN))
    assert len(server.received) == 1
    assert info.value.metadata is not None and info.value.metadata.attempts == 1


async def test_gives_up_after_max_attempts(server: LoopbackServer, retrying: IvsClient) -> None:
    server.queue(*[Reply(500, {}, {"x-amzn-ErrorType": "InternalServerException"})] * 5)
    with pytest.raises(InternalServerException) as info:
        await retrying.send(GetChannelCommand(arn=ARN))
    assert len(server.received) == 3
    md = info.value.metadata
    assert md is not None and md.attempts == 3 and md.total_retry_delay > 0


async def test_truncated_success_body_is_not_retried(server: LoopbackServer, retrying: IvsClient) -> None:
    server.queue(Reply(200, b'{"chan'), OK)
    with pytest.raises(ResponseParseError):
        await retrying.send(GetChannelCommand(arn=ARN))
    assert len(server.received) == 1


async def test_connection_reset_is_retried(server: LoopbackServer, retrying: IvsClient) -> None:
    server.queue(Reply(action="reset"), OK)
    out = await retrying.send(GetChannelCommand(arn=ARN))
    assert out.metadata.attempts == 2


async def test_connection_refused_is_a_typed_error() -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    strategy = fast()
    async with IvsClient(
        region=REGION,
        credentials=StaticCredentials(KEY, SECRET),
        endpoint=f"http://127.0.0.1:{port}",
        retry_strategy=strategy,
    ) as client:
        with pytest.raises(ConnectionFailedError) as info:
            await client.send(GetChannelCommand(arn=ARN))
    assert info.value.metadata is not None and info.value.metadata.attempts == 3
    assert strategy.available == 500 - 2 * 5


async def test_read_timeout_is_retried_and_costs_more_quota(server: LoopbackServer) -> None:
    strategy = fast()
    server.default = Reply(200, {}, delay=0.5)
    async with IvsClient(
        region=REGION,
        credentials=StaticCredentials(KEY, SECRET),
        endpoint=server.endpoint,
        retry_strategy=strategy,
        read_timeout=0.05,
    ) as client:
        with pytest.raises(RequestTimeoutError) as info:
            await client.send(GetChannelCommand(arn=ARN))
    assert info.value.metadata is not None and info.value.metadata.attempts == 3
    assert strategy.available == 500 - 2 * 10


async def test_quota_runs_out_then_recovers(server: LoopbackServer) -> None:
    strategy = fast(quota_capacity=10)
    async with IvsClient(
        region=REGION, credentials=StaticCredentials(KEY, SECRET), endpoint=server.endpoint, retry_strategy=strategy
    ) as client:
        server.queue(*[UNAVAILABLE] * 3)
        with pytest.raises(ServiceUnavailable):
            await client.send(GetChannelCommand(arn=ARN))
        assert (len(server.received), strategy.available) == (3, 0)
        server.queue(UNAVAILABLE)
        with pytest.raises(ServiceUnavailable) as info:
            await client.send(GetChannelCommand(arn=ARN))
        assert info.value.metadata is not None and info.value.metadata.attempts == 1  # no quota, no retry
        for _ in range(5):
            await client.send(GetChannelCommand(arn=ARN))
        assert strategy.available == 5
        server.queue(UNAVAILABLE, OK)
        assert (await client.send(GetChannelCommand(arn=ARN))).metadata.attempts == 2
        assert strategy.available == 5  # the retry's cost came back with the success


async def test_two_clients_have_their_own_quota(server: LoopbackServer) -> None:
    drained, other = fast(quota_capacity=10), fast(quota_capacity=10)
    creds = StaticCredentials(KEY, SECRET)
    a = IvsClient(region=REGION, credentials=creds, endpoint=server.endpoint, retry_strategy=drained)
    b = IvsClient(region=REGION, credentials=creds, endpoint=server.endpoint, retry_strategy=other)
    server.queue(*[UNAVAILABLE] * 3)
    with pytest.raises(ServiceUnavailable):
        await a.send(GetChannelCommand(arn=ARN))
    assert drained.available == 0
    server.queue(UNAVAILABLE, OK)
    assert (await b.send(GetChannelCommand(arn=ARN))).metadata.attempts == 2  # b still retries
    await a.close()
    await b.close()
    # Without an explicit strategy each client builds its own.
    c = IvsClient(region=REGION, credentials=creds)
    d = IvsClient(region=REGION, credentials=creds)
    assert c._retry_strategy is not d._retry_strategy


async def test_cancellation_is_not_retried_and_leaves_nothing_running(server: LoopbackServer) -> None:
    server.default = Reply(200, {}, delay=5)
    client = IvsClient(region=REGION, credentials=StaticCredentials(KEY, SECRET), endpoint=server.endpoint)
    task = asyncio.create_task(client.send(GetChannelCommand(arn=ARN)))
    while not server.received:
        await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert len(server.received) == 1
    connector = client.transport.connector  # type: ignore[attr-defined]
    await asyncio.sleep(0)
    assert connector is not None and len(connector._acquired) == 0  # the connection went back (or was closed)
    await client.close()
    others = [t for t in asyncio.all_tasks() if t is not asyncio.current_task() and "send" in repr(t.get_coro())]
    assert others == []


def test_backoff_is_full_jitter_and_capped() -> None:
    strategy = StandardRetryStrategy()
    for attempt in range(1, 12):
        cap = min(20.0, 0.1 * 2 ** (attempt - 1))
        delays = [strategy.backoff(attempt) for _ in range(200)]
        assert all(0 <= d <= cap for d in delays)
        assert max(delays) > cap / 2  # spread over the whole range, not a fixed delay
    assert max(strategy.backoff(30) for _ in range(100)) <= 20.0


def test_custom_strategy_must_implement_the_protocol() -> None:
    from ivs_async.errors import ConfigurationError

    with pytest.raises(ConfigurationError):
        IvsClient(region=REGION, credentials=StaticCredentials(KEY, SECRET), retry_strategy=object())  # type: ignore[arg-type]


async def test_sdk_request_headers_per_attempt_and_per_call(server: LoopbackServer, retrying: IvsClient) -> None:
    server.queue(UNAVAILABLE, OK, OK)
    await retrying.send(GetChannelCommand(arn=ARN))
    await retrying.send(GetChannelCommand(arn=ARN))
    first, retried, other = server.received
    assert first.headers["amz-sdk-request"] == "attempt=1; max=3"
    assert retried.headers["amz-sdk-request"] == "attempt=2; max=3"
    assert other.headers["amz-sdk-request"] == "attempt=1; max=3"
    invocation = first.headers["amz-sdk-invocation-id"]
    assert str(uuid.UUID(invocation)) == invocation
    assert retried.headers["amz-sdk-invocation-id"] == invocation  # one id per call, kept across attempts
    assert other.headers["amz-sdk-invocation-id"] != invocation
    for r in server.received:  # the headers are signed with the rest
        assert verify_signature(r.method, r.url, r.headers, r.body, key=KEY, secret=SECRET, region=REGION)[0]


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"Retry-After": "3"}, 3.0),
        ({"Retry-After": " 0 "}, 0.0),
        ({"x-amz-retry-after": "1500"}, 1.5),
        ({"x-amz-retry-after": "1500", "Retry-After": "9"}, 1.5),  # the precise one wins
        ({"x-amz-retry-after": "soon", "Retry-After": "9"}, 9.0),
        ({"Retry-After": "Wed, 21 Oct 2026 07:28:30 GMT", "Date": "Wed, 21 Oct 2026 07:28:00 GMT"}, 30.0),
        ({"Retry-After": "Wed, 21 Oct 2026 07:27:00 GMT", "Date": "Wed, 21 Oct 2026 07:28:00 GMT"}, 0.0),
        ({"Retry-After": "-5"}, None),
        ({"Retry-After": "tomorrow"}, None),
        ({}, None),
    ],
)
def test_retry_after_hints(headers: dict[str, str], expected: float | None) -> None:
    assert retry_after(CIMultiDict(headers)) == expected


def test_retry_after_is_clamped_to_backoff_plus_five_seconds() -> None:
    strategy = StandardRetryStrategy(base_delay=0.001)
    for hint, low, high in ((2.0, 2.0, 2.0), (100.0, 5.0, 5.002), (0.0, 0.0, 0.001)):
        error = ServiceUnavailable("busy", metadata=ResponseMetadata(http_status_code=503, retry_after=hint))
        delay = strategy.retry_delay(RetryToken(), error)
        assert delay is not None and low <= delay <= high


async def test_retry_after_from_the_wire_is_honoured(server: LoopbackServer, retrying: IvsClient) -> None:
    server.queue(Reply(503, {"exceptionMessage": "busy"}, {"x-amz-retry-after": "300"}), OK)
    out = await retrying.send(GetChannelCommand(arn=ARN))
    assert out.metadata.attempts == 2 and out.metadata.total_retry_delay == pytest.approx(0.3)


def test_throttling_backs_off_from_a_larger_base() -> None:
    strategy = StandardRetryStrategy()
    throttled = [strategy.backoff(1, throttled=True) for _ in range(300)]
    transient = [strategy.backoff(1) for _ in range(300)]
    assert max(transient) <= 0.1 < max(throttled) <= 0.5
    assert max(strategy.backoff(3, throttled=True) for _ in range(300)) <= 2.0


def test_clock_skew_errors_are_retried_at_once_only_when_the_clock_moved() -> None:
    strategy = StandardRetryStrategy()
    before = strategy.available
    skewed = IvsServiceException(
        "Signature expired", code="InvalidSignatureException", metadata=ResponseMetadata(http_status_code=403)
    )
    assert strategy.retry_delay(RetryToken(), skewed) is None  # a plain signature error is final
    assert skewed.metadata is not None
    skewed.metadata.clock_skew_corrected = True
    token = RetryToken()
    assert strategy.retry_delay(token, skewed) == 0.0 and token.attempts == 2
    assert strategy.available == before  # free: the client fixed its own clock


def test_skewed_clock_learns_from_date_headers() -> None:
    local = [1_800_000_000.0]
    clock = SkewedClock(lambda: local[0])
    assert not clock.observe(None) and not clock.observe("garbage")
    assert not clock.observe(formatdate(local[0] + 299, usegmt=True))  # under 5 minutes: left alone
    assert clock.offset == 0
    assert clock.observe(formatdate(local[0] + 600, usegmt=True))
    assert clock.offset == pytest.approx(600) and clock.now() == pytest.approx(local[0] + 600)
    assert not clock.observe(formatdate(local[0] + 601, usegmt=True))  # now in step
    assert clock.observe(formatdate(local[0] - 3600, usegmt=True))
    assert clock.offset == pytest.approx(-3600)


async def test_a_user_strategy_gets_the_attempt_hooks(server: LoopbackServer) -> None:
    seen: list[str] = []

    class Recording(StandardRetryStrategy):
        async def before_attempt(self) -> None:
            seen.append("before")

        def after_attempt(self, error: IvsError | None) -> None:
            seen.append(type(error).__name__ if error else "ok")

    server.queue(UNAVAILABLE, OK)
    async with IvsClient(
        region=REGION,
        credentials=StaticCredentials(KEY, SECRET),
        endpoint=server.endpoint,
        retry_strategy=Recording(base_delay=0.001),
    ) as client:
        out = await client.send(GetChannelCommand(arn=ARN))
    assert out.metadata.attempts == 2
    assert seen == ["before", "ServiceUnavailable", "before", "ok"]


async def test_a_minimal_user_strategy_replaces_the_builtin_one(server: LoopbackServer) -> None:
    class Twice:
        max_attempts = 2

        def acquire_token(self) -> RetryToken:
            return RetryToken()

        def retry_delay(self, token: RetryToken, error: IvsError) -> float | None:
            if token.attempts >= self.max_attempts:
                return None
            token.attempts += 1
            return 0.0  # retries even what the standard mode would not

        def record_success(self, token: RetryToken) -> None:
            pass

    server.queue(Reply(400, {"exceptionMessage": "bad"}, {"x-amzn-ErrorType": "ValidationException"}), OK)
    async with IvsClient(
        region=REGION, credentials=StaticCredentials(KEY, SECRET), endpoint=server.endpoint, retry_strategy=Twice()
    ) as client:
        out = await client.send(GetChannelCommand(arn=ARN))
        assert out.metadata.attempts == 2
        assert server.received[1].headers["amz-sdk-request"] == "attempt=2; max=2"


async def test_deadline_error_carries_attempts_and_is_not_retried(server: LoopbackServer) -> None:
    server.default = Reply(200, {}, delay=2)
    async with IvsClient(
        region=REGION, credentials=StaticCredentials(KEY, SECRET), endpoint=server.endpoint, timeout=0.2
    ) as client:
        with pytest.raises(
            DeadlineExceededError, match=r"GetChannel did not finish within its 0.2 s deadline"
        ) as caught:
            await client.send(GetChannelCommand(arn=ARN))
    assert caught.value.metadata is not None and caught.value.metadata.attempts == 1
    assert isinstance(caught.value, RequestTimeoutError) and not caught.value.retryable


async def test_no_retry_is_started_that_the_deadline_would_cut(server: LoopbackServer) -> None:
    server.default = Reply(503, {"exceptionMessage": "busy"}, {"Retry-After": "3"})
    async with IvsClient(
        region=REGION, credentials=StaticCredentials(KEY, SECRET), endpoint=server.endpoint, timeout=1
    ) as client:
        with pytest.raises(IvsServiceException) as caught:
            await client.send(GetChannelCommand(arn=ARN))
    # The server asked for 3 s; the call had 1 s: it ends at once with the service's own error.
    assert not isinstance(caught.value, DeadlineExceededError)
    assert caught.value.metadata is not None and caught.value.metadata.attempts == 1
    assert len(server.received) == 1


def test_http_dates_in_every_form_http_allows() -> None:
    from ivs_async._core.clock import parse_http_date

    for seconds in (0, 784111777, 1_800_000_000, 4_000_000_000):
        assert parse_http_date(formatdate(seconds, usegmt=True)) == seconds
    assert parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT") == 784111777  # RFC 850
    assert parse_http_date("Sun Nov  6 08:49:37 1994") == 784111777  # asctime
    for bad in (
        "garbage",
        "",
        "Thu, 32 Nov 2026 23:41:57 GMT",
        "Thu, 26 Nov 2026 25:61:57 GMT",
        "Thu, 26 Nov 2026 23:41 GMT",
    ):
        assert parse_http_date(bad) is None

"""Standard retries, 2026 revision (``AWS_NEW_RETRIES_2026=true``).

The cases are the ones the reference SDKs test this revision with (botocore's
test_standard_retry_v2_1.py, the C++ SDK's "SEP test cases", JS v3's util-retry constants),
restated against our strategy: quota costs 14 (transient, timeouts too) and 5 (throttling),
a success gives the cost back, bases of 0.05 s and 1 s, a 20 s cap, and ``x-amz-retry-after``
honoured within [backoff, backoff + 5 s].
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from ivs_async import IvsClient, ResponseMetadata, StaticCredentials
from ivs_async._core.retries import RetryToken, StandardRetryStrategy
from ivs_async.commands import GetChannelCommand
from ivs_async.errors import (
    ConfigurationError,
    ConnectionFailedError,
    InternalServerException,
    RequestTimeoutError,
    ThrottlingException,
)
from tests.conftest import KEY, REGION, SECRET
from tests.support.loopback import LoopbackServer, Reply

ARN = "arn:aws:ivs:us-west-2:123456789012:channel/abcdEFGH1234"


class _Top:
    """random() at the top of its range, so a backoff is its cap (botocore's tests do the same)."""

    def random(self) -> float:
        return 1.0


def strategy(**options: object) -> StandardRetryStrategy:
    made = StandardRetryStrategy(new_retries=True, **options)  # type: ignore[arg-type]
    made._random = _Top()  # type: ignore[assignment]
    return made


def server_error(**metadata: object) -> InternalServerException:
    return InternalServerException("boom", metadata=ResponseMetadata(http_status_code=500, **metadata))  # type: ignore[arg-type]


def throttle() -> ThrottlingException:
    return ThrottlingException("slow down", metadata=ResponseMetadata(http_status_code=429))


def test_backoff_doubles_from_50_ms_and_is_capped_at_20_s() -> None:
    retries = strategy()
    assert [retries.backoff(attempt) for attempt in range(1, 12)] == pytest.approx(
        [0.05, 0.1, 0.2, 0.4, 0.8, 1.6, 3.2, 6.4, 12.8, 20, 20]
    )
    assert retries.backoff(30) == 20.0


def test_backoff_after_throttling_starts_at_one_second() -> None:
    retries = strategy()
    assert retries.backoff(1, throttled=True) == pytest.approx(1.0)
    assert retries.backoff(2, throttled=True) == pytest.approx(2.0)


def test_jitter_stays_within_the_range() -> None:
    retries = StandardRetryStrategy(new_retries=True)
    assert all(0 <= retries.backoff(3) <= 0.2 for _ in range(500))


@pytest.mark.parametrize(
    ("error", "cost"),
    [
        (server_error(), 14),
        (ConnectionFailedError("reset"), 14),
        (RequestTimeoutError("read timed out"), 14),
        (throttle(), 5),
    ],
)
def test_quota_costs_and_the_refund_on_success(error: Exception, cost: int) -> None:
    retries = strategy()
    token = RetryToken()
    assert retries.retry_delay(token, error) is not None  # type: ignore[arg-type]
    assert retries.available == 500 - cost
    retries.record_success(token)
    assert retries.available == 500


def test_two_transient_retries_cost_28() -> None:
    retries = strategy(max_attempts=3)
    token = RetryToken()
    assert retries.retry_delay(token, server_error()) is not None
    assert retries.retry_delay(token, server_error()) is not None
    assert retries.available == 472
    assert retries.retry_delay(token, server_error()) is None  # max attempts reached
    assert retries.available == 472


def test_a_failed_call_gives_nothing_back_and_a_first_time_success_adds_one() -> None:
    retries = strategy()
    retries.available = 450
    retries.record_success(RetryToken())
    assert retries.available == 451


def test_an_exhausted_quota_refuses_a_transient_retry_but_not_a_throttle() -> None:
    retries = strategy(quota_capacity=500)
    retries.available = 10
    assert retries.retry_delay(RetryToken(), server_error()) is None  # needs 14
    assert retries.available == 10
    assert retries.retry_delay(RetryToken(), throttle()) is not None  # needs 5
    assert retries.available == 5


@pytest.mark.parametrize(
    ("header", "delay"),
    [("1500", 1.5), ("0", 0.05), ("10000", 5.05), ("invalid", 0.05), ("-100", 0.05)],
)
def test_x_amz_retry_after(header: str, delay: float) -> None:
    from multidict import CIMultiDict

    from ivs_async._core.http import HttpResponse
    from ivs_async._protocol.rest_json import parse_error

    response = HttpResponse(
        500, CIMultiDict({"x-amzn-ErrorType": "InternalServerException", "x-amz-retry-after": header}), b"{}"
    )
    error = parse_error(response)
    retries = strategy()
    token = RetryToken()
    assert retries.retry_delay(token, error) == pytest.approx(delay)
    assert retries.available == 486
    retries.record_success(token)
    assert retries.available == 500


def test_plain_retry_after_is_not_read_by_the_2026_revision() -> None:
    hinted = server_error(retry_after=3.0, retry_after_header="Retry-After")
    assert strategy().retry_delay(RetryToken(), hinted) == pytest.approx(0.05)
    # The pre-2026 standard mode of this SDK honours it.
    old = StandardRetryStrategy()
    old._random = _Top()  # type: ignore[assignment]
    assert old.retry_delay(RetryToken(), hinted) == pytest.approx(3.0)


def test_the_pre_2026_numbers_are_unchanged() -> None:
    old = StandardRetryStrategy()
    assert (old.base_delay, old.throttling_base_delay, old.retry_cost, old.timeout_cost, old.throttling_cost) == (
        0.1,
        0.5,
        5,
        10,
        5,
    )


@pytest.fixture
async def client_2026(server: LoopbackServer, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[IvsClient]:
    monkeypatch.setenv("AWS_NEW_RETRIES_2026", "true")
    async with IvsClient(region=REGION, credentials=StaticCredentials(KEY, SECRET), endpoint=server.endpoint) as c:
        yield c


async def test_the_switch_turns_it_on_for_the_builtin_modes(
    server: LoopbackServer, client_2026: IvsClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    retries = client_2026.retry_strategy
    assert isinstance(retries, StandardRetryStrategy) and retries.new_retries
    server.queue(
        Reply(500, {"exceptionMessage": "boom"}, {"x-amzn-ErrorType": "InternalServerException"}),
        Reply(200, {"channel": {"arn": ARN}}),
    )
    out = await client_2026.send(GetChannelCommand(arn=ARN))
    assert out.metadata.attempts == 2 and out.metadata.total_retry_delay <= 0.05
    assert retries.available == 500  # 14 taken, 14 given back
    adaptive = IvsClient(region=REGION, credentials=StaticCredentials(KEY, SECRET), retry_mode="adaptive")
    assert isinstance(adaptive.retry_strategy, StandardRetryStrategy) and adaptive.retry_strategy.new_retries
    monkeypatch.setenv("AWS_NEW_RETRIES_2026", "false")
    off = IvsClient(region=REGION, credentials=StaticCredentials(KEY, SECRET)).retry_strategy
    assert isinstance(off, StandardRetryStrategy) and not off.new_retries


def test_a_bad_switch_value_is_a_typed_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_NEW_RETRIES_2026", "yes please")
    with pytest.raises(ConfigurationError, match=r"AWS_NEW_RETRIES_2026 \(environment variable\)"):
        IvsClient(region=REGION, credentials=StaticCredentials(KEY, SECRET))

"""The issue's fault list, injected by the emulator: attempts, error type, elapsed time, no leaks.

Elapsed times are measured and printed in the run's summary; the bounds asserted here follow
from the configuration (a timeout cannot end before it expires), they are not speed claims.
"""

from __future__ import annotations

import asyncio
import time

import pytest

from ivs_async import IvsClient
from ivs_async.commands import CreateChannelCommand, ListChannelsCommand
from ivs_async.errors import (
    ConnectionFailedError,
    DeadlineExceededError,
    InternalServerException,
    IvsServiceException,
    RequestTimeoutError,
    ResponseParseError,
    ServiceUnavailable,
    ThrottlingException,
)
from ivs_async.testing import Fault, FaultKind, LocalIvs
from tests.resilience.conftest import assert_nothing_leaked, measure

LIST = "ListChannels"


async def test_burst_of_429s_then_success(ivs_emulator: LocalIvs, label: str) -> None:
    ivs_emulator.faults.add(Fault(operation=LIST, times=2, status=429, error_code="ThrottlingException"))
    client = ivs_emulator.client()
    outcome = await measure(client, ListChannelsCommand(), label)
    assert outcome.error is None and outcome.attempts == 3
    assert outcome.result.metadata.total_retry_delay <= outcome.elapsed
    assert ivs_emulator.requests(LIST) == 3
    await assert_nothing_leaked(client)


async def test_throttling_storm_longer_than_the_attempts(ivs_emulator: LocalIvs, label: str) -> None:
    ivs_emulator.faults.add(Fault(operation=LIST, times=None, error_code="ThrottlingException"))
    client = ivs_emulator.client()
    outcome = await measure(client, ListChannelsCommand(), label)
    assert isinstance(outcome.error, ThrottlingException) and outcome.attempts == 3
    assert outcome.error.http_status_code == 429  # the model's status for ThrottlingException
    await assert_nothing_leaked(client)


@pytest.mark.parametrize("status", [500, 502, 503, 504])
async def test_server_errors_are_retried(ivs_emulator: LocalIvs, label: str, status: int) -> None:
    ivs_emulator.faults.add(Fault(operation=LIST, status=status))
    client = ivs_emulator.client()
    outcome = await measure(client, ListChannelsCommand(), label)
    assert outcome.error is None and outcome.attempts == 2
    await assert_nothing_leaked(client)


async def test_modeled_server_error_every_time(ivs_emulator: LocalIvs, label: str) -> None:
    ivs_emulator.faults.add(Fault(operation=LIST, times=None, error_code="InternalServerException"))
    client = ivs_emulator.client(max_attempts=4)
    outcome = await measure(client, ListChannelsCommand(), label)
    assert isinstance(outcome.error, InternalServerException) and outcome.attempts == 4
    assert ivs_emulator.requests(LIST) == 4
    await assert_nothing_leaked(client)


async def test_503_with_an_html_body(ivs_emulator: LocalIvs, label: str) -> None:
    ivs_emulator.faults.add(Fault(kind=FaultKind.NON_JSON, operation=LIST, status=503))
    client = ivs_emulator.client()
    once = await measure(client, ListChannelsCommand(), label + "[once]")
    assert once.error is None and once.attempts == 2
    ivs_emulator.faults.add(Fault(kind=FaultKind.NON_JSON, operation=LIST, status=503, times=None))
    always = await measure(client, ListChannelsCommand(), label + "[always]")
    assert isinstance(always.error, ResponseParseError) and always.attempts == 3
    assert always.error.http_status_code == 503 and "<html>" in always.error.snippet
    await assert_nothing_leaked(client)


async def test_truncated_json_body_is_not_retried(ivs_emulator: LocalIvs, label: str) -> None:
    # The whole (cut) body arrived: the operation ran, and a second CreateChannel would create twice.
    ivs_emulator.faults.add(Fault(kind=FaultKind.TRUNCATED_JSON, operation="CreateChannel"))
    client = ivs_emulator.client()
    outcome = await measure(client, CreateChannelCommand(name="cut"), label)
    assert isinstance(outcome.error, ResponseParseError) and outcome.attempts == 1
    assert "not valid JSON" in str(outcome.error)
    await assert_nothing_leaked(client)


async def test_connection_reset_mid_body_is_retried(ivs_emulator: LocalIvs, label: str) -> None:
    ivs_emulator.faults.add(Fault(kind=FaultKind.RESET_MID_BODY, operation=LIST))
    client = ivs_emulator.client()
    outcome = await measure(client, ListChannelsCommand(), label)
    assert outcome.error is None and outcome.attempts == 2
    ivs_emulator.faults.add(Fault(kind=FaultKind.RESET_MID_BODY, operation=LIST, times=None))
    always = await measure(client, ListChannelsCommand(), label + "[always]")
    assert isinstance(always.error, ConnectionFailedError) and always.attempts == 3
    await assert_nothing_leaked(client)


async def test_connection_reset_before_the_answer(ivs_emulator: LocalIvs, label: str) -> None:
    ivs_emulator.faults.add(Fault(kind=FaultKind.RESET, operation=LIST, times=2))
    client = ivs_emulator.client()
    outcome = await measure(client, ListChannelsCommand(), label)
    assert outcome.error is None and outcome.attempts == 3
    await assert_nothing_leaked(client)


async def test_server_that_never_answers_times_out_each_attempt(ivs_emulator: LocalIvs, label: str) -> None:
    ivs_emulator.faults.add(Fault(kind=FaultKind.HANG, operation=LIST, times=None, delay=60))
    client = ivs_emulator.client(read_timeout=0.2)
    outcome = await measure(client, ListChannelsCommand(), label)
    assert isinstance(outcome.error, RequestTimeoutError) and not isinstance(outcome.error, DeadlineExceededError)
    assert outcome.attempts == 3
    assert 3 * 0.2 <= outcome.elapsed < 10  # three read timeouts, never the 60 s hang
    await assert_nothing_leaked(client)


async def test_hang_once_then_answer(ivs_emulator: LocalIvs, label: str) -> None:
    ivs_emulator.faults.add(Fault(kind=FaultKind.HANG, operation=LIST, delay=60))
    client = ivs_emulator.client(read_timeout=0.2)
    outcome = await measure(client, ListChannelsCommand(), label)
    assert outcome.error is None and outcome.attempts == 2
    await assert_nothing_leaked(client)


async def test_deadline_bounds_the_whole_call(ivs_emulator: LocalIvs, label: str) -> None:
    ivs_emulator.faults.add(Fault(kind=FaultKind.HANG, operation=LIST, times=None, delay=60))
    client = ivs_emulator.client(read_timeout=0.3, timeout=0.5)
    outcome = await measure(client, ListChannelsCommand(), label)
    assert isinstance(outcome.error, DeadlineExceededError) and not outcome.error.retryable
    assert outcome.attempts == 2  # the second attempt was cut by the deadline
    assert isinstance(outcome.error.__cause__, RequestTimeoutError)  # what the first attempt ran into
    assert 0.5 <= outcome.elapsed < 5
    # Per call, the deadline can be longer or shorter than the client's.
    short = await measure(client, ListChannelsCommand(), label + "[per call]", timeout=0.1)
    assert isinstance(short.error, DeadlineExceededError) and short.attempts == 1
    assert 0.1 <= short.elapsed < 0.3 + 5
    await assert_nothing_leaked(client)


async def test_slow_body_within_the_read_timeout(ivs_emulator: LocalIvs, label: str) -> None:
    # The body trickles out over 0.6 s; each piece arrives well inside the read timeout.
    ivs_emulator.faults.add(Fault(kind=FaultKind.SLOW_BODY, operation=LIST, delay=0.6))
    client = ivs_emulator.client(read_timeout=2)
    outcome = await measure(client, ListChannelsCommand(), label)
    assert outcome.error is None and outcome.attempts == 1 and outcome.elapsed >= 0.4  # 8 pieces, 60 ms apart
    # A deadline shorter than the trickle ends the call, however steadily the bytes come.
    ivs_emulator.faults.add(Fault(kind=FaultKind.SLOW_BODY, operation=LIST, delay=2, times=None))
    cut = await measure(client, ListChannelsCommand(), label + "[deadline]", timeout=0.5)
    assert isinstance(cut.error, DeadlineExceededError) and cut.attempts == 1
    await assert_nothing_leaked(client)


async def test_retry_quota_drained_by_a_storm_then_recovers(ivs_emulator: LocalIvs, label: str) -> None:
    ivs_emulator.faults.add(Fault(operation=LIST, times=None, error_code="ServiceUnavailable"))
    client = ivs_emulator.client()
    strategy = client.retry_strategy
    # 500 tokens, 5 per retry, 2 retries per failing call: 50 calls drain it.
    storm = await asyncio.gather(*(measure(client, ListChannelsCommand(), None) for _ in range(60)))
    assert all(isinstance(o.error, ServiceUnavailable) for o in storm)
    assert getattr(strategy, "available", None) == 0
    assert sum(o.attempts for o in storm) == 60 + 500 // 5  # exactly the quota's worth of retries
    drained = await measure(client, ListChannelsCommand(), label + "[drained]")
    assert isinstance(drained.error, ServiceUnavailable) and drained.attempts == 1  # no retry left
    ivs_emulator.faults.clear()
    for _ in range(5):  # each first-attempt success returns one token
        assert (await measure(client, ListChannelsCommand(), label + "[refill]")).attempts == 1
    ivs_emulator.faults.add(Fault(operation=LIST, error_code="ServiceUnavailable"))
    recovered = await measure(client, ListChannelsCommand(), label + "[recovered]")
    assert recovered.error is None and recovered.attempts == 2
    await assert_nothing_leaked(client)


async def test_a_clock_ten_minutes_off_is_corrected_at_once(label: str) -> None:
    for offset in (600, -600):
        with LocalIvs(clock=lambda offset=offset: _utc(time.time() + offset)) as emulator:
            client = emulator.client()
            outcome = await measure(client, ListChannelsCommand(), f"{label}[{offset:+d} s]")
            assert outcome.error is None and outcome.attempts == 2
            assert outcome.result.metadata.total_retry_delay == 0  # retried at once
            assert abs(client.clock_offset - offset) < 3
            again = await measure(client, ListChannelsCommand(), f"{label}[{offset:+d} s, next call]")
            assert again.attempts == 1  # the next call signs with the corrected clock
            await assert_nothing_leaked(client)


async def test_skew_without_retries_left_is_raised_and_the_next_call_passes(label: str) -> None:
    with LocalIvs(clock=lambda: _utc(time.time() + 900)) as emulator:
        client = emulator.client(max_attempts=1)
        failed = await measure(client, ListChannelsCommand(), label)
        assert isinstance(failed.error, IvsServiceException) and failed.error.code == "InvalidSignatureException"
        assert failed.error.metadata is not None and failed.error.metadata.clock_skew_corrected
        passed = await measure(client, ListChannelsCommand(), label + "[next call]")
        assert passed.error is None
        await assert_nothing_leaked(client)


async def test_a_real_signature_error_is_not_retried(label: str) -> None:
    from ivs_async import StaticCredentials

    with LocalIvs() as emulator:
        client = emulator.client(credentials=StaticCredentials(emulator.credentials.access_key_id, "wrong"))
        outcome = await measure(client, ListChannelsCommand(), label)
        assert isinstance(outcome.error, IvsServiceException) and outcome.attempts == 1
        assert outcome.error.code == "InvalidSignatureException" and client.clock_offset == 0
        await assert_nothing_leaked(client)


@pytest.mark.parametrize(
    "stage",
    [
        "waiting for the answer",  # the request is sent, the server holds it
        "reading the body",  # the answer has started and trickles
        "backing off",  # between two attempts
    ],
)
async def test_cancellation_mid_flight(ivs_emulator: LocalIvs, stage: str) -> None:
    if stage == "waiting for the answer":
        ivs_emulator.faults.add(Fault(kind=FaultKind.HANG, operation=LIST, delay=30))
    elif stage == "reading the body":
        ivs_emulator.faults.add(Fault(kind=FaultKind.SLOW_BODY, operation=LIST, delay=30))
    else:
        ivs_emulator.faults.add(Fault(operation=LIST, times=None, status=429, error_code="ThrottlingException"))
    client = ivs_emulator.client(max_attempts=10)
    task = asyncio.create_task(client.send(ListChannelsCommand()))
    while ivs_emulator.requests(LIST) == 0:
        await asyncio.sleep(0.01)
    await asyncio.sleep(0.2)  # well into the stage
    sent = ivs_emulator.requests(LIST)
    started = time.perf_counter()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert time.perf_counter() - started < 1  # cancellation is prompt
    await asyncio.sleep(0.5)
    assert ivs_emulator.requests(LIST) == sent  # no attempt after the cancellation
    await assert_nothing_leaked(client)


def _utc(seconds: float) -> object:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(seconds, UTC)


async def test_cancelled_calls_leave_the_client_usable(ivs_emulator: LocalIvs, label: str) -> None:
    ivs_emulator.faults.add(Fault(kind=FaultKind.HANG, operation=LIST, delay=30, times=8))
    client: IvsClient = ivs_emulator.client()
    tasks = [asyncio.create_task(client.send(ListChannelsCommand())) for _ in range(8)]
    while ivs_emulator.requests(LIST) < 8:
        await asyncio.sleep(0.01)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    outcome = await measure(client, ListChannelsCommand(), label)
    assert outcome.error is None and outcome.attempts == 1
    await assert_nothing_leaked(client)

"""Fault rules: each kind, seen from our client, and how rules are matched and counted."""

from __future__ import annotations

import contextlib
import time

import aiohttp
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ivs_async import IvsClient, IvsServiceException
from ivs_async._exceptions import ConnectionFailedError, RequestTimeoutError, ResponseParseError
from ivs_async.commands import CreateChannelCommand, GetChannelCommand, ListChannelsCommand
from ivs_async.errors import ServiceUnavailable, ThrottlingException
from ivs_async.testing import Fault, FaultKind, LocalIvs


async def list_once(emulator: LocalIvs, **options: object) -> object:
    options.setdefault("max_attempts", 1)
    async with emulator.client(**options) as client:
        return await client.send(ListChannelsCommand())


async def test_error_in_the_wire_form_of_its_code(ivs_emulator: LocalIvs) -> None:
    ivs_emulator.faults.add(Fault(operation="ListChannels", error_code="ServiceUnavailable", message="try later"))
    with pytest.raises(ServiceUnavailable, match="try later") as caught:
        await list_once(ivs_emulator)
    assert caught.value.metadata.http_status_code == 503  # the model's status for the code
    assert caught.value.retryable


async def test_status_without_a_code_is_a_load_balancer_answer(ivs_emulator: LocalIvs) -> None:
    ivs_emulator.faults.add(Fault(status=502))
    with pytest.raises(IvsServiceException) as caught:
        await list_once(ivs_emulator)
    assert (caught.value.code, caught.value.fault) == ("Http502", "server")


async def test_html_page(ivs_emulator: LocalIvs) -> None:
    ivs_emulator.faults.add(Fault(kind=FaultKind.NON_JSON, status=503))
    with pytest.raises(ResponseParseError) as caught:
        await list_once(ivs_emulator)
    assert caught.value.http_status_code == 503 and "<html>" in caught.value.snippet


async def test_truncated_json(ivs_emulator: LocalIvs) -> None:
    ivs_emulator.faults.add(Fault(kind=FaultKind.TRUNCATED_JSON, operation="CreateChannel"))
    async with ivs_emulator.client(max_attempts=1) as client:
        with pytest.raises(ResponseParseError, match="not valid JSON"):
            await client.send(CreateChannelCommand(name="cut"))
        # The operation itself ran: only its answer was damaged.
        listed = await client.send(ListChannelsCommand())
    assert [c.name for c in listed.channels or []] == ["cut"]


@pytest.mark.parametrize("kind", [FaultKind.RESET, FaultKind.RESET_MID_BODY])
async def test_connection_resets(ivs_emulator: LocalIvs, kind: FaultKind) -> None:
    ivs_emulator.faults.add(Fault(kind=kind))
    with pytest.raises(ConnectionFailedError):
        await list_once(ivs_emulator)


async def test_hang_until_the_client_times_out(ivs_emulator: LocalIvs) -> None:
    ivs_emulator.faults.add(Fault(kind=FaultKind.HANG, delay=30))
    started = time.monotonic()
    with pytest.raises(RequestTimeoutError):
        await list_once(ivs_emulator, read_timeout=0.3)
    assert time.monotonic() - started < 10  # the client gave up; nothing waited for the 30 s hang


async def test_delay_and_slow_body_still_answer(ivs_emulator: LocalIvs) -> None:
    ivs_emulator.faults.add(Fault(kind=FaultKind.DELAY, delay=0.2), Fault(kind=FaultKind.SLOW_BODY, delay=0.2))
    for _ in range(2):
        started = time.monotonic()
        out = await list_once(ivs_emulator)
        assert getattr(out, "channels", None) == []
        assert time.monotonic() - started >= 0.15


async def test_burst_then_success_is_retried(ivs_emulator: LocalIvs) -> None:
    ivs_emulator.faults.add(Fault(operation="ListChannels", times=2, error_code="ThrottlingException"))
    out = await list_once(ivs_emulator, max_attempts=3)
    assert out.metadata.attempts == 3
    assert ivs_emulator.faults.fired == {"ListChannels": 2}
    assert ivs_emulator.faults.pending == []


async def test_rules_match_by_operation_and_count(ivs_emulator: LocalIvs) -> None:
    ivs_emulator.faults.add(Fault(operation="GetChannel", times=None, error_code="ThrottlingException"))
    async with ivs_emulator.client(max_attempts=1) as client:
        for _ in range(3):
            with pytest.raises(ThrottlingException):
                await client.send(GetChannelCommand(arn="arn:aws:ivs:us-west-2:123456789012:channel/abcdefghijkl"))
        assert (await client.send(ListChannelsCommand())).channels == []
    assert ivs_emulator.faults.fired == {"GetChannel": 3}
    assert len(ivs_emulator.faults.pending) == 1
    ivs_emulator.faults.clear()
    assert ivs_emulator.faults.pending == []


async def test_probability_with_a_seed_is_repeatable() -> None:
    outcomes = []
    for _ in range(2):
        async with LocalIvs(seed=7) as emulator, emulator.client(max_attempts=1) as client:
            emulator.faults.add(Fault(times=None, probability=0.3, error_code="InternalServerException"))
            seen = []
            for _ in range(40):
                try:
                    await client.send(ListChannelsCommand())
                    seen.append(True)
                except IvsServiceException:
                    seen.append(False)
            outcomes.append(seen)
    assert outcomes[0] == outcomes[1]
    assert 0 < outcomes[0].count(False) < 40


async def test_fault_headers_are_sent(ivs_emulator: LocalIvs) -> None:
    ivs_emulator.faults.add(Fault(error_code="ThrottlingException", headers={"Retry-After": "2"}))
    ivs_emulator.verify_signatures = False
    async with aiohttp.ClientSession() as http, http.post(ivs_emulator.endpoint + "/ListChannels") as response:
        assert response.status == 429
        assert response.headers["Retry-After"] == "2"
        assert response.headers["x-amzn-ErrorType"] == "ThrottlingException"


def test_fault_rules_are_checked() -> None:
    with pytest.raises(ValueError, match="unknown operation"):
        Fault(operation="GetChanel")
    with pytest.raises(ValueError, match="times"):
        Fault(times=0)
    with pytest.raises(ValueError, match="probability"):
        Fault(probability=0)


async def test_faults_come_before_the_signature_check(ivs_emulator: LocalIvs) -> None:
    # A front end fails before it authenticates: even a badly signed call sees the fault.
    from ivs_async import StaticCredentials

    ivs_emulator.faults.add(Fault(error_code="ServiceUnavailable"))
    wrong = StaticCredentials(ivs_emulator.credentials.access_key_id, "wrong")
    async with IvsClient(
        region=ivs_emulator.region, endpoint=ivs_emulator.endpoint, credentials=wrong, max_attempts=1
    ) as client:
        with pytest.raises(ServiceUnavailable):
            await client.send(ListChannelsCommand())


def _documented_errors() -> list[tuple[str, str]]:
    import json
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "codegen" / "model" / "ivs" / "service-2.json"
    model = json.loads(path.read_text())
    return sorted((name, e["shape"]) for name, op in model["operations"].items() for e in op.get("errors", []))


@pytest.mark.parametrize(("operation", "code"), _documented_errors())
async def test_every_documented_error_reaches_our_client_typed(
    ivs_emulator: LocalIvs, operation: str, code: str
) -> None:
    """Errors IVS documents but a healthy emulator never sends (AccessDenied, PendingVerification,
    InternalServer...) come through faults, in their wire form, as the generated error class."""
    from ivs_async import commands
    from ivs_async._generated.ivs.commands import OPERATIONS
    from ivs_async._generated.ivs.errors import MODELED_ERRORS, MODELED_STATUS
    from tests.support.shapes import full_valid

    op = OPERATIONS[operation]
    command_cls = getattr(commands, f"{operation}Command")
    ivs_emulator.faults.add(Fault(operation=operation, error_code=code, message=f"{code} injected"))
    async with ivs_emulator.client(max_attempts=1) as client:
        with pytest.raises(MODELED_ERRORS[code], match=f"{code} injected") as caught:
            await client.send(command_cls(full_valid(op.input)))
    assert caught.value.metadata.http_status_code == MODELED_STATUS[code]


@pytest.mark.parametrize(
    ("options", "named"),
    [
        ({"headers": {"Retry-After": "1\r\nX-Injected: yes"}}, "Retry-After"),
        ({"headers": {"Retry-After": 5}}, "Retry-After"),
        ({"headers": {"Bad Name": "x"}}, "Bad Name"),
        ({"headers": {"Content-Length": "0"}}, "Content-Length"),
        ({"status": 99}, "status"),
        ({"status": 999}, "status"),
        ({"status": True}, "status"),
        ({"error_code": "Throttling\r\nX: y"}, "error_code"),
        ({"delay": float("nan")}, "delay"),
        ({"delay": 10**9}, "delay"),
        ({"times": 0}, "times"),
        ({"probability": 2}, "probability"),
        ({"message": "m" * 2000}, "message"),
    ],
)
def test_a_rule_that_cannot_shape_an_answer_is_refused_when_armed(options: dict[str, object], named: str) -> None:
    with pytest.raises(ValueError, match=named):
        Fault(**options)  # type: ignore[arg-type]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rule=st.dictionaries(
    st.sampled_from(["kind", "operation", "times", "status", "errorCode", "message", "headers", "delay",
                     "probability"]),
    st.none() | st.booleans() | st.integers(-10**12, 10**12) | st.floats() | st.text(max_size=40)
    | st.dictionaries(st.text(max_size=20), st.text(max_size=40) | st.integers(), max_size=3),
))  # fmt: skip
async def test_any_rule_over_the_control_api_is_armed_whole_or_refused(
    ivs_emulator: LocalIvs, rule: dict[str, object]
) -> None:
    rule.setdefault("operation", "ListChannels")
    if isinstance(rule.get("delay"), int | float):
        rule["delay"] = min(abs(rule["delay"]), 0.01) if rule["delay"] == rule["delay"] else rule["delay"]  # type: ignore[operator]
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{ivs_emulator.endpoint}/_ivs_local/faults", json=rule) as response:
            assert response.status in (204, 400), await response.text()
            armed = response.status == 204
        if armed and rule.get("kind") not in ("RESET", "HANG", "RESET_MID_BODY", "SLOW_BODY", "TRUNCATED_JSON"):
            # An armed rule shapes an answer: the next call gets one, on a connection that holds.
            async with ivs_emulator.client(max_attempts=1, timeout=5) as client:
                with contextlib.suppress(IvsServiceException, ResponseParseError):
                    await client.send(ListChannelsCommand())
    ivs_emulator.faults.clear()
    assert ivs_emulator.unexpected_errors == 0

"""A Redis that is not one, or answers the scripts with the wrong shape: any reply that is not what
the script returns is a Redis failure (fail open: this process's own pacing or ledger; fail closed:
RedisUnavailableError), never another exception. Against a loopback server speaking RESP."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import event as label
from hypothesis import strategies as st

from ivs_async.errors import RedisUnavailableError
from ivs_async.events import RedisEventLedger, parse_event
from ivs_async.limits import Limit, RedisRateLimiter, Reservation
from tests.fleet.test_outages import event
from tests.support.resp_server import RespServer, after_the_handshake, to_everything

ACCOUNT = "123456789012"
SCOPE = f"{ACCOUNT}:us-west-2"
KEYS = [("api:GetChannel", Limit(50, 1.0, margin=0.0))]
TIMEOUT = 2.0  # generous: every reply here is whole, so nothing should come near it

# Stand-ins for what redis-py makes of a frame, where only "an integer, or a list" matters.
OTHER = "other"  # a status or bulk string, nil
ERROR = "error"  # an error reply
PROTOCOL = "protocol"  # not RESP2: a protocol error, whatever surrounds it

WRONG = {
    "status OK": b"+OK\r\n",
    "integer": b":1\r\n",
    "negative integer": b":-1\r\n",
    "huge integer": b":99999999999999999999999\r\n",
    "bulk garbage": b"$9\r\n\x00\xff\x80garbag\r\n",
    "bulk that looks like a number": b"$1\r\n1\r\n",
    "nil": b"$-1\r\n",
    "nil array": b"*-1\r\n",
    "empty array": b"*0\r\n",
    "error": b"-ERR no such thing\r\n",
    "no script, ever": b"-NOSCRIPT No matching script\r\n",
    "loading": b"-LOADING Redis is loading the dataset in memory\r\n",
    "nested arrays": b"*2\r\n*1\r\n:1\r\n*1\r\n:0\r\n",
    "array with an error inside": b"*5\r\n:1\r\n:0\r\n-ERR x\r\n:5\r\n:6\r\n",
    "array of bulk numbers": b"*5\r\n$1\r\n1\r\n$1\r\n0\r\n$1\r\n0\r\n$1\r\n5\r\n$1\r\n6\r\n",
    "array too short": b"*3\r\n:1\r\n:0\r\n:0\r\n",
    "deep nesting": b"*1\r\n" * 5000 + b":1\r\n",
    "RESP3 double": b",1\r\n",
    "RESP3 boolean": b"#t\r\n",
    "RESP3 null": b"_\r\n",
    "RESP3 map": b"%1\r\n+proto\r\n:3\r\n",
    "RESP3 set of integers": b"~5\r\n:1\r\n:0\r\n:0\r\n:5\r\n:6\r\n",
    "RESP3 big number": b"(1\r\n",
    "not RESP": b"?what\r\n",
    "a bare line": b"OK\r\n",
}


def limiter(url: str, mode: str) -> RedisRateLimiter:
    return RedisRateLimiter(url, account_id=ACCOUNT, timeout=TIMEOUT, on_failure=mode)  # type: ignore[arg-type]


def ledger(url: str, mode: str) -> RedisEventLedger:
    return RedisEventLedger(url, namespace="hostile", timeout=TIMEOUT, on_failure=mode)  # type: ignore[arg-type]


def an_event() -> Any:
    return parse_event(event(1, datetime.now(UTC)))


@pytest.mark.parametrize("mode", ["open", "closed"])
async def test_a_server_that_answers_ok_to_everything(mode: str, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)
    async with RespServer(to_everything(b"+OK\r\n")) as server:
        shared, events = limiter(server.url, mode), ledger(server.url, mode)
        try:
            if mode == "open":
                reservation = await shared.acquire(SCOPE, KEYS)
                assert isinstance(reservation, Reservation) and reservation.granted
                assert shared.stats.fallbacks == 1 and shared.stats.failures == 1
                assert await events.accept(an_event()) is True  # this process's own ledger
                assert events.stats.fallbacks == 1
            else:
                with pytest.raises(RedisUnavailableError, match=r"127\.0\.0\.1"):
                    await shared.acquire(SCOPE, KEYS)
                with pytest.raises(RedisUnavailableError, match=r"127\.0\.0\.1"):
                    await events.accept(an_event())
                assert shared.stats.fallbacks == 0 and events.stats.fallbacks == 0
        finally:
            await shared.aclose()
            await events.aclose()
        # The best-effort calls swallow the failure too.
        fresh = limiter(server.url, mode)
        await fresh.throttled(SCOPE, KEYS)
        assert fresh.stats.failures == 1
        await fresh.aclose()
    assert any("unavailable" in record.getMessage() for record in caplog.records)


@pytest.mark.parametrize("answer", [to_everything, after_the_handshake], ids=["to everything", "after the handshake"])
@pytest.mark.parametrize("reply", list(WRONG.values()), ids=list(WRONG))
@pytest.mark.parametrize("mode", ["open", "closed"])
async def test_a_reply_of_the_wrong_shape_is_a_redis_failure(mode: str, reply: bytes, answer: Any) -> None:
    async with RespServer(answer(reply)) as server:
        shared, events = limiter(server.url, mode), ledger(server.url, mode)
        try:
            if mode == "open":
                assert (await shared.acquire(SCOPE, KEYS)).granted and shared.stats.fallbacks == 1
                if reply != b":1\r\n":  # the ledger script does answer 1: accepted
                    assert await events.accept(an_event()) is True and events.stats.fallbacks == 1
            else:
                with pytest.raises(RedisUnavailableError):
                    await shared.acquire(SCOPE, KEYS)
                if reply != b":1\r\n":
                    with pytest.raises(RedisUnavailableError):
                        await events.accept(an_event())
        finally:
            await shared.aclose()
            await events.aclose()
    assert b"HELLO" not in server.commands  # RESP2: a script's reply has one form, checked whole


# -- fuzzed replies -------------------------------------------------------------------------------------

_TEXT = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=12)

_LEAVES = st.one_of(
    st.integers(-(2**70), 2**70).map(lambda n: (b":%d\r\n" % n, n)),
    st.integers(0, 2**62).map(lambda n: (b":%d\r\n" % n, n)),
    st.binary(max_size=16).map(lambda data: (b"$%d\r\n%s\r\n" % (len(data), data), OTHER)),
    _TEXT.map(lambda text: (b"+" + text.encode() + b"\r\n", OTHER)),
    _TEXT.map(lambda text: (b"-ERR " + text.encode() + b"\r\n", ERROR)),
    st.sampled_from(
        [
            (b"$-1\r\n", OTHER),
            (b"*-1\r\n", OTHER),
            (b",1.5\r\n", PROTOCOL),
            (b"#f\r\n", PROTOCOL),
            (b"_\r\n", PROTOCOL),
            (b"(12345678901234567890\r\n", PROTOCOL),
            (b"=7\r\ntxt:abc\r\n", PROTOCOL),
            (b"%1\r\n:1\r\n:2\r\n", PROTOCOL),
            (b"~1\r\n:1\r\n", PROTOCOL),
            (b"!3\r\nERR\r\n", PROTOCOL),
        ]
    ),
)


def _array(items: list[tuple[bytes, object]]) -> tuple[bytes, object]:
    return b"*%d\r\n" % len(items) + b"".join(frame for frame, _ in items), [model for _, model in items]


FRAMES = st.one_of(
    st.recursive(_LEAVES, lambda inner: st.lists(inner, max_size=6).map(_array), max_leaves=24),
    # Near misses of the limiter script's reply: four or five integers.
    st.lists(
        st.integers(-1, 3).map(lambda n: (b":%d\r\n" % n, n))
        | st.integers(0, 2**53).map(lambda n: (b":%d\r\n" % n, n)),
        min_size=3,
        max_size=6,
    ).map(_array),
)


def _has_protocol_error(model: object) -> bool:
    return model == PROTOCOL or (isinstance(model, list) and any(_has_protocol_error(item) for item in model))


def _limiter_takes(model: object) -> bool:
    """What the limiter may accept: the ACQUIRE script's reply for one key, asked with max_wait=2 s."""
    if _has_protocol_error(model) or not isinstance(model, list):
        return False
    if len(model) not in (4, 5) or not all(isinstance(v, int) and 0 <= v < 2**62 for v in model):
        return False
    granted, wait_us, bound = model[0], model[1], model[2]
    if granted not in (0, 1) or bound > 1:
        return False
    return granted == 0 or (len(model) == 5 and wait_us <= 2_000_000)


FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(frame=FRAMES, mode=st.sampled_from(["open", "closed"]))
async def test_any_reply_to_the_limiter_is_its_answer_or_a_failure(frame: tuple[bytes, object], mode: str) -> None:
    reply, model = frame
    async with RespServer(after_the_handshake(reply)) as server:
        shared = limiter(server.url, mode)
        try:
            reservation: Reservation | None = await shared.acquire(SCOPE, KEYS, max_wait=2.0)
        except RedisUnavailableError:
            reservation = None
        finally:
            await shared.aclose()
    label(f"limiter takes it: {_limiter_takes(model)}")
    if _limiter_takes(model):
        assert reservation is not None and shared.stats.failures == 0 and shared.stats.fallbacks == 0
        assert isinstance(model, list) and reservation.granted == (model[0] == 1)
    elif mode == "open":
        assert reservation is not None and reservation.granted and shared.stats.fallbacks == 1
    else:
        assert reservation is None and shared.stats.failures == 1


@FUZZ
@given(
    frame=FRAMES | st.sampled_from([(b":0\r\n", 0), (b":1\r\n", 1), (b":2\r\n", 2)]),
    mode=st.sampled_from(["open", "closed"]),
)
async def test_any_reply_to_the_ledger_is_its_answer_or_a_failure(frame: tuple[bytes, object], mode: str) -> None:
    reply, model = frame
    async with RespServer(after_the_handshake(reply)) as server:
        events = ledger(server.url, mode)
        try:
            accepted: bool | None = await events.accept(an_event())
        except RedisUnavailableError:
            accepted = None
        finally:
            await events.aclose()
    label(f"ledger takes it: {model in (0, 1, 2)}")
    if model in (0, 1, 2) and type(model) is int:
        assert accepted is (model == 1) and events.stats.failures == 0
    elif mode == "open":
        assert accepted is True and events.stats.fallbacks == 1  # a first event, in this process's ledger
    else:
        assert accepted is None and events.stats.failures == 1

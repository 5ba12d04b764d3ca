"""One response can neither crash nor poison a client: size, depth, types, error text, Date."""

from __future__ import annotations

import asyncio
import gzip
import logging
from collections.abc import AsyncIterator

import pytest

from ivs_async import IvsClient, StaticCredentials
from ivs_async.commands import GetChannelCommand, ListChannelsCommand
from ivs_async.errors import (
    AccessDeniedException,
    IvsServiceException,
    ResponseParseError,
    ResponseTooLargeError,
)
from tests.conftest import KEY, REGION, SECRET
from tests.support.loopback import LoopbackServer, Reply
from tests.support.raw_server import RawServer, response

ARN = "arn:aws:ivs:us-west-2:123456789012:channel/abcdEFGH1234"
OK = Reply(200, {"channel": {"arn": ARN}})


def client_for(endpoint: str, **options: object) -> IvsClient:
    return IvsClient(
        region=REGION,
        credentials=StaticCredentials(KEY, SECRET),
        endpoint=endpoint,
        **options,  # type: ignore[arg-type]
    )


@pytest.fixture
async def fast(server: LoopbackServer) -> AsyncIterator[IvsClient]:
    from ivs_async._core.retries import StandardRetryStrategy

    async with client_for(server.endpoint, retry_strategy=StandardRetryStrategy(base_delay=0.001)) as c:
        yield c


# -- size ------------------------------------------------------------------------------------------


async def test_a_body_over_the_limit_is_refused_and_its_connection_dropped(server: LoopbackServer) -> None:
    big = Reply(200, {"channel": {"arn": ARN, "name": "x" * 8_000_000}})
    server.queue(big, OK)
    async with client_for(server.endpoint, max_response_bytes=65536) as client:
        with pytest.raises(ResponseTooLargeError) as info:
            await client.send(GetChannelCommand(arn=ARN))
        assert info.value.limit == 65536 and info.value.http_status_code == 200
        # Neither in use nor kept: the unread rest of the body must never reach the next call.
        assert client.transport.connections() == (0, 0)  # type: ignore[attr-defined]
        assert (await client.send(GetChannelCommand(arn=ARN))).channel is not None
    assert len(server.received) == 2  # not retried


async def test_a_large_500_is_not_retried(server: LoopbackServer, fast: IvsClient) -> None:
    server.queue(Reply(500, b"<html>" + b"x" * (17 * 1024 * 1024) + b"</html>"))
    with pytest.raises(ResponseTooLargeError):
        await fast.send(GetChannelCommand(arn=ARN))
    assert len(server.received) == 1


async def test_chunked_and_compressed_bodies_are_counted_as_they_arrive() -> None:
    chunk = b"x" * 1000

    async def chunked(writer: asyncio.StreamWriter) -> None:
        writer.write(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Type: application/json\r\n\r\n")
        for _ in range(100):
            writer.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        writer.write(b"0\r\n\r\n")

    bomb = gzip.compress(b" " * 1_000_000)  # 1 KB on the wire, 1 MB once inflated

    async def compressed(writer: asyncio.StreamWriter) -> None:
        writer.write(response(200, bomb, {"Content-Encoding": "gzip"}))

    for respond in (chunked, compressed):
        async with RawServer(respond) as raw, client_for(raw.endpoint, max_response_bytes=50_000) as client:
            with pytest.raises(ResponseTooLargeError):
                await client.send(GetChannelCommand(arn=ARN))
            assert raw.requests == 1


# -- hostile JSON ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
        (b'{"channel": {"arn": NaN}}', "NaN"),
        (b'{"channel": {"arn": "a", "x": Infinity}}', "Infinity"),
        (b'{"channel": {"arn": "a", "x": 1e999}}', "out of the range"),
        (b'{"channel": {"arn": "a", "x": ' + b"9" * 5000 + b"}}", "digits"),
        (b'{"channel": {"arn": "\xff\xfe"}}', "not UTF-8"),
    ],
)
async def test_hostile_json_in_a_success_is_a_parse_error(
    server: LoopbackServer, fast: IvsClient, body: bytes, reason: str
) -> None:
    server.queue(Reply(200, body))
    with pytest.raises(ResponseParseError, match=reason) as info:
        await fast.send(GetChannelCommand(arn=ARN))
    assert not info.value.retryable  # a 200: the operation ran


@pytest.mark.parametrize("status", [400, 500])
async def test_deep_json_in_an_error_is_typed_and_a_5xx_is_retried(
    server: LoopbackServer, fast: IvsClient, status: int
) -> None:
    deep = b'{"message": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    server.queue(Reply(status, deep), Reply(status, deep), Reply(status, deep))
    with pytest.raises(ResponseParseError) as info:
        await fast.send(GetChannelCommand(arn=ARN))
    assert info.value.http_status_code == status
    assert len(server.received) == (3 if status == 500 else 1)


# -- types -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("channel", "path", "expected"),
    [
        ({"arn": ARN, "authorized": "false"}, "$.channel.authorized", "expected a boolean, got a string"),
        ({"arn": 12345}, "$.channel.arn", "expected a string, got a number"),
        ({"arn": ARN, "insecureIngest": "true"}, "$.channel.insecureIngest", "expected a boolean"),
        ({"arn": ARN, "latencyMode": 1}, "$.channel.latencyMode", "expected a string"),
        ({"arn": ARN, "tags": {"team": 7}}, "$.channel.tags['team']", "expected a string"),
        ({"arn": ARN, "tags": ["team"]}, "$.channel.tags", "expected an object"),
    ],
)
async def test_a_value_of_the_wrong_json_type_names_its_path(
    server: LoopbackServer, fast: IvsClient, channel: dict[str, object], path: str, expected: str
) -> None:
    server.queue(Reply(200, {"channel": channel}))
    with pytest.raises(ResponseParseError) as info:
        await fast.send(GetChannelCommand(arn=ARN))
    assert f"{path}: {expected}" in str(info.value)


async def test_models_hold_the_types_they_declare(server: LoopbackServer, fast: IvsClient) -> None:
    server.queue(
        Reply(200, {"channels": [{"arn": ARN, "authorized": False, "latencyMode": "NEW", "tags": {"a": "b"}}]})
    )
    out = await fast.send(ListChannelsCommand())
    (summary,) = out.channels or []
    assert summary.authorized is False and summary.latency_mode == "NEW" and summary.tags == {"a": "b"}


async def test_an_error_envelope_with_status_200_is_an_error(server: LoopbackServer, fast: IvsClient) -> None:
    server.queue(Reply(200, {"__type": "AccessDeniedException", "message": "no"}))
    with pytest.raises(AccessDeniedException, match="no"):
        await fast.send(GetChannelCommand(arn=ARN))


# -- error text ------------------------------------------------------------------------------------------


async def test_a_non_utf8_error_code_prints_and_logs(caplog: pytest.LogCaptureFixture) -> None:
    async def answer(writer: asyncio.StreamWriter) -> None:
        writer.write(response(400, b'{"message": "bad"}', raw_headers=b"x-amzn-ErrorType: Bad\xff\xfeCode\x1b[31m\r\n"))

    async with RawServer(answer) as raw, client_for(raw.endpoint) as client:
        with pytest.raises(IvsServiceException) as info:
            await client.send(GetChannelCommand(arn=ARN))
    error = info.value
    assert error.code.isprintable() and "\x1b" not in error.code
    text = str(error)
    text.encode("utf-8")  # no lone surrogates
    print(error)
    with caplog.at_level(logging.ERROR):
        logging.getLogger("test").error("failed: %s", error)
    assert "Bad" in caplog.text


async def test_a_huge_error_message_is_capped(server: LoopbackServer, fast: IvsClient) -> None:
    server.queue(
        Reply(400, {"message": "m" * 5_000_000}, {"x-amzn-ErrorType": "ValidationException"}),
    )
    with pytest.raises(IvsServiceException) as info:
        await fast.send(GetChannelCommand(arn=ARN))
    assert 2000 <= len(info.value.message) <= 2100
    assert len(str(info.value)) < 3000


# -- Date -----------------------------------------------------------------------------------------------------


async def test_an_absurd_date_never_poisons_the_client(
    server: LoopbackServer, fast: IvsClient, caplog: pytest.LogCaptureFixture
) -> None:
    future = Reply(200, {"channel": {"arn": ARN}}, {"Date": "Fri, 31 Dec 9999 23:59:59 GMT"})
    server.queue(future, future, OK)
    with caplog.at_level(logging.WARNING, logger="ivs_async"):
        for _ in range(3):
            await fast.send(GetChannelCommand(arn=ARN))
    assert fast.clock_offset == 0.0
    assert caplog.text.count("ignoring a response Date") == 1  # logged once per client


# -- the pool -------------------------------------------------------------------------------------------------


async def test_waiting_for_a_pooled_connection_is_not_a_connect_timeout(server: LoopbackServer) -> None:
    server.default = Reply(200, {"channel": {"arn": ARN}}, delay=0.2)
    async with client_for(server.endpoint, max_connections=2, connect_timeout=0.05) as client:
        results = await asyncio.gather(
            *(client.send(GetChannelCommand(arn=ARN)) for _ in range(8)), return_exceptions=True
        )
    assert not [r for r in results if isinstance(r, BaseException)]
    assert all(r.metadata.attempts == 1 for r in results)  # type: ignore[union-attr]


async def test_the_call_deadline_bounds_the_wait_for_a_connection(server: LoopbackServer) -> None:
    from ivs_async.errors import DeadlineExceededError

    server.default = Reply(200, {"channel": {"arn": ARN}}, delay=0.5)
    async with client_for(server.endpoint, max_connections=1) as client:
        first = asyncio.ensure_future(client.send(GetChannelCommand(arn=ARN)))
        await asyncio.sleep(0.05)
        with pytest.raises(DeadlineExceededError):
            await client.send(GetChannelCommand(arn=ARN), timeout=0.2)
        await first


def test_bodies_are_bounded_by_default() -> None:
    client = client_for("http://127.0.0.1:9")
    assert client.config.max_response_bytes == 16 * 1024 * 1024

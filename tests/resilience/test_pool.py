"""The connection pool: size, keep-alive, DNS cache, stale sockets, per-call timeouts."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest

from ivs_async import IvsClient, StaticCredentials
from ivs_async.commands import GetChannelCommand, ListChannelsCommand
from ivs_async.errors import RequestTimeoutError
from tests.conftest import KEY, REGION, SECRET
from tests.support.loopback import LoopbackServer, Received, Reply

ARN = "arn:aws:ivs:us-west-2:123456789012:channel/abcdEFGH1234"
OK = Reply(200, {"channel": {"arn": ARN}})


def client_for(endpoint: str, **options: object) -> IvsClient:
    return IvsClient(region=REGION, credentials=StaticCredentials(KEY, SECRET), endpoint=endpoint, **options)  # type: ignore[arg-type]


async def test_64_coroutines_are_never_starved_by_the_default_pool(server: LoopbackServer) -> None:
    # Every request waits at a barrier until all 64 are in flight at once: with fewer than 64
    # connections some call would have to wait for the batch, and the barrier would time out.
    barrier = asyncio.Barrier(64)

    async def handler(received: Received) -> Reply:
        await asyncio.wait_for(barrier.wait(), timeout=10)
        return OK

    server.handler = handler
    async with client_for(server.endpoint) as client:
        results = await asyncio.gather(*(client.send(GetChannelCommand(arn=ARN)) for _ in range(64)))
        assert all(r.metadata.attempts == 1 for r in results)
        in_use, idle = client.transport.connections()  # type: ignore[attr-defined]
        assert (in_use, idle) == (0, 64)  # all kept alive for the next burst


async def test_pool_settings(server: LoopbackServer) -> None:
    async with client_for(server.endpoint, max_connections=8, keepalive_timeout=5) as client:
        await client.send(GetChannelCommand(arn=ARN))
        connector = client.transport.connector  # type: ignore[attr-defined]
        assert isinstance(connector, aiohttp.TCPConnector)
        assert connector.limit == 8 and connector.limit_per_host == 0
        assert connector.use_dns_cache
    async with client_for(server.endpoint) as client:
        await client.send(GetChannelCommand(arn=ARN))
        assert client.config.keepalive_timeout < 20  # below the ~20 s after which AWS closes idle connections
        assert client.config.max_connections >= 64


class RawServer:
    """A hand-written HTTP/1.1 server on 127.0.0.1, for answers aiohttp's server will not give."""

    _server: asyncio.Server | None = None

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        raise NotImplementedError

    async def __aenter__(self) -> str:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        return f"http://127.0.0.1:{self._server.sockets[0].getsockname()[1]}"

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()
        await self._server.wait_closed()


class StaleAfterOneAnswer(RawServer):
    """A raw HTTP/1.1 server that answers the first request of each connection with keep-alive,
    then closes the connection when a second request arrives on it: a kept-alive socket the far
    end has dropped, seen at the worst moment."""

    def __init__(self) -> None:
        self.connections = 0
        self.answered = 0

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            for request_number in (1, 2):
                head = await reader.readuntil(b"\r\n\r\n")
                length = next(
                    (
                        int(line.split(b":")[1])
                        for line in head.split(b"\r\n")
                        if line.lower().startswith(b"content-length")
                    ),
                    0,
                )
                await reader.readexactly(length)
                if request_number == 2:
                    break  # drop it
                body = b'{"channels":[]}'
                writer.write(
                    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: keep-alive\r\n"
                    + f"Content-Length: {len(body)}\r\n\r\n".encode()
                    + body
                )
                await writer.drain()
                self.answered += 1
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


async def test_a_stale_kept_alive_socket_is_retried_on_a_new_connection() -> None:
    stale = StaleAfterOneAnswer()
    async with stale as endpoint, client_for(endpoint) as client:
        first = await client.send(ListChannelsCommand())
        assert first.metadata.attempts == 1
        second = await client.send(ListChannelsCommand())  # reuses the socket the server drops
        assert second.metadata.attempts == 2
        assert (stale.connections, stale.answered) == (2, 2)


@pytest.fixture
def slow(server: LoopbackServer) -> LoopbackServer:
    server.default = Reply(200, {"channel": {"arn": ARN}}, delay=0.3)
    return server


async def test_read_timeout_per_call_overrides_the_clients(slow: LoopbackServer) -> None:
    async with client_for(slow.endpoint, read_timeout=0.1, max_attempts=1) as client:
        with pytest.raises(RequestTimeoutError):
            await client.send(GetChannelCommand(arn=ARN))
        out = await client.send(GetChannelCommand(arn=ARN), read_timeout=2)
        assert out.channel is not None and out.channel.arn == ARN
    async with client_for(slow.endpoint, max_attempts=1) as client:
        with pytest.raises(RequestTimeoutError):
            await client.send(GetChannelCommand(arn=ARN), read_timeout=0.1)


class Trickle(RawServer):
    """Answers with a Content-Length of 200 and then one byte every 20 ms: always sending,
    never done within a short read timeout."""

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await reader.readuntil(b"\r\n\r\n")
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n{")
            for _ in range(199):
                await asyncio.sleep(0.02)
                writer.write(b" ")
                await writer.drain()
        except ConnectionError:
            pass
        finally:
            writer.close()


async def test_read_timeout_bounds_the_whole_answer_even_while_bytes_arrive() -> None:
    # aiohttp's sock_read would wait as long as some byte comes every read_timeout; the client's
    # read_timeout bounds each attempt's answer as a whole.
    loop = asyncio.get_running_loop()
    async with Trickle() as endpoint, client_for(endpoint, read_timeout=0.3, max_attempts=1) as client:
        started = loop.time()
        with pytest.raises(RequestTimeoutError, match="read timeout"):
            await client.send(GetChannelCommand(arn=ARN))
        assert 0.25 < loop.time() - started < 2
        assert client.transport.connections() == (0, 0)  # type: ignore[attr-defined]  # the cut one is closed


async def test_the_call_deadline_wins_over_a_longer_read_timeout() -> None:
    from ivs_async.errors import DeadlineExceededError

    async with Trickle() as endpoint, client_for(endpoint, read_timeout=5) as client:
        with pytest.raises(DeadlineExceededError):
            await client.send(GetChannelCommand(arn=ARN), timeout=0.3)


async def test_cancelling_a_call_while_it_reads_is_a_cancellation_not_a_timeout() -> None:
    async with Trickle() as endpoint, client_for(endpoint, read_timeout=0.5) as client:
        task = asyncio.create_task(client.send(GetChannelCommand(arn=ARN)))
        await asyncio.sleep(0.2)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await asyncio.sleep(0.5)  # past the read timeout: nothing fires on a call that is gone
        assert client.transport.connections()[0] == 0  # type: ignore[attr-defined]


@pytest.mark.parametrize("option", ["timeout", "connect_timeout", "read_timeout"])
async def test_per_call_timeouts_are_checked(server: LoopbackServer, option: str) -> None:
    from ivs_async.errors import ConfigurationError

    async with client_for(server.endpoint) as client:
        for bad in (0, -1, "5", True):
            with pytest.raises(ConfigurationError, match=option):
                await client.send(GetChannelCommand(arn=ARN), **{option: bad})  # type: ignore[arg-type]
    assert server.received == []


async def test_cancelled_while_waiting_for_a_connection(server: LoopbackServer) -> None:
    server.default = Reply(200, {"channel": {"arn": ARN}}, delay=0.5)
    async with client_for(server.endpoint, max_connections=1) as client:
        holder = asyncio.create_task(client.send(GetChannelCommand(arn=ARN)))
        while not server.received:
            await asyncio.sleep(0.01)
        waiter = asyncio.create_task(client.send(GetChannelCommand(arn=ARN)))
        await asyncio.sleep(0.1)  # queued behind the only connection
        waiter.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiter
        out = await holder
        assert out.metadata.attempts == 1
        assert len(server.received) == 1  # the cancelled call never went out
        assert client.transport.connections() == (0, 1)  # type: ignore[attr-defined]


async def test_calls_queued_for_a_connection_are_served_in_arrival_order(server: LoopbackServer) -> None:
    # 32 workers, each sending again as soon as its call returns, share a pool of 4. aiohttp's own
    # queue lets a new request take a freed connection before the woken waiter does, and some
    # calls starved for up to seconds (benchmarks/pool_fairness.py: median 6 ms, slowest 0.85 to
    # 1.7 s); served in arrival order, every call waits about one round of the others (48/50 ms).
    server.default = Reply(200, {"channel": {"arn": ARN}}, delay=0.005)
    latencies: list[float] = []
    loop = asyncio.get_running_loop()

    async with client_for(server.endpoint, max_connections=4) as client:

        async def worker() -> None:
            for _ in range(20):
                started = loop.time()
                await client.send(GetChannelCommand(arn=ARN))
                latencies.append(loop.time() - started)

        await asyncio.gather(*(worker() for _ in range(32)))
        assert client.transport.connections()[0] == 0  # type: ignore[attr-defined]
    latencies.sort()
    median = latencies[len(latencies) // 2]
    assert latencies[-1] < 4 * median, (median, latencies[-1])

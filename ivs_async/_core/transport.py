"""Sending HttpRequests. The only module that knows aiohttp; its exceptions are mapped here.

The session is opened at the first send (aiohttp wants a running loop) and belongs to one
client. The response body is read in full before returning, so the connection goes back to
the pool at once, even when the caller is cancelled afterwards.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import aiohttp
from yarl import URL

from ivs_async._core.deadline import DeadlineKeeper
from ivs_async._core.http import HttpRequest, HttpResponse
from ivs_async._core.loop import running_loop
from ivs_async._core.proxies import ProxySettings
from ivs_async._exceptions import (
    ClientClosedError,
    ConfigurationError,
    ConnectionFailedError,
    RequestTimeoutError,
    ResponseTooLargeError,
    TransportError,
    WrongEventLoopError,
)

if TYPE_CHECKING:
    from ivs_async._core.context import Call

_MAX_CACHED_URLS = 256
DNS_CACHE_SECONDS = 60  # IVS endpoints resolve through DNS that changes; a minute saves lookups
_CHUNK = 64 * 1024
# URL, aiohttp's proxy keywords (none without a proxy: each keyword given costs aiohttp a dict
# entry and an argument per request), and Proxy-Authorization for a plain request
_Target = tuple[URL, dict[str, Any], dict[str, str] | None]


@runtime_checkable
class Transport(Protocol):
    """Sends one request and returns the whole response; raises TransportError subclasses.

    ``connect_timeout``/``read_timeout`` override the transport's own for this request.
    """

    async def send(
        self, request: HttpRequest, *, connect_timeout: float | None = None, read_timeout: float | None = None
    ) -> HttpResponse: ...

    async def close(self) -> None: ...


class AiohttpTransport:
    """An aiohttp session with its own connection pool."""

    def __init__(
        self,
        *,
        connect_timeout: float,
        read_timeout: float,
        max_connections: int,
        keepalive_timeout: float,
        max_response_bytes: int,
        proxies: ProxySettings | None = None,
    ) -> None:
        # No total: the client's per-call deadline bounds the whole call, retries included. And
        # no `connect`: in aiohttp it includes the wait for a free pool slot, which is not a
        # connect and must not fail a call that merely queued; sock_connect bounds the connect.
        # No sock_read either: aiohttp re-arms a timer at every read (two timers per call, in
        # the loop's heap for 30 s each); one keeper here bounds every answer (see send()).
        self._timeout = _timeout(connect_timeout)
        self._read_timeout = read_timeout
        self._answers = DeadlineKeeper()
        self._max_response_bytes = max_response_bytes
        self._max_connections = max_connections
        self._keepalive_timeout = keepalive_timeout
        self._proxies = proxies
        self._session: aiohttp.ClientSession | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        # Requests in flight never exceed the pool, so aiohttp's connector never queues them:
        # its queue does not hand freed connections out in arrival order; this one does.
        self._slots = FifoSlots(max_connections)
        self._closed = False
        # Per URL we send, built once (most operations have a fixed URL): the yarl.URL, and the
        # proxy and its credentials.
        self._urls: dict[str, _Target] = {}

    def _open(self) -> aiohttp.ClientSession:
        if self._closed:
            raise ClientClosedError("the client is closed")
        self._loop = asyncio.get_running_loop()
        connector = aiohttp.TCPConnector(
            limit=self._max_connections,
            limit_per_host=0,
            keepalive_timeout=self._keepalive_timeout,
            use_dns_cache=True,
            ttl_dns_cache=DNS_CACHE_SECONDS,
        )
        self._session = aiohttp.ClientSession(
            connector=connector,
            timeout=self._timeout,
            # Proxies come from the client's configuration, read once: aiohttp's trust_env would
            # read the environment and ~/.netrc at every request.
            trust_env=False,
            # No skip_auto_headers: it costs every request a header copy, and aiohttp adds its
            # User-Agent only where a request has none (ours always has, from middleware).
        )
        return self._session

    @property
    def connector(self) -> aiohttp.BaseConnector | None:
        """The pool, for tests and diagnostics (None before the first send)."""
        return self._session.connector if self._session is not None else None

    def _target(self, url: str) -> _Target:
        target = self._urls.get(url)
        if target is None:
            if len(self._urls) >= _MAX_CACHED_URLS:
                self._urls.clear()
            # encoded=True: the URL is already canonical; re-encoding it would break the signature.
            parsed = URL(url, encoded=True)
            proxy = None
            if self._proxies is not None and parsed.host is not None:
                proxy = self._proxies.proxy_for(parsed.scheme, parsed.host, parsed.explicit_port)
            if proxy is None:
                target = self._urls[url] = (parsed, {}, None)
            else:
                auth = None
                if proxy.user is not None:
                    auth = {"Proxy-Authorization": aiohttp.encode_basic_auth(proxy.user, proxy.password or "")}
                # aiohttp sends proxy_headers on the CONNECT of an https URL only: a plain http
                # request carries Proxy-Authorization itself.
                tunnel = parsed.scheme == "https"
                keywords = {"proxy": URL(proxy.url), "proxy_headers": auth if tunnel else None}
                target = self._urls[url] = (parsed, keywords, None if tunnel else auth)
        return target

    def connections(self) -> tuple[int, int]:
        """(in use, idle kept-alive) connections in the pool, for tests and diagnostics."""
        connector = self.connector
        if connector is None or connector.closed:
            return 0, 0
        # aiohttp has no public counters; these two private attributes are the pool's own books.
        in_use = len(getattr(connector, "_acquired", ()))
        idle = sum(len(conns) for conns in getattr(connector, "_conns", {}).values())
        return in_use, idle

    def send(
        self, request: HttpRequest, *, connect_timeout: float | None = None, read_timeout: float | None = None
    ) -> Coroutine[Any, Any, HttpResponse]:
        return self._exchange(request, connect_timeout, read_timeout, None)

    def handle(self, call: Call) -> Coroutine[Any, Any, HttpResponse]:
        """The client's terminal handler: the exchange, with its response stored on ``call``.
        A handler awaiting send() would put one more coroutine frame on every call's path."""
        request, options = call.request, call.options
        assert request is not None
        return self._exchange(request, options.connect_timeout, options.read_timeout, call)

    async def _exchange(
        self, request: HttpRequest, connect_timeout: float | None, read_timeout: float | None, call: Call | None
    ) -> HttpResponse:
        session = self._session or self._open()
        if running_loop(self._loop) is not self._loop:
            raise WrongEventLoopError(
                "this client's connections belong to the event loop it was first used on; "
                "make one client per event loop (per thread, per asyncio.run)"
            )
        if read_timeout is None:
            read_timeout = self._read_timeout
        url, keywords, proxy_auth = self._target(request.url)
        if connect_timeout is not None:
            keywords = {**keywords, "timeout": _timeout(connect_timeout)}  # else the session's
        headers = request.headers if proxy_auth is None else {**request.headers, **proxy_auth}
        slots = self._slots
        if not slots.take_free():
            await slots.wait()  # FIFO, bounded by the call's deadline, never by connect_timeout
        loop = self._loop
        assert loop is not None
        # From here to the answer's last byte: read_timeout (a new connection's connect, bounded
        # by connect_timeout too, counts in it).
        try:
            answer = self._answers.watch(loop, loop.time() + read_timeout)
        except BaseException:
            slots.give_back()  # never keep a slot for a call that did not start
            raise
        try:
            exchange = session.request(
                request.method, url, data=request.body or None, headers=headers, allow_redirects=False, **keywords
            )
            async with exchange as response:
                limit = self._max_response_bytes
                length = response.content_length
                if length is not None and length <= limit and "Content-Encoding" not in response.headers:
                    body = await response.read()  # the common case: a known, acceptable length
                else:
                    body = await _read_bounded(response, limit, request.url)
                answered = HttpResponse(response.status, response.headers, body)
                if call is not None:
                    call.response = answered
                return answered
        except asyncio.CancelledError:
            if self._answers.release(answer):
                raise RequestTimeoutError(f"no complete answer within the read timeout ({read_timeout:g} s)") from None
            raise
        except TimeoutError as exc:
            raise RequestTimeoutError(f"timed out: {exc or type(exc).__name__}") from exc
        except aiohttp.InvalidURL as exc:
            raise ConfigurationError(f"invalid URL {request.url!r}") from exc
        except (aiohttp.ClientConnectionError, aiohttp.ClientPayloadError) as exc:
            raise ConnectionFailedError(f"connection failed: {exc or type(exc).__name__}") from exc
        except aiohttp.ClientError as exc:
            raise TransportError(f"HTTP exchange failed: {exc or type(exc).__name__}") from exc
        finally:
            self._answers.release(answer)
            slots.give_back()

    async def close(self) -> None:
        self._closed = True
        session, self._session = self._session, None
        if session is not None and self._loop is not asyncio.get_running_loop():
            return  # its loop is gone or elsewhere: nothing can be awaited on it from here
        if session is not None:
            await session.close()
            # Let the event loop finish closing the sockets before the loop itself closes.
            await asyncio.sleep(0)


class FifoSlots:
    """At most ``size`` holders at a time; waiters get freed slots in arrival order.

    asyncio.Semaphore would do, at a coroutine and a generator per call even when a slot is
    free (the common case); here that case is two attribute updates.
    """

    __slots__ = ("_free", "_waiters")

    def __init__(self, size: int) -> None:
        self._free = size
        self._waiters: deque[asyncio.Future[None]] = deque()

    def take_free(self) -> bool:
        """Take a slot if one is free and nobody queues for it; False means: call wait()."""
        if self._free and not self._waiters:
            self._free -= 1
            return True
        return False

    async def wait(self) -> None:
        """Queue for a slot. A waiter cancelled after being handed one passes it on."""
        waiter = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                self.give_back()  # handed a slot, cancelled before using it
            else:
                self._waiters.remove(waiter)
            raise

    def give_back(self) -> None:
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)  # the slot goes to the longest waiter, never back to the pool
                return
        self._free += 1

    @property
    def free(self) -> int:
        return self._free


def _timeout(connect: float | None) -> aiohttp.ClientTimeout:
    return aiohttp.ClientTimeout(total=None, connect=None, sock_connect=connect, sock_read=None)


async def _read_bounded(response: aiohttp.ClientResponse, limit: int, url: str) -> bytes:
    """The body, counted as it arrives (decompressed, chunked or of unknown length)."""
    length = response.content_length
    if length is not None and length > limit and "Content-Encoding" not in response.headers:
        response.close()  # the connection goes: the rest of the body is never read
        raise ResponseTooLargeError(limit, status=response.status, url=url)
    chunks = []
    size = 0
    async for chunk in response.content.iter_chunked(_CHUNK):
        size += len(chunk)
        if size > limit:
            response.close()
            raise ResponseTooLargeError(limit, status=response.status, url=url)
        chunks.append(chunk)
    return b"".join(chunks)

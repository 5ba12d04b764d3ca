"""One Redis connection for a shared limiter or ledger: every call bounded, failures decided.

redis-py is imported on first use only (the ``redis`` extra). A call that fails, takes longer
than ``timeout`` or gets a reply its script cannot give marks Redis down for ``recheck_after``
seconds; meanwhile callers do not touch it (no call waits on a dead server), then the next call
tries again. The owner decides what a failure means: ``on_failure="open"`` goes on without
Redis, ``"closed"`` raises RedisUnavailableError.
"""

from __future__ import annotations

import asyncio
import importlib.util
import logging
import math
import time
import urllib.parse
from collections.abc import Callable, Sequence
from typing import Any, Literal, TypeVar

import attrs

from ivs_async._exceptions import ConfigurationError, RedisUnavailableError

FailureMode = Literal["open", "closed"]
T = TypeVar("T")
_SCHEMES = ("redis", "rediss", "unix")


@attrs.define(slots=True)
class RedisStats:
    """Counters of one limiter or ledger (this process only)."""

    calls: int = 0  # answered by Redis
    failures: int = 0  # Redis errors and timeouts
    fallbacks: int = 0  # served without Redis (on_failure="open")
    outages: int = 0  # times Redis went from up to down


class Down(Exception):
    """Redis did not answer usably; ``reason`` is safe to print."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class RedisLink:
    """A redis-py client with bounded calls and an up/down state: made lazily from ``url`` (one
    node, or with ``cluster`` a Redis Cluster found through that node), or the caller's ``client``.

    A one-node client this link made is dropped after a failure (a half-read reply spoils its
    connection) and made again at the next call. A cluster client is kept: it finds the nodes
    again through those it knows (the node ``url`` named may be the one that died). A caller's
    client is never closed nor replaced.
    """

    def __init__(
        self,
        url: str | None,
        *,
        client: Any = None,
        cluster: bool = False,
        timeout: float,
        on_failure: FailureMode,
        recheck_after: float,
        logger: logging.Logger,
        owner: str,
    ) -> None:
        if (url is None) == (client is None):
            raise ConfigurationError(f"{owner}: pass exactly one of url= and client=")
        if not isinstance(cluster, bool):
            raise ConfigurationError(f"{owner}: cluster must be True or False, got {cluster!r}")
        if importlib.util.find_spec("redis") is None:  # found, not imported: that waits for a call
            raise ConfigurationError(f"{owner} needs redis-py: pip install 'ivs-async[redis]'")
        if url is not None:
            _check_url(url, owner)
            if cluster and url.startswith("unix:"):
                raise ConfigurationError(f"{owner}: a Redis Cluster is reached over TCP: redis:// or rediss://")
            self.where = _where(url)  # never the password
        else:
            if cluster:
                raise ConfigurationError(f"{owner}: cluster= goes with url=; a client= is used as it is built")
            self.where = _client_where(client, owner)
        for name, value in (("timeout", timeout), ("recheck_after", recheck_after)):
            if not (isinstance(value, int | float) and math.isfinite(value) and value > 0):
                raise ConfigurationError(f"{owner}: {name} must be a positive number of seconds, got {value!r}")
        if on_failure not in ("open", "closed"):
            raise ConfigurationError(f"{owner}: on_failure must be 'open' or 'closed', got {on_failure!r}")
        self.url = url
        self.cluster = cluster
        self.timeout = float(timeout)
        self.on_failure: FailureMode = on_failure
        self.recheck_after = float(recheck_after)
        self.stats = RedisStats()
        self._logger = logger
        self._owner = owner
        self._given = client is not None  # the caller's: never closed nor replaced
        self._client: Any = client
        self._loop: asyncio.AbstractEventLoop | None = None
        self._scripts: dict[str, Any] = {}
        self._down_until = 0.0
        self._down = False
        self._closing: set[asyncio.Task[None]] = set()  # strong references until they end

    @property
    def usable(self) -> bool:
        """False while Redis is marked down (until its recheck time)."""
        return not self._down or time.monotonic() >= self._down_until

    async def run(self, script: str, keys: Sequence[str], args: Sequence[str | int]) -> Any:
        """Run a Lua script; raises Down when Redis fails or is slower than ``timeout``."""
        client = self._connect()
        registered = self._scripts.get(script)
        if registered is None:
            registered = self._scripts[script] = client.register_script(script)
        from redis.exceptions import RedisError

        try:
            async with asyncio.timeout(self.timeout):
                reply = await registered(keys=list(keys), args=list(args), client=client)
        except TimeoutError:
            raise self.failed(f"no answer within {self.timeout:g} s") from None
        except (RedisError, OSError) as exc:
            raise self.failed(type(exc).__name__) from None
        except Exception as exc:
            # redis-py trusts the server's replies: one it did not expect (a handshake answered
            # +OK, arrays nested thousands deep) breaks it with any exception. Still a Redis failure.
            raise self.failed(f"a reply redis-py could not read ({type(exc).__name__})") from None
        self.stats.calls += 1
        if self._down:
            self._down = False
            self._logger.warning("%s: Redis at %s answers again; shared state resumed", self._owner, self.where)
        return reply

    async def answer(
        self, script: str, keys: Sequence[str], args: Sequence[str | int], read: Callable[[Any], T]
    ) -> T | None:
        """``read`` of the script's reply (``read`` raises Down for a reply it cannot use). None
        when Redis is unavailable and failing open: the caller goes on without it (counted).
        Failing closed, RedisUnavailableError instead."""
        if self.usable:
            try:
                reply = await self.run(script, keys, args)
                try:
                    return read(reply)
                except Down as bad:
                    raise self.failed(bad.reason) from None
            except Down as down:
                if self.on_failure == "closed":
                    raise self.unavailable(down.reason) from None
        elif self.on_failure == "closed":
            raise self.unavailable("marked down after a recent failure")
        self.stats.fallbacks += 1
        return None

    def unavailable(self, reason: str) -> RedisUnavailableError:
        return RedisUnavailableError(self.where, reason)

    def failed(self, reason: str) -> Down:
        """Count a failure, mark Redis down, warn once per outage; returns the Down to raise."""
        self.stats.failures += 1
        self._down_until = time.monotonic() + self.recheck_after
        if not self._down:
            self._down = True
            self.stats.outages += 1
            mode = "going on without it" if self.on_failure == "open" else "failing calls"
            self._logger.warning(
                "%s: Redis at %s unavailable (%s); %s, retrying in %g s",
                self._owner,
                self.where,
                reason,
                mode,
                self.recheck_after,
            )
        # A half-read reply leaves a connection unusable: start from a new pool.
        self._drop_client()
        return Down(reason)

    def _connect(self) -> Any:
        if self._given:
            return self._client
        loop = asyncio.get_running_loop()
        if self._client is None or self._loop is not loop:
            import redis.asyncio

            assert self.url is not None  # a link without a client of the caller's has a URL

            # RESP2: a script's reply is then an integer, a string, nil, an error or an array,
            # exactly Lua's, so the scripts' readers see any other reply for what it is (RESP3
            # has redis-py turn sets into lists), and no handshake precedes the first command.
            options: dict[str, Any] = {
                "protocol": 2,
                "socket_timeout": self.timeout,
                "socket_connect_timeout": self.timeout,
                "max_connections": 64,  # per node for a cluster
            }
            if self.cluster:
                from redis.asyncio.cluster import RedisCluster

                # MOVED and ASK are followed (a few times, within our timeout); a connection error
                # has the client read the cluster's map again from the nodes it knows.
                self._client = RedisCluster.from_url(self.url, **options)
            else:
                self._client = redis.asyncio.Redis.from_url(self.url, retry_on_timeout=False, **options)
            self._loop = loop
            self._scripts.clear()
        return self._client

    def _drop_client(self) -> None:
        if self._given or self.cluster:
            return  # kept: see the class's docstring
        client, self._client = self._client, None
        self._scripts.clear()
        if client is not None:
            # Closing waits for sockets; do it beside the caller, never in its way.
            task = asyncio.get_running_loop().create_task(_close_quietly(client))
            self._closing.add(task)
            task.add_done_callback(self._closing.discard)

    async def aclose(self) -> None:
        """Close the client this link made; a caller's client stays open (it is the caller's)."""
        self._scripts.clear()
        if self._given:
            return
        client, self._client = self._client, None
        if client is not None:
            await _close_quietly(client)


async def _close_quietly(client: Any) -> None:
    try:
        async with asyncio.timeout(1.0):
            await client.aclose()
    except Exception:  # a broken connection closes as it can
        pass


def _check_url(url: object, owner: str) -> None:
    """A mistake in the URL is a configuration error now, not a fallback at every call."""
    problem = f"{owner}: the Redis URL must be redis://[user:password@]host[:port][/db], rediss://... or unix://path"
    if not isinstance(url, str):
        raise ConfigurationError(problem)
    try:
        parts = urllib.parse.urlsplit(url)
        port = parts.port
    except ValueError:
        raise ConfigurationError(problem) from None
    if parts.scheme not in _SCHEMES:
        raise ConfigurationError(problem)
    if parts.scheme == "unix":
        if not parts.path:
            raise ConfigurationError(problem)
        return
    database = parts.path.lstrip("/")
    if not parts.hostname or (port is not None and not 0 < port < 65536) or (database and not database.isdigit()):
        raise ConfigurationError(problem)


def _client_where(client: Any, owner: str) -> str:
    """host:port of a caller's redis-py client (``client``: Redis or RedisCluster), for messages."""
    from redis.asyncio import Redis
    from redis.asyncio.cluster import RedisCluster

    if isinstance(client, RedisCluster):
        node = client.get_default_node()
        return f"cluster via {node.host}:{node.port}" if node is not None else "cluster"
    if isinstance(client, Redis):
        kwargs = client.connection_pool.connection_kwargs
        if "path" in kwargs:
            return str(kwargs["path"])
        return f"{kwargs.get('host', 'localhost')}:{kwargs.get('port', 6379)}"
    raise ConfigurationError(
        f"{owner}: client must be a redis.asyncio.Redis or redis.asyncio.cluster.RedisCluster, "
        f"got {type(client).__name__}"
    )


def _where(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    if parts.scheme == "unix":
        return parts.path or "unix socket"
    try:
        port = parts.port
    except ValueError:
        port = None
    return f"{parts.hostname or 'localhost'}:{port or 6379}"

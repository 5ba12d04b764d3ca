"""RedisEventLedger: EventLedger's rules, shared by every webhook worker through Redis.

One script per event: refuse an id already seen, refuse an event older than the newest accepted
with the same key, else record both. Ids and newest times expire after ``ttl``, so Redis holds
at most a ``ttl``'s worth of events.
"""

from __future__ import annotations

import hashlib
import logging
import math
import re
from typing import TYPE_CHECKING

from ivs_async._exceptions import ConfigurationError
from ivs_async._fleet.redis_link import Down, FailureMode, RedisLink, RedisStats

if TYPE_CHECKING:
    from redis.asyncio import Redis
    from redis.asyncio.cluster import RedisCluster

    from ivs_async.events import IvsEvent

_NAMESPACE = re.compile(r"[A-Za-z0-9_.-]{1,64}")
_MICROS = 1_000_000
ACCEPTED, DUPLICATE, LATE = 1, 0, 2

# KEYS[1]: the event id's key; KEYS[2]: the newest accepted time of the event's key.
# ARGV[1]: the event's time (us since the epoch); ARGV[2]: ttl (ms).
ACCEPT = """
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
local at = tonumber(ARGV[1])
local newest = tonumber(redis.call('GET', KEYS[2]))
if newest and at < newest then return 2 end
redis.call('SET', KEYS[1], '1', 'PX', ARGV[2])
if not newest or at > newest then
  redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[2])
else
  redis.call('PEXPIRE', KEYS[2], ARGV[2])
end
return 1
"""


class RedisEventLedger:
    """Applies each event once across processes: ``if await ledger.accept(event): apply(event)``.

    Same answers as [EventLedger][ivs_async.events.EventLedger] (duplicates and events older than the
    newest of their key are refused), for every worker sharing ``url`` and ``namespace``.
    ``on_failure="closed"`` (default) raises RedisUnavailableError while Redis is unreachable
    (or answers what the script cannot):
    answer the delivery with an error and EventBridge delivers it again later, so nothing is
    lost or applied twice. ``"open"`` uses this process's own ledger meanwhile (a duplicate that
    reached another worker may then be applied twice), counted in ``stats.fallbacks``.

    Redis is ``url``, with ``cluster=True`` any node of a Redis Cluster, or ``client``, a
    ``redis.asyncio.Redis`` or ``RedisCluster`` you built (exactly one of them); ``aclose()``
    closes only a client made from ``url``.
    """

    def __init__(
        self,
        url: str | None = None,
        *,
        client: Redis | RedisCluster | None = None,
        cluster: bool = False,
        namespace: str = "default",
        ttl: float = 86_400.0,
        timeout: float = 0.5,
        on_failure: FailureMode = "closed",
        recheck_after: float = 1.0,
        logger: logging.Logger | None = None,
    ) -> None:
        if not isinstance(namespace, str) or not _NAMESPACE.fullmatch(namespace):
            raise ConfigurationError("RedisEventLedger: namespace must be 1 to 64 of A-Z a-z 0-9 _ . -")
        if not (isinstance(ttl, int | float) and math.isfinite(ttl) and ttl >= 1):
            raise ConfigurationError(f"RedisEventLedger: ttl must be at least 1 second, got {ttl!r}")
        from ivs_async.events import EventLedger

        self.namespace = namespace
        self._ttl_ms = int(ttl * 1000)
        self._link = RedisLink(
            url,
            client=client,
            cluster=cluster,
            timeout=timeout,
            on_failure=on_failure,
            recheck_after=recheck_after,
            logger=logger or logging.getLogger("ivs_async.events"),
            owner="RedisEventLedger",
        )
        self._local = EventLedger()

    @property
    def stats(self) -> RedisStats:
        return self._link.stats

    async def accept(self, event: IvsEvent, *, key: str | None = None) -> bool:
        """True once per event id across all workers, and never for an event older than the
        newest accepted with the same key (default: detail type and channel)."""
        key = self._local.key_of(event) if key is None else key
        tag = _digest(key)
        keys = (
            f"ivs-async:{{events:{self.namespace}:{tag}}}:id:{_digest(event.id)}",
            f"ivs-async:{{events:{self.namespace}:{tag}}}:newest",
        )
        at = int(event.time.timestamp() * _MICROS)
        accepted = await self._link.answer(ACCEPT, keys, [at, self._ttl_ms], _accepted)
        if accepted is not None:
            return accepted
        return self._local.accept(event, key=key)

    async def aclose(self) -> None:
        await self._link.aclose()

    def __repr__(self) -> str:
        return f"RedisEventLedger(where={self._link.where!r}, namespace={self.namespace!r})"


def _accepted(reply: object) -> bool:
    if type(reply) is not int or reply not in (ACCEPTED, DUPLICATE, LATE):  # 1.0 == 1 and True == 1
        raise Down("unexpected reply to the ledger script")
    return reply == ACCEPTED


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:32]

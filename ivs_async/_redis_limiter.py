"""RedisRateLimiter: the GCRA of _limiter.py as Lua scripts, one atomic script per acquisition.

Times are Redis's own clock (TIME) in integer microseconds, so hosts with skewed clocks share
one schedule. Keys are ``ivs-async:{<account>:<region>}:<limit key>``: the hash tag puts all of
an account's keys in one slot, so a multi-key acquisition also runs on Redis Cluster.
"""

from __future__ import annotations

import contextlib
import logging
import math
import re
from collections.abc import Sequence
from typing import Any

from ivs_async._exceptions import ConfigurationError
from ivs_async._limiter import InProcessRateLimiter, Limit, Reservation
from ivs_async._redis import Down, FailureMode, RedisLink, RedisStats

PREFIX = "ivs-async:"
_ACCOUNT = re.compile(r"\d{12}")
_FOREVER_US = 10**15  # "no max_wait": longer than any schedule
_MICROS = 1_000_000

# KEYS: one per limit. ARGV[1]: cost; ARGV[2]: max wait (us); ARGV[2 + i]: interval of KEYS[i] (us).
# Reply: {granted 0/1, wait us, index of the key that set the time (0: none), send time, next times...}
ACQUIRE = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000000 + tonumber(clock[2])
local send_at, bound = now, 0
for i = 1, #KEYS do
  local at = tonumber(redis.call('GET', KEYS[i]))
  if at and at > send_at then send_at, bound = at, i end
end
local wait = send_at - now
if wait > tonumber(ARGV[2]) then return {0, wait, bound, send_at} end
local reply = {1, wait, bound, send_at}
for i = 1, #KEYS do
  local next_at = send_at + tonumber(ARGV[1]) * tonumber(ARGV[2 + i])
  redis.call('SET', KEYS[i], string.format('%.0f', next_at), 'PX', math.floor((next_at - now) / 1000) + 1000)
  reply[4 + i] = next_at
end
return reply
"""

# KEYS: a reservation's keys. ARGV[1]: its send time; ARGV[1 + i]: the next time it set on KEYS[i].
# A key still holding that next time (no later reservation) gets the send time back.
RELEASE = """
for i = 1, #KEYS do
  if redis.call('GET', KEYS[i]) == ARGV[1 + i] then
    redis.call('SET', KEYS[i], ARGV[1], 'KEEPTTL')
  end
end
return 1
"""

# KEYS: keys IVS throttled; ARGV[i]: the pause for KEYS[i] (us). Nobody sends on them before then.
THROTTLED = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000000 + tonumber(clock[2])
for i = 1, #KEYS do
  local pause = tonumber(ARGV[i])
  local at = tonumber(redis.call('GET', KEYS[i]))
  if not at or at < now + pause then
    redis.call('SET', KEYS[i], string.format('%.0f', now + pause), 'PX', math.floor(pause / 1000) + 1000)
  end
end
return 1
"""


class RedisRateLimiter:
    """A rate limiter shared by every process of an account through Redis (the ``redis`` extra).

    ``on_failure`` decides what happens while Redis is unreachable or slower than ``timeout``:
    ``"open"`` (default) paces in this process only, warns once per outage and counts it in
    ``stats.fallbacks``; ``"closed"`` raises RedisUnavailableError and sends nothing. Either
    way no call waits longer than ``timeout`` for Redis, and Redis is tried again after
    ``recheck_after`` seconds.
    """

    def __init__(
        self,
        url: str,
        *,
        account_id: str,
        timeout: float = 0.5,
        on_failure: FailureMode = "open",
        recheck_after: float = 1.0,
        logger: logging.Logger | None = None,
    ) -> None:
        if not isinstance(account_id, str) or not _ACCOUNT.fullmatch(account_id):
            raise ConfigurationError("RedisRateLimiter: account_id must be the 12-digit AWS account id")
        self.account_id = account_id
        self._link = RedisLink(
            url,
            timeout=timeout,
            on_failure=on_failure,
            recheck_after=recheck_after,
            logger=logger or logging.getLogger("ivs_async.limits"),
            owner="RedisRateLimiter",
        )
        self._local = InProcessRateLimiter(account_id=account_id)  # the fail-open pacing

    @property
    def stats(self) -> RedisStats:
        return self._link.stats

    @property
    def on_failure(self) -> FailureMode:
        return self._link.on_failure

    async def acquire(
        self, scope: str, keys: Sequence[tuple[str, Limit]], *, cost: int = 1, max_wait: float = math.inf
    ) -> Reservation:
        if cost < 1:
            raise ValueError("cost must be at least 1")
        if self._link.usable:
            names = [redis_key(scope, name) for name, _ in keys]
            wait_us = _FOREVER_US if math.isinf(max_wait) else max(0, int(max_wait * _MICROS))
            args: list[str | int] = [cost, wait_us, *(max(1, round(limit.interval * _MICROS)) for _, limit in keys)]
            try:
                reply = await self._link.run(ACQUIRE, names, args)
                try:
                    return parse_acquire_reply(reply, names)
                except Down as bad:
                    raise self._link.failed(bad.reason) from None
            except Down as down:
                if self._link.on_failure == "closed":
                    raise self._link.unavailable(down.reason) from None
        elif self._link.on_failure == "closed":
            raise self._link.unavailable("marked down after a recent failure")
        self._link.stats.fallbacks += 1
        return self._local.reserve(scope, keys, cost=cost, max_wait=max_wait)

    async def release(self, reservation: Reservation) -> None:
        if not reservation.keys:
            return
        if not reservation.keys[0].startswith(PREFIX):
            await self._local.release(reservation)
            return
        if not self._link.usable:
            return  # best effort: an unreleased slot costs one interval of throughput, nothing more
        args: list[str | int] = [_integer(reservation.send_at), *(_integer(t) for t in reservation.next_at)]
        with contextlib.suppress(Down):
            await self._link.run(RELEASE, reservation.keys, args)

    async def throttled(self, scope: str, keys: Sequence[tuple[str, Limit]]) -> None:
        await self._local.throttled(scope, keys)  # this process slows down whatever Redis does
        if not self._link.usable:
            return
        names = [redis_key(scope, name) for name, _ in keys]
        with contextlib.suppress(Down):
            await self._link.run(THROTTLED, names, [round(limit.period * _MICROS) for _, limit in keys])

    async def aclose(self) -> None:
        await self._link.aclose()

    def __repr__(self) -> str:
        return (
            f"RedisRateLimiter(where={self._link.where!r}, account_id={self.account_id!r}, "
            f"on_failure={self._link.on_failure!r})"
        )


def redis_key(scope: str, name: str) -> str:
    return f"{PREFIX}{{{scope}}}:{name}"


def parse_acquire_reply(reply: Any, names: Sequence[str]) -> Reservation:
    """The ACQUIRE script's answer as a Reservation; Down for anything else (a wrong server)."""
    if not isinstance(reply, list) or len(reply) not in (4, 4 + len(names)):
        raise Down("unexpected reply to the rate limiter script")
    if not all(isinstance(v, int) and not isinstance(v, bool) and 0 <= v < 2**62 for v in reply):
        raise Down("unexpected reply to the rate limiter script")
    granted, wait_us, bound, send_at = reply[:4]
    if granted not in (0, 1) or bound > len(names) or (granted == 1 and len(reply) != 4 + len(names)):
        raise Down("unexpected reply to the rate limiter script")
    wait = wait_us / _MICROS
    if not granted:
        return Reservation(False, wait, bound - 1)
    return Reservation(True, wait, bound - 1, tuple(names), float(send_at), tuple(float(t) for t in reply[4:]))


def _integer(value: float) -> str:
    return f"{value:.0f}"

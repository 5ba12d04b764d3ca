"""RedisRateLimiter: the GCRA of _fleet/limiter.py as Lua scripts, one atomic script per acquisition.

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
from typing import TYPE_CHECKING, Any

from ivs_async._exceptions import ConfigurationError
from ivs_async._fleet.limiter import InProcessRateLimiter, Limit, Reservation
from ivs_async._fleet.redis_link import Down, FailureMode, RedisLink, RedisStats

if TYPE_CHECKING:
    from redis.asyncio import Redis
    from redis.asyncio.cluster import RedisCluster

PREFIX = "ivs-async:"
_ACCOUNT = re.compile(r"\d{12}")
_FOREVER_US = 10**15  # "no max_wait": longer than any schedule
_MICROS = 1_000_000

# KEYS: one per limit. ARGV[1]: cost; ARGV[2]: max wait (us); then per key i: ARGV[1 + 2i] its
# interval (us), ARGV[2 + 2i] "1" for a shared key (a sorted set of taken slots), "0" for an
# ordered one (a string: the earliest next send).
# Reply: {granted 0/1, wait us, index of the key that set the time (0: none), send time, then per
# key the next time set (ordered) or the first slot taken (shared)}.
ACQUIRE = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000000 + tonumber(clock[2])
local cost = tonumber(ARGV[1])
local send_at, bound = now, 0
for i = 1, #KEYS do
  local width = tonumber(ARGV[1 + 2 * i])
  if ARGV[2 + 2 * i] == '1' then
    redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', '(' .. string.format('%.0f', math.floor(now / width)))
  else
    local at = tonumber(redis.call('GET', KEYS[i]))
    if at and at > send_at then send_at, bound = at, i end
  end
end
local moved, steps = true, 0
while moved and steps < 100000 do
  moved = false
  for i = 1, #KEYS do
    if ARGV[2 + 2 * i] == '1' then
      local width = tonumber(ARGV[1 + 2 * i])
      local first = math.floor(send_at / width)
      local slot, k = first, 0
      while k < cost do
        steps = steps + 1
        if redis.call('ZSCORE', KEYS[i], string.format('%.0f', slot + k)) then
          slot, k = slot + k + 1, 0
        else
          k = k + 1
        end
      end
      if slot ~= first then send_at, bound, moved = slot * width, i, true end
    end
  end
end
local wait = send_at - now
if wait > tonumber(ARGV[2]) then return {0, wait, bound, send_at} end
local reply = {1, wait, bound, send_at}
for i = 1, #KEYS do
  local width = tonumber(ARGV[1 + 2 * i])
  if ARGV[2 + 2 * i] == '1' then
    local slot = math.floor(send_at / width)
    for k = 0, cost - 1 do
      local member = string.format('%.0f', slot + k)
      redis.call('ZADD', KEYS[i], member, member)
    end
    redis.call('PEXPIRE', KEYS[i], math.floor(((slot + cost) * width - now) / 1000) + 1000)
    reply[4 + i] = slot
  else
    local next_at = send_at + cost * width
    redis.call('SET', KEYS[i], string.format('%.0f', next_at), 'PX', math.floor((next_at - now) / 1000) + 1000)
    reply[4 + i] = next_at
  end
end
return reply
"""

# KEYS: a reservation's keys. ARGV[1]: its send time; ARGV[2]: its cost; per key i: ARGV[1 + 2i]
# "1" for a shared key, ARGV[2 + 2i] the first slot it took there, or the next time it set on an
# ordered key. Shared slots are freed; an ordered key still holding that next time (no later
# reservation) gets the send time back.
RELEASE = """
local cost = tonumber(ARGV[2])
for i = 1, #KEYS do
  if ARGV[1 + 2 * i] == '1' then
    for k = 0, cost - 1 do
      redis.call('ZREM', KEYS[i], string.format('%.0f', tonumber(ARGV[2 + 2 * i]) + k))
    end
  elseif redis.call('GET', KEYS[i]) == ARGV[2 + 2 * i] then
    redis.call('SET', KEYS[i], ARGV[1], 'KEEPTTL')
  end
end
return 1
"""

# KEYS: keys IVS throttled; per key i: ARGV[2i - 1] the pause (us), ARGV[2i] the slot width (us)
# of a shared key or "0". Nobody sends on them before the pause is over.
THROTTLED = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000000 + tonumber(clock[2])
for i = 1, #KEYS do
  local pause, width = tonumber(ARGV[2 * i - 1]), tonumber(ARGV[2 * i])
  if width > 0 then
    for slot = math.floor(now / width), math.floor((now + pause) / width) do
      local member = string.format('%.0f', slot)
      redis.call('ZADD', KEYS[i], member, member)
    end
    redis.call('PEXPIRE', KEYS[i], math.floor(pause / 1000) + 1000)
  else
    local at = tonumber(redis.call('GET', KEYS[i]))
    if not at or at < now + pause then
      redis.call('SET', KEYS[i], string.format('%.0f', now + pause), 'PX', math.floor(pause / 1000) + 1000)
    end
  end
end
return 1
"""


class RedisRateLimiter:
    """A rate limiter shared by every process of an account through Redis (the ``redis`` extra).

    ``on_failure`` decides what happens while Redis is unreachable, slower than ``timeout`` or
    answering what the script cannot (not a Redis, or a broken one):
    ``"open"`` (default) paces in this process only, warns once per outage and counts it in
    ``stats.fallbacks``; ``"closed"`` raises RedisUnavailableError and sends nothing. Either
    way no call waits longer than ``timeout`` for Redis, and Redis is tried again after
    ``recheck_after`` seconds.

    Redis is ``url`` (``redis://``, ``rediss://``, ``unix://``), with ``cluster=True`` any node of
    a Redis Cluster, or ``client``, a ``redis.asyncio.Redis`` or ``RedisCluster`` you built
    (exactly one of ``url`` and ``client``); ``aclose()`` closes only a client made from ``url``.
    """

    def __init__(
        self,
        url: str | None = None,
        *,
        client: Redis | RedisCluster | None = None,
        cluster: bool = False,
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
            client=client,
            cluster=cluster,
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
        names = [redis_key(scope, name) for name, _ in keys]
        wait_us = _FOREVER_US if math.isinf(max_wait) else max(0, int(max_wait * _MICROS))
        args: list[str | int] = [cost, wait_us]
        for _, limit in keys:
            args += [max(1, round(limit.interval * _MICROS)), "1" if limit.shared else "0"]
        reservation = await self._link.answer(
            ACQUIRE, names, args, lambda reply: parse_acquire_reply(reply, names, keys, cost, wait_us)
        )
        if reservation is not None:
            return reservation
        return self._local.reserve(scope, keys, cost=cost, max_wait=max_wait)

    async def release(self, reservation: Reservation) -> None:
        if not reservation.keys:
            return
        if not reservation.keys[0].startswith(PREFIX):
            await self._local.release(reservation)
            return
        if not self._link.usable:
            return  # best effort: an unreleased slot costs one interval of throughput, nothing more
        args: list[str | int] = [_integer(reservation.send_at), reservation.cost]
        for shared, value in zip(reservation.shared, reservation.next_at, strict=True):
            args += ["1" if shared else "0", _integer(value)]
        await self._best_effort(RELEASE, reservation.keys, args)

    async def throttled(self, scope: str, keys: Sequence[tuple[str, Limit]]) -> None:
        await self._local.throttled(scope, keys)  # this process slows down whatever Redis does
        if not self._link.usable:
            return
        names = [redis_key(scope, name) for name, _ in keys]
        args: list[str | int] = []
        for _, limit in keys:
            args += [round(limit.period * _MICROS), max(1, round(limit.interval * _MICROS)) if limit.shared else 0]
        await self._best_effort(THROTTLED, names, args)

    async def _best_effort(self, script: str, keys: Sequence[str], args: Sequence[str | int]) -> None:
        """Run a script that answers 1. A failure, any other answer included, only marks Redis down."""
        with contextlib.suppress(Down):
            reply = await self._link.run(script, keys, args)
            if type(reply) is not int or reply != 1:
                raise self._link.failed("unexpected reply to the rate limiter script")

    async def aclose(self) -> None:
        await self._link.aclose()

    def __repr__(self) -> str:
        return (
            f"RedisRateLimiter(where={self._link.where!r}, account_id={self.account_id!r}, "
            f"on_failure={self._link.on_failure!r})"
        )


def redis_key(scope: str, name: str) -> str:
    return f"{PREFIX}{{{scope}}}:{name}"


def parse_acquire_reply(
    reply: Any, names: Sequence[str], keys: Sequence[tuple[str, Limit]], cost: int, max_wait_us: int = _FOREVER_US
) -> Reservation:
    """The ACQUIRE script's answer as a Reservation; Down for anything else (a wrong server),
    a granted wait beyond ``max_wait_us`` included: nobody sleeps longer than they asked for."""
    if not isinstance(reply, list) or len(reply) not in (4, 4 + len(names)):
        raise Down("unexpected reply to the rate limiter script")
    if not all(isinstance(v, int) and not isinstance(v, bool) and 0 <= v < 2**62 for v in reply):
        raise Down("unexpected reply to the rate limiter script")
    granted, wait_us, bound, send_at = reply[:4]
    if granted not in (0, 1) or bound > len(names) or (granted == 1 and len(reply) != 4 + len(names)):
        raise Down("unexpected reply to the rate limiter script")
    if granted and wait_us > max_wait_us:
        raise Down("unexpected reply to the rate limiter script")
    wait = wait_us / _MICROS
    if not granted:
        return Reservation(False, wait, bound - 1)
    shared = tuple(limit.shared for _, limit in keys)
    next_at = tuple(float(t) for t in reply[4:])
    return Reservation(True, wait, bound - 1, tuple(names), float(send_at), next_at, shared, cost)


def _integer(value: float) -> str:
    return f"{value:.0f}"

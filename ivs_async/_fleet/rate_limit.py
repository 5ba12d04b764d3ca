"""The adaptive retry mode's client-side rate limiter (the AWS SDKs' CUBIC scheme).

Off until the first throttling answer. From then on every attempt takes a token from a bucket
whose fill rate follows CUBIC: cut to 70 % of the measured send rate on a throttle, then grown
back along ``0.4 * (t - K) ** 3 + W_max``, never above twice the rate actually measured.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Callable

BETA = 0.7  # share of the rate kept after a throttle
SCALE = 0.4  # how fast the rate grows back
MIN_FILL_RATE = 0.5  # tokens per second, however hard the service throttles
SMOOTHING = 0.8  # weight of the newest bucket in the measured rate
BUCKET_SECONDS = 0.5  # the measured rate is updated once per half second
MAX_RATE_GROWTH = 2.0  # the new rate is at most this multiple of the measured rate


class CubicRate:
    """The CUBIC curve: the rate to allow ``t`` seconds after the last throttle."""

    __slots__ = ("k", "last_throttle", "w_max")

    def __init__(self, start_time: float, w_max: float = 0.0) -> None:
        self.w_max = w_max
        self.last_throttle = start_time
        self.k = self._zero_point()

    def _zero_point(self) -> float:
        return float((self.w_max * (1 - BETA) / SCALE) ** (1 / 3))

    def on_success(self, now: float) -> float:
        return SCALE * (now - self.last_throttle - self.k) ** 3 + self.w_max

    def on_throttle(self, rate: float, now: float) -> float:
        self.w_max = rate
        self.k = self._zero_point()
        self.last_throttle = now
        return rate * BETA


class RateMeter:
    """The smoothed number of responses per second, updated once per half-second bucket."""

    __slots__ = ("_count", "_last_bucket", "rate")

    def __init__(self, start_time: float) -> None:
        self.rate = 0.0
        self._count = 0
        self._last_bucket = float(math.floor(start_time))

    def record(self, now: float) -> float:
        bucket = math.floor(now / BUCKET_SECONDS) * BUCKET_SECONDS
        self._count += 1
        if bucket > self._last_bucket:
            current = self._count / (bucket - self._last_bucket)
            self.rate = current * SMOOTHING + self.rate * (1 - SMOOTHING)
            self._count = 0
            self._last_bucket = bucket
        return self.rate


class TokenBucket:
    """Send tokens refilled at ``fill_rate``. A caller short of a token reserves the next one and
    sleeps until it is due, so waiting callers are served in order without polling."""

    __slots__ = ("_clock", "_last_refill", "_tokens", "capacity", "fill_rate")

    def __init__(self, clock: Callable[[], float], rate: float = 1.0) -> None:
        self._clock = clock
        self._last_refill = clock()
        self._tokens = 0.0
        self.fill_rate = max(rate, MIN_FILL_RATE)
        self.capacity = max(rate, 1.0)

    def _refill(self) -> None:
        now = self._clock()
        self._tokens = min(self.capacity, self._tokens + (now - self._last_refill) * self.fill_rate)
        self._last_refill = now

    def set_rate(self, rate: float) -> None:
        self._refill()  # tokens earned so far count at the old rate
        self.fill_rate = max(rate, MIN_FILL_RATE)
        self.capacity = max(rate, 1.0)
        self._tokens = min(self._tokens, self.capacity)

    @property
    def available(self) -> float:
        self._refill()
        return self._tokens

    async def acquire(self) -> None:
        self._refill()
        self._tokens -= 1.0
        if self._tokens >= 0:
            return
        try:
            await asyncio.sleep(-self._tokens / self.fill_rate)
        except asyncio.CancelledError:
            self._tokens += 1.0  # give the reserved token back
            raise


class ClientRateLimiter:
    """One per client, shared by all its calls: ``await acquire()`` before each attempt,
    ``record(throttled)`` after each response."""

    __slots__ = ("_clock", "bucket", "cubic", "enabled", "meter")

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        start = clock()
        self.enabled = False
        self.cubic = CubicRate(start)
        self.meter = RateMeter(start)
        self.bucket = TokenBucket(clock)

    async def acquire(self) -> None:
        if self.enabled:
            await self.bucket.acquire()

    def record(self, throttled: bool) -> None:
        now = self._clock()
        measured = self.meter.record(now)
        if throttled:
            rate = min(measured, self.bucket.fill_rate) if self.enabled else measured
            new_rate = self.cubic.on_throttle(rate, now)
            self.enabled = True
        else:
            new_rate = self.cubic.on_success(now)
        self.bucket.set_rate(min(new_rate, MAX_RATE_GROWTH * measured))

    @property
    def rate(self) -> float:
        """The current send rate limit in requests per second (meaningful once enabled)."""
        return self.bucket.fill_rate

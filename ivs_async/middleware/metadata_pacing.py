"""Opt-in PutMetadata pacing: wait for IVS's limits instead of being throttled by them.

    pacer = PutMetadataPacer(max_wait=2.0)
    pacer.install(client)  # share one pacer between the clients of one account

IVS allows 5 PutMetadata calls per second per channel and 155 per account, each payload at most
1 KB. The pacer checks the payload before anything is sent and reserves every attempt a send time
within both limits from its rate limiter: in-process by default, or shared by every worker of the
account with ``limiter=RedisRateLimiter(...)``. A call that would have to wait longer than
``max_wait`` fails at once with PacingTimeoutError; a throttling answer slows every user of the
limiter down.
"""

from __future__ import annotations

import asyncio
import bisect
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ivs_async._core.context import Call, HandlerContext
from ivs_async._core.stack import Handler
from ivs_async._exceptions import PacingTimeoutError, ParamValidationError, Violation
from ivs_async._fleet.api_rates import METADATA_PER_ACCOUNT, METADATA_PER_CHANNEL

if TYPE_CHECKING:
    from ivs_async._core.client import IvsClient
    from ivs_async._fleet.limiter import RateLimiter

NAME = "put-metadata-pacing"
OPERATION = "PutMetadata"
MAX_METADATA_BYTES = 1024
PER_CHANNEL = METADATA_PER_CHANNEL
PER_ACCOUNT = METADATA_PER_ACCOUNT
_ROUNDING = 1e-9  # (t + width) - t can come out a hair under width


class SlidingWindow:
    """Send times such that no window of ``width`` seconds holds more than ``limit`` of them."""

    __slots__ = ("limit", "times", "width")

    def __init__(self, limit: int, width: float) -> None:
        self.limit = limit
        self.width = width
        self.times: list[float] = []  # sorted; past ones are dropped once a window behind

    def forget_before(self, now: float) -> None:
        del self.times[: bisect.bisect_right(self.times, now - self.width)]

    def earliest(self, at: float) -> float:
        """The first time from ``at`` on that one more send fits."""
        if self._fits(at):
            return at
        for candidate in sorted(t + self.width for t in self.times if t + self.width > at):
            if self._fits(candidate):
                return candidate
        raise AssertionError("unreachable: after the last send plus a window there is always room")

    def _fits(self, u: float) -> bool:
        # With u inserted, every run of limit + 1 consecutive times must span a whole window.
        times, limit, i = self.times, self.limit, bisect.bisect_right(self.times, u)
        size = len(times) + 1

        def at(k: int) -> float:
            return times[k] if k < i else u if k == i else times[k - 1]

        for start in range(max(0, i - limit), min(i, size - 1 - limit) + 1):
            if at(start + limit) - at(start) < self.width - _ROUNDING:
                return False
        return True

    def room_from(self, u: float) -> float:
        """The first time from ``u`` on when the window ending there has room for one more send.
        Only times up to ``u`` count: later ones are other callers' plans, checked in their turn."""
        end = bisect.bisect_right(self.times, u)
        start = bisect.bisect_right(self.times, u - self.width + _ROUNDING)
        if end - start < self.limit:
            return u
        return self.times[end - self.limit] + self.width  # when the oldest that must go has gone

    def add(self, t: float) -> None:
        bisect.insort(self.times, t)

    def remove(self, t: float) -> None:
        index = bisect.bisect_left(self.times, t)
        if index < len(self.times) and self.times[index] == t:
            del self.times[index]


class PutMetadataPacer:
    """A middleware that paces PutMetadata per channel and per account; other operations pass through."""

    def __init__(
        self,
        *,
        per_channel: int = PER_CHANNEL,
        per_account: int = PER_ACCOUNT,
        max_wait: float = 5.0,
        window: float = 1.0,
        margin: float = 0.05,
        limiter: RateLimiter | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if per_channel < 1 or per_account < 1:
            raise ValueError("per_channel and per_account must be at least 1")
        if max_wait < 0 or window <= 0 or margin < 0:
            raise ValueError("max_wait and margin must not be negative, window must be positive")
        if limiter is not None:
            from ivs_async._fleet.limiter import Limit, RateLimiter  # loaded when a limiter is used

            if not isinstance(limiter, RateLimiter):
                raise TypeError("limiter must implement ivs_async.limits.RateLimiter")
            self._channel_limit = Limit(per_channel, window, margin)
            self._account_limit = Limit(per_account, window, margin, shared=per_account >= 2)
        self.per_channel = per_channel
        self.per_account = per_account
        self.max_wait = max_wait
        self.limiter = limiter
        # Without a limiter: sliding windows of this process, each call counted at its end.
        self._width = window + margin  # arrival times jitter: keep a little more than a window apart
        self._clock = clock
        self._account = SlidingWindow(per_account, self._width)
        self._channels: dict[str, SlidingWindow] = {}

    def install(self, client: IvsClient) -> None:
        """Pace every attempt of ``client``'s PutMetadata calls (placed just before signing),
        in place of any pacer installed before, the client's own included."""
        client.middleware_stack.add_relative_to(self, relation="before", to_name="signing", name=NAME, override=True)

    def __call__(self, next_handler: Handler, context: HandlerContext) -> Handler:
        if context.operation.name != OPERATION:
            return next_handler  # nothing added to other operations' calls
        limiter = self.limiter
        if limiter is None:

            async def pace_here(call: Call) -> object:
                _check_payload(call.input)
                channel_arn = call.input.channel_arn
                sent = await self.wait_for_slot(channel_arn)
                try:
                    return await next_handler(call)
                finally:
                    self.finished(channel_arn, sent)

            return pace_here
        from ivs_async._fleet.limiter import send_paced

        scope = f"{limiter.account_id}:{context.config.region}"
        account_key = (f"{OPERATION}:account", self._account_limit)

        async def pace(call: Call) -> object:
            _check_payload(call.input)
            channel_arn = call.input.channel_arn
            keys = ((f"{OPERATION}:channel:{channel_arn}", self._channel_limit), account_key)
            return await send_paced(
                limiter,
                scope,
                keys,
                self.max_wait,
                lambda refused: self._too_long(channel_arn, refused.bound == 0, refused.wait),
                lambda: next_handler(call),
            )

        return pace

    async def wait_for_slot(self, channel_arn: str) -> float:
        """Wait until both limits allow one more call; returns the send time it was given."""
        started = self._clock()
        channel = self._channels.get(channel_arn)
        if channel is None:
            channel = self._channels[channel_arn] = SlidingWindow(self.per_channel, self._width)
        windows = (channel, self._account)
        for window in windows:
            window.forget_before(started)
        slot = started
        while True:  # the earliest time that fits both windows
            fitted = self._account.earliest(channel.earliest(slot))
            if fitted == slot:
                break
            slot = fitted
        if slot - started > self.max_wait:
            raise self._too_long(channel_arn, channel.earliest(started) >= slot, slot - started)
        for window in windows:
            window.add(slot)  # planned: later callers plan around it
        if slot <= started:
            return slot
        try:
            await asyncio.sleep(slot - started)
        finally:
            for window in windows:
                window.remove(slot)
        return await self._wait_for_room(channel_arn, channel, started)

    async def _wait_for_room(self, channel_arn: str, channel: SlidingWindow, started: float) -> float:
        # Calls that finished meanwhile count at their end (see finished()), a little later than
        # planned: wait the difference, keeping our turn ahead of callers planned after us.
        while True:
            now = self._clock()
            channel_ready, account_ready = channel.room_from(now), self._account.room_from(now)
            ready = max(channel_ready, account_ready)
            if ready <= now:
                channel.add(now)
                self._account.add(now)
                return now
            if ready - started > self.max_wait:
                raise self._too_long(channel_arn, channel_ready >= account_ready, ready - started)
            await asyncio.sleep(ready - now)

    def _too_long(self, channel_arn: str, channel_bound: bool, wait: float) -> PacingTimeoutError:
        limit = (
            f"{self.per_channel} per second per channel"
            if channel_bound
            else f"{self.per_account} per second per account"
        )
        return PacingTimeoutError(channel_arn, limit, wait, self.max_wait)

    def finished(self, channel_arn: str, sent: float) -> None:
        """A call given ``sent`` is over: count it at its end, the latest moment IVS can have seen
        it, so a slow or backed-up client never sends the next calls too close behind it."""
        ended = self._clock()
        channel = self._channels.get(channel_arn)
        for window in (channel, self._account):
            if window is not None:
                window.remove(sent)
                window.add(max(sent, ended))


def _check_payload(value: Any) -> None:
    size = len(value.metadata.encode())
    if size > MAX_METADATA_BYTES:
        raise ParamValidationError(
            OPERATION,
            [Violation("metadata", "length", f"at most {MAX_METADATA_BYTES} bytes of UTF-8, got {size} bytes")],
        )

"""Opt-in PutMetadata pacing: wait for IVS's limits instead of being throttled by them.

    pacer = PutMetadataPacer(max_wait=2.0)
    pacer.install(client)  # share one pacer between the clients of one account

IVS allows 5 PutMetadata calls per second per channel and 155 per account, each payload at most
1 KB. The pacer checks the payload before anything is sent and gives every attempt a send time
that keeps both sliding windows within their limits, plus a small margin for network jitter.
A call that would have to wait longer than ``max_wait`` fails at once with PacingTimeoutError.
"""

from __future__ import annotations

import asyncio
import bisect
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ivs_async._context import Call, HandlerContext
from ivs_async._exceptions import IvsSdkError, ParamValidationError, Violation
from ivs_async._stack import Handler

if TYPE_CHECKING:
    from ivs_async._client import IvsClient

NAME = "put-metadata-pacing"
OPERATION = "PutMetadata"
MAX_METADATA_BYTES = 1024
PER_CHANNEL = 5
PER_ACCOUNT = 155
_ROUNDING = 1e-9  # (t + width) - t can come out a hair under width


class PacingTimeoutError(IvsSdkError):
    """PutMetadata would have had to wait longer than the pacer's ``max_wait``; nothing was sent."""

    def __init__(self, channel_arn: str, limit: str, wait: float, max_wait: float) -> None:
        self.channel_arn = channel_arn
        self.limit = limit
        self.wait = wait
        super().__init__(
            f"PutMetadata for {channel_arn} would wait {wait:.2f} s for the {limit} limit, "
            f"more than max_wait={max_wait:g} s"
        )


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
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if per_channel < 1 or per_account < 1:
            raise ValueError("per_channel and per_account must be at least 1")
        if max_wait < 0 or window <= 0 or margin < 0:
            raise ValueError("max_wait and margin must not be negative, window must be positive")
        self.per_channel = per_channel
        self.max_wait = max_wait
        self._width = window + margin  # arrival times jitter: keep a little more than a window apart
        self._clock = clock
        self._account = SlidingWindow(per_account, self._width)
        self._channels: dict[str, SlidingWindow] = {}

    def install(self, client: IvsClient) -> None:
        """Pace every attempt of ``client``'s PutMetadata calls (placed just before signing)."""
        client.middleware_stack.add_relative_to(self, relation="before", to_name="signing", name=NAME)

    def __call__(self, next_handler: Handler, context: HandlerContext) -> Handler:
        if context.operation.name != OPERATION:
            return next_handler  # nothing added to other operations' calls

        async def pace(call: Call) -> object:
            _check_payload(call.input)
            await self.wait_for_slot(call.input.channel_arn)
            return await next_handler(call)

        return pace

    async def wait_for_slot(self, channel_arn: str) -> None:
        """Reserve the earliest send time both limits allow and sleep until then."""
        now = self._clock()
        channel = self._channels.get(channel_arn)
        if channel is None:
            channel = self._channels[channel_arn] = SlidingWindow(self.per_channel, self._width)
        for window in (channel, self._account):
            window.forget_before(now)
        slot = now
        while True:  # the earliest time that fits both windows
            fitted = self._account.earliest(channel.earliest(slot))
            if fitted == slot:
                break
            slot = fitted
        wait = slot - now
        if wait > self.max_wait:
            limit = (
                f"{self.per_channel} per second per channel"
                if channel.earliest(now) >= slot
                else f"{self._account.limit} per second per account"
            )
            raise PacingTimeoutError(channel_arn, limit, wait, self.max_wait)
        channel.add(slot)
        self._account.add(slot)
        if wait <= 0:
            return
        try:
            await asyncio.sleep(wait)
        except asyncio.CancelledError:
            channel.remove(slot)  # the slot goes to whoever comes next
            self._account.remove(slot)
            raise


def _check_payload(value: Any) -> None:
    size = len(value.metadata.encode())
    if size > MAX_METADATA_BYTES:
        raise ParamValidationError(
            OPERATION,
            [Violation("metadata", "length", f"at most {MAX_METADATA_BYTES} bytes of UTF-8, got {size} bytes")],
        )

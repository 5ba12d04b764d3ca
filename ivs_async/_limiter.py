"""Limit, Reservation, the RateLimiter protocol and the in-process limiter (GCRA; see limits.py)."""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Callable, Sequence
from typing import Protocol, runtime_checkable

import attrs

from ivs_async._exceptions import ConfigurationError

_SWEEP_EVERY = 1024  # acquisitions between two sweeps of keys that have gone idle


def _check_rate(instance: object, attribute: attrs.Attribute[float], value: float) -> None:
    if not (isinstance(value, int | float) and math.isfinite(value) and value > 0):
        raise ConfigurationError(f"Limit.{attribute.name} must be a positive number, got {value!r}")


def _check_margin(instance: object, attribute: attrs.Attribute[float], value: float) -> None:
    if not (isinstance(value, int | float) and math.isfinite(value) and value >= 0):
        raise ConfigurationError(f"Limit.margin must be a number of seconds >= 0, got {value!r}")


@attrs.frozen(slots=True)
class Limit:
    """At most ``rate`` calls per ``period`` seconds. ``margin`` seconds are added to each period
    so that calls arriving a little late (network jitter) still fit IVS's window."""

    rate: float = attrs.field(validator=_check_rate)
    period: float = attrs.field(default=1.0, validator=_check_rate)
    margin: float = attrs.field(default=0.05, validator=_check_margin)

    @property
    def interval(self) -> float:
        """Seconds between two calls of one key."""
        return (self.period + self.margin) / self.rate


@attrs.frozen(slots=True)
class Reservation:
    """The answer to an acquisition. ``granted``: a send time was reserved, ``wait`` seconds from
    now. Not granted: the wait would have exceeded ``max_wait`` and nothing was reserved.
    ``bound`` is the index of the key that set the time (-1 when nothing had to be waited for)."""

    granted: bool
    wait: float
    bound: int = -1
    # What release() needs: the keys, the send time and each key's next time after this call.
    keys: tuple[str, ...] = ()
    send_at: float = 0.0
    next_at: tuple[float, ...] = ()


@runtime_checkable
class RateLimiter(Protocol):
    """What pacers and ``IvsClient(rate_limiter=...)`` need of a limiter.

    ``scope`` is ``"<account id>:<region>"``; keys are names inside it (``"api:GetChannel"``).
    ``acquire`` reserves one send time for all ``keys`` at once; ``release`` gives an unused
    reservation back (the caller was cancelled before sending); ``throttled`` tells the limiter
    IVS throttled a call of these keys, so every user of the keys slows down.
    """

    account_id: str

    async def acquire(
        self, scope: str, keys: Sequence[tuple[str, Limit]], *, cost: int = 1, max_wait: float = math.inf
    ) -> Reservation: ...

    async def release(self, reservation: Reservation) -> None: ...

    async def throttled(self, scope: str, keys: Sequence[tuple[str, Limit]]) -> None: ...

    async def aclose(self) -> None: ...


class InProcessRateLimiter:
    """The limiter of one process: share one between the clients of an account in a process.

    ``account_id`` only names the scope. Memory is bounded by the keys used in the last few
    seconds: keys whose next time has passed are swept out.
    """

    def __init__(self, *, account_id: str = "local", clock: Callable[[], float] = time.monotonic) -> None:
        self.account_id = account_id
        self._clock = clock
        self._next_at: dict[str, float] = {}
        self._since_sweep = 0

    def reserve(
        self, scope: str, keys: Sequence[tuple[str, Limit]], *, cost: int = 1, max_wait: float = math.inf
    ) -> Reservation:
        """acquire() without the await: the same answer, computed in place."""
        if cost < 1:
            raise ValueError("cost must be at least 1")
        now = self._clock()
        self._since_sweep += 1
        if self._since_sweep >= _SWEEP_EVERY:
            self._sweep(now)
        names = tuple(f"{scope}:{name}" for name, _ in keys)
        send_at, bound = now, -1
        for index, name in enumerate(names):
            at = self._next_at.get(name, 0.0)
            if at > send_at:
                send_at, bound = at, index
        wait = send_at - now
        if wait > max_wait:
            return Reservation(False, wait, bound)
        next_at = tuple(send_at + cost * limit.interval for _, limit in keys)
        self._next_at.update(zip(names, next_at, strict=True))
        return Reservation(True, wait, bound, names, send_at, next_at)

    async def acquire(
        self, scope: str, keys: Sequence[tuple[str, Limit]], *, cost: int = 1, max_wait: float = math.inf
    ) -> Reservation:
        return self.reserve(scope, keys, cost=cost, max_wait=max_wait)

    async def release(self, reservation: Reservation) -> None:
        # Only a key whose last reservation is this one can hand its slot back: a later
        # reservation was planned after ours and keeps its place.
        for name, expected in zip(reservation.keys, reservation.next_at, strict=True):
            if self._next_at.get(name) == expected:
                self._next_at[name] = reservation.send_at

    async def throttled(self, scope: str, keys: Sequence[tuple[str, Limit]]) -> None:
        # IVS counted more than we planned (another client, jitter): send nothing for a period.
        now = self._clock()
        for name, limit in keys:
            full = f"{scope}:{name}"
            self._next_at[full] = max(self._next_at.get(full, 0.0), now + limit.period)

    async def aclose(self) -> None:
        return None

    def _sweep(self, now: float) -> None:
        self._since_sweep = 0
        self._next_at = {name: at for name, at in self._next_at.items() if at > now}

    def __repr__(self) -> str:
        return f"InProcessRateLimiter(account_id={self.account_id!r}, keys={len(self._next_at)})"


async def wait_for(limiter: RateLimiter, reservation: Reservation) -> None:
    """Sleep until the reservation's send time; a cancelled wait gives the slot back."""
    if reservation.wait <= 0:
        return
    try:
        await asyncio.sleep(reservation.wait)
    except asyncio.CancelledError:
        await asyncio.shield(limiter.release(reservation))
        raise

"""Limit, Reservation, the RateLimiter protocol and the in-process limiter (see limits.py)."""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Protocol, TypeVar, runtime_checkable

import attrs

from ivs_async._core.retries import ErrorKind, classify
from ivs_async._exceptions import ConfigurationError, IvsError

T = TypeVar("T")

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
    so that calls arriving a little late (network jitter) still fit IVS's window.

    ``shared=True`` is for a limit over other limits (PutMetadata's per account, over its per
    channel): calls of such a key are reserved out of order, each in its own slot of
    ``interval`` seconds, so a channel waiting its turn never holds back another channel.
    """

    rate: float = attrs.field(validator=_check_rate)
    period: float = attrs.field(default=1.0, validator=_check_rate)
    margin: float = attrs.field(default=0.05, validator=_check_margin)
    shared: bool = attrs.field(default=False, kw_only=True)

    def __attrs_post_init__(self) -> None:
        if self.shared and self.rate < 2:
            raise ConfigurationError("Limit.rate must be at least 2 for a shared limit")

    @property
    def interval(self) -> float:
        """Seconds between two calls of one key (ordered), or the width of a slot (shared).
        Any window of ``period`` seconds meets at most ``rate`` slots: hence ``rate - 1``."""
        return (self.period + self.margin) / (self.rate - 1 if self.shared else self.rate)


@attrs.frozen(slots=True)
class Reservation:
    """The answer to an acquisition. ``granted``: a send time was reserved, ``wait`` seconds from
    now. Not granted: the wait would have exceeded ``max_wait`` and nothing was reserved.
    ``bound`` is the index of the key that set the time (-1 when nothing had to be waited for)."""

    granted: bool
    wait: float
    bound: int = -1
    # What release() needs: the keys, the send time, and per key the next time this call set
    # (ordered keys) or the first slot it took (shared keys), and the cost.
    keys: tuple[str, ...] = ()
    send_at: float = 0.0
    next_at: tuple[float, ...] = ()
    shared: tuple[bool, ...] = ()
    cost: int = 1


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

    ``account_id`` only names the scope. Memory is bounded by the keys and slots of the last
    few seconds: what has passed is swept out.
    """

    def __init__(self, *, account_id: str = "local", clock: Callable[[], float] = time.monotonic) -> None:
        self.account_id = account_id
        self._clock = clock
        self._next_at: dict[str, float] = {}  # ordered keys: the earliest next send
        self._slots: dict[str, set[int]] = {}  # shared keys: the slots taken
        self._widths: dict[str, float] = {}
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
        for index, (name, (_, limit)) in enumerate(zip(names, keys, strict=True)):
            if not limit.shared:
                at = self._next_at.get(name, 0.0)
                if at > send_at:
                    send_at, bound = at, index
        moved = True
        while moved:  # shared keys: the first time whose slots are free in every one
            moved = False
            for index, (name, (_, limit)) in enumerate(zip(names, keys, strict=True)):
                if limit.shared:
                    taken = self._slots.get(name, ())
                    slot = first = _slot(send_at, limit.interval)
                    while any(slot + k in taken for k in range(cost)):
                        slot += 1
                    if slot != first:
                        send_at, bound, moved = slot * limit.interval, index, True
        wait = send_at - now
        if wait > max_wait:
            return Reservation(False, wait, bound)
        next_at = []
        for name, (_, limit) in zip(names, keys, strict=True):
            if limit.shared:
                slot = _slot(send_at, limit.interval)
                self._slots.setdefault(name, set()).update(range(slot, slot + cost))
                self._widths[name] = limit.interval
                next_at.append(float(slot))
            else:
                self._next_at[name] = send_at + cost * limit.interval
                next_at.append(self._next_at[name])
        shared = tuple(limit.shared for _, limit in keys)
        return Reservation(True, wait, bound, names, send_at, tuple(next_at), shared, cost)

    async def acquire(
        self, scope: str, keys: Sequence[tuple[str, Limit]], *, cost: int = 1, max_wait: float = math.inf
    ) -> Reservation:
        return self.reserve(scope, keys, cost=cost, max_wait=max_wait)

    async def release(self, reservation: Reservation) -> None:
        for name, value, shared in zip(reservation.keys, reservation.next_at, reservation.shared, strict=True):
            if shared:
                self._slots.get(name, set()).difference_update(range(int(value), int(value) + reservation.cost))
            # An ordered key whose last reservation is this one hands its slot back; a later
            # reservation was planned after ours and keeps its place.
            elif self._next_at.get(name) == value:
                self._next_at[name] = reservation.send_at

    async def throttled(self, scope: str, keys: Sequence[tuple[str, Limit]]) -> None:
        # IVS counted more than we planned (another client, jitter): send nothing for a period.
        now = self._clock()
        for name, limit in keys:
            full = f"{scope}:{name}"
            if limit.shared:
                first = _slot(now, limit.interval)
                self._slots.setdefault(full, set()).update(range(first, _slot(now + limit.period, limit.interval) + 1))
                self._widths[full] = limit.interval
            else:
                self._next_at[full] = max(self._next_at.get(full, 0.0), now + limit.period)

    async def aclose(self) -> None:
        return None

    def _sweep(self, now: float) -> None:
        self._since_sweep = 0
        self._next_at = {name: at for name, at in self._next_at.items() if at > now}
        for name, taken in list(self._slots.items()):
            current = _slot(now, self._widths[name])
            kept = {slot for slot in taken if slot >= current}
            if kept:
                self._slots[name] = kept
            else:
                del self._slots[name], self._widths[name]

    def __repr__(self) -> str:
        return f"InProcessRateLimiter(account_id={self.account_id!r}, keys={len(self._next_at) + len(self._slots)})"


def _slot(at: float, width: float) -> int:
    """The slot holding time ``at``; the epsilon keeps ``slot * width`` in ``slot`` despite rounding."""
    return math.floor(at / width + 1e-9)


async def send_paced(
    limiter: RateLimiter,
    scope: str,
    keys: Sequence[tuple[str, Limit]],
    max_wait: float,
    refused: Callable[[Reservation], Exception],
    send: Callable[[], Awaitable[T]],
) -> T:
    """Wait for a send time under ``keys`` (``refused`` makes the error when it is too far off),
    send, and slow every user of the keys down when IVS throttles the call all the same."""
    reservation = await limiter.acquire(scope, keys, max_wait=max_wait)
    if not reservation.granted:
        raise refused(reservation)
    if reservation.wait > 0:
        try:
            await asyncio.sleep(reservation.wait)
        except asyncio.CancelledError:
            await asyncio.shield(limiter.release(reservation))  # the slot goes back unused
            raise
    try:
        return await send()
    except IvsError as exc:
        if classify(exc) is ErrorKind.THROTTLING:
            await limiter.throttled(scope, keys)
        raise

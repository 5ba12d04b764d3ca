"""Call deadlines: one timer per handler cancels whichever calls ran out of time.

asyncio.timeout_at() per call costs 7 to 9 us (a timer handle pushed on and cancelled off the
loop's heap, and a state machine); calls share a deadline keeper instead, whose single timer is
set for the earliest deadline it watches. A call then costs one small object and a set update.
"""

from __future__ import annotations

import asyncio
import math


class Watch:
    """One call under watch."""

    __slots__ = ("cancelling", "expired", "task", "when")

    def __init__(self, task: asyncio.Task[object], when: float) -> None:
        self.task = task
        self.when = when
        self.cancelling = task.cancelling()  # cancellations requested before ours are not ours
        self.expired = False


class DeadlineKeeper:
    """``watch()`` when a call starts, ``release()`` when it ends, however it ends."""

    __slots__ = ("_loop", "_timer", "_timer_at", "_watches")

    def __init__(self) -> None:
        self._watches: set[Watch] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._timer_at = math.inf

    def watch(self, loop: asyncio.AbstractEventLoop, when: float) -> Watch:
        """Cancel the current task at loop time ``when`` unless released before."""
        task = asyncio.current_task(loop)
        if task is None:
            raise RuntimeError("a deadline needs a running task")
        watch = Watch(task, when)
        self._watches.add(watch)
        if loop is not self._loop:  # a new event loop: the old one's timer will never fire
            self._loop, self._timer, self._timer_at = loop, None, math.inf
        if when < self._timer_at:
            self._schedule(loop, when)
        return watch

    def release(self, watch: Watch) -> bool:
        """Stop watching. True when the deadline had fired and no other cancellation is pending:
        the caller should turn the CancelledError it caught into its timeout error."""
        self._watches.discard(watch)
        if not watch.expired:
            return False
        watch.expired = False  # withdraw our cancellation once only
        return watch.task.uncancel() <= watch.cancelling

    def _schedule(self, loop: asyncio.AbstractEventLoop, when: float) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._timer = loop.call_at(when, self._fire, loop)
        self._timer_at = when

    def _fire(self, loop: asyncio.AbstractEventLoop) -> None:
        self._timer, self._timer_at = None, math.inf
        now = loop.time()
        earliest = math.inf
        for watch in self._watches:
            if watch.when <= now:
                if not watch.expired:
                    watch.expired = True
                    watch.task.cancel()
            elif watch.when < earliest:
                earliest = watch.when
        if earliest < math.inf:
            self._schedule(loop, earliest)

"""The emulator's EventBridge side: IVS events, built as IVS sends them, handed to subscribers."""

from __future__ import annotations

import asyncio
import copy
import inspect
import logging
import threading
import uuid
from collections import deque
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

Json = dict[str, Any]
Subscriber = Callable[[Json], None]
_log = logging.getLogger("ivs_async.testing")


RECENT_EVENTS = 1000


def envelope(detail_type: str, *, account: str, region: str, at: datetime, resources: list[str], detail: Json) -> Json:
    """An EventBridge event from ``aws.ivs``; times have one-second resolution, as EventBridge's do."""
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": detail_type,
        "source": "aws.ivs",
        "account": account,
        "time": at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": region,
        "resources": resources,
        "detail": detail,
    }


class EventHub:
    """Subscribers get each event (a copy of their own) in the order the emulator emitted them."""

    def __init__(self) -> None:
        self._subscribers: list[Subscriber] = []
        self._lock = threading.Lock()
        # The latest events, for the control API (GET /_ivs_local/events); bounded.
        self.recent: deque[Json] = deque(maxlen=RECENT_EVENTS)

    def subscribe(self, callback: Callable[[Json], None] | Callable[[Json], Awaitable[None]]) -> Callable[[], None]:
        """Call ``callback(event)`` for each event; a coroutine function runs on the event loop
        that subscribed it. Returns a function that unsubscribes."""
        if inspect.iscoroutinefunction(callback):
            loop = asyncio.get_running_loop()
            coroutine_function = callback

            def deliver(event: Json) -> None:
                asyncio.run_coroutine_threadsafe(coroutine_function(event), loop)

        else:
            deliver = callback  # type: ignore[assignment]
        return self._add(deliver)

    def queue(self) -> asyncio.Queue[Json]:
        """An asyncio queue, bound to the running loop, that receives every event."""
        loop = asyncio.get_running_loop()
        events: asyncio.Queue[Json] = asyncio.Queue()

        def deliver(event: Json) -> None:
            loop.call_soon_threadsafe(events.put_nowait, event)

        self._add(deliver)
        return events

    def _add(self, deliver: Subscriber) -> Callable[[], None]:
        with self._lock:
            self._subscribers.append(deliver)

        def unsubscribe() -> None:
            with self._lock:
                if deliver in self._subscribers:
                    self._subscribers.remove(deliver)

        return unsubscribe

    def clear(self) -> None:
        with self._lock:
            self._subscribers.clear()
            self.recent.clear()

    def publish(self, events: list[Json]) -> None:
        with self._lock:
            subscribers = list(self._subscribers)
            self.recent.extend(events)
        for event in events:
            for deliver in subscribers:
                try:
                    deliver(copy.deepcopy(event))
                except Exception:  # a subscriber's failure (say, its loop closed) must not stop the emulator
                    _log.exception("an IVS event subscriber failed; it is dropped")
                    with self._lock:
                        if deliver in self._subscribers:
                            self._subscribers.remove(deliver)

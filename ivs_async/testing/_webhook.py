"""The emulator's EventBridge stand-in: each IVS event POSTed to a URL (``ivs-local --events-url``),
in order, retried with backoff, with an optional shared secret in ``X-Webhook-Secret``.

A redirect is never followed (it would carry the event and its secret to another address, or turn
the POST into a GET): it is a failed delivery, retried, then counted lost. The URL is shown without
its user, password and query string, which may hold credentials.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from typing import Any

import aiohttp
import yarl

_log = logging.getLogger("ivs_async.testing")
MAX_PENDING = 10_000  # events waiting for delivery; beyond it the oldest are dropped (logged)


class EventForwarder:
    """Delivers events one at a time, in the order the emulator emitted them."""

    def __init__(
        self,
        url: str,
        *,
        secret: str | None = None,
        attempts: int = 6,
        base_delay: float = 0.2,
        max_delay: float = 5.0,
        timeout: float = 5.0,
    ) -> None:
        if not url.startswith(("http://", "https://")):
            raise ValueError("the events URL must be http:// or https://")
        self.url = url
        self.shown = shown_url(url)
        self._secret = secret
        self._attempts = attempts
        self._base_delay = base_delay
        self._max_delay = max_delay
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._queue: asyncio.Queue[dict[str, Any]] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[None] | None = None
        self.delivered = 0
        self.failed = 0

    def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._queue = asyncio.Queue(MAX_PENDING)
        self._task = asyncio.ensure_future(self._run())

    def deliver(self, event: dict[str, Any]) -> None:
        """Called by the emulator, from any thread."""
        if self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._enqueue, event)

    def _enqueue(self, event: dict[str, Any]) -> None:
        assert self._queue is not None
        if self._queue.full():
            self._queue.get_nowait()
            self.failed += 1
            _log.warning("ivs-local: %d events wait for %s; the oldest is dropped", MAX_PENDING, self.shown)
        self._queue.put_nowait(event)

    async def _run(self) -> None:
        assert self._queue is not None
        headers = {"Content-Type": "application/json"}
        if self._secret:
            headers["X-Webhook-Secret"] = self._secret
        async with aiohttp.ClientSession(timeout=self._timeout) as session:
            while True:
                event = await self._queue.get()
                if await self._post(session, event, headers):
                    self.delivered += 1
                else:
                    self.failed += 1

    async def _post(self, session: aiohttp.ClientSession, event: dict[str, Any], headers: dict[str, str]) -> bool:
        body = json.dumps(event).encode()
        problem = ""
        for attempt in range(self._attempts):
            if attempt:
                await asyncio.sleep(min(self._max_delay, self._base_delay * 2 ** (attempt - 1)))
            try:
                # The answer's body is never read: only its status matters, and it could be anything.
                async with session.post(self.url, data=body, headers=headers, allow_redirects=False) as response:
                    if response.status < 300:
                        return True
                    problem = f"HTTP {response.status}"
                    if 300 <= response.status < 400:
                        problem += " (a redirect, not followed)"
                    if 400 <= response.status < 500 and response.status not in (408, 429):
                        break  # the receiver refuses it: retrying would not change its mind
            except (aiohttp.ClientError, TimeoutError) as exc:
                problem = type(exc).__name__
        _log.warning("ivs-local: event %s not delivered to %s (%s)", event.get("id"), self.shown, problem)
        return False

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


def shown_url(url: str) -> str:
    """``url`` as logs and banners show it: scheme, host, port and path (no user, password, query)."""
    try:
        parsed = yarl.URL(url)
        host = parsed.raw_host or ""
    except (ValueError, TypeError):
        return "(an unreadable URL)"
    port = f":{parsed.explicit_port}" if parsed.explicit_port is not None else ""
    shown = f"[{host}]" if ":" in host else host
    return f"{parsed.scheme}://{shown}{port}{parsed.raw_path}"

"""The bounds of each HTTP connection (the IVS API, playback, the control API), around aiohttp's
own protocol: admitted within the connection limits, its request headers due within a deadline
(aiohttp has none), and cut off when it stops reading what it is sent (aiohttp would wait)."""

from __future__ import annotations

import asyncio
from typing import Any

from ivs_async.testing._limits import Peers

_WATCH_EVERY = 1.0  # seconds between looks at a connection's unsent bytes


class GuardedConnection(asyncio.Protocol):
    """aiohttp's protocol for one connection, within IVS Local's bounds."""

    def __init__(self, inner: asyncio.Protocol, peers: Peers, guards: dict[Any, GuardedConnection]) -> None:
        self._inner = inner
        self._peers = peers
        self._guards = guards
        self._transport: asyncio.Transport | None = None
        self._address = ""
        self._deadline: asyncio.TimerHandle | None = None
        self._watch: asyncio.TimerHandle | None = None
        self._unsent = 0
        self._stalled = 0.0

    # -- asyncio.Protocol ---------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        peer = transport.get_extra_info("peername")
        address = str(peer[0]) if isinstance(peer, tuple) and peer else "?"
        if not self._peers.admit(address, rtmp=False):
            transport.abort()
            return
        self._transport, self._address = transport, address
        self._guards[transport] = self
        self._inner.connection_made(transport)
        self._arm()
        self._watch = asyncio.get_running_loop().call_later(_WATCH_EVERY, self._look)

    def data_received(self, data: bytes) -> None:
        if self._transport is not None:
            self._inner.data_received(data)

    def eof_received(self) -> bool | None:
        return self._inner.eof_received() if self._transport is not None else None

    def connection_lost(self, exc: Exception | None) -> None:
        transport, self._transport = self._transport, None
        if transport is None:
            return  # never admitted
        for handle in (self._deadline, self._watch):
            if handle is not None:
                handle.cancel()
        self._guards.pop(transport, None)
        self._peers.release(self._address, rtmp=False)
        self._inner.connection_lost(exc)

    def pause_writing(self) -> None:
        self._inner.pause_writing()

    def resume_writing(self) -> None:
        self._inner.resume_writing()

    # -- what the server tells it -----------------------------------------------------------------

    def request_started(self) -> None:
        """A request's headers arrived in time: the deadline waits for the next one."""
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def request_finished(self) -> None:
        """The answer is made: the next request's headers are due within the deadline."""
        self._arm()

    # -- bounds -----------------------------------------------------------------------------------

    def _arm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
        seconds = self._peers.limits.header_seconds
        self._deadline = asyncio.get_running_loop().call_later(seconds, self._cut, f"no request within {seconds:.0f} s")

    def _look(self) -> None:
        """Unsent bytes that do not go down for the stall time: a peer that does not read."""
        transport = self._transport
        if transport is None:
            return
        unsent = transport.get_write_buffer_size()
        self._stalled = self._stalled + _WATCH_EVERY if unsent and unsent >= self._unsent else 0.0
        self._unsent = unsent
        limit = self._peers.limits.write_stall_seconds
        if self._stalled >= limit:
            self._cut(f"it read nothing of its answer for {limit:.0f} s")
            return
        self._watch = asyncio.get_running_loop().call_later(_WATCH_EVERY, self._look)

    def _cut(self, why: str) -> None:
        transport = self._transport
        if transport is not None:
            self._peers.once(f"http:{why}", "ivs-local closed an HTTP connection from %s: %s", self._address, why)
            transport.abort()

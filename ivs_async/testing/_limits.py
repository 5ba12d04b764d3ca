"""What IVS Local lets its peers do: every bound of every listener (the IVS API and playback over
HTTP, RTMP and RTMPS ingest, the chat WebSocket), in one place. The listeners take their numbers from here, and the
README's "Limits and safety" table for IVS Local is checked against it by the tests.

A peer that goes over a bound is disconnected, with one log line; nothing a peer does holds the
emulator's memory, descriptors or event loop beyond these numbers.
"""

from __future__ import annotations

import asyncio
import logging
import resource
import time
from collections import Counter
from typing import Any

import attrs

_log = logging.getLogger("ivs_async.testing")
_LOG_EVERY = 60.0  # seconds between two log lines about the same bound


@attrs.frozen(kw_only=True)
class Limits:
    """The bounds of IVS Local's listeners (defaults shown in the README)."""

    # Connections, over every listener and from one address (RTMP, RTMPS and HTTP share them).
    connections: int = 512
    connections_per_address: int = 128
    # Of those, RTMP and RTMPS: encoders use one connection each.
    rtmp_connections: int = 64
    rtmp_connections_per_address: int = 16
    # HTTP: a request's line and headers must arrive within this time of the connection (or of
    # the previous answer on a kept-alive one); an idle kept-alive connection closes then too.
    header_seconds: float = 20.0
    # Any write that has not drained for this long is from a peer that does not read: it is cut.
    write_stall_seconds: float = 30.0
    # RTMP: the handshake, then silence between messages.
    handshake_seconds: float = 10.0
    rtmp_idle_seconds: float = 30.0
    # RTMP messages: before a successful publish only commands are expected (connect,
    # createStream, publish...), which are small; after it, video frames (a 4K keyframe fits).
    command_bytes: int = 64 * 1024
    message_bytes: int = 4 * 1024 * 1024
    chunk_streams: int = 64  # an encoder uses a handful
    min_chunk_size: int = 128  # RTMP's default; smaller chunks are all overhead
    # Bytes of unfinished messages a connection may hold, and all connections together.
    buffered_bytes: int = 8 * 1024 * 1024
    buffered_bytes_total: int = 128 * 1024 * 1024
    # Messages a connection may send per second, on average over a second's burst: an encoder
    # sends about 100 (audio and video frames); a flood of tiny messages is CPU, not media.
    messages_per_second: int = 2000
    # Bytes parsed before the ingest lets the event loop serve others.
    parse_step_bytes: int = 256 * 1024
    # Chat WebSockets (within the connections above): one per chat client.
    chat_connections: int = 256
    chat_connections_per_address: int = 64
    # A chat client's frame: a message of 500 characters with 1 KiB of attributes stays under this
    # even with every character escaped (\u0001 is 6 bytes).
    chat_frame_bytes: int = 16 * 1024
    # Frames from one chat connection per second, over a second's burst: a room takes 100 messages
    # a second at most, from all its clients together.
    chat_frames_per_second: int = 100
    # Frames waiting to be sent to one chat connection: a client this far behind is not reading.
    chat_queued_frames: int = 1024
    # Their bytes in memory (4 a character for text with emoji), for one connection and for all
    # together; the kernel's and aiohttp's buffers come first. A room at its maximum rate and size
    # sends about 1.2 MB a second, which a reading client takes in milliseconds. A frame broadcast
    # to a room counts for every connection it waits for; past the total, the furthest behind goes.
    chat_queued_bytes: int = 1024 * 1024
    chat_queued_bytes_total: int = 64 * 1024 * 1024
    # Pings to each chat connection; a pong is due within half of it.
    chat_heartbeat_seconds: float = 30.0


DEFAULT_LIMITS = Limits()


def descriptors_allowed(limits: Limits) -> Limits:
    """``limits`` lowered, when this process may open few descriptors, so that connections alone
    can never take them all: at most a quarter of the soft RLIMIT_NOFILE for connections (each
    listener accepts up to ``accept_backlog(...)`` more before it can refuse them), and one address
    at most half of those, so that a flood from one address leaves room for another."""
    try:
        soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    except (OSError, ValueError):
        return limits
    if soft == resource.RLIM_INFINITY or soft // 4 >= limits.connections:
        return limits
    total = max(8, soft // 4)
    return attrs.evolve(
        limits,
        connections=total,
        connections_per_address=min(limits.connections_per_address, max(4, total // 2)),
        rtmp_connections=min(limits.rtmp_connections, max(2, total // 4)),
        rtmp_connections_per_address=min(limits.rtmp_connections_per_address, max(2, total // 8)),
        chat_connections=min(limits.chat_connections, max(2, total // 2)),
        chat_connections_per_address=min(limits.chat_connections_per_address, max(2, total // 4)),
    )


def accept_backlog(limits: Limits) -> int:
    """The listen backlog, which is also how many connections asyncio accepts in one go before
    IVS Local can refuse any: small beside the descriptors the limits leave free."""
    return max(8, min(100, limits.connections // 4))


def raise_descriptor_limit(wanted: int = 65536) -> None:
    """Raise this process's soft RLIMIT_NOFILE towards its hard limit, as servers do (for the
    standalone ivs-local only: an in-process LocalIvs leaves its host process's limits alone)."""
    try:
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
        if soft != resource.RLIM_INFINITY and soft < target:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    except (OSError, ValueError):
        pass  # the limit stays; descriptors_allowed() sizes the connections to it


class QuietExceptionHandler:
    """The standalone ivs-local's event loop handler: asyncio's report of a failed accept()
    (EMFILE under a connection flood) once a minute; everything else as asyncio reports it."""

    def __init__(self) -> None:
        self._last = -_LOG_EVERY

    def __call__(self, loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        if not str(context.get("message", "")).startswith("socket.accept() out of system resource"):
            loop.default_exception_handler(context)
            return
        now = time.monotonic()
        if now - self._last >= _LOG_EVERY:
            self._last = now
            _log.warning("ivs-local is out of descriptors: new connections wait (%s)", context.get("exception"))


class QuietLogger(logging.LoggerAdapter):  # type: ignore[type-arg]
    """A library's logger (aiohttp's server) whose lines come at most once a minute per message:
    malformed requests from a hostile peer must not flood the log with tracebacks."""

    def __init__(self, logger: logging.Logger, peers: Peers) -> None:
        super().__init__(logger, {})
        self._peers = peers

    def log(self, level: int, msg: object, *args: object, **kwargs: Any) -> None:
        if level >= logging.INFO and not self._peers.allow(f"log:{self.logger.name}:{msg}"):
            return
        super().log(level, msg, *args, **kwargs)


class BytePool:
    """Bytes held for every connection of one kind together (RTMP's unfinished messages, the
    frames queued for chat clients), within ``bound``."""

    __slots__ = ("bound", "held")

    def __init__(self, bound: int) -> None:
        self.bound = bound
        self.held = 0

    def fits(self, count: int) -> bool:
        return self.held + count <= self.bound


class ByteBudget:
    """Bytes held for one connection: at most ``bound``, and counted in ``pool`` too. ``fits`` and
    ``pool.fits`` say which bound more bytes would pass; the caller decides what that costs."""

    __slots__ = ("bound", "held", "pool")

    def __init__(self, pool: BytePool, bound: int) -> None:
        self.pool = pool
        self.bound = bound
        self.held = 0

    def fits(self, count: int) -> bool:
        return self.held + count <= self.bound

    def take(self, count: int) -> None:
        self.held += count
        self.pool.held += count

    def give(self, count: int) -> None:
        self.held -= count
        self.pool.held -= count

    def give_all(self) -> None:
        """The connection ends (or is cut): everything it held goes back to the pool at once."""
        self.give(self.held)


class Peers:
    """The connections of every listener: taken when a peer connects, given back when it goes.

    ``admit`` says whether one more connection of ``kind`` from ``address`` fits; the caller closes
    the connection at once when it does not. The bytes held for connections are counted in
    pools, one per kind (each connection's share in a ``ByteBudget``).
    """

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self._all: Counter[str] = Counter()  # address -> connections (every listener)
        self._rtmp: Counter[str] = Counter()  # address -> RTMP connections
        self._chat: Counter[str] = Counter()  # address -> chat WebSockets (also counted in _all)
        self.rtmp_bytes = BytePool(limits.buffered_bytes_total)  # unfinished RTMP messages
        self.chat_bytes = BytePool(limits.chat_queued_bytes_total)  # frames waiting for chat clients
        self.refused = 0
        self._warned: dict[str, float] = {}  # what was logged, and when

    @property
    def connections(self) -> int:
        return sum(self._all.values())

    def admit(self, address: str, *, rtmp: bool) -> bool:
        limits = self.limits
        problem = ""
        if self.connections >= limits.connections:
            problem = f"{limits.connections} connections in all"
        elif self._all[address] >= limits.connections_per_address:
            problem = f"{limits.connections_per_address} connections from one address"
        elif rtmp and sum(self._rtmp.values()) >= limits.rtmp_connections:
            problem = f"{limits.rtmp_connections} RTMP connections in all"
        elif rtmp and self._rtmp[address] >= limits.rtmp_connections_per_address:
            problem = f"{limits.rtmp_connections_per_address} RTMP connections from one address"
        if problem:
            self.refused += 1
            self.once(f"limit:{problem}", "ivs-local refused a connection from %s: at most %s", address, problem)
            return False
        self._all[address] += 1
        if rtmp:
            self._rtmp[address] += 1
        return True

    def release(self, address: str, *, rtmp: bool) -> None:
        for counter in (self._all, self._rtmp) if rtmp else (self._all,):
            counter[address] -= 1
            if counter[address] <= 0:
                del counter[address]

    def admit_chat(self, address: str) -> bool:
        """Whether one more chat WebSocket from ``address`` fits (its HTTP connection is admitted already)."""
        limits = self.limits
        problem = ""
        if sum(self._chat.values()) >= limits.chat_connections:
            problem = f"{limits.chat_connections} chat connections in all"
        elif self._chat[address] >= limits.chat_connections_per_address:
            problem = f"{limits.chat_connections_per_address} chat connections from one address"
        if problem:
            self.refused += 1
            self.once(f"limit:{problem}", "ivs-local refused a chat connection from %s: at most %s", address, problem)
            return False
        self._chat[address] += 1
        return True

    def release_chat(self, address: str) -> None:
        self._chat[address] -= 1
        if self._chat[address] <= 0:
            del self._chat[address]

    def once(self, key: str, message: str, *args: object) -> None:
        """Log ``message`` at WARNING, once a minute at most for ``key``: a bound met again and again
        by a hostile peer must not flood the log."""
        if self.allow(key):
            _log.warning(message, *args)

    def allow(self, key: str) -> bool:
        """Whether a line about ``key`` may be logged now (once a minute; 1000 keys at most)."""
        now = time.monotonic()
        if now - self._warned.get(key, -_LOG_EVERY) < _LOG_EVERY:
            return False
        if len(self._warned) >= 1000:
            self._warned = {k: t for k, t in self._warned.items() if now - t < _LOG_EVERY}
            if len(self._warned) >= 1000:
                return False
        self._warned[key] = now
        return True

"""IVS Local's Chat Messaging WebSocket: the rooms' connected clients, what they send each other,
and what the control plane (SendEvent, DeleteMessage, DisconnectUser, DeleteRoom) pushes to them.

It answers a WebSocket upgrade at the root of the API port, as IVS's chat edge answers at the root
of ``wss://edge.ivschat.<region>.amazonaws.com``: ``ws://HOST:PORT`` is the URL to give a chat
client. The chat token is the handshake's only ``Sec-WebSocket-Protocol``, and it is echoed.

Every connection is bounded (``Limits``): how many, from one address and in all; each frame's size;
the frames it may send a second; the frames waiting for it, in number and in bytes, and the bytes
waiting for every connection together (a client that does not read is cut); pings. A session ends
when its token's session expires (by the emulator's clock): an ERROR 401, then a close (1000),
which makes IVS's clients reconnect with a new token.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import time
from collections import deque
from collections.abc import Callable, Mapping
from datetime import datetime

import attrs
from aiohttp import WSMsgType, web

from ivs_async.chat import _wire
from ivs_async.chat._wire import ChatErrorCode, is_token
from ivs_async.testing._chat._protocol import (
    ClientRequest,
    FrameRefused,
    error_frame,
    event_frame,
    message_frame,
    new_id,
    parse_request,
)
from ivs_async.testing._chat._tokens import ChatRefused, ChatSession, ChatTokens
from ivs_async.testing._limits import ByteBudget, Peers

_log = logging.getLogger("ivs_async.testing")
_MAX_TOKEN = 8192  # characters of a Sec-WebSocket-Protocol read as a token
_MAX_CLOSE_REASON = 123  # bytes a WebSocket close frame's reason may have


@attrs.frozen
class _Close:
    """The writer's last item: close with this code and reason once what is queued is sent."""

    code: int
    reason: str


class _Session:
    """One connected client."""

    __slots__ = ("address", "allowance", "checked", "closing", "held", "info", "queue", "transport", "writer", "ws")

    def __init__(self, info: ChatSession, address: str, ws: web.WebSocketResponse, request: web.Request, peers: Peers):
        limits = peers.limits
        self.info = info
        self.address = address
        self.ws = ws
        self.transport = request.transport
        self.queue: asyncio.Queue[str | _Close] = asyncio.Queue(maxsize=limits.chat_queued_frames)
        self.held = ByteBudget(peers.chat_bytes, limits.chat_queued_bytes)  # the queue's frames, in memory
        self.writer: asyncio.Task[None] | None = None
        self.closing = False
        self.allowance = float(limits.chat_frames_per_second)  # frames it may still send this second
        self.checked = time.monotonic()


def _size(frame: str | _Close) -> int:
    """What a queued frame holds in memory (a close nothing worth counting)."""
    return 0 if isinstance(frame, _Close) else sys.getsizeof(frame)


class _Room:
    __slots__ = ("sent", "sessions")

    def __init__(self) -> None:
        self.sessions: set[_Session] = set()
        self.sent: deque[float] = deque()  # monotonic times of the messages of the last second


class ChatSocket:
    """The chat WebSocket endpoint of IVS Local, for the rooms ``tokens`` knows.

    ``serves(request)`` says whether a request is for it; ``handle(request)`` serves it. The
    control-plane methods (``send_event``, ``delete_message``, ``disconnect_user``, ``close_room``)
    are for the chat backend, on the event loop that serves the socket; they return at once.
    """

    def __init__(
        self, tokens: ChatTokens, peers: Peers, *, clock: Callable[[], datetime], sweep_every: float = 1.0
    ) -> None:
        self._tokens = tokens
        self._peers = peers
        self._clock = clock
        self._sweep_every = sweep_every
        self._rooms: dict[str, _Room] = {}
        self._sweeper: asyncio.Task[None] | None = None
        self._closed = False
        self.refused = 0  # handshakes refused (bad or unknown tokens, limits)

    # -- routing ------------------------------------------------------------------------------------

    @staticmethod
    def serves(request: web.Request) -> bool:
        """A WebSocket upgrade at the root path."""
        return (
            request.method == "GET"
            and request.raw_path.partition("?")[0] == "/"
            and request.headers.get("Upgrade", "").lower() == "websocket"
        )

    async def handle(self, request: web.Request) -> web.StreamResponse:
        offered = [p.strip() for line in request.headers.getall("Sec-WebSocket-Protocol", []) for p in line.split(",")]
        offered = [p for p in offered if p]
        if len(offered) != 1 or len(offered[0]) > _MAX_TOKEN or not is_token(offered[0]):
            return self._refuse(401, "a chat token must be the only Sec-WebSocket-Protocol")
        token = offered[0]
        try:
            info = self._tokens.redeem(token)
        except ChatRefused as exc:
            return self._refuse(exc.status, exc.message)
        if self._tokens.room(info.room_arn) is None:
            return self._refuse(404, "the chat room does not exist")
        if info.session_expiration_time <= self._clock():
            return self._refuse(401, "the chat session has expired")
        if self._closed:
            return self._refuse(503, "IVS Local is stopping")
        address = request.remote or "?"
        if not self._peers.admit_chat(address):
            return self._refuse(429, "too many chat connections")
        limits = self._peers.limits
        session: _Session | None = None
        try:
            ws = web.WebSocketResponse(
                protocols=(token,),
                max_msg_size=limits.chat_frame_bytes,
                heartbeat=limits.chat_heartbeat_seconds,
                compress=False,  # no permessage-deflate: what a frame costs is what it says
                timeout=5.0,
            )
            await ws.prepare(request)
            session = _Session(info, address, ws, request, self._peers)
            room = self._rooms.setdefault(info.room_arn, _Room())
            room.sessions.add(session)
            session.writer = asyncio.create_task(self._write(session))
            self._sweep_soon()
            await self._read(session)
            return ws
        finally:
            self._peers.release_chat(address)
            if session is not None:
                self._forget(session)
                writer = session.writer
                if writer is not None and not writer.done():
                    if session.closing:  # a close of ours under way: its handshake, briefly
                        await asyncio.wait({writer}, timeout=1.0)
                    writer.cancel()
                    await asyncio.gather(writer, return_exceptions=True)
                self._drop(session)

    def _refuse(self, status: int, message: str) -> web.Response:
        self.refused += 1
        return web.json_response({"message": message}, status=status)

    # -- a connection -------------------------------------------------------------------------------

    async def _read(self, session: _Session) -> None:
        ws = session.ws
        limits = self._peers.limits
        async for message in ws:
            if not self._take_frame(session):
                self._peers.once(
                    "chat:rate",
                    "ivs-local closed a chat connection from %s: more than %d frames a second",
                    session.address,
                    limits.chat_frames_per_second,
                )
                # Closed from here, at once: what it sends is not read any more.
                session.closing = True
                await ws.close(code=1008, message=b"too many frames")
                return
            if message.type is WSMsgType.TEXT:
                self._answer(session, message.data)
            elif message.type is WSMsgType.BINARY:
                self._error(session, None, ChatErrorCode.BAD_REQUEST, "frames must be text (JSON)")
            elif message.type is WSMsgType.ERROR:
                self._peers.once(
                    "chat:error",
                    "ivs-local closed a chat connection from %s: %s (frames are at most %d bytes)",
                    session.address,
                    message.data,
                    limits.chat_frame_bytes,
                )
                return

    def _take_frame(self, session: _Session) -> bool:
        """A token bucket: ``chat_frames_per_second`` a second, as many at once."""
        rate = float(self._peers.limits.chat_frames_per_second)
        now = time.monotonic()
        session.allowance = min(rate, session.allowance + (now - session.checked) * rate)
        session.checked = now
        if session.allowance < 1.0:
            return False
        session.allowance -= 1.0
        return True

    async def _write(self, session: _Session) -> None:
        ws = session.ws
        try:
            while True:
                item = await session.queue.get()
                # Out of the queue: what is being sent is aiohttp's (and write_stall_seconds's).
                session.held.give(_size(item))
                if isinstance(item, _Close):
                    reason = item.reason.encode("utf-8")[:_MAX_CLOSE_REASON].decode("utf-8", "ignore").encode()
                    await ws.close(code=item.code, message=reason)
                    return
                await ws.send_str(item)
        except (ConnectionError, RuntimeError, OSError):
            return  # the connection went; its handler forgets it

    def _offer(self, session: _Session, frame: str | _Close) -> None:
        """Queue ``frame`` for ``session``; a client too far behind is cut (it does not read)."""
        if session.closing:
            return
        if isinstance(frame, _Close):
            session.closing = True
        limits = self._peers.limits
        size = _size(frame)
        if session.queue.full():
            self._cut(session, f"{limits.chat_queued_frames} frames waiting for it")
        elif not session.held.fits(size):
            self._cut(session, f"more than {limits.chat_queued_bytes} bytes waiting for it")
        elif not self._make_room(session, size):
            self._cut(session, f"{limits.chat_queued_bytes_total} bytes waiting for every chat connection")
        else:
            session.queue.put_nowait(frame)
            session.held.take(size)

    def _make_room(self, session: _Session, size: int) -> bool:
        """Room for ``size`` more bytes in all: the connections with the most waiting for them are
        cut first, as they are the furthest behind (a client that reads keeps its place). False
        when ``session`` is the one to cut."""
        pool = session.held.pool
        while not pool.fits(size):
            waiting = (s for room in self._rooms.values() for s in room.sessions)
            behind = max(waiting, key=lambda s: s.held.held, default=session)
            if behind is session or behind.held.held == 0:
                return False
            self._cut(behind, f"{self._peers.limits.chat_queued_bytes_total} bytes waiting for every chat connection")
        return True

    def _cut(self, session: _Session, problem: str) -> None:
        """Abort a client that does not read (no close frame: it reconnects); what waited for it goes at once."""
        session.closing = True
        self._peers.once(
            f"chat:slow:{problem}", "ivs-local cut a chat connection from %s: %s", session.address, problem
        )
        if session.transport is not None:
            session.transport.abort()
        self._drop(session)

    @staticmethod
    def _drop(session: _Session) -> None:
        """Empty ``session``'s queue and give its bytes back."""
        queue = session.queue
        while not queue.empty():
            queue.get_nowait()
        session.held.give_all()

    def _close(self, session: _Session, code: int, reason: str) -> None:
        self._offer(session, _Close(code, reason))

    def _forget(self, session: _Session) -> None:
        room = self._rooms.get(session.info.room_arn)
        if room is not None:
            room.sessions.discard(session)
            if not room.sessions:
                del self._rooms[session.info.room_arn]

    def _error(self, session: _Session, request_id: str | None, code: ChatErrorCode, message: str) -> None:
        self._offer(session, error_frame(id=new_id(), request_id=request_id, code=code, message=message))

    # -- what clients ask -------------------------------------------------------------------------

    def _answer(self, session: _Session, data: str) -> None:
        try:
            request = parse_request(data)
        except FrameRefused as exc:
            self._error(session, exc.request_id, exc.code, exc.message)
            return
        info = session.info
        if request.action not in info.capabilities:
            self._error(
                session, request.request_id, ChatErrorCode.FORBIDDEN, f"the chat token does not allow {request.action}"
            )
            return
        settings = self._tokens.room(info.room_arn)
        if settings is None:
            self._error(session, request.request_id, ChatErrorCode.NOT_FOUND, "the chat room does not exist")
            return
        if request.action == _wire.SEND_MESSAGE:
            self._send_message(
                session, request, settings.maximum_message_length, settings.maximum_message_rate_per_second
            )
        elif request.action == _wire.DELETE_MESSAGE:
            self.delete_message(info.room_arn, request.id, request.reason, request_id=request.request_id)
        else:
            self.disconnect_user(info.room_arn, request.user_id, request.reason, request_id=request.request_id)

    def _send_message(self, session: _Session, request: ClientRequest, max_length: int, max_rate: int) -> None:
        if len(request.content) > max_length:
            self._error(
                session,
                request.request_id,
                ChatErrorCode.PAYLOAD_TOO_LARGE,
                f"the message is longer than the room's maximum of {max_length} characters",
            )
            return
        room = self._rooms[session.info.room_arn]
        now = time.monotonic()
        while room.sent and now - room.sent[0] >= 1.0:
            room.sent.popleft()
        if len(room.sent) >= max_rate:
            self._error(
                session,
                request.request_id,
                ChatErrorCode.TOO_MANY_REQUESTS,
                f"the room takes at most {max_rate} messages a second",
            )
            return
        room.sent.append(now)
        frame = message_frame(
            id=new_id(),
            request_id=request.request_id,
            content=request.content,
            attributes=request.attributes,
            send_time=self._clock(),
            user_id=session.info.user_id,
            user_attributes=session.info.attributes,
        )
        for other in list(room.sessions):
            self._offer(other, frame)

    # -- the control plane --------------------------------------------------------------------------

    def send_event(
        self,
        room_arn: str,
        event_name: str,
        attributes: Mapping[str, str] | None = None,
        *,
        request_id: str | None = None,
    ) -> str:
        """SendEvent: ``event_name`` to every client of the room; returns the event's id."""
        id = new_id()
        self._broadcast(
            room_arn,
            event_frame(id=id, request_id=request_id, name=event_name, attributes=attributes, send_time=self._clock()),
        )
        return id

    def delete_message(
        self, room_arn: str, message_id: str, reason: str | None = None, *, request_id: str | None = None
    ) -> str:
        """DeleteMessage: tells every client of the room to delete ``message_id``; returns the event's id."""
        # MessageId is IVS's current name; MessageID its older one, which clients still read.
        attributes = {"MessageId": message_id, "MessageID": message_id}
        if reason is not None:
            attributes["Reason"] = reason
        return self.send_event(room_arn, _wire.DELETE_MESSAGE_EVENT, attributes, request_id=request_id)

    def disconnect_user(
        self, room_arn: str, user_id: str, reason: str | None = None, *, request_id: str | None = None
    ) -> str:
        """DisconnectUser: tells the room, then closes every connection of ``user_id`` (1000, with
        the reason); returns the event's id."""
        attributes = {"UserId": user_id}
        if reason is not None:
            attributes["Reason"] = reason
        id = self.send_event(room_arn, _wire.DISCONNECT_USER_EVENT, attributes, request_id=request_id)
        room = self._rooms.get(room_arn)
        for session in list(room.sessions if room is not None else ()):
            if session.info.user_id == user_id:
                self._close(session, 1000, reason or "disconnected from the room")
        return id

    def close_room(self, room_arn: str, reason: str = "the room was deleted") -> int:
        """DeleteRoom: closes every connection of the room (1000); returns how many."""
        room = self._rooms.get(room_arn)
        sessions = list(room.sessions if room is not None else ())
        for session in sessions:
            self._close(session, 1000, reason)
        return len(sessions)

    def drop_connections(self, room_arn: str | None = None) -> int:
        """A fault: cut the room's connections (every room's: None) without a close frame, as a
        network failure would; clients reconnect. Returns how many."""
        rooms = [self._rooms[room_arn]] if room_arn in self._rooms else [] if room_arn else list(self._rooms.values())
        sessions = [s for room in rooms for s in room.sessions]
        for session in sessions:
            session.closing = True
            if session.transport is not None:
                session.transport.abort()
        return len(sessions)

    def connections(self, room_arn: str) -> list[str]:
        """The user ids of the room's open connections (one per connection)."""
        room = self._rooms.get(room_arn)
        return sorted(s.info.user_id for s in (room.sessions if room is not None else ()) if not s.closing)

    def _broadcast(self, room_arn: str, frame: str) -> None:
        room = self._rooms.get(room_arn)
        for session in list(room.sessions if room is not None else ()):
            self._offer(session, frame)

    # -- sessions' end --------------------------------------------------------------------------------

    def _sweep_soon(self) -> None:
        if self._sweeper is None or self._sweeper.done():
            self._sweeper = asyncio.create_task(self._sweep())

    async def _sweep(self) -> None:
        """Ends the sessions whose time is up, by the emulator's clock (which a test may move)."""
        while self._rooms:
            await asyncio.sleep(self._sweep_every)
            now = self._clock()
            for room in list(self._rooms.values()):
                for session in list(room.sessions):
                    if not session.closing and session.info.session_expiration_time <= now:
                        self._error(session, None, ChatErrorCode.UNAUTHORIZED, "the chat session has expired")
                        self._close(session, 1000, "the chat session has expired")

    async def shutdown(self) -> None:
        """Close every connection (1001, going away) and refuse new ones; for IVS Local's stop."""
        self._closed = True
        sessions = [s for room in self._rooms.values() for s in room.sessions]
        for session in sessions:
            self._close(session, 1001, "IVS Local is stopping")
        writers = [s.writer for s in sessions if s.writer is not None]
        if writers:
            await asyncio.wait(writers, timeout=2.0)
        if self._sweeper is not None:
            self._sweeper.cancel()
            await asyncio.gather(self._sweeper, return_exceptions=True)

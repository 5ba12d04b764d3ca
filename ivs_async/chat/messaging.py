"""The IVS Chat Messaging API: a chat room over a WebSocket, with the chat tokens your backend
creates (CreateChatToken).

    async def token() -> ChatTokenDict:
        return await my_backend.chat_token()   # CreateChatToken's output, its fields, or the token

    async with ChatRoom("us-west-2", token) as room:
        await room.send_message("hello", attributes={"color": "teal"})
        async for item in room:                # ChatMessage, ChatEvent, DeletedMessage, UserDisconnected, ChatError
            ...

The room reconnects by itself: before its token's session ends (asking the provider for a new
token), and after a broken connection (with backoff). It ends, and the iteration with it, when the
service closes the connection for good (this user disconnected, the room deleted) or on ``close()``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
import re
import time
import uuid
from collections import OrderedDict, deque
from collections.abc import Callable, Mapping
from types import TracebackType
from typing import Any, Literal, Self, TypeVar

import aiohttp

from ivs_async._core.public import rehome as _rehome
from ivs_async._exceptions import ConfigurationError, ParamValidationError, Violation
from ivs_async.chat import _wire
from ivs_async.chat._items import ChatEvent as ChatEvent
from ivs_async.chat._items import ChatItem as ChatItem
from ivs_async.chat._items import ChatMessage as ChatMessage
from ivs_async.chat._items import ChatSender as ChatSender
from ivs_async.chat._items import DeletedMessage as DeletedMessage
from ivs_async.chat._items import UserDisconnected as UserDisconnected
from ivs_async.chat._items import parse_frame
from ivs_async.chat._token import ChatToken as ChatToken
from ivs_async.chat._token import ChatTokenDict as ChatTokenDict
from ivs_async.chat._token import ChatTokenLike as ChatTokenLike
from ivs_async.chat._token import TokenProvider as TokenProvider
from ivs_async.chat._token import chat_token
from ivs_async.chat._wire import ChatErrorCode as ChatErrorCode
from ivs_async.errors import ChatBadRequestError as ChatBadRequestError
from ivs_async.errors import ChatClosedError as ChatClosedError
from ivs_async.errors import ChatConnectionError as ChatConnectionError
from ivs_async.errors import ChatError as ChatError
from ivs_async.errors import ChatForbiddenError as ChatForbiddenError
from ivs_async.errors import ChatFrameError as ChatFrameError
from ivs_async.errors import ChatInternalError as ChatInternalError
from ivs_async.errors import ChatMessageRejectedError as ChatMessageRejectedError
from ivs_async.errors import ChatPayloadTooLargeError as ChatPayloadTooLargeError
from ivs_async.errors import ChatRoomNotFoundError as ChatRoomNotFoundError
from ivs_async.errors import ChatThrottledError as ChatThrottledError
from ivs_async.errors import ChatTimeoutError as ChatTimeoutError
from ivs_async.errors import ChatTokenError as ChatTokenError
from ivs_async.errors import ChatUnauthorizedError as ChatUnauthorizedError

__all__ = [
    "ChatBadRequestError",
    "ChatClosedError",
    "ChatConnectionError",
    "ChatError",
    "ChatErrorCode",
    "ChatEvent",
    "ChatForbiddenError",
    "ChatFrameError",
    "ChatInternalError",
    "ChatItem",
    "ChatMessage",
    "ChatMessageRejectedError",
    "ChatPayloadTooLargeError",
    "ChatRoom",
    "ChatRoomNotFoundError",
    "ChatSender",
    "ChatThrottledError",
    "ChatTimeoutError",
    "ChatToken",
    "ChatTokenDict",
    "ChatTokenError",
    "ChatTokenLike",
    "ChatUnauthorizedError",
    "DeletedMessage",
    "TokenProvider",
    "UserDisconnected",
    "chat_url",
]

_log = logging.getLogger("ivs_async.chat")
_REGION = re.compile(r"[a-zA-Z0-9._~-]+")
_LOG_EVERY = 60.0  # seconds between two log lines about the same thing
_SEEN = 4096  # frame ids remembered: two connections deliver the same frames while one replaces the other
_STABLE = 10.0  # a connection open this long resets the reconnect backoff
_BACKOFF_BASE = 0.5
_BACKOFF_CAP = 30.0
_MIN_REFRESH = 1.0  # a connection is replaced at most once a second, whatever its token says
# Close codes after which the room reconnects: the service going away or restarting (1001, 1012),
# a connection that broke (1006: no close frame), a frame over max_frame_bytes (1009), an error on
# the service's side or "try again later" (1011, 1013, 1014). Any other close is for good.
_RECONNECT_CODES = frozenset({1001, 1006, 1009, 1011, 1012, 1013, 1014})

_Item = TypeVar("_Item", ChatMessage, DeletedMessage, UserDisconnected)


def chat_url(region_or_url: str) -> str:
    """The Chat Messaging endpoint: a ``ws://`` or ``wss://`` URL as given, else the region's."""
    if region_or_url.startswith(("wss://", "ws://")):
        return region_or_url
    if not _REGION.fullmatch(region_or_url):
        raise ConfigurationError(f"region_or_url must be a region or a ws:// or wss:// URL, got {region_or_url[:64]!r}")
    return f"wss://edge.ivschat.{region_or_url}.amazonaws.com"


class _Connection:
    """One WebSocket of the room, with the token it was opened with."""

    __slots__ = (
        "close_code",
        "close_reason",
        "ended",
        "opened",
        "reader",
        "refresh_after",
        "token",
        "unauthorized",
        "ws",
    )

    def __init__(self, ws: aiohttp.ClientWebSocketResponse, token: ChatToken) -> None:
        self.ws = ws
        self.token = token
        self.opened = time.monotonic()
        self.ended = asyncio.Event()
        self.reader: asyncio.Task[None] | None = None
        self.unauthorized = False  # the service said its session ended (ERROR 401): replace it
        self.refresh_after: float | None = None  # monotonic time of the next try, after a failed refresh
        self.close_code: int | None = None
        self.close_reason = ""


class _Pending:
    __slots__ = ("conn", "future", "kind")

    def __init__(self, future: asyncio.Future[Any], kind: type, conn: _Connection) -> None:
        self.future = future
        self.kind = kind  # what answers the request: ChatMessage, DeletedMessage or UserDisconnected
        self.conn = conn  # the connection it was sent on: an ERROR comes back on that one only


class ChatRoom:
    """A connection to one chat room (the token says which) through the Chat Messaging API.

    ``async with ChatRoom(region_or_url, token_provider) as room`` connects; ``async for item in
    room`` yields ``ChatMessage``, ``ChatEvent``, ``DeletedMessage``, ``UserDisconnected`` and the
    ``ChatError``s that answer none of this room's requests, in the order the service sent them,
    until the room is closed.

    ``token_provider`` is called for every connection: the first, each refresh (``refresh_lead``
    seconds before the token or session expires, at most half the token's life early), and each
    reconnect after a broken connection (full-jitter backoff from 0.5 s to 30 s, at most
    ``max_reconnect_attempts`` tries in a row). Frames from the service are at most
    ``max_frame_bytes``; requests larger than that fail before sending. Requests go out at most
    ``send_rate`` a second (a second's worth at once), waiting their turn in order.

    A slow consumer: at most ``max_queue`` items wait for the iteration; beyond that the oldest are
    dropped (counted in ``dropped``, logged once a minute), so the connection is always read and a
    request's answer never waits for the consumer.

    ``session``: an aiohttp ClientSession to use (left open); ``clock``: seconds since the epoch, what
    the token's expiry times are compared with.
    """

    def __init__(
        self,
        region_or_url: str,
        token_provider: TokenProvider,
        *,
        max_queue: int = 1000,
        max_frame_bytes: int = 64 * 1024,
        send_rate: float = 10.0,
        request_timeout: float = 10.0,
        connect_timeout: float = 10.0,
        max_reconnect_attempts: int = 5,
        refresh_lead: float = 60.0,
        heartbeat: float | None = 30.0,
        session: aiohttp.ClientSession | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.url = chat_url(region_or_url)
        for name, value in (
            ("max_queue", max_queue),
            ("max_frame_bytes", max_frame_bytes),
            ("send_rate", send_rate),
            ("request_timeout", request_timeout),
            ("connect_timeout", connect_timeout),
            ("refresh_lead", refresh_lead),
        ):
            if not value > 0:
                raise ConfigurationError(f"{name} must be positive, got {value!r}")
        if max_reconnect_attempts < 0:
            raise ConfigurationError(f"max_reconnect_attempts must be 0 or more, got {max_reconnect_attempts!r}")
        if heartbeat is not None and not heartbeat > 0:
            raise ConfigurationError(f"heartbeat must be positive or None, got {heartbeat!r}")
        self._provider = token_provider
        self._max_queue = max_queue
        self._max_frame = max_frame_bytes
        self._interval = 1.0 / send_rate
        self._request_timeout = request_timeout
        self._connect_timeout = connect_timeout
        self._max_attempts = max_reconnect_attempts
        self._refresh_lead = refresh_lead
        self._heartbeat = heartbeat
        self._session = session
        self._own_session = session is None
        self._clock = clock
        self._random = random.Random()
        self._items: deque[ChatItem] = deque()
        self._wakeup = asyncio.Event()
        self._pending: dict[str, _Pending] = {}
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._conn: _Connection | None = None
        self._live: set[_Connection] = set()  # every open connection (two while one replaces the other)
        self._connected = asyncio.Event()
        self._end: ChatConnectionError | None = None
        self._supervisor: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._send_lock = asyncio.Lock()
        self._next_send = 0.0  # theoretical arrival time of the next request (GCRA)
        self._attempts = 0  # failed tries in a row
        self._started = False
        self._logged: dict[str, float] = {}
        self.dropped = 0  # items the consumer never saw because the queue was full
        self.refused_frames = 0  # frames from the service that were not the API's (dropped)
        self.reconnects = 0  # connections opened after a broken one
        self.refreshes = 0  # connections opened to replace one before its token expired

    def __repr__(self) -> str:
        return f"ChatRoom({self.url!r}, state={self.state!r})"

    @property
    def state(self) -> Literal["new", "connecting", "open", "closed"]:
        if self._end is not None:
            return "closed"
        if not self._started:
            return "new"
        return "open" if self._connected.is_set() else "connecting"

    @property
    def closed_reason(self) -> ChatConnectionError | None:
        """Why the room ended (ChatClosedError: closed for good or by ``close()``), or None."""
        return self._end

    # -- life ---------------------------------------------------------------------------------------

    async def __aenter__(self) -> Self:
        await self.connect()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    async def connect(self) -> None:
        """Open the first connection (trying again as a reconnect would); raises ChatConnectionError,
        or ChatTokenError when the provider's answer cannot be a chat token."""
        if self._started:
            raise ChatConnectionError("this ChatRoom was already connected; make a new one", permanent=True)
        self._started = True
        if self._session is None:
            self._session = aiohttp.ClientSession()
        try:
            conn = await self._open_retrying()
        except BaseException as exc:
            self._finish(exc if isinstance(exc, ChatConnectionError) else ChatClosedError("could not connect"))
            await self._release()
            raise
        self._use(conn)
        self._supervisor = asyncio.create_task(self._supervise(conn))

    async def close(self) -> None:
        """Close the room: its connections, its pending requests (ChatClosedError) and the iteration."""
        self._finish(ChatClosedError("closed by the client", code=1000))
        await self._release()

    async def _release(self) -> None:
        tasks = [t for t in (self._supervisor, *self._tasks) if t is not None and t is not asyncio.current_task()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for conn in list(self._live):
            with contextlib.suppress(Exception):
                await conn.ws.close()
            if conn.reader is not None:
                conn.reader.cancel()
                await asyncio.gather(conn.reader, return_exceptions=True)
        self._live.clear()
        if self._own_session and self._session is not None:
            session, self._session = self._session, None
            await session.close()

    # -- iteration ----------------------------------------------------------------------------------

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> ChatItem:
        while True:
            if self._items:
                return self._items.popleft()
            end = self._end
            if end is not None:
                if isinstance(end, ChatClosedError):
                    raise StopAsyncIteration
                raise _fresh(end)
            if not self._started:
                raise ChatConnectionError("the room is not connected: use 'async with ChatRoom(...)'", permanent=True)
            self._wakeup.clear()
            await self._wakeup.wait()

    # -- requests -----------------------------------------------------------------------------------

    async def send_message(self, content: str, attributes: Mapping[str, str] | None = None) -> ChatMessage:
        """Send a message; returns it as the room delivered it (its ``id``, ``send_time``, sender),
        once it comes back. Raises ChatError (ChatForbiddenError without the SEND_MESSAGE capability,
        ChatPayloadTooLargeError, ChatThrottledError ...), ChatTimeoutError or ChatConnectionError."""
        violations = _check_text("content", content) + _check_attributes(attributes)
        if violations:
            raise ParamValidationError("SendMessage", violations)
        frame: dict[str, Any] = {"Action": _wire.SEND_MESSAGE, "Content": content}
        if attributes is not None:
            frame["Attributes"] = dict(attributes)
        return await self._request("SendMessage", frame, ChatMessage)

    async def delete_message(self, id: str, reason: str | None = None) -> DeletedMessage:
        """Tell every client of the room to delete message ``id`` (the DELETE_MESSAGE capability);
        returns the room's ``aws:DELETE_MESSAGE`` event."""
        violations = _check_text("id", id) + _check_optional_text("reason", reason)
        if violations:
            raise ParamValidationError("DeleteMessage", violations)
        frame: dict[str, Any] = {"Action": _wire.DELETE_MESSAGE, "Id": id}
        if reason is not None:
            frame["Reason"] = reason
        return await self._request("DeleteMessage", frame, DeletedMessage)

    async def disconnect_user(self, user_id: str, reason: str | None = None) -> UserDisconnected:
        """Disconnect every connection of ``user_id`` from the room (the DISCONNECT_USER capability);
        returns the room's ``aws:DISCONNECT_USER`` event."""
        violations = _check_text("user_id", user_id) + _check_optional_text("reason", reason)
        if violations:
            raise ParamValidationError("DisconnectUser", violations)
        frame: dict[str, Any] = {"Action": _wire.DISCONNECT_USER, "UserId": user_id}
        if reason is not None:
            frame["Reason"] = reason
        return await self._request("DisconnectUser", frame, UserDisconnected)

    async def _request(self, operation: str, frame: dict[str, Any], kind: type[_Item]) -> _Item:
        request_id = str(uuid.uuid4())
        frame["RequestId"] = request_id
        text = json.dumps(frame, ensure_ascii=False, separators=(",", ":"))
        size = len(text.encode("utf-8"))
        if size > self._max_frame:
            field = "content" if operation == "SendMessage" else "reason"
            raise ParamValidationError(
                operation,
                [
                    Violation(
                        field, "length", f"the request would be {size} bytes, over max_frame_bytes={self._max_frame}"
                    )
                ],
            )
        try:
            async with asyncio.timeout(self._request_timeout):
                conn = await self._ready()
                future: asyncio.Future[_Item] = asyncio.get_running_loop().create_future()
                self._pending[request_id] = _Pending(future, kind, conn)
                try:
                    await self._send(conn, text)
                    return await future
                finally:
                    self._pending.pop(request_id, None)
        except TimeoutError:
            raise ChatTimeoutError(
                f"{operation}: no answer from the chat service within request_timeout={self._request_timeout:g} s"
            ) from None

    async def _ready(self) -> _Connection:
        while True:
            if self._end is not None:
                raise _fresh(self._end)
            if not self._started:
                raise ChatConnectionError("the room is not connected: use 'async with ChatRoom(...)'", permanent=True)
            conn = self._conn
            if conn is not None and self._connected.is_set() and not conn.ended.is_set():
                return conn
            await self._connected.wait()

    async def _send(self, conn: _Connection, text: str) -> None:
        async with self._send_lock:  # requests leave in the order they came, paced
            now = time.monotonic()
            due = max(self._next_send, now) + self._interval
            wait = due - now - 1.0  # a second's worth may go at once
            if wait > 0:
                await asyncio.sleep(wait)
            self._next_send = due
            try:
                await conn.ws.send_str(text)
            except (aiohttp.ClientError, ConnectionError, RuntimeError) as exc:
                raise ChatConnectionError(
                    f"the connection broke before the request was sent ({type(exc).__name__}); nothing was sent"
                ) from None

    # -- connections --------------------------------------------------------------------------------

    async def _open_retrying(self) -> _Connection:
        while True:
            try:
                return await self._open()
            except ChatConnectionError as exc:
                if exc.permanent:
                    raise
                self._attempts += 1
                if self._attempts > self._max_attempts:
                    raise ChatConnectionError(
                        f"could not connect to {self.url} in {self._attempts} tries: {exc}", status=exc.status
                    ) from None
                delay = self._backoff()
                if self._allow("connect"):
                    _log.warning("chat room %s: %s; trying again in %.1f s", self.url, exc, delay)
                await asyncio.sleep(delay)

    def _backoff(self) -> float:
        return self._random.uniform(0, min(_BACKOFF_CAP, _BACKOFF_BASE * 2 ** max(0, self._attempts - 1)))

    async def _open(self) -> _Connection:
        try:
            async with asyncio.timeout(self._connect_timeout):
                answer = await self._provider()
        except TimeoutError:
            raise ChatConnectionError(
                f"the token provider did not answer within connect_timeout={self._connect_timeout:g} s"
            ) from None
        except Exception as exc:
            raise ChatConnectionError(f"the token provider failed: {type(exc).__name__}") from exc
        token = chat_token(answer)
        assert self._session is not None
        try:
            async with asyncio.timeout(self._connect_timeout):
                ws = await self._session.ws_connect(
                    self.url,
                    protocols=(token.token,),
                    max_msg_size=self._max_frame,
                    heartbeat=self._heartbeat,
                    timeout=aiohttp.ClientWSTimeout(ws_receive=None, ws_close=5.0),
                    compress=0,
                )
        except aiohttp.WSServerHandshakeError as exc:
            # Retried with a new token: a refused token (401), throttling, the service's own errors.
            status = exc.status
            permanent = status < 500 and status not in (401, 408, 429)
            raise ChatConnectionError(
                f"the chat service refused the connection: HTTP {status}", status=status, permanent=permanent
            ) from None
        except TimeoutError:
            raise ChatConnectionError(
                f"connecting to {self.url} took longer than connect_timeout={self._connect_timeout:g} s"
            ) from None
        except (aiohttp.ClientError, OSError) as exc:
            # The text names the host and the OS error, never the request's headers (the token).
            raise ChatConnectionError(f"could not connect to {self.url}: {type(exc).__name__}") from None
        if ws.protocol != token.token:
            await ws.close()
            raise ChatConnectionError(
                "the chat service did not answer with the chat token as the WebSocket subprotocol", permanent=True
            )
        conn = _Connection(ws, token)
        self._live.add(conn)
        conn.reader = asyncio.create_task(self._read(conn))
        return conn

    def _use(self, conn: _Connection) -> None:
        self._conn = conn
        self._connected.set()

    async def _read(self, conn: _Connection) -> None:
        ws = conn.ws
        try:
            while True:
                message = await ws.receive()
                if message.type is aiohttp.WSMsgType.TEXT:
                    self._receive(conn, message.data)
                elif message.type is aiohttp.WSMsgType.BINARY:
                    self.refused_frames += 1
                    if self._allow("frame"):
                        _log.warning("chat room %s: ignored a binary frame", self.url)
                elif message.type is aiohttp.WSMsgType.CLOSE:
                    conn.close_reason = str(message.extra or "")[:123]
                elif message.type in (aiohttp.WSMsgType.CLOSING, aiohttp.WSMsgType.CLOSED):
                    break
        finally:
            conn.close_code = ws.close_code
            conn.ended.set()
            self._live.discard(conn)
            if conn is self._conn:
                self._connected.clear()
            # What was sent on it and not answered never will be: its answer went to this connection.
            lost = [request_id for request_id, p in self._pending.items() if p.conn is conn]
            for request_id in lost:
                _settle(
                    self._pending.pop(request_id).future,
                    ChatConnectionError(
                        "the connection broke before the chat service answered;"
                        " the request may or may not have reached the room"
                    ),
                )

    def _receive(self, conn: _Connection, text: str) -> None:
        try:
            item = parse_frame(text)
        except ChatFrameError as exc:
            self.refused_frames += 1
            if self._allow("frame"):
                _log.warning("chat room %s: ignored a frame the chat service should not send: %s", self.url, exc)
            return
        if item is None:  # a Type this version does not know
            return
        if item.id in self._seen:
            return
        self._seen[item.id] = None
        if len(self._seen) > _SEEN:
            self._seen.popitem(last=False)
        pending = self._pending.get(item.request_id) if item.request_id else None
        if isinstance(item, ChatError):
            if pending is not None:
                del self._pending[item.request_id or ""]
                _settle(pending.future, item)
            if item.code == _wire.ChatErrorCode.UNAUTHORIZED:
                # The session of this connection ended: a new one, with a new token.
                conn.unauthorized = True
                self._spawn(_close_quietly(conn))
            elif pending is None:
                self._push(item)
            return
        if pending is not None and isinstance(item, pending.kind):
            del self._pending[item.request_id or ""]
            _settle(pending.future, item)
        self._push(item)

    def _push(self, item: ChatItem) -> None:
        if len(self._items) >= self._max_queue:
            self._items.popleft()
            self.dropped += 1
            if self._allow("queue"):
                _log.warning(
                    "chat room %s: the consumer is %d items behind; dropping the oldest", self.url, self._max_queue
                )
        self._items.append(item)
        self._wakeup.set()

    async def _supervise(self, conn: _Connection) -> None:
        try:
            while True:
                try:
                    async with asyncio.timeout(self._refresh_delay(conn)):
                        await conn.ended.wait()
                except TimeoutError:
                    conn = await self._refresh(conn)
                    continue
                if not conn.unauthorized and conn.close_code is not None and conn.close_code not in _RECONNECT_CODES:
                    self._finish(
                        ChatClosedError(conn.close_reason or "closed by the chat service", code=conn.close_code)
                    )
                    return
                if time.monotonic() - conn.opened >= _STABLE:
                    self._attempts = 0
                if not conn.unauthorized and self._allow("lost"):
                    _log.warning(
                        "chat room %s: connection lost (close code %s); reconnecting", self.url, conn.close_code
                    )
                conn = await self._open_retrying()
                self.reconnects += 1
                self._use(conn)
        except ChatConnectionError as exc:
            self._finish(exc)
        except ChatTokenError as exc:
            self._finish(ChatConnectionError(f"the token provider's answer cannot be used: {exc}", permanent=True))

    def _refresh_delay(self, conn: _Connection) -> float | None:
        if conn.refresh_after is not None:
            return max(0.0, conn.refresh_after - time.monotonic())
        expires = conn.token.expires
        if expires is None:
            return None
        remaining = expires.timestamp() - self._clock()
        return max(_MIN_REFRESH, remaining - min(self._refresh_lead, remaining / 2))

    async def _refresh(self, old: _Connection) -> _Connection:
        """A new connection before ``old``'s token expires; ``old`` goes once its requests are answered."""
        try:
            new = await self._open()
        except (ChatConnectionError, ChatTokenError) as exc:
            self._attempts += 1
            old.refresh_after = time.monotonic() + max(_MIN_REFRESH, self._backoff())
            if self._allow("refresh"):
                _log.warning(
                    "chat room %s: could not open a new connection before its token expires: %s", self.url, exc
                )
            return old
        self._attempts = 0
        self.refreshes += 1
        self._use(new)
        self._spawn(self._retire(old))
        return new

    async def _retire(self, old: _Connection) -> None:
        waiting = [p.future for p in self._pending.values() if p.conn is old]
        if waiting:
            await asyncio.wait(waiting, timeout=self._request_timeout)
        await _close_quietly(old)

    def _spawn(self, work: Any) -> None:
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _finish(self, error: ChatConnectionError) -> None:
        if self._end is None:
            self._end = error
        self._connected.set()  # wakes the requests waiting for a connection: they see the end
        self._wakeup.set()
        pending, self._pending = self._pending, {}
        for p in pending.values():
            _settle(p.future, _fresh(self._end))

    def _allow(self, key: str) -> bool:
        """Whether a warning of this kind may be logged now: once a minute at most, so that a
        misbehaving service cannot flood the log."""
        now = time.monotonic()
        if now - self._logged.get(key, -_LOG_EVERY) < _LOG_EVERY:
            return False
        self._logged[key] = now
        return True


def _fresh(error: ChatConnectionError) -> ChatConnectionError:
    """A new exception like ``error`` (one instance raised in many places would pile up tracebacks)."""
    if isinstance(error, ChatClosedError):
        return ChatClosedError(error.reason, code=error.code)
    return ChatConnectionError(str(error), status=error.status, permanent=error.permanent)


def _settle(future: asyncio.Future[Any], outcome: object) -> None:
    if future.done():
        return
    if isinstance(outcome, BaseException):
        future.set_exception(outcome)
    else:
        future.set_result(outcome)


async def _close_quietly(conn: _Connection) -> None:
    with contextlib.suppress(Exception):
        await conn.ws.close()


def _check_text(field: str, value: object) -> list[Violation]:
    if not isinstance(value, str):
        return [Violation(field, "type", f"must be a string, got {type(value).__name__}")]
    if not value:
        return [Violation(field, "length", "must not be empty")]
    return _check_encoding(field, value)


def _check_optional_text(field: str, value: object) -> list[Violation]:
    return [] if value is None else _check_text(field, value)


def _check_encoding(field: str, value: str) -> list[Violation]:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return [Violation(field, "type", "must be valid Unicode (it has a lone surrogate)")]
    return []


def _check_attributes(attributes: object) -> list[Violation]:
    if attributes is None:
        return []
    if not isinstance(attributes, Mapping):
        return [Violation("attributes", "type", f"must be a mapping of strings, got {type(attributes).__name__}")]
    violations = []
    for key, value in attributes.items():
        if not isinstance(key, str) or not isinstance(value, str):
            violations.append(Violation(f"attributes.{str(key)[:64]}", "type", "keys and values must be strings"))
        else:
            violations += _check_encoding(f"attributes.{key[:64]}", key) + _check_encoding(
                f"attributes.{key[:64]}", value
            )
    return violations


# The errors keep their home, ivs_async.errors (imported above), where every error of the SDK is.
_rehome(
    __name__, globals(), [n for n in __all__ if not (isinstance(v := globals()[n], type) and issubclass(v, Exception))]
)

"""ChatRoom's connections: tokens from the provider, refresh before expiry, reconnects, bounds, and
the tokens kept out of reprs and logs."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta

import aiohttp
import attrs
import pytest
from aiohttp import web

from ivs_async.chat import (
    ChatConnectionError,
    ChatError,
    ChatMessage,
    ChatRoom,
    ChatTimeoutError,
    ChatToken,
    ChatTokenError,
    chat_url,
)
from ivs_async.errors import ConfigurationError
from ivs_async.testing._limits import Limits
from tests.chat.conftest import ChatServer, MakeServer
from tests.chat.test_messaging import take


async def until(condition: Callable[[], bool], within: float = 5.0) -> None:
    async with asyncio.timeout(within):
        while not condition():
            await asyncio.sleep(0.01)


async def test_the_token_is_refreshed_before_its_session_ends_and_nothing_is_missed(chat_server: ChatServer) -> None:
    arn = chat_server.tokens.create_room(maximum_message_rate_per_second=100)
    # A two-second session, refreshed a second before its end: about three connections in 4 s.
    listener = chat_server.provider(arn, "listener", session_seconds=2)
    talker = chat_server.provider(arn, "talker", capabilities=["SEND_MESSAGE"])
    async with ChatRoom(chat_server.url, listener, refresh_lead=1.0) as room, ChatRoom(chat_server.url, talker) as t:
        sent = []
        for n in range(40):
            sent.append((await t.send_message(str(n))).id)
            await asyncio.sleep(0.1)
        seen = [item.id for item in await take(room, 40)]
        assert room.state == "open"
    assert seen == sent  # each exactly once, in order, across the switches
    assert room.refreshes >= 2 and listener.calls == room.refreshes + 1
    assert room.reconnects == 0  # the session never ran out: no ERROR 401, no gap


async def test_an_expired_session_reconnects_with_a_new_token(chat_server: ChatServer) -> None:
    arn = chat_server.tokens.create_room()
    # Without its expiry times the room cannot refresh in time: the service ends the session.
    listener = chat_server.provider(arn, "listener", session_seconds=0.5, shape=lambda wire: wire["token"])
    talker = chat_server.provider(arn, "talker", capabilities=["SEND_MESSAGE"])
    async with ChatRoom(chat_server.url, listener) as room, ChatRoom(chat_server.url, talker) as t:
        await asyncio.sleep(0.8)
        assert listener.calls >= 2 and room.reconnects >= 1
        # The third session may be ending: wait for the room to be open again.
        await until(lambda: room.state == "open" and chat_server.socket.connections(arn).count("listener") == 1)
        message = await t.send_message("after the expiry")
        (item,) = await take(room, 1)
    assert item == message  # and no ChatError 401 in the iteration


async def test_a_dropped_connection_is_reconnected(chat_server: ChatServer) -> None:
    arn = chat_server.tokens.create_room()
    provider = chat_server.provider(arn, "u", capabilities=["SEND_MESSAGE"])
    async with ChatRoom(chat_server.url, provider) as room:
        assert chat_server.socket.drop_connections(arn) == 1
        await until(lambda: room.reconnects == 1)
        message = await room.send_message("back")
        (item,) = await take(room, 1)
        assert item == message
        assert room.reconnects == 1 and provider.calls == 2


async def test_a_server_that_stays_down_ends_the_iteration_with_an_error(chat_server: ChatServer) -> None:
    arn = chat_server.tokens.create_room()
    room = ChatRoom(chat_server.url, chat_server.provider(arn, "u"), max_reconnect_attempts=2, connect_timeout=1)
    async with room:
        await chat_server.stop()  # 1001, going away: the room tries again, twice
        with pytest.raises(ChatConnectionError, match="in 3 tries") as info:
            await take(room, 1)
        assert not isinstance(info.value, ChatError)
        assert room.state == "closed"


async def test_a_slow_consumer_loses_the_oldest_items_not_its_answers(chat_server: ChatServer) -> None:
    arn = chat_server.tokens.create_room(maximum_message_rate_per_second=100)
    provider = chat_server.provider(arn, "u", capabilities=["SEND_MESSAGE"])
    async with ChatRoom(chat_server.url, provider, max_queue=3, send_rate=100) as room:
        # Nobody iterates: the queue fills, yet every send gets its answer.
        sent = [await room.send_message(str(n)) for n in range(7)]
        assert room.dropped == 4
        assert await take(room, 3) == sent[-3:]


async def test_frames_over_the_bound_are_refused_on_both_sides(make_chat_server: MakeServer) -> None:
    server = await make_chat_server(Limits(chat_frame_bytes=2048))
    arn = server.tokens.create_room()
    big = server.provider(arn, "big", capabilities=["SEND_MESSAGE"])
    small = server.provider(arn, "small")
    async with ChatRoom(server.url, big) as sender, ChatRoom(server.url, small, max_frame_bytes=600) as receiver:
        # The service closes a connection whose frame is over chat_frame_bytes (1009); the room reconnects.
        raw = '{"Action":"SEND_MESSAGE","Content":"' + "x" * 3000 + '"}'
        await sender._conn.ws.send_str(raw)  # type: ignore[union-attr]
        await until(lambda: sender.reconnects == 1)
        # A frame over the room's max_frame_bytes closes its connection too: dropped, then reconnected.
        await sender.send_message("y" * 400, attributes={"pad": "z" * 300})
        await until(lambda: receiver.reconnects == 1)
        last = await sender.send_message("fits")
        assert await take(receiver, 1) == [last]


async def test_handshakes_the_socket_refuses(make_chat_server: MakeServer) -> None:
    server = await make_chat_server(Limits(chat_connections_per_address=1))
    arn = server.tokens.create_room()
    good = server.tokens.issue(arn, "u")["token"]
    expired = server.tokens.issue(arn, "u", token_seconds=-1)["token"]
    gone = server.tokens.create_room()
    orphan = server.tokens.issue(gone, "u")["token"]
    del server.tokens.rooms[gone]
    async with aiohttp.ClientSession() as session:

        async def status(*protocols: str) -> int:
            try:
                ws = await session.ws_connect(server.url, protocols=protocols)
            except aiohttp.WSServerHandshakeError as exc:
                return exc.status
            await ws.close()
            return 101

        assert await status() == 401
        assert await status(good, "other") == 401
        assert await status("unknown-token") == 401
        assert await status(expired) == 401
        assert await status(orphan) == 404
        ws = await session.ws_connect(server.url, protocols=(good,))
        assert ws.protocol == good  # echoed
        assert await status(good) == 429  # one chat connection per address
        await ws.close()
        assert await status(good) == 101
    assert server.socket.refused == 6


async def test_a_flooding_or_silent_client_is_cut(make_chat_server: MakeServer) -> None:
    server = await make_chat_server(Limits(chat_frames_per_second=20))
    arn = server.tokens.create_room()
    quiet = await make_chat_server(Limits(chat_queued_frames=8))
    quiet_arn = quiet.tokens.create_room()
    async with aiohttp.ClientSession() as session:
        flood = await session.ws_connect(server.url, protocols=(server.tokens.issue(arn, "flood")["token"],))
        for _ in range(30):
            await flood.send_str("{}")
        answers = []  # ERROR 400 frames (at most 20: the frame over the rate closes at once), then the close
        while (message := await flood.receive(timeout=5)).type is aiohttp.WSMsgType.TEXT:
            answers.append(message.data)
        assert message.type is aiohttp.WSMsgType.CLOSE and message.data == 1008
        assert len(answers) <= 20 and all('"ErrorCode":400' in a for a in answers)
        assert server.socket.connections(arn) == []
        # A client that reads nothing: the frames queued for it go over the bound, and it is cut.
        silent = await session.ws_connect(quiet.url, protocols=(quiet.tokens.issue(quiet_arn, "silent")["token"],))
        for n in range(20):
            quiet.socket.send_event(quiet_arn, f"e{n}")
        seen = []
        async with asyncio.timeout(5):
            while (message := await silent.receive()).type is aiohttp.WSMsgType.TEXT:
                seen.append(message.data)
        assert len(seen) < 20 and message.type in (aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.ERROR)
        assert silent.close_code != 1000


@attrs.frozen
class CreateChatTokenOutput:
    """What the ivschat client's CreateChatToken returns (its fields, not its class)."""

    token: str | None
    token_expiration_time: datetime | None
    session_expiration_time: datetime | None


async def test_every_shape_of_token_the_provider_may_return(chat_server: ChatServer) -> None:
    arn = chat_server.tokens.create_room()

    def model(wire: dict[str, str]) -> CreateChatTokenOutput:
        times = [
            datetime.fromisoformat(wire[k].replace("Z", "+00:00"))
            for k in ("tokenExpirationTime", "sessionExpirationTime")
        ]
        return CreateChatTokenOutput(wire["token"], *times)

    shapes = [
        lambda wire: wire,  # the wire form, as a backend relays it
        model,  # the output model
        lambda wire: ChatToken(token=wire["token"]),
        lambda wire: wire["token"],  # the bare token
    ]
    for shape in shapes:
        async with ChatRoom(chat_server.url, chat_server.provider(arn, "u", shape=shape)) as room:
            assert room.state == "open"


@pytest.mark.parametrize(
    ("answer", "field", "rule"),
    [
        ("abc/def", "token", "pattern"),
        ("abc=", "token", "pattern"),
        ("", "token", "type"),
        ({"token": None}, "token", "type"),
        (42, "token", "type"),
        ({"token": "ok", "tokenExpirationTime": "tomorrow"}, "tokenExpirationTime", "format"),
        ({"token": "ok", "sessionExpirationTime": 5}, "sessionExpirationTime", "type"),
        ("x" * 9000, "token", "length"),
    ],
)
async def test_an_unusable_token_fails_before_connecting(
    chat_server: ChatServer, answer: object, field: str, rule: str
) -> None:
    async def provider() -> object:
        return answer

    room = ChatRoom(chat_server.url, provider)  # type: ignore[arg-type]
    with pytest.raises(ChatTokenError) as info:
        await room.connect()
    assert (info.value.field, info.value.rule) == (field, rule)
    assert chat_server.socket.refused == 0  # nothing reached the socket
    assert room.state == "closed"
    await room.close()


@pytest.fixture
async def mute_server() -> AsyncIterator[str]:
    """Upgrades without echoing the subprotocol, as a service that did not take the token would."""

    async def handle(request: web.Request) -> web.StreamResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        async for _ in ws:
            pass
        return ws

    app = web.Application()
    app.router.add_get("/", handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    yield f"ws://127.0.0.1:{runner.addresses[0][1]}"
    await runner.cleanup()


async def test_a_service_that_does_not_echo_the_token_is_refused(mute_server: str) -> None:
    async def provider() -> str:
        return "some-token"

    with pytest.raises(ChatConnectionError, match="subprotocol") as info:
        await ChatRoom(mute_server, provider).connect()
    assert info.value.permanent


async def test_the_endpoint_from_a_region_or_a_url() -> None:
    assert chat_url("eu-west-1") == "wss://edge.ivschat.eu-west-1.amazonaws.com"
    assert chat_url("ws://127.0.0.1:4566") == "ws://127.0.0.1:4566"
    assert chat_url("wss://chat.example.com/path") == "wss://chat.example.com/path"
    with pytest.raises(ConfigurationError, match="region_or_url"):
        chat_url("us west/1")
    with pytest.raises(ConfigurationError, match="send_rate"):
        ChatRoom("us-west-2", lambda: None, send_rate=0)  # type: ignore[arg-type, return-value]


async def test_tokens_are_never_in_reprs_errors_or_logs(
    chat_server: ChatServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    arn = chat_server.tokens.create_room()
    provider = chat_server.provider(arn, "u", capabilities=["SEND_MESSAGE"], session_seconds=0.3)
    errors: list[BaseException] = []
    async with ChatRoom(chat_server.url, provider) as room:
        chat_server.socket.drop_connections(arn)
        await until(lambda: room.reconnects == 1)
        await room.send_message("hi")
        await asyncio.sleep(0.5)  # a session ends; a refresh or reconnect follows
        token = ChatToken(
            token=chat_server.issued[-1], session_expiration_time=datetime.now(UTC) + timedelta(minutes=1)
        )
        shown = [repr(room), repr(token), str(token)]
    # A refused token: the handshake error names the status only.
    expired = chat_server.tokens.issue(arn, "u", token_seconds=-1)["token"]

    async def stale() -> str:
        return expired

    try:
        await ChatRoom(chat_server.url, stale, max_reconnect_attempts=1).connect()
    except ChatConnectionError as exc:
        errors.append(exc)
    assert errors and "401" in str(errors[0])
    assert len(chat_server.issued) >= 3 and provider.calls >= 3
    text = caplog.text + "".join(shown) + "".join(map(str, errors)) + "".join(map(repr, errors))
    for secret in [*chat_server.issued, expired]:
        assert secret not in text
    assert "****" in repr(token)


async def test_messages_are_typed_and_frozen(chat_server: ChatServer) -> None:
    arn = chat_server.tokens.create_room()
    async with ChatRoom(chat_server.url, chat_server.provider(arn, "u", capabilities=["SEND_MESSAGE"])) as room:
        message = await room.send_message("hi", attributes={"a": "b"})
    assert isinstance(message, ChatMessage)
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        message.content = "changed"  # type: ignore[misc]
    with pytest.raises(TypeError):
        message.attributes["a"] = "c"  # type: ignore[index]
    assert "{'a': 'b'}" in repr(message)
    assert {message, message} == {message}  # hashable: items can be kept in sets


async def test_hostile_frames_get_errors_and_the_connection_stays(chat_server: ChatServer) -> None:
    arn = chat_server.tokens.create_room()
    hostile = [
        "not json",
        "[1, 2]",
        "[" * 100 + "]" * 100,
        '{"Action": "SEND_MESSAGE", "Content": "x", "n": NaN}',
        '{"Action": "SEND_MESSAGE", "Content": "x", "n": 1e999}',
        '{"Action": "SEND_MESSAGE", "Content": "x", "RequestId": 7}',
        '{"Action": "SEND_MESSAGE", "Content": "x", "RequestId": "' + "r" * 200 + '"}',
        '{"Action": "SEND_MESSAGE", "Content": ""}',
        '{"Action": "SEND_MESSAGE", "Content": "x", "Attributes": {"a": 1}}',
        '{"Action": "DELETE_MESSAGE", "Id": "short"}',
        '{"Action": "DISCONNECT_USER"}',
        '{"Action": "DISCONNECT_USER", "UserId": "u", "Reason": "' + "r" * 300 + '"}',
        '{"Action": "LIST_USERS"}',
    ]
    provider_token = chat_server.tokens.issue(arn, "u", capabilities=["SEND_MESSAGE", "DELETE_MESSAGE"])["token"]
    async with aiohttp.ClientSession() as session:
        ws = await session.ws_connect(chat_server.url, protocols=(provider_token,))
        for frame in hostile:
            await ws.send_str(frame)
        await ws.send_bytes(b"\x00\x01")
        codes = []
        for _ in range(len(hostile) + 1):
            answer = json.loads((await ws.receive(timeout=5)).data)
            assert answer["Type"] == "ERROR" and len(answer["Id"]) == 12
            codes.append(answer["ErrorCode"])
        assert codes == [400] * 11 + [413, 400, 400]  # the shape is checked before the capability
        # A lone surrogate travels escaped, and the connection still works.
        await ws.send_str('{"Action": "SEND_MESSAGE", "Content": "\\ud800!", "RequestId": "r1"}')
        echoed = json.loads((await ws.receive(timeout=5)).data)
        assert (echoed["Type"], echoed["Content"], echoed["RequestId"]) == ("MESSAGE", "\ud800!", "r1")
        assert chat_server.socket.connections(arn) == ["u"]
        await ws.close()


@attrs.define
class FakeService:
    """A chat service the test scripts: it echoes the token and records the connections."""

    url: str = ""
    connections: list[web.WebSocketResponse] = attrs.Factory(list)
    received: list[str] = attrs.Factory(list)


@pytest.fixture
async def fake_service() -> AsyncIterator[FakeService]:
    service = FakeService()

    async def handle(request: web.Request) -> web.StreamResponse:
        ws = web.WebSocketResponse(protocols=(request.headers["Sec-WebSocket-Protocol"],))
        await ws.prepare(request)
        service.connections.append(ws)
        async for message in ws:
            service.received.append(message.data)
        return ws

    app = web.Application()
    app.router.add_get("/", handle)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.2)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    service.url = f"ws://127.0.0.1:{runner.addresses[0][1]}"
    yield service
    await runner.cleanup()


def message_json(id: str, content: str) -> str:
    return json.dumps(
        {
            "Type": "MESSAGE",
            "Id": id,
            "Content": content,
            "SendTime": "2026-12-01T10:00:00.000Z",
            "Sender": {"UserId": "x"},
        }
    )


async def test_frames_both_connections_deliver_during_a_refresh_come_once_in_order(fake_service: FakeService) -> None:
    expiries = [datetime.now(UTC) + timedelta(seconds=1.2), datetime.now(UTC) + timedelta(hours=1)]

    async def provider() -> ChatToken:
        return ChatToken(token=f"token-{len(expiries)}", session_expiration_time=expiries.pop(0))

    async with ChatRoom(fake_service.url, provider, refresh_lead=1.0, request_timeout=3) as room:
        # A request the service never answers keeps the first connection open after the refresh.
        unanswered = asyncio.create_task(room.send_message("x"))
        await until(lambda: len(fake_service.connections) == 2)
        first, second = fake_service.connections
        for ws, id in [
            (second, "AAAAAAAAAAA1"),
            (first, "AAAAAAAAAAA1"),
            (first, "BBBBBBBBBBB2"),
            (second, "BBBBBBBBBBB2"),
        ]:
            await ws.send_str(message_json(id, "..."))
            await asyncio.sleep(0.05)  # each read before the next is sent
        await second.send_str(message_json("CCCCCCCCCCC3", "..."))
        assert [item.id for item in await take(room, 3)] == ["AAAAAAAAAAA1", "BBBBBBBBBBB2", "CCCCCCCCCCC3"]
        assert room.refreshes == 1
        with pytest.raises(ChatTimeoutError):
            await unanswered

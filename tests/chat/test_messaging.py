"""ChatRoom against IVS Local's chat socket: messages, events, moderation, refusals, the room's end."""

from __future__ import annotations

import asyncio
from datetime import datetime

import pytest

from ivs_async.chat import (
    ChatClosedError,
    ChatError,
    ChatErrorCode,
    ChatEvent,
    ChatForbiddenError,
    ChatItem,
    ChatMessage,
    ChatPayloadTooLargeError,
    ChatRoom,
    ChatThrottledError,
    DeletedMessage,
    UserDisconnected,
)
from ivs_async.errors import ParamValidationError
from tests.chat.conftest import ChatServer

ALL = ("SEND_MESSAGE", "DELETE_MESSAGE", "DISCONNECT_USER")


async def take(room: ChatRoom, count: int, within: float = 5.0) -> list[ChatItem]:
    items: list[ChatItem] = []
    async with asyncio.timeout(within):
        async for item in room:
            items.append(item)
            if len(items) == count:
                break
    return items


async def drain(room: ChatRoom, within: float = 5.0) -> list[ChatItem]:
    """Everything until the iteration ends."""
    async with asyncio.timeout(within):
        return [item async for item in room]


async def test_two_users_see_each_others_messages_in_order_with_attributes(chat_server: ChatServer) -> None:
    arn = chat_server.tokens.create_room(maximum_message_rate_per_second=100)
    alice = chat_server.provider(arn, "alice", capabilities=["SEND_MESSAGE"], attributes={"badge": "gold"})
    bob = chat_server.provider(arn, "bob", capabilities=["SEND_MESSAGE"])
    async with ChatRoom(chat_server.url, alice, send_rate=100) as a, ChatRoom(chat_server.url, bob, send_rate=100) as b:

        async def talk(room: ChatRoom, who: str) -> list[ChatMessage]:
            return [await room.send_message(f"{who} {n}", attributes={"n": str(n), "who": who}) for n in range(5)]

        sent_a, sent_b = await asyncio.gather(talk(a, "alice"), talk(b, "bob"))
        seen_a, seen_b = await take(a, 10), await take(b, 10)
    # Both see the same ten messages in the same order, each user's in the order sent.
    assert [m.id for m in seen_a] == [m.id for m in seen_b]
    assert seen_a == seen_b
    assert [m for m in seen_a if isinstance(m, ChatMessage) and m.sender.user_id == "alice"] == sent_a
    assert [m for m in seen_a if isinstance(m, ChatMessage) and m.sender.user_id == "bob"] == sent_b
    first = sent_a[0]
    assert first.content == "alice 0"
    assert dict(first.attributes) == {"n": "0", "who": "alice"}
    assert first.sender.user_id == "alice"
    assert dict(first.sender.attributes) == {"badge": "gold"}  # the token's attributes
    assert dict(sent_b[0].sender.attributes) == {}
    assert len(first.id) == 12 and first.id.isalnum()
    assert first.request_id is not None and len(first.request_id) == 36
    assert isinstance(first.send_time, datetime) and first.send_time.tzinfo is not None


async def test_delete_and_disconnect_reach_everyone_and_end_the_disconnected_users_room(
    chat_server: ChatServer,
) -> None:
    arn = chat_server.tokens.create_room()
    moderator = chat_server.provider(arn, "mod", capabilities=ALL)
    viewer = chat_server.provider(arn, "viewer", capabilities=["SEND_MESSAGE"])
    async with ChatRoom(chat_server.url, moderator) as mod, ChatRoom(chat_server.url, viewer) as view:
        message = await view.send_message("spam")
        deleted = await mod.delete_message(message.id, reason="spam")
        assert isinstance(deleted, DeletedMessage)
        assert (deleted.message_id, deleted.reason) == (message.id, "spam")
        assert deleted.request_id is not None
        # The control plane's own: SendEvent, DeleteMessage (no request id, no reason).
        event_id = chat_server.socket.send_event(arn, "poll_started", {"question": "tea?"})
        chat_server.socket.delete_message(arn, message.id)
        gone = await mod.disconnect_user("viewer", reason="be nice")
        assert isinstance(gone, UserDisconnected) and (gone.user_id, gone.reason) == ("viewer", "be nice")
        mod_items = await take(mod, 5)
        # The viewer's room ends after the event that says so.
        view_items = await drain(view)
        assert isinstance(view.closed_reason, ChatClosedError)
        assert (view.closed_reason.code, view.closed_reason.reason) == (1000, "be nice")
        assert view.state == "closed"
        with pytest.raises(ChatClosedError):
            await view.send_message("let me back")
        assert mod.state == "open"
    for items in (mod_items, view_items):
        assert [type(i) for i in items] == [ChatMessage, DeletedMessage, ChatEvent, DeletedMessage, UserDisconnected]
        assert items[1] == deleted
        event = items[2]
        assert isinstance(event, ChatEvent)
        assert (event.id, event.event_name, dict(event.attributes)) == (event_id, "poll_started", {"question": "tea?"})
        assert event.request_id is None
        plane = items[3]
        assert isinstance(plane, DeletedMessage) and (plane.message_id, plane.reason, plane.request_id) == (
            message.id,
            None,
            None,
        )
        assert items[4] == gone


async def test_requests_the_token_does_not_allow_are_typed_errors(chat_server: ChatServer) -> None:
    arn = chat_server.tokens.create_room()
    async with ChatRoom(chat_server.url, chat_server.provider(arn, "reader")) as room:
        with pytest.raises(ChatForbiddenError) as info:
            await room.send_message("hello")
        assert info.value.code == ChatErrorCode.FORBIDDEN == 403
        assert info.value.request_id is not None and info.value.id
        assert "SEND_MESSAGE" in info.value.message
        with pytest.raises(ChatForbiddenError, match="DELETE_MESSAGE"):
            await room.delete_message("AAAAAAAAAAAA")
        with pytest.raises(ChatForbiddenError, match="DISCONNECT_USER"):
            await room.disconnect_user("someone")
        # They answered requests: the iteration does not deliver them again.
        chat_server.socket.send_event(arn, "after")
        (item,) = await take(room, 1)
        assert isinstance(item, ChatEvent) and item.event_name == "after"


async def test_the_rooms_limits_are_typed_errors(chat_server: ChatServer) -> None:
    arn = chat_server.tokens.create_room(maximum_message_length=10, maximum_message_rate_per_second=3)
    provider = chat_server.provider(arn, "talker", capabilities=["SEND_MESSAGE"])
    async with ChatRoom(chat_server.url, provider, send_rate=1000) as room:
        with pytest.raises(ChatPayloadTooLargeError) as too_long:
            await room.send_message("x" * 11)
        assert too_long.value.code == 413
        await room.send_message("é" * 10)  # characters, not bytes
        with pytest.raises(ChatPayloadTooLargeError, match="Attributes"):
            await room.send_message("hi", attributes={"k": "v" * 1100})
        results = await asyncio.gather(*(room.send_message(str(n)) for n in range(6)), return_exceptions=True)
        throttled = [r for r in results if isinstance(r, ChatThrottledError)]
        assert throttled and all(e.code == 429 and e.retryable for e in throttled)
        assert sum(isinstance(r, ChatMessage) for r in results) <= 3


async def test_arguments_are_checked_before_sending(chat_server: ChatServer) -> None:
    arn = chat_server.tokens.create_room()
    provider = chat_server.provider(arn, "talker", capabilities=ALL)
    async with ChatRoom(chat_server.url, provider, max_frame_bytes=1024) as room:
        with pytest.raises(ParamValidationError) as info:
            await room.send_message(42)  # type: ignore[arg-type]
        assert (info.value.field, info.value.rule) == ("content", "type")
        with pytest.raises(ParamValidationError, match=r"attributes\.k"):
            await room.send_message("hi", attributes={"k": 1})  # type: ignore[dict-item]
        with pytest.raises(ParamValidationError, match="lone surrogate"):
            await room.send_message("\ud800")
        with pytest.raises(ParamValidationError, match="max_frame_bytes=1024"):
            await room.send_message("x" * 2000)
        with pytest.raises(ParamValidationError) as empty:
            await room.disconnect_user("")
        assert empty.value.field == "user_id"
        assert (await room.send_message("still fine")).content == "still fine"


async def test_an_error_that_answers_nothing_is_delivered_by_the_iteration(chat_server: ChatServer) -> None:
    arn = chat_server.tokens.create_room()
    async with ChatRoom(chat_server.url, chat_server.provider(arn, "u", capabilities=ALL)) as room:
        (session,) = [s for r in chat_server.socket._rooms.values() for s in r.sessions]
        chat_server.socket._error(session, None, ChatErrorCode.INTERNAL_SERVER_ERROR, "hiccup")
        (item,) = await take(room, 1)
    assert isinstance(item, ChatError) and item.code == 500 and item.message == "hiccup" and item.retryable


async def test_a_deleted_room_ends_the_iteration(chat_server: ChatServer) -> None:
    arn = chat_server.tokens.create_room()
    async with ChatRoom(chat_server.url, chat_server.provider(arn, "u")) as room:
        del chat_server.tokens.rooms[arn]
        assert chat_server.socket.close_room(arn) == 1
        assert await drain(room) == []
        assert isinstance(room.closed_reason, ChatClosedError) and room.closed_reason.code == 1000
        assert "deleted" in room.closed_reason.reason


async def test_close_ends_the_iteration_and_fails_waiting_requests(chat_server: ChatServer) -> None:
    arn = chat_server.tokens.create_room()
    room = ChatRoom(chat_server.url, chat_server.provider(arn, "u", capabilities=ALL))
    await room.connect()
    consumer = asyncio.create_task(drain(room))
    await asyncio.sleep(0.05)
    await room.close()
    assert await consumer == []
    assert repr(room) == f"ChatRoom({chat_server.url!r}, state='closed')"
    with pytest.raises(ChatClosedError, match="closed by the client"):
        await room.send_message("late")
    await room.close()  # twice is fine

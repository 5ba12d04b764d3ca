"""IVS Chat end to end through IVS Local: the SDK's IvsChat client on the emulator's endpoint,
IVS Chat's errors on the wire, and ChatRoom on the emulator's chat WebSocket with tokens from
CreateChatToken there."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest

from ivs_async.chat import ChatClosedError, ChatEvent, ChatRoom, DeletedMessage, IvsChat, UserDisconnected, paginators
from ivs_async.chat.errors import (
    ConflictException,
    ResourceNotFoundException,
    ServiceQuotaExceededException,
    ValidationException,
)
from ivs_async.testing import LocalIvs


class Clock:
    def __init__(self) -> None:
        self.offset = timedelta()

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset


@pytest.fixture
async def local() -> AsyncIterator[tuple[LocalIvs, IvsChat, Clock]]:
    clock = Clock()
    async with LocalIvs(clock=clock) as ivs, ivs.chat_client(max_attempts=1) as chat:
        yield ivs, chat, clock


async def until(condition: Callable[[], bool]) -> None:
    async with asyncio.timeout(5):
        while not condition():
            await asyncio.sleep(0.01)


async def test_rooms_logging_and_tags_through_the_client(local: tuple[LocalIvs, IvsChat, Clock]) -> None:
    _, chat, _ = local
    config = await chat.create_logging_configuration(
        destination_configuration={"cloud_watch_logs": {"log_group_name": "/ivs/chat"}}, name="logs"
    )
    assert config.state == "ACTIVE" and config.destination_configuration is not None
    assert config.destination_configuration.cloud_watch_logs is not None
    assert config.destination_configuration.cloud_watch_logs.log_group_name == "/ivs/chat"
    room = await chat.create_room(name="lobby", logging_configuration_identifiers=[config.arn], tags={"team": "a"})
    assert (room.maximum_message_length, room.maximum_message_rate_per_second) == (500, 10)
    assert room.logging_configuration_identifiers == [config.arn]
    assert isinstance(room.create_time, datetime)
    got = await chat.get_room(identifier=room.arn)
    assert (got.arn, got.name, got.tags) == (room.arn, "lobby", {"team": "a"})
    updated = await chat.update_room(
        identifier=room.arn, maximum_message_length=100, message_review_handler={"uri": ""}
    )
    assert updated.maximum_message_length == 100 and updated.message_review_handler is None
    # Tags at /tags/{arn}: the emulator routes a chat ARN to the chat backend.
    await chat.tag_resource(resource_arn=config.arn, tags={"env": "test"})
    await chat.untag_resource(resource_arn=room.arn, tag_keys=["team"])
    assert (await chat.list_tags_for_resource(resource_arn=config.arn)).tags == {"env": "test"}
    assert (await chat.list_tags_for_resource(resource_arn=room.arn)).tags == {}
    with pytest.raises(ConflictException):
        await chat.delete_logging_configuration(identifier=config.arn)
    await chat.update_room(identifier=room.arn, logging_configuration_identifiers=[])
    await chat.delete_logging_configuration(identifier=config.arn)
    with pytest.raises(ResourceNotFoundException):
        await chat.get_logging_configuration(identifier=config.arn)
    await chat.delete_room(identifier=room.arn)
    with pytest.raises(ResourceNotFoundException):
        await chat.get_room(identifier=room.arn)


async def test_list_rooms_pages_through_the_paginator(local: tuple[LocalIvs, IvsChat, Clock]) -> None:
    _, chat, clock = local
    arns = []
    for n in range(5):
        arns.append((await chat.create_room(name=f"r{n}")).arn)
        clock.offset += timedelta(seconds=1)
    listed = [r.arn async for r in paginators.paginate_list_rooms(chat, page_size=2).items()]
    assert listed == arns[::-1]
    first = await chat.list_rooms(max_results=2)
    assert len(first.rooms) == 2 and first.next_token
    assert [r.name for r in (await chat.list_rooms(name="r3")).rooms] == ["r3"]


async def test_ivs_chat_errors_on_the_wire(local: tuple[LocalIvs, IvsChat, Clock]) -> None:
    ivs, chat, _ = local
    missing = f"arn:aws:ivschat:{ivs.region}:123456789012:room/AAAAAAAAAAAA"
    ivs.verify_signatures = False  # plain HTTP requests, to read the bodies as sent
    async with aiohttp.ClientSession() as http:

        async def post(operation: str, body: dict[str, Any]) -> tuple[int, str, dict[str, Any]]:
            async with http.post(f"{ivs.endpoint}/{operation}", json=body) as response:
                return response.status, response.headers.get("x-amzn-ErrorType", ""), await response.json()

        status, code, body = await post("GetRoom", {"identifier": missing})
        assert (status, code) == (404, "ResourceNotFoundException")
        assert body["resourceId"] == "AAAAAAAAAAAA" and body["resourceType"] == "ROOM" and body["message"]
        status, code, body = await post("CreateRoom", {"maximumMessageLength": 501})
        assert (status, code, body["reason"]) == (400, "ValidationException", "FIELD_VALIDATION_FAILED")
        assert [f["name"] for f in body["fieldList"]] == ["maximumMessageLength"]
        # The backend's own checks come back in the same form.
        status, code, body = await post(
            "CreateLoggingConfiguration",
            {"destinationConfiguration": {"s3": {"bucketName": "x" * 3}}, "tags": {"aws:k": "v"}},
        )
        assert (status, code, [f["name"] for f in body["fieldList"]]) == (400, "ValidationException", ["tags"])
        for _ in range(10):
            status, _, _ = await post(
                "CreateLoggingConfiguration", {"destinationConfiguration": {"s3": {"bucketName": "abc"}}}
            )
            assert status == 200
        status, code, body = await post(
            "CreateLoggingConfiguration", {"destinationConfiguration": {"s3": {"bucketName": "abc"}}}
        )
        assert (status, code) == (402, "ServiceQuotaExceededException")
        assert (body["resourceType"], body["limit"]) == ("LOGGING_CONFIGURATION", 10)
    ivs.verify_signatures = True
    with pytest.raises(ServiceQuotaExceededException):
        await chat.create_logging_configuration(destination_configuration={"s3": {"bucket_name": "abc"}})
    with pytest.raises(ValidationException):
        await chat.create_chat_token(room_identifier=missing, user_id="u", attributes={"k": "v" * 2000})


async def test_chat_rooms_on_the_emulators_websocket(local: tuple[LocalIvs, IvsChat, Clock]) -> None:
    ivs, chat, _ = local
    room = await chat.create_room()

    def provider(user_id: str, capabilities: list[str]) -> Callable[[], Any]:
        async def provide() -> Any:
            return await chat.create_chat_token(room_identifier=room.arn, user_id=user_id, capabilities=capabilities)

        return provide

    async with (
        ChatRoom(ivs.chat_url, provider("viewer", [])) as viewer,
        ChatRoom(ivs.chat_url, provider("troll", ["SEND_MESSAGE"])) as troll,
    ):
        message = await troll.send_message("spam")
        event = await chat.send_event(room_identifier=room.arn, event_name="poll", attributes={"q": "tea?"})
        deleted = await chat.delete_message(room_identifier=room.arn, id=message.id, reason="spam")
        await chat.disconnect_user(room_identifier=room.arn, user_id="troll", reason="bye")
        items: list[Any] = []
        async with asyncio.timeout(5):
            async for item in viewer:
                items.append(item)
                if len(items) == 4:
                    break
        assert items[0] == message
        assert isinstance(items[1], ChatEvent) and (items[1].id, items[1].event_name) == (event.id, "poll")
        assert isinstance(items[2], DeletedMessage) and (items[2].id, items[2].message_id) == (deleted.id, message.id)
        assert isinstance(items[3], UserDisconnected) and items[3].user_id == "troll"
        await until(lambda: troll.state == "closed")
        await chat.delete_room(identifier=room.arn)
        await until(lambda: viewer.state == "closed")
        assert isinstance(viewer.closed_reason, ChatClosedError) and viewer.closed_reason.code == 1000


async def test_a_chat_token_opens_one_connection_until_it_expires(local: tuple[LocalIvs, IvsChat, Clock]) -> None:
    ivs, chat, clock = local
    room = await chat.create_room()
    token = (await chat.create_chat_token(room_identifier=room.arn, user_id="u")).token
    async with aiohttp.ClientSession() as http:
        async with http.ws_connect(ivs.chat_url, protocols=(token,)) as ws:
            assert ws.protocol == token
            with pytest.raises(aiohttp.WSServerHandshakeError) as reused:
                await http.ws_connect(ivs.chat_url, protocols=(token,))
            assert reused.value.status == 401
        late = await chat.create_chat_token(room_identifier=room.arn, user_id="u")
        assert late.token_expiration_time is not None
        clock.offset += timedelta(hours=1, seconds=1)
        with pytest.raises(aiohttp.WSServerHandshakeError) as expired:
            await http.ws_connect(ivs.chat_url, protocols=(late.token,))
        assert expired.value.status == 401


async def test_chat_and_realtime_quotas_are_set_through_local_ivs() -> None:
    from ivs_async.chat import errors as chat_errors
    from ivs_async.realtime import errors as realtime_errors
    from ivs_async.testing import ChatQuotas, RealTimeQuotas

    async with (
        LocalIvs(chat_quotas=ChatQuotas(rooms=1), realtime_quotas=RealTimeQuotas(stages=1)) as local,
        local.chat_client(max_attempts=1) as chat,
        local.realtime_client(max_attempts=1) as realtime,
    ):
        await chat.create_room()
        with pytest.raises(chat_errors.ServiceQuotaExceededException) as rooms:
            await chat.create_room()
        assert rooms.value.limit == 1
        await realtime.create_stage()
        with pytest.raises(realtime_errors.ServiceQuotaExceededException):
            await realtime.create_stage()


async def test_a_fault_on_a_chat_operation_answers_in_ivs_chats_form() -> None:
    from ivs_async.chat import errors as chat_errors
    from ivs_async.testing import Fault, FaultKind

    async with LocalIvs() as local, local.chat_client(max_attempts=1) as chat:
        local.faults.add(
            Fault(operation="ListRooms", kind=FaultKind.ERROR, error_code="ValidationException", message="no")
        )
        with pytest.raises(chat_errors.ValidationException) as refused:
            await chat.list_rooms()
        assert refused.value.message == "no" and refused.value.http_status_code == 400


async def test_tags_of_another_services_arn_get_the_signed_services_answer() -> None:
    from ivs_async.errors import ValidationException

    async with LocalIvs() as local, local.chat_client() as chat, local.aggregated_client(max_attempts=1) as ivs:
        room = await chat.create_room(tags={"a": "b"})
        assert room.arn is not None
        # Signed for IVS (sent to IVS's host, on AWS): IVS's answer, not IVS Chat's (the client's
        # own check, which refuses the ARN first, left out).
        ivs.middleware_stack.remove("validation")
        with pytest.raises(ValidationException):
            await ivs.list_tags_for_resource(resource_arn=room.arn)
        assert (await chat.list_tags_for_resource(resource_arn=room.arn)).tags == {"a": "b"}
    assert local.unexpected_errors == 0


async def test_a_chat_token_is_not_drawn_from_the_id_generator() -> None:
    """Ids come from a seeded generator (repeatable with seed=); a token drawn from it could be
    computed from the generator's state, which enough of a client's own tokens give away."""
    import random
    import string

    async with LocalIvs(seed=7) as local, local.chat_client() as chat:
        room = await chat.create_room(name="r")
        assert room.arn is not None
        twin = random.Random()
        twin.setstate(local._chat._random.getstate())
        alphabet = string.ascii_letters + string.digits + "-_"
        predicted = "AQICAH" + "".join(twin.choice(alphabet) for _ in range(250))
        made = await chat.create_chat_token(room_identifier=room.arn, user_id="victim")
        assert made.token is not None and made.token != predicted


async def test_the_tags_kept_for_chat_resources_are_bounded() -> None:
    from ivs_async.chat import errors as chat_errors
    from ivs_async.testing import ChatQuotas

    big = {f"k{n:02d}": "v" * 95 for n in range(6)}  # 6 x (3 + 95) = 588 characters
    async with (
        LocalIvs(chat_quotas=ChatQuotas(tag_characters=1000)) as local,
        local.chat_client(max_attempts=1) as chat,
    ):
        first = await chat.create_room(tags=big)
        assert first.arn is not None
        with pytest.raises(chat_errors.ServiceQuotaExceededException) as refused:
            await chat.create_room(tags=big)
        assert refused.value.limit == 1000
        second = await chat.create_room()
        assert second.arn is not None
        with pytest.raises(chat_errors.ServiceQuotaExceededException):
            await chat.tag_resource(resource_arn=second.arn, tags=big)
        await chat.untag_resource(resource_arn=first.arn, tag_keys=list(big)[:3])
        await chat.tag_resource(resource_arn=second.arn, tags=dict(list(big.items())[:3]))
        await chat.delete_room(identifier=first.arn)
        await chat.create_room(tags=dict(list(big.items())[:3]))
        assert local.unexpected_errors == 0

"""IVS Local's IVS Chat control plane through ChatBackend.handle, in wire form: every operation,
IVS Chat's errors with their members, pagination, tokens on a clock the test moves, and the
moderation operations reaching clients of a real chat socket."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import attrs
import pytest
from aiohttp import web
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ivs_async._generated.ivschat.commands import OPERATIONS
from ivs_async._protocol.validation import compile_wire_validator
from ivs_async.chat import ChatClosedError, ChatEvent, ChatRoom, DeletedMessage, UserDisconnected
from ivs_async.chat._wire import is_token
from ivs_async.testing._backend import ServiceError, wire_time
from ivs_async.testing._chat import ChatBackend, ChatQuotas, ChatRefused, ChatSocket
from ivs_async.testing._chat._issued import IssuedTokens
from ivs_async.testing._chat._tokens import ChatSession
from ivs_async.testing._limits import Limits, Peers

REGION = "us-west-2"
ACCOUNT = "123456789012"
MODEL = Path(__file__).parents[2] / "codegen" / "model" / "ivschat" / "service-2.json"
ROOM_ARN = re.compile(rf"arn:aws:ivschat:{REGION}:{ACCOUNT}:room/[a-zA-Z0-9]{{12}}")
LOGGING_ARN = re.compile(rf"arn:aws:ivschat:{REGION}:{ACCOUNT}:logging-configuration/[a-zA-Z0-9]{{12}}")
LAMBDA = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:review"
S3 = {"s3": {"bucketName": "chat-logs"}}
ALL = ["SEND_MESSAGE", "DELETE_MESSAGE", "DISCONNECT_USER"]


class Clock:
    """The emulator's clock, near real time (chat clients compare expiry times with theirs)."""

    def __init__(self) -> None:
        self.offset = timedelta()

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def advance(self, **delta: float) -> None:
        self.offset += timedelta(**delta)


class FrozenClock:
    def __init__(self) -> None:
        self.now = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def make_backend(clock: Callable[[], datetime] | None = None, **quotas: int) -> ChatBackend:
    return ChatBackend(
        region=REGION, account_id=ACCOUNT, clock=clock or FrozenClock(), seed=7, quotas=ChatQuotas(**quotas)
    )


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock()


@pytest.fixture
def chat(clock: FrozenClock) -> ChatBackend:
    return make_backend(clock)


def refused(backend: ChatBackend, operation: str, request: dict[str, Any]) -> ServiceError:
    with pytest.raises(ServiceError) as info:
        backend.handle(operation, request)
    return info.value


def field_names(error: ServiceError) -> list[str]:
    assert error.code == "ValidationException"
    assert error.fields["reason"] == "FIELD_VALIDATION_FAILED"
    return [f["name"] for f in error.fields["fieldList"]]


# -- rooms ------------------------------------------------------------------------------------------


def test_the_operations_are_the_models() -> None:
    model = json.loads(MODEL.read_text())
    assert set(make_backend().operations) == set(model["operations"])


def test_create_room_answers_with_ivs_chats_defaults(chat: ChatBackend, clock: FrozenClock) -> None:
    room = chat.handle("CreateRoom", {})
    assert ROOM_ARN.fullmatch(room["arn"]) and room["arn"].endswith("/" + room["id"])
    assert room == {
        "arn": room["arn"],
        "id": room["id"],
        "name": "",
        "createTime": wire_time(clock.now),
        "updateTime": wire_time(clock.now),
        "maximumMessageRatePerSecond": 10,
        "maximumMessageLength": 500,
        "tags": {},
        "loggingConfigurationIdentifiers": [],
    }
    assert room["createTime"] == "2025-03-01T12:00:00.000Z"
    named = chat.handle(
        "CreateRoom",
        {
            "name": "lobby",
            "maximumMessageRatePerSecond": 3,
            "maximumMessageLength": 20,
            "messageReviewHandler": {"uri": LAMBDA},
            "tags": {"team": "a"},
        },
    )
    assert (named["name"], named["maximumMessageRatePerSecond"], named["maximumMessageLength"]) == ("lobby", 3, 20)
    assert named["messageReviewHandler"] == {"uri": LAMBDA, "fallbackResult": "ALLOW"}
    assert named["tags"] == {"team": "a"}
    assert named["id"] != room["id"]


def test_get_update_and_delete_a_room(chat: ChatBackend, clock: FrozenClock) -> None:
    room = chat.handle("CreateRoom", {"name": "a", "messageReviewHandler": {"uri": LAMBDA, "fallbackResult": "DENY"}})
    assert chat.handle("GetRoom", {"identifier": room["arn"]}) == room
    assert chat.handle("GetRoom", {"identifier": room["id"]}) == room  # an id names it too
    clock.advance(minutes=5)
    updated = chat.handle("UpdateRoom", {"identifier": room["arn"], "maximumMessageLength": 100})
    assert updated["maximumMessageLength"] == 100
    assert (updated["name"], updated["maximumMessageRatePerSecond"]) == ("a", 10)  # what was not given stays
    assert updated["messageReviewHandler"] == {"uri": LAMBDA, "fallbackResult": "DENY"}
    assert updated["createTime"] == room["createTime"] and updated["updateTime"] == wire_time(clock.now)
    # Only the fallback: the handler stays; an empty uri removes it.
    kept = chat.handle("UpdateRoom", {"identifier": room["arn"], "messageReviewHandler": {"fallbackResult": "ALLOW"}})
    assert kept["messageReviewHandler"] == {"uri": LAMBDA, "fallbackResult": "ALLOW"}
    removed = chat.handle("UpdateRoom", {"identifier": room["arn"], "messageReviewHandler": {"uri": ""}})
    assert "messageReviewHandler" not in removed
    assert chat.handle("GetRoom", {"identifier": room["arn"]}) == removed
    assert chat.room(room["arn"]) is not None and chat.room(room["arn"]).maximum_message_length == 100  # type: ignore[union-attr]
    assert chat.handle("DeleteRoom", {"identifier": room["arn"]}) == {}
    assert chat.room(room["arn"]) is None
    error = refused(chat, "GetRoom", {"identifier": room["arn"]})
    assert error.code == "ResourceNotFoundException"
    assert error.fields == {"resourceId": room["id"], "resourceType": "ROOM"}
    assert room["arn"] in error.message


def test_answers_are_copies(chat: ChatBackend) -> None:
    room = chat.handle("CreateRoom", {"tags": {"a": "1"}})
    room["tags"]["b"] = "2"
    room["name"] = "changed"
    again = chat.handle("GetRoom", {"identifier": room["arn"]})
    assert again["tags"] == {"a": "1"} and again["name"] == ""


@pytest.mark.parametrize(
    ("operation", "member", "extra"),
    [
        ("GetRoom", "identifier", {}),
        ("UpdateRoom", "identifier", {}),
        ("DeleteRoom", "identifier", {}),
        ("CreateChatToken", "roomIdentifier", {"userId": "u"}),
        ("SendEvent", "roomIdentifier", {"eventName": "e"}),
        ("DeleteMessage", "roomIdentifier", {"id": "AAAAAAAAAAAA"}),
        ("DisconnectUser", "roomIdentifier", {"userId": "u"}),
    ],
)
def test_a_room_that_does_not_exist_is_resource_not_found(
    chat: ChatBackend, operation: str, member: str, extra: dict[str, Any]
) -> None:
    room = chat.handle("CreateRoom", {})
    elsewhere = room["arn"].replace(ACCOUNT, "210987654321")
    for identifier in (f"arn:aws:ivschat:{REGION}:{ACCOUNT}:room/abcdefABCDEF", elsewhere, "abcdefABCDEF"):
        error = refused(chat, operation, {member: identifier, **extra})
        assert error.code == "ResourceNotFoundException"
        assert error.fields["resourceType"] == "ROOM"
        assert error.fields["resourceId"] == identifier.rsplit("/", 1)[-1]


def test_list_rooms_pages_latest_updated_first(chat: ChatBackend, clock: FrozenClock) -> None:
    arns = []
    for _ in range(7):
        arns.append(chat.handle("CreateRoom", {})["arn"])
        clock.advance(seconds=1)
    # Two in the same millisecond: still a strict order.
    arns.append(chat.handle("CreateRoom", {})["arn"])
    arns.append(chat.handle("CreateRoom", {})["arn"])

    def pages(request: dict[str, Any]) -> list[list[str]]:
        found, token = [], None
        while True:
            page = chat.handle("ListRooms", {**request, **({"nextToken": token} if token else {})})
            found.append([r["arn"] for r in page["rooms"]])
            token = page.get("nextToken")
            if token is None:
                return found

    assert pages({"maxResults": 4}) == [arns[::-1][0:4], arns[::-1][4:8], arns[::-1][8:]]
    assert pages({}) == [arns[::-1]]  # 50 by default
    summary = chat.handle("ListRooms", {"maxResults": 1})["rooms"][0]
    assert set(summary) == {"arn", "id", "name", "createTime", "updateTime", "tags", "loggingConfigurationIdentifiers"}
    # An update moves a room to the front.
    clock.advance(seconds=1)
    chat.handle("UpdateRoom", {"identifier": arns[0], "name": "bumped"})
    assert pages({"maxResults": 5})[0][0] == arns[0]
    # An empty nextToken is the first page, as the CLI sends it.
    assert len(chat.handle("ListRooms", {"nextToken": "", "maxResults": 2})["rooms"]) == 2


def test_list_rooms_filters(chat: ChatBackend) -> None:
    config = chat.handle("CreateLoggingConfiguration", {"destinationConfiguration": S3})
    plain = chat.handle("CreateRoom", {"name": "plain"})
    reviewed = chat.handle("CreateRoom", {"name": "reviewed", "messageReviewHandler": {"uri": LAMBDA}})
    logged = chat.handle("CreateRoom", {"name": "plain", "loggingConfigurationIdentifiers": [config["arn"]]})

    def listed(**request: Any) -> set[str]:
        return {r["id"] for r in chat.handle("ListRooms", request)["rooms"]}

    assert listed(name="plain") == {plain["id"], logged["id"]}
    assert listed(messageReviewHandlerUri=LAMBDA) == {reviewed["id"]}
    assert listed(loggingConfigurationIdentifier=config["arn"]) == {logged["id"]}
    assert listed(name="plain", loggingConfigurationIdentifier=config["arn"]) == {logged["id"]}
    assert listed(name="nothing") == set()
    error = refused(
        chat, "ListRooms", {"loggingConfigurationIdentifier": config["arn"].replace(config["id"], "zzzzzzzzzzzz")}
    )
    assert error.code == "ResourceNotFoundException"
    assert error.fields == {"resourceId": "zzzzzzzzzzzz", "resourceType": "LOGGING_CONFIGURATION"}


def test_a_next_token_from_elsewhere_is_a_validation_error(chat: ChatBackend) -> None:
    for _ in range(3):
        chat.handle("CreateRoom", {})
        chat.handle("CreateLoggingConfiguration", {"destinationConfiguration": S3})
    other = chat.handle("ListLoggingConfigurations", {"maxResults": 1})["nextToken"]
    for token in (other, "not a token", "e30", "é" * 10):
        error = refused(chat, "ListRooms", {"nextToken": token})
        assert field_names(error) == ["nextToken"]
    assert len(chat.handle("ListLoggingConfigurations", {"nextToken": other})["loggingConfigurations"]) == 2


def test_values_of_the_wrong_type_or_range_name_their_field(chat: ChatBackend) -> None:
    assert field_names(refused(chat, "CreateRoom", {"maximumMessageLength": "20"})) == ["maximumMessageLength"]
    assert field_names(refused(chat, "CreateRoom", {"maximumMessageLength": True})) == ["maximumMessageLength"]
    assert field_names(refused(chat, "CreateRoom", {"maximumMessageLength": 501})) == ["maximumMessageLength"]
    assert field_names(refused(chat, "CreateRoom", {"maximumMessageRatePerSecond": 101})) == [
        "maximumMessageRatePerSecond"
    ]
    error = refused(chat, "CreateRoom", {"messageReviewHandler": {"uri": LAMBDA, "fallbackResult": "MAYBE"}})
    assert field_names(error) == ["messageReviewHandler.fallbackResult"]
    assert field_names(refused(chat, "GetRoom", {})) == ["identifier"]
    assert field_names(refused(chat, "ListRooms", {"maxResults": 51})) == ["maxResults"]
    error = refused(chat, "CreateRoom", [])  # type: ignore[arg-type]
    assert error.code == "ValidationException"
    unknown = refused(chat, "CreateChannel", {})
    assert unknown.code == "ValidationException" and unknown.fields["reason"] == "UNKNOWN_OPERATION"


# -- logging configurations ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "destination",
    [
        {"s3": {"bucketName": "chat-logs"}},
        {"cloudWatchLogs": {"logGroupName": "/ivs/chat"}},
        {"firehose": {"deliveryStreamName": "chat-stream"}},
    ],
)
def test_logging_configurations_through_their_life(
    chat: ChatBackend, clock: FrozenClock, destination: dict[str, Any]
) -> None:
    created = chat.handle(
        "CreateLoggingConfiguration", {"destinationConfiguration": destination, "name": "logs", "tags": {"k": "v"}}
    )
    assert LOGGING_ARN.fullmatch(created["arn"]) and created["arn"].endswith("/" + created["id"])
    assert created == {
        "arn": created["arn"],
        "id": created["id"],
        "name": "logs",
        "createTime": wire_time(clock.now),
        "updateTime": wire_time(clock.now),
        "destinationConfiguration": destination,
        "state": "ACTIVE",
        "tags": {"k": "v"},
    }
    assert chat.handle("GetLoggingConfiguration", {"identifier": created["arn"]}) == created
    clock.advance(seconds=30)
    updated = chat.handle(
        "UpdateLoggingConfiguration",
        {"identifier": created["arn"], "destinationConfiguration": {"firehose": {"deliveryStreamName": "other"}}},
    )
    assert updated["destinationConfiguration"] == {"firehose": {"deliveryStreamName": "other"}}
    assert (updated["name"], updated["state"], updated["updateTime"]) == ("logs", "ACTIVE", wire_time(clock.now))
    assert chat.handle("ListLoggingConfigurations", {})["loggingConfigurations"] == [updated]
    assert chat.handle("DeleteLoggingConfiguration", {"identifier": created["arn"]}) == {}
    error = refused(chat, "GetLoggingConfiguration", {"identifier": created["arn"]})
    assert error.code == "ResourceNotFoundException"
    assert error.fields == {"resourceId": created["id"], "resourceType": "LOGGING_CONFIGURATION"}
    assert chat.handle("ListLoggingConfigurations", {}) == {"loggingConfigurations": []}


@pytest.mark.parametrize(
    "destination",
    [
        {},
        {"s3": {"bucketName": "chat-logs"}, "firehose": {"deliveryStreamName": "x"}},
        {"kinesis": {"streamName": "x"}},
        {"s3": None, "cloudWatchLogs": None},
    ],
)
def test_a_destination_has_exactly_one_member(chat: ChatBackend, destination: dict[str, Any]) -> None:
    error = refused(chat, "CreateLoggingConfiguration", {"destinationConfiguration": destination})
    assert field_names(error) == ["destinationConfiguration"]
    config = chat.handle("CreateLoggingConfiguration", {"destinationConfiguration": S3})
    error = refused(
        chat, "UpdateLoggingConfiguration", {"identifier": config["id"], "destinationConfiguration": destination}
    )
    assert field_names(error) == ["destinationConfiguration"]
    assert chat.handle("GetLoggingConfiguration", {"identifier": config["id"]})["destinationConfiguration"] == S3


def test_a_destinations_own_member_is_checked(chat: ChatBackend) -> None:
    error = refused(chat, "CreateLoggingConfiguration", {"destinationConfiguration": {"s3": {}}})
    assert field_names(error) == ["destinationConfiguration.s3.bucketName"]
    error = refused(chat, "CreateLoggingConfiguration", {"destinationConfiguration": {"s3": {"bucketName": "ab"}}})
    assert field_names(error) == ["destinationConfiguration.s3.bucketName"]
    assert field_names(refused(chat, "CreateLoggingConfiguration", {})) == ["destinationConfiguration"]


def test_rooms_reference_logging_configurations(chat: ChatBackend) -> None:
    first = chat.handle("CreateLoggingConfiguration", {"destinationConfiguration": S3})
    second = chat.handle("CreateLoggingConfiguration", {"destinationConfiguration": S3})
    room = chat.handle("CreateRoom", {"loggingConfigurationIdentifiers": [first["arn"], second["arn"]]})
    assert room["loggingConfigurationIdentifiers"] == [first["arn"], second["arn"]]
    # Attached: deleting it is a conflict that names the room.
    error = refused(chat, "DeleteLoggingConfiguration", {"identifier": first["arn"]})
    assert error.code == "ConflictException"
    assert error.fields == {"resourceId": room["id"], "resourceType": "ROOM"}
    detached = chat.handle(
        "UpdateRoom", {"identifier": room["arn"], "loggingConfigurationIdentifiers": [second["arn"]]}
    )
    assert detached["loggingConfigurationIdentifiers"] == [second["arn"]]
    chat.handle("DeleteLoggingConfiguration", {"identifier": first["arn"]})
    # A deleted or unknown one cannot be attached; the refused update changes nothing.
    for request in (
        {"loggingConfigurationIdentifiers": [first["arn"]]},
        {"name": "x", "loggingConfigurationIdentifiers": [second["arn"], first["arn"]]},
    ):
        error = refused(chat, "UpdateRoom", {"identifier": room["arn"], **request})
        assert error.code == "ResourceNotFoundException"
        assert error.fields == {"resourceId": first["id"], "resourceType": "LOGGING_CONFIGURATION"}
    assert chat.handle("GetRoom", {"identifier": room["arn"]}) == detached
    error = refused(chat, "CreateRoom", {"loggingConfigurationIdentifiers": [first["arn"]]})
    assert error.code == "ResourceNotFoundException"
    twice = refused(chat, "CreateRoom", {"loggingConfigurationIdentifiers": [second["arn"], second["arn"]]})
    assert field_names(twice) == ["loggingConfigurationIdentifiers"]
    four = refused(chat, "CreateRoom", {"loggingConfigurationIdentifiers": [second["arn"]] * 4})
    assert field_names(four) == ["loggingConfigurationIdentifiers"]
    assert len(chat.handle("ListRooms", {})["rooms"]) == 1


# -- quotas and tags ------------------------------------------------------------------------------


def test_quotas_answer_service_quota_exceeded() -> None:
    chat = make_backend(rooms=2, logging_configurations=1)
    assert ChatQuotas() == ChatQuotas(rooms=50_000, logging_configurations=10, messaging_requests_per_second=100)
    chat.handle("CreateRoom", {})
    chat.handle("CreateRoom", {})
    error = refused(chat, "CreateRoom", {})
    assert error.code == "ServiceQuotaExceededException"
    assert error.fields == {"resourceId": ACCOUNT, "resourceType": "ROOM", "limit": 2}
    config = chat.handle("CreateLoggingConfiguration", {"destinationConfiguration": S3})
    error = refused(chat, "CreateLoggingConfiguration", {"destinationConfiguration": S3})
    assert error.code == "ServiceQuotaExceededException"
    assert error.fields == {"resourceId": ACCOUNT, "resourceType": "LOGGING_CONFIGURATION", "limit": 1}
    # Deleting makes room again.
    chat.handle("DeleteLoggingConfiguration", {"identifier": config["arn"]})
    chat.handle("CreateLoggingConfiguration", {"destinationConfiguration": S3})


def test_tags_of_rooms_and_logging_configurations(chat: ChatBackend) -> None:
    room = chat.handle("CreateRoom", {"tags": {"a": "1"}})
    config = chat.handle("CreateLoggingConfiguration", {"destinationConfiguration": S3})
    for arn, start in ((room["arn"], {"a": "1"}), (config["arn"], {})):
        assert chat.handle("ListTagsForResource", {"resourceArn": arn}) == {"tags": start}
        assert chat.handle("TagResource", {"resourceArn": arn, "tags": {"b": "2", "a": "9"}}) == {}
        assert chat.handle("ListTagsForResource", {"resourceArn": arn}) == {"tags": {"a": "9", "b": "2"}}
        assert chat.handle("UntagResource", {"resourceArn": arn, "tagKeys": ["a", "missing"]}) == {}
        assert chat.handle("ListTagsForResource", {"resourceArn": arn}) == {"tags": {"b": "2"}}
    assert chat.handle("GetRoom", {"identifier": room["arn"]})["tags"] == {"b": "2"}
    assert chat.handle("ListLoggingConfigurations", {})["loggingConfigurations"][0]["tags"] == {"b": "2"}


def test_tag_limits(chat: ChatBackend) -> None:
    room = chat.handle("CreateRoom", {"tags": {f"k{n}": "v" for n in range(40)}})
    error = refused(chat, "TagResource", {"resourceArn": room["arn"], "tags": {f"x{n}": "v" for n in range(11)}})
    assert field_names(error) == ["tags"] and "50" in error.message
    chat.handle("TagResource", {"resourceArn": room["arn"], "tags": {f"x{n}": "v" for n in range(10)}})
    assert field_names(refused(chat, "TagResource", {"resourceArn": room["arn"], "tags": {"AWS:x": "v"}})) == ["tags"]
    assert field_names(refused(chat, "CreateRoom", {"tags": {"aws:cloudformation": "v"}})) == ["tags"]
    assert field_names(refused(chat, "CreateRoom", {"tags": {f"k{n}": "v" for n in range(51)}})) == ["tags"]
    assert len(chat.handle("ListTagsForResource", {"resourceArn": room["arn"]})["tags"]) == 50


def test_tags_of_a_resource_that_does_not_exist(chat: ChatBackend) -> None:
    room = chat.handle("CreateRoom", {})
    config = chat.handle("CreateLoggingConfiguration", {"destinationConfiguration": S3})
    cases = {
        room["arn"].replace(REGION, "eu-west-1"): "ROOM",
        room["arn"].replace(room["id"], "AAAAAAAAAAAA"): "ROOM",
        config["arn"].replace(config["id"], "AAAAAAAAAAAA"): "LOGGING_CONFIGURATION",
        f"arn:aws:ivschat:{REGION}:{ACCOUNT}:channel/AAAAAAAAAAAA": "ROOM",
    }
    for arn, kind in cases.items():
        for operation, extra in (
            ("ListTagsForResource", {}),
            ("TagResource", {"tags": {"a": "b"}}),
            ("UntagResource", {"tagKeys": ["a"]}),
        ):
            error = refused(chat, operation, {"resourceArn": arn, **extra})
            assert error.code == "ResourceNotFoundException"
            assert error.fields["resourceType"] == kind


# -- chat tokens --------------------------------------------------------------------------------


def test_create_chat_token(chat: ChatBackend, clock: FrozenClock) -> None:
    room = chat.handle("CreateRoom", {})
    answer = chat.handle(
        "CreateChatToken",
        {"roomIdentifier": room["arn"], "userId": "alice", "capabilities": ["SEND_MESSAGE"], "attributes": {"b": "1"}},
    )
    assert set(answer) == {"token", "tokenExpirationTime", "sessionExpirationTime"}
    token = answer["token"]
    assert is_token(token) and "/" not in token and "=" not in token and len(token) > 100
    assert answer["tokenExpirationTime"] == wire_time(clock.now + timedelta(hours=1))
    assert answer["sessionExpirationTime"] == wire_time(clock.now + timedelta(minutes=60))  # the default
    longer = chat.handle(
        "CreateChatToken", {"roomIdentifier": room["id"], "userId": "bob", "sessionDurationInMinutes": 180}
    )
    assert longer["sessionExpirationTime"] == wire_time(clock.now + timedelta(minutes=180))
    assert longer["token"] != token
    session = chat.redeem(token)
    assert session == ChatSession(
        room_arn=room["arn"],
        user_id="alice",
        session_expiration_time=clock.now + timedelta(minutes=60),
        capabilities=frozenset({"SEND_MESSAGE"}),
        attributes={"b": "1"},
    )
    assert chat.redeem(longer["token"]).capabilities == frozenset()


def test_a_token_opens_one_connection(chat: ChatBackend) -> None:
    room = chat.handle("CreateRoom", {})
    token = chat.handle("CreateChatToken", {"roomIdentifier": room["arn"], "userId": "u"})["token"]
    chat.redeem(token)
    with pytest.raises(ChatRefused) as info:
        chat.redeem(token)
    assert info.value.status == 401 and "already used" in info.value.message
    with pytest.raises(ChatRefused) as unknown:
        chat.redeem("AQICAH" + "x" * 50)
    assert unknown.value.status == 401


def test_tokens_and_sessions_expire_by_the_emulators_clock(chat: ChatBackend, clock: FrozenClock) -> None:
    room = chat.handle("CreateRoom", {})

    def token(**request: Any) -> str:
        answer: str = chat.handle("CreateChatToken", {"roomIdentifier": room["arn"], "userId": "u", **request})["token"]
        return answer

    stale, short, fine = token(), token(sessionDurationInMinutes=1), token(sessionDurationInMinutes=180)
    clock.advance(minutes=2)
    with pytest.raises(ChatRefused, match="session has expired"):
        chat.redeem(short)  # its session ended before the token did
    clock.advance(minutes=57, seconds=59)
    assert chat.redeem(fine).user_id == "u"  # a second before the hour
    clock.advance(seconds=1)
    with pytest.raises(ChatRefused) as info:
        chat.redeem(stale)
    assert info.value.status == 401
    assert chat.outstanding_tokens == 0  # expired ones are forgotten


def test_a_token_of_a_deleted_room_is_refused_with_404(chat: ChatBackend) -> None:
    room = chat.handle("CreateRoom", {})
    token = chat.handle("CreateChatToken", {"roomIdentifier": room["arn"], "userId": "u"})["token"]
    chat.handle("DeleteRoom", {"identifier": room["arn"]})
    with pytest.raises(ChatRefused) as info:
        chat.redeem(token)
    assert info.value.status == 404


def test_create_chat_token_checks_what_it_encodes(chat: ChatBackend) -> None:
    arn = chat.handle("CreateRoom", {})["arn"]
    base = {"roomIdentifier": arn, "userId": "u"}
    assert field_names(refused(chat, "CreateChatToken", {**base, "capabilities": ["SEND_MESSAGE", "ADMIN"]})) == [
        "capabilities"
    ]
    assert field_names(refused(chat, "CreateChatToken", {**base, "sessionDurationInMinutes": 181})) == [
        "sessionDurationInMinutes"
    ]
    assert field_names(refused(chat, "CreateChatToken", {**base, "sessionDurationInMinutes": 0})) == [
        "sessionDurationInMinutes"
    ]
    big = {"k": "v" * 1024}  # 1024 bytes is the limit, keys included
    assert field_names(refused(chat, "CreateChatToken", {**base, "attributes": big})) == ["attributes"]
    chat.handle("CreateChatToken", {**base, "attributes": {"k": "v" * 1023}})
    assert field_names(refused(chat, "CreateChatToken", {"roomIdentifier": arn})) == ["userId"]
    assert field_names(refused(chat, "CreateChatToken", {**base, "userId": "x" * 129})) == ["userId"]
    assert chat.outstanding_tokens == 1


def test_outstanding_tokens_are_bounded() -> None:
    clock = FrozenClock()
    tokens = IssuedTokens(limit=3)
    session = ChatSession(room_arn="r", user_id="u", session_expiration_time=clock.now + timedelta(hours=1))
    for n in range(5):
        tokens.add(f"t{n}", session, clock.now + timedelta(hours=1), clock.now)
    assert len(tokens) == 3
    with pytest.raises(ChatRefused):
        tokens.find("t0", clock.now)  # the oldest went first
    assert tokens.find("t4", clock.now) == session
    assert "t4" not in repr(tokens)
    clock.advance(hours=1)
    tokens.expire(clock.now)
    assert len(tokens) == 0


# -- moderation ----------------------------------------------------------------------------------


def test_moderation_without_a_socket_answers_as_ivs_does(chat: ChatBackend) -> None:
    arn = chat.handle("CreateRoom", {})["arn"]
    sent = chat.handle("SendEvent", {"roomIdentifier": arn, "eventName": "poll", "attributes": {"q": "tea?"}})
    deleted = chat.handle("DeleteMessage", {"roomIdentifier": arn, "id": "ABCdef123456", "reason": "spam"})
    for answer in (sent, deleted):
        assert set(answer) == {"id"} and re.fullmatch(r"[a-zA-Z0-9]{12}", answer["id"])
    assert chat.handle("DisconnectUser", {"roomIdentifier": arn, "userId": "troll"}) == {}
    assert field_names(refused(chat, "DeleteMessage", {"roomIdentifier": arn, "id": "not-an-id-!!"})) == ["id"]
    too_big = {"roomIdentifier": arn, "eventName": "e", "attributes": {"k" * 600: "v" * 600}}
    assert field_names(refused(chat, "SendEvent", too_big)) == ["attributes"]
    assert field_names(refused(chat, "SendEvent", {"roomIdentifier": arn, "eventName": "e" * 101})) == ["eventName"]
    assert field_names(refused(chat, "DisconnectUser", {"roomIdentifier": arn, "userId": "u", "reason": ""})) == [
        "reason"
    ]


@pytest.mark.parametrize(
    ("operation", "request_"),
    [
        ("CreateChatToken", {"userId": "u", "sessionDurationInMinutes": 999}),
        ("SendEvent", {"eventName": "e" * 101}),
        ("DeleteMessage", {"id": "short"}),
        ("DisconnectUser", {"userId": ""}),
        ("UpdateRoom", {"maximumMessageLength": 0}),
        ("TagResource", {"tags": {"aws:x": "v"}}),
    ],
)
def test_a_request_is_checked_before_its_resource_is_looked_up(
    chat: ChatBackend, operation: str, request_: dict[str, Any]
) -> None:
    missing = f"arn:aws:ivschat:{REGION}:{ACCOUNT}:room/AAAAAAAAAAAA"
    member = {"UpdateRoom": "identifier", "TagResource": "resourceArn"}.get(operation, "roomIdentifier")
    assert refused(chat, operation, {member: missing, **request_}).code == "ValidationException"


@pytest.mark.parametrize(
    ("operation", "extra"),
    [("SendEvent", {"eventName": "e"}), ("DeleteMessage", {"id": "ABCdef123456"}), ("DisconnectUser", {"userId": "u"})],
)
def test_moderation_beyond_its_rate_is_throttled(operation: str, extra: dict[str, Any]) -> None:
    chat = make_backend(messaging_requests_per_second=2)
    room = chat.handle("CreateRoom", {})
    request = {"roomIdentifier": room["arn"], **extra}
    chat.handle(operation, request)
    chat.handle(operation, request)
    error = refused(chat, operation, request)
    assert error.code == "ThrottlingException"
    assert error.fields == {"resourceId": room["id"], "resourceType": "ROOM", "limit": 2}


# -- with a real chat socket --------------------------------------------------------------------


@attrs.define
class Served:
    chat: ChatBackend
    socket: ChatSocket
    url: str
    clock: Clock

    def provider(self, room_arn: str, user_id: str, capabilities: list[str] | None = None) -> Any:
        async def provide() -> dict[str, Any]:
            return self.chat.handle(
                "CreateChatToken", {"roomIdentifier": room_arn, "userId": user_id, "capabilities": capabilities or []}
            )

        return provide


@pytest.fixture
async def served() -> AsyncIterator[Served]:
    clock = Clock()
    chat = make_backend(clock)
    socket = ChatSocket(chat, Peers(Limits()), clock=clock, sweep_every=0.05)
    chat.socket = socket

    async def route(request: web.Request) -> web.StreamResponse:
        return await socket.handle(request) if socket.serves(request) else web.Response(status=404)

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", route)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5, handler_cancellation=True)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    yield Served(chat, socket, f"ws://127.0.0.1:{runner.addresses[0][1]}", clock)
    await socket.shutdown()
    await runner.cleanup()


async def take(room: ChatRoom, count: int) -> list[Any]:
    items: list[Any] = []
    async with asyncio.timeout(5):
        async for item in room:
            items.append(item)
            if len(items) == count:
                break
    return items


async def until(condition: Callable[[], bool]) -> None:
    async with asyncio.timeout(5):
        while not condition():
            await asyncio.sleep(0.01)


async def test_moderation_reaches_the_rooms_clients(served: Served) -> None:
    chat = served.chat
    arn = chat.handle("CreateRoom", {})["arn"]
    other = chat.handle("CreateRoom", {})["arn"]
    async with (
        ChatRoom(served.url, served.provider(arn, "viewer", ["SEND_MESSAGE"])) as viewer,
        ChatRoom(served.url, served.provider(arn, "troll", ["SEND_MESSAGE"])) as troll,
        ChatRoom(served.url, served.provider(other, "elsewhere")) as elsewhere,
    ):
        message = await troll.send_message("spam")
        event_id = chat.handle("SendEvent", {"roomIdentifier": arn, "eventName": "poll", "attributes": {"q": "tea?"}})[
            "id"
        ]
        delete_id = chat.handle("DeleteMessage", {"roomIdentifier": arn, "id": message.id, "reason": "spam"})["id"]
        assert chat.handle("DisconnectUser", {"roomIdentifier": arn, "userId": "troll", "reason": "bye"}) == {}
        items = await take(viewer, 4)
        assert items[0] == message
        event, deleted, gone = items[1:]
        assert isinstance(event, ChatEvent)
        assert (event.id, event.event_name, dict(event.attributes)) == (event_id, "poll", {"q": "tea?"})
        assert isinstance(deleted, DeletedMessage)
        assert (deleted.id, deleted.message_id, deleted.reason) == (delete_id, message.id, "spam")
        assert isinstance(gone, UserDisconnected) and (gone.user_id, gone.reason) == ("troll", "bye")
        await until(lambda: troll.state == "closed")
        assert isinstance(troll.closed_reason, ChatClosedError) and troll.closed_reason.reason == "bye"
        assert served.socket.connections(arn) == ["viewer"]
        assert served.socket.connections(other) == ["elsewhere"]  # other rooms hear nothing
        # UpdateRoom applies to the next message.
        chat.handle("UpdateRoom", {"identifier": arn, "maximumMessageLength": 3})
        with pytest.raises(Exception, match="maximum of 3"):
            await viewer.send_message("long")
        # DeleteRoom closes the room's connections.
        chat.handle("DeleteRoom", {"identifier": arn})
        await until(lambda: viewer.state == "closed")
        assert isinstance(viewer.closed_reason, ChatClosedError) and viewer.closed_reason.code == 1000
        assert elsewhere.state == "open"


async def test_a_used_token_is_refused_at_the_handshake(served: Served) -> None:
    arn = served.chat.handle("CreateRoom", {})["arn"]
    token = served.chat.handle("CreateChatToken", {"roomIdentifier": arn, "userId": "u"})["token"]
    async with aiohttp.ClientSession() as session:
        async with session.ws_connect(served.url, protocols=(token,)) as ws:
            assert ws.protocol == token
            with pytest.raises(aiohttp.WSServerHandshakeError) as info:
                await session.ws_connect(served.url, protocols=(token,))
            assert info.value.status == 401
        served.clock.advance(hours=1)
        late = served.chat.handle("CreateChatToken", {"roomIdentifier": arn, "userId": "u"})["token"]
        served.clock.advance(hours=1)
        with pytest.raises(aiohttp.WSServerHandshakeError) as expired:
            await session.ws_connect(served.url, protocols=(late,))
        assert expired.value.status == 401


async def test_a_session_ends_when_the_emulators_clock_passes_its_end(served: Served) -> None:
    arn = served.chat.handle("CreateRoom", {})["arn"]
    provide = served.provider(arn, "u")
    tokens: list[str] = []

    async def counting() -> dict[str, Any]:
        answer: dict[str, Any] = await provide()
        tokens.append(answer["token"])
        return answer

    async with ChatRoom(served.url, counting) as room:
        await until(lambda: served.socket.connections(arn) == ["u"])
        served.clock.advance(minutes=61)
        # The socket ends the session; a new token opens a new one on the moved clock.
        await until(lambda: len(tokens) == 2 and served.socket.connections(arn) == ["u"])
        assert room.state == "open" and room.reconnects >= 1


async def test_reset_forgets_everything_and_lets_the_clients_go(served: Served) -> None:
    chat = served.chat
    arn = chat.handle("CreateRoom", {})["arn"]
    chat.handle("CreateLoggingConfiguration", {"destinationConfiguration": S3})
    async with ChatRoom(served.url, served.provider(arn, "u"), max_reconnect_attempts=0) as room:
        chat.reset()
        await until(lambda: room.state == "closed")
    assert chat.handle("ListRooms", {}) == {"rooms": []}
    assert chat.handle("ListLoggingConfigurations", {}) == {"loggingConfigurations": []}
    assert chat.outstanding_tokens == 0


# -- anything at all --------------------------------------------------------------------------------

_MODEL = json.loads(MODEL.read_text())


def _members(operation: str) -> list[str]:
    shape = _MODEL["operations"][operation]["input"]["shape"]
    return list(_MODEL["shapes"][shape].get("members", {}))


def _nested_members() -> list[str]:
    return ["uri", "fallbackResult", "s3", "cloudWatchLogs", "firehose", "bucketName", "logGroupName"]


_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True)
    | st.text(max_size=20)
    | st.sampled_from(["ROOM_ARN", "LOGGING_ARN", "ROOM_ID", "", "ALLOW", "SEND_MESSAGE", "\ud800", "aws:x"])
)
_values = st.recursive(
    _scalars,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.sampled_from(_nested_members()) | st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


# A valid request of each operation: the fuzzing below changes some of their members at random,
# so that the checks past the first required member are reached too.
_VALID: dict[str, dict[str, Any]] = {
    "CreateChatToken": {
        "roomIdentifier": "ROOM_ARN",
        "userId": "u",
        "capabilities": ["SEND_MESSAGE"],
        "sessionDurationInMinutes": 5,
        "attributes": {"a": "b"},
    },
    "CreateLoggingConfiguration": {"destinationConfiguration": S3, "name": "n", "tags": {"a": "b"}},
    "CreateRoom": {
        "name": "r",
        "maximumMessageRatePerSecond": 5,
        "maximumMessageLength": 50,
        "messageReviewHandler": {"uri": LAMBDA, "fallbackResult": "DENY"},
        "tags": {"a": "b"},
        "loggingConfigurationIdentifiers": ["LOGGING_ARN"],
    },
    "DeleteLoggingConfiguration": {"identifier": "LOGGING_ARN"},
    "DeleteMessage": {"roomIdentifier": "ROOM_ARN", "id": "ABCdef123456", "reason": "r"},
    "DeleteRoom": {"identifier": "ROOM_ARN"},
    "DisconnectUser": {"roomIdentifier": "ROOM_ARN", "userId": "u", "reason": "r"},
    "GetLoggingConfiguration": {"identifier": "LOGGING_ARN"},
    "GetRoom": {"identifier": "ROOM_ARN"},
    "ListLoggingConfigurations": {"maxResults": 2},
    "ListRooms": {"maxResults": 3, "loggingConfigurationIdentifier": "LOGGING_ARN"},
    "ListTagsForResource": {"resourceArn": "ROOM_ARN"},
    "SendEvent": {"roomIdentifier": "ROOM_ARN", "eventName": "e", "attributes": {"a": "b"}},
    "TagResource": {"resourceArn": "LOGGING_ARN", "tags": {"a": "b"}},
    "UntagResource": {"resourceArn": "ROOM_ARN", "tagKeys": ["a"]},
    "UpdateLoggingConfiguration": {
        "identifier": "LOGGING_ARN",
        "name": "n",
        "destinationConfiguration": {"firehose": {"deliveryStreamName": "s"}},
    },
    "UpdateRoom": {
        "identifier": "ROOM_ARN",
        "name": "n",
        "maximumMessageLength": 9,
        "messageReviewHandler": {"uri": ""},
        "loggingConfigurationIdentifiers": ["LOGGING_ARN"],
    },
}


@st.composite
def _requests(draw: st.DrawFn) -> tuple[str, Any]:
    operation = draw(st.sampled_from(sorted(_MODEL["operations"])))
    if draw(st.booleans()):  # anything at all
        keys = st.sampled_from(_members(operation)) | st.text(max_size=8)
        return operation, draw(st.dictionaries(keys, _values, max_size=6) | _values)
    request: dict[str, Any] = {}
    for member, value in _VALID[operation].items():
        fate = draw(st.sampled_from(["keep", "keep", "drop", "change"]))
        if fate == "keep":
            request[member] = value
        elif fate == "change":
            request[member] = draw(_values)
    request.update(
        draw(st.dictionaries(st.sampled_from(_members(operation)) | st.text(max_size=8), _values, max_size=2))
    )
    return operation, request


def _conforms(operation: str, answer: Any) -> None:
    """``answer`` is a valid wire output of ``operation`` (the generated model's own checks)."""
    assert compile_wire_validator(OPERATIONS[operation].output)(answer) == []


def test_the_fuzzings_valid_requests_are_valid_and_answered_as_the_model_says() -> None:
    assert set(_VALID) == set(_MODEL["operations"])
    chat = make_backend()
    names = {
        "ROOM_ARN": chat.handle("CreateRoom", {})["arn"],
        "LOGGING_ARN": chat.handle("CreateLoggingConfiguration", {"destinationConfiguration": S3})["arn"],
    }
    names["ROOM_ID"] = names["ROOM_ARN"].rsplit("/", 1)[1]
    deletes = ("DeleteRoom", "DeleteLoggingConfiguration")
    for operation in sorted(set(_VALID) - set(deletes)):
        request = _resolve(_VALID[operation], names)
        assert compile_wire_validator(OPERATIONS[operation].input)(request) == [], operation
        _conforms(operation, chat.handle(operation, request))
    _conforms("DeleteRoom", chat.handle("DeleteRoom", _resolve(_VALID["DeleteRoom"], names)))
    unused = chat.handle("CreateLoggingConfiguration", {"destinationConfiguration": S3})["arn"]
    answer = chat.handle(
        "DeleteLoggingConfiguration", _resolve(_VALID["DeleteLoggingConfiguration"], {"LOGGING_ARN": unused})
    )
    _conforms("DeleteLoggingConfiguration", answer)


def _resolve(value: Any, names: dict[str, str]) -> Any:
    if isinstance(value, str):
        return names.get(value, value)
    if isinstance(value, list):
        return [_resolve(v, names) for v in value]
    if isinstance(value, dict):
        return {k: _resolve(v, names) for k, v in value.items()}
    return value


@pytest.fixture(scope="module")
def fuzzed() -> tuple[ChatBackend, dict[str, str]]:
    chat = make_backend(Clock(), rooms=20, logging_configurations=5)
    room = chat.handle("CreateRoom", {})
    config = chat.handle("CreateLoggingConfiguration", {"destinationConfiguration": S3})
    return chat, {"ROOM_ARN": room["arn"], "ROOM_ID": room["id"], "LOGGING_ARN": config["arn"]}


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=_requests())
def test_any_request_is_answered_or_refused_with_an_ivs_chat_error(
    fuzzed: tuple[ChatBackend, dict[str, str]], case: tuple[str, Any]
) -> None:
    chat, names = fuzzed
    operation, request = case
    if operation in ("DeleteRoom", "DeleteLoggingConfiguration"):
        names = {}  # keep the resources the other examples aim at
    error: ServiceError | None = None
    resolved = _resolve(request, names)
    # What the server would refuse before the backend (a pattern the backend leaves to it) goes to
    # a backend of its own: it must still answer or refuse with a modeled error, but what it keeps
    # then is not held to the model, nor left for the next examples to list.
    served = isinstance(resolved, dict) and not compile_wire_validator(OPERATIONS[operation].input)(resolved)
    target = chat if served else make_backend(Clock(), rooms=20, logging_configurations=5)
    try:
        answer = target.handle(operation, resolved)
    except ServiceError as exc:
        error = exc
    if error is not None:  # one of the errors the model gives the operation
        assert error.code in {e["shape"] for e in _MODEL["operations"][operation]["errors"]}
        assert isinstance(error.fields, dict)
        json.dumps(error.fields)
    else:
        if served:
            _conforms(operation, answer)
        json.dumps(answer)  # plain JSON, as the server sends it

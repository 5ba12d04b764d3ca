"""LocalIvs speaks the wire protocol of IVS, IVS Chat and IVS Real-Time, not only ours:
aiobotocore (botocore's serializer, signer and parser) drives it here, with our vendored models
loaded so that every operation of each service exists."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from aiobotocore.config import AioConfig
from aiobotocore.session import get_session
from botocore.exceptions import ClientError

from ivs_async._protocol.command import Operation
from ivs_async.testing import LocalIvs
from tests.emulator.conftest import public_key_pem
from tests.support.services import CHAT, REALTIME, SERVICES, ServiceUnderTest, every_operation
from tests.support.shapes import full_valid, reference_wire


@pytest.fixture(scope="module")
def data_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Our vendored models laid out as botocore's data loader expects them."""
    root = tmp_path_factory.mktemp("botocore-data")
    for service in SERVICES:
        target = root / service.model / service.api_version
        target.mkdir(parents=True)
        for name in ("service-2.json", "paginators-1.json", "endpoint-rule-set-1.json"):
            shutil.copy(service.model_file(name), target / name)
    return root


async def botocore_client(emulator: LocalIvs, data_path: Path, service: str = "ivs", **config: Any) -> Any:
    session = get_session()
    session.get_component("data_loader").search_paths.insert(0, str(data_path))
    return session.create_client(
        service,
        region_name=emulator.region,
        endpoint_url=emulator.endpoint,
        aws_access_key_id=emulator.credentials.access_key_id,
        aws_secret_access_key=emulator.credentials.secret_access_key,
        config=AioConfig(retries={"max_attempts": 1, "mode": "standard"}, **config),
    )


@pytest.fixture
async def boto(ivs_emulator: LocalIvs, data_path: Path) -> AsyncIterator[Any]:
    async with await botocore_client(ivs_emulator, data_path) as client:
        yield client


@pytest.fixture
async def boto_chat(ivs_emulator: LocalIvs, data_path: Path) -> AsyncIterator[Any]:
    async with await botocore_client(ivs_emulator, data_path, CHAT.model) as client:
        yield client


@pytest.fixture
async def boto_realtime(ivs_emulator: LocalIvs, data_path: Path) -> AsyncIterator[Any]:
    async with await botocore_client(ivs_emulator, data_path, REALTIME.model) as client:
        yield client


async def test_channel_flow_with_botocore(boto: Any, ivs_emulator: LocalIvs) -> None:
    created = await boto.create_channel(name="boto", tags={"from": "botocore"})
    channel = created["channel"]
    assert created["streamKey"]["value"].startswith("sk_")
    arn = channel["arn"]
    assert (await boto.get_channel(arn=arn))["channel"] == channel
    assert created["ResponseMetadata"]["HTTPStatusCode"] == 200
    # The tag operations put the ARN in the path (percent-encoded) and keys in the query string.
    await boto.tag_resource(resourceArn=arn, tags={"a b": "c", "x": "y"})
    await boto.untag_resource(resourceArn=arn, tagKeys=["x", "from"])
    assert (await boto.list_tags_for_resource(resourceArn=arn))["tags"] == {"a b": "c"}

    ivs_emulator.start_stream(arn)
    stream = (await boto.get_stream(channelArn=arn))["stream"]
    assert isinstance(stream["startTime"], datetime)
    put = await boto.put_metadata(channelArn=arn, metadata="hello from botocore")
    assert put["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert [r.payload for r in ivs_emulator.metadata(arn)] == ["hello from botocore"]
    await boto.stop_stream(channelArn=arn)
    sessions = (await boto.list_stream_sessions(channelArn=arn))["streamSessions"]
    assert len(sessions) == 1 and isinstance(sessions[0]["endTime"], datetime)

    pair = (await boto.import_playback_key_pair(publicKeyMaterial=public_key_pem()))["keyPair"]
    assert pair["fingerprint"].count(":") == 15
    deleted = await boto.delete_channel(arn=arn)
    assert deleted["ResponseMetadata"]["HTTPStatusCode"] == 204


async def test_botocore_reads_the_errors(boto: Any) -> None:
    missing = "arn:aws:ivs:us-west-2:123456789012:channel/ABCDEFGHIJKL"
    with pytest.raises(ClientError) as caught:
        await boto.get_channel(arn=missing)
    error = caught.value.response
    assert error["Error"]["Code"] == "ResourceNotFoundException"
    # IVS puts its text in the modeled member exceptionMessage, which botocore parses as a field.
    assert missing in error["exceptionMessage"]
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 404
    assert type(caught.value).__name__ == "ResourceNotFoundException"  # botocore's modeled class


async def test_botocore_without_its_validation_gets_ours(ivs_emulator: LocalIvs, data_path: Path) -> None:
    async with await botocore_client(ivs_emulator, data_path, parameter_validation=False) as boto:
        with pytest.raises(ClientError) as caught:
            await boto.create_channel(name="bad name", type="HUGE")
    assert caught.value.response["Error"]["Code"] == "ValidationException"
    message = caught.value.response["exceptionMessage"]
    assert "'name'" in message and "'type'" in message


async def test_botocore_paginator(boto: Any) -> None:
    for n in range(5):
        await boto.create_channel(name=f"page{n}")
    paginator = boto.get_paginator("list_channels")
    pages = [page async for page in paginator.paginate(PaginationConfig={"PageSize": 2})]
    assert [len(p["channels"]) for p in pages] == [2, 2, 1]
    assert sorted(c["name"] for p in pages for c in p["channels"]) == [f"page{n}" for n in range(5)]


async def test_chat_flow_with_botocore(boto_chat: Any, ivs_emulator: LocalIvs) -> None:
    created = await boto_chat.create_room(name="lobby", maximumMessageLength=200, tags={"from": "botocore"})
    assert created["ResponseMetadata"]["HTTPStatusCode"] == 200
    arn = created["arn"]
    assert arn.startswith(f"arn:aws:ivschat:{ivs_emulator.region}:") and isinstance(created["createTime"], datetime)
    got = await boto_chat.get_room(identifier=arn)
    assert (got["name"], got["maximumMessageLength"], got["tags"]) == ("lobby", 200, {"from": "botocore"})
    updated = await boto_chat.update_room(identifier=arn, maximumMessageRatePerSecond=5)
    assert updated["maximumMessageRatePerSecond"] == 5
    assert [r["arn"] for r in (await boto_chat.list_rooms())["rooms"]] == [arn]

    # /tags/{arn}: the path IVS's tag operations have too; a chat ARN goes to IVS Chat.
    await boto_chat.tag_resource(resourceArn=arn, tags={"a b": "c", "x": "y"})
    await boto_chat.untag_resource(resourceArn=arn, tagKeys=["x", "from"])
    assert (await boto_chat.list_tags_for_resource(resourceArn=arn))["tags"] == {"a b": "c"}
    assert (await boto_chat.get_room(identifier=arn))["tags"] == {"a b": "c"}

    # A union member (exactly one destination) both ways.
    logging = await boto_chat.create_logging_configuration(
        name="logs", destinationConfiguration={"s3": {"bucketName": "chat-logs"}}
    )
    assert logging["destinationConfiguration"] == {"s3": {"bucketName": "chat-logs"}}
    changed = await boto_chat.update_logging_configuration(
        identifier=logging["arn"], destinationConfiguration={"firehose": {"deliveryStreamName": "stream"}}
    )
    assert changed["destinationConfiguration"] == {"firehose": {"deliveryStreamName": "stream"}}
    listed = (await boto_chat.list_logging_configurations())["loggingConfigurations"]
    assert [c["arn"] for c in listed] == [logging["arn"]]

    token = await boto_chat.create_chat_token(roomIdentifier=arn, userId="u1", capabilities=["SEND_MESSAGE"])
    assert token["token"] and isinstance(token["tokenExpirationTime"], datetime)
    assert (await boto_chat.delete_logging_configuration(identifier=logging["arn"]))["ResponseMetadata"][
        "HTTPStatusCode"
    ] == 204
    assert (await boto_chat.delete_room(identifier=arn))["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert ivs_emulator.unexpected_errors == 0


async def test_botocore_reads_chat_errors_with_their_members(
    boto_chat: Any, ivs_emulator: LocalIvs, data_path: Path
) -> None:
    missing = f"arn:aws:ivschat:{ivs_emulator.region}:{ivs_emulator.account_id}:room/ABCDEFGHIJKL"
    with pytest.raises(ClientError) as caught:
        await boto_chat.get_room(identifier=missing)
    assert type(caught.value).__name__ == "ResourceNotFoundException"  # botocore's modeled class
    error = caught.value.response
    assert error["Error"]["Code"] == "ResourceNotFoundException"
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 404
    # IVS Chat's text is in "message" (botocore's Error.Message); its other members are modeled fields.
    assert error["Error"]["Message"] and error["message"] == error["Error"]["Message"]
    assert error["resourceType"] == "ROOM" and "ABCDEFGHIJKL" in error["resourceId"]

    async with await botocore_client(ivs_emulator, data_path, CHAT.model, parameter_validation=False) as raw:
        with pytest.raises(ClientError) as caught:
            await raw.create_room(name="x" * 200, maximumMessageLength=0)
    error = caught.value.response
    assert error["Error"]["Code"] == "ValidationException" and error["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert error["reason"] == "FIELD_VALIDATION_FAILED"
    assert {f["name"] for f in error["fieldList"]} >= {"name", "maximumMessageLength"}


async def test_realtime_flow_with_botocore(boto_realtime: Any, boto: Any, ivs_emulator: LocalIvs) -> None:
    created = await boto_realtime.create_stage(
        name="studio", participantTokenConfigurations=[{"userId": "host", "capabilities": ["PUBLISH"]}]
    )
    stage = created["stage"]
    arn = stage["arn"]
    assert arn.startswith(f"arn:aws:ivs:{ivs_emulator.region}:") and ":stage/" in arn
    (token,) = created["participantTokens"]
    assert token["userId"] == "host" and isinstance(token["expirationTime"], datetime)
    assert (await boto_realtime.get_stage(arn=arn))["stage"] == stage
    updated = await boto_realtime.update_stage(arn=arn, name="studio-2")
    assert updated["stage"]["name"] == "studio-2"
    assert [s["arn"] for s in (await boto_realtime.list_stages())["stages"]] == [arn]
    participant = await boto_realtime.create_participant_token(stageArn=arn, userId="guest", duration=60)
    assert participant["participantToken"]["userId"] == "guest"

    # /tags/{arn}: a stage ARN is arn:aws:ivs:... too, yet IVS Real-Time owns it.
    await boto_realtime.tag_resource(resourceArn=arn, tags={"team": "video", "x": "y"})
    await boto_realtime.untag_resource(resourceArn=arn, tagKeys=["x"])
    assert (await boto_realtime.list_tags_for_resource(resourceArn=arn))["tags"] == {"team": "video"}
    assert (await boto_realtime.get_stage(arn=arn))["stage"]["tags"] == {"team": "video"}

    # A float (framerate) both ways, and an idempotency token botocore fills itself.
    encoder = await boto_realtime.create_encoder_configuration(
        name="hd", video={"width": 1280, "height": 720, "framerate": 29.97, "bitrate": 2_500_000}
    )
    config = encoder["encoderConfiguration"]
    assert config["video"]["framerate"] == 29.97
    channel = (await boto.create_channel(name="out"))["channel"]
    destinations = [{"channel": {"channelArn": channel["arn"], "encoderConfigurationArn": config["arn"]}}]
    composition = (await boto_realtime.start_composition(stageArn=arn, destinations=destinations))["composition"]
    assert composition["stageArn"] == arn and composition["state"] in ("STARTING", "ACTIVE")
    again = await boto_realtime.start_composition(stageArn=arn, destinations=destinations, idempotencyToken="t-1")
    same = await boto_realtime.start_composition(stageArn=arn, destinations=destinations, idempotencyToken="t-1")
    assert again["composition"]["arn"] == same["composition"]["arn"] != composition["arn"]
    assert (await boto_realtime.get_composition(arn=composition["arn"]))["composition"]["arn"] == composition["arn"]
    await boto_realtime.stop_composition(arn=composition["arn"])

    assert (await boto_realtime.delete_stage(arn=arn))["ResponseMetadata"]["HTTPStatusCode"] == 200
    with pytest.raises(ClientError) as caught:
        await boto_realtime.get_stage(arn=arn)
    assert type(caught.value).__name__ == "ResourceNotFoundException"
    error = caught.value.response
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 404 and arn in error["exceptionMessage"]
    assert ivs_emulator.unexpected_errors == 0


@pytest.mark.parametrize(("service", "op"), every_operation())
async def test_every_operation_answers_botocore(
    ivs_emulator: LocalIvs, data_path: Path, service: ServiceUnderTest, op: Operation
) -> None:
    """Any valid input gets a modeled answer: success or one of the operation's errors."""
    params = reference_wire(op.input, full_valid(op.input))
    async with await botocore_client(ivs_emulator, data_path, service.model) as client:
        try:
            answer = await client._make_api_call(op.name, params)
        except ClientError as exc:
            answer = exc.response
    if "Error" in answer:
        assert answer["Error"]["Code"] in service.modeled_errors, answer
        assert answer["ResponseMetadata"]["HTTPStatusCode"] == service.modeled_status[answer["Error"]["Code"]]
        assert answer["ResponseMetadata"]["HTTPStatusCode"] < 500
    else:
        assert answer["ResponseMetadata"]["HTTPStatusCode"] == op.success_code
    assert ivs_emulator.unexpected_errors == 0

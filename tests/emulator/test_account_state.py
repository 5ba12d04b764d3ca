"""The whole account in one state: IVS, IVS Chat and IVS Real-Time survive a snapshot and load, a
state folder's restart (in process and through the command line), and a state of the wrong shape
in any service's part is refused by name with nothing of it taken."""

from __future__ import annotations

import asyncio
import copy
import json
import os
import re
import signal
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import attrs
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from hypothesis import given, settings
from hypothesis import strategies as st

from ivs_async import StaticCredentials
from ivs_async.chat import IvsChat
from ivs_async.chat.errors import ConflictException, InternalServerException
from ivs_async.realtime import IvsRealTime
from ivs_async.realtime import errors as realtime_errors
from ivs_async.testing import EmulatorError, LocalIvs
from ivs_async.testing._backend import MAX_STATE_BYTES, ServiceError
from ivs_async.testing._chat import ChatBackend, ChatQuotas
from ivs_async.testing._realtime import RealTimeBackend, RealTimeQuotas
from tests.emulator.test_lifecycle import serve_from_command_line

LAMBDA = "arn:aws:lambda:us-west-2:123456789012:function:review"


def public_key_pem() -> str:
    key = ec.generate_private_key(ec.SECP384R1()).public_key()
    return key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


async def populate(ivs: LocalIvs) -> dict[str, str]:
    """Something of every kind in all three services; returns what the checks look for."""
    async with (
        ivs.aggregated_client(max_attempts=1) as client,
        ivs.chat_client(max_attempts=1) as chat,
        ivs.realtime_client(max_attempts=1) as rt,
    ):
        channel = (await client.create_channel(name="show", tags={"k": "v"})).channel
        assert channel is not None and channel.arn is not None
        logs = [
            await chat.create_logging_configuration(
                name="to-s3", destination_configuration={"s3": {"bucket_name": "chat-logs"}}, tags={"team": "a"}
            ),
            await chat.create_logging_configuration(
                destination_configuration={"cloud_watch_logs": {"log_group_name": "/chat/lobby"}}
            ),
            await chat.create_logging_configuration(
                destination_configuration={"firehose": {"delivery_stream_name": "f"}}
            ),
        ]
        lobby = await chat.create_room(
            name="lobby",
            logging_configuration_identifiers=[logs[0].arn or "", logs[1].arn or ""],
            tags={"t": "1"},
            maximum_message_length=200,
            message_review_handler={"uri": LAMBDA, "fallback_result": "DENY"},
        )
        others = [await chat.create_room(name=f"r{n}") for n in range(3)]
        await chat.update_room(identifier=others[0].arn or "", name="renamed")  # a later place in the list
        await chat.tag_resource(resource_arn=logs[2].arn or "", tags={"late": "tag"})
        token = await chat.create_chat_token(room_identifier=lobby.arn or "", user_id="alice")

        storage = await rt.create_storage_configuration(s3={"bucket_name": "recordings"}, tags={"s": "1"})
        encoder = await rt.create_encoder_configuration(name="hd", video={"width": 1280, "height": 720})
        assert storage.storage_configuration is not None and encoder.encoder_configuration is not None
        storage_arn = storage.storage_configuration.arn or ""
        encoder_arn = encoder.encoder_configuration.arn or ""
        created = await rt.create_stage(
            name="studio",
            tags={"x": "y"},
            auto_participant_recording_configuration={"storage_configuration_arn": storage_arn},
            participant_token_configurations=[{"user_id": "bob"}],
        )
        assert created.stage is not None and created.stage.arn is not None and created.participant_tokens
        stage_arn = created.stage.arn
        kept = await rt.create_participant_token(stage_arn=stage_arn, user_id="alice")
        dropped = await rt.create_participant_token(stage_arn=stage_arn, user_id="mallory")
        assert kept.participant_token is not None and dropped.participant_token is not None
        await rt.disconnect_participant(
            stage_arn=stage_arn, participant_id=dropped.participant_token.participant_id or ""
        )
        await rt.revoke_connection_token(token_id="revoked-1")
        destinations: list[Any] = [
            {"s3": {"storage_configuration_arn": storage_arn, "encoder_configuration_arns": [encoder_arn]}},
            {"channel": {"channel_arn": channel.arn, "encoder_configuration_arn": encoder_arn}},
        ]
        running = await rt.start_composition(
            stage_arn=stage_arn, destinations=destinations, idempotency_token="run-1", tags={"c": "1"}
        )
        assert running.composition is not None and running.composition.arn is not None
        doomed = (await rt.create_stage(name="doomed")).stage
        assert doomed is not None and doomed.arn is not None
        await rt.start_composition(stage_arn=doomed.arn, destinations=destinations[1:])
        await rt.delete_stage(arn=doomed.arn)  # its composition FAILED, and kept a while
        ingest = await rt.create_ingest_configuration(
            ingest_protocol="RTMPS", stage_arn=stage_arn, name="cam", redundant_ingest=True,
            attributes={"seat": "1"}, user_id="cam-1", tags={"i": "1"},
        )  # fmt: skip
        await rt.create_ingest_configuration(ingest_protocol="RTMP", insecure_ingest=True)
        key = await rt.import_public_key(public_key_material=public_key_pem(), name="signer", tags={"p": "1"})
        assert ingest.ingest_configuration is not None and key.public_key is not None
        return {
            "channel": channel.arn,
            "lobby": lobby.arn or "",
            "logging": logs[0].arn or "",
            "stage": stage_arn,
            "composition": running.composition.arn,
            "participant_token": kept.participant_token.token or "",
            "disconnected_token": dropped.participant_token.token or "",
            "stage_token": created.participant_tokens[0].token or "",
            "stream_key": ingest.ingest_configuration.stream_key or "",
            "chat_token": token.token or "",
            "destinations": json.dumps(destinations),
        }


async def everything_listed(ivs: LocalIvs) -> dict[str, Any]:
    """What the three APIs list and show, for comparing two emulators."""
    async with (
        ivs.aggregated_client(max_attempts=1) as client,
        ivs.chat_client(max_attempts=1) as chat,
        ivs.realtime_client(max_attempts=1) as rt,
    ):
        rooms = (await chat.list_rooms()).rooms or []
        shown: dict[str, Any] = {
            "channels": [(c.arn, c.name, c.tags) for c in (await client.list_channels()).channels or []],
            "rooms": [room_fields(await chat.get_room(identifier=r.arn or "")) for r in rooms],
            "logging": (await chat.list_logging_configurations()).logging_configurations,
            "stages": [  # without the endpoints, which name the port of each run
                without_endpoints((await rt.get_stage(arn=s.arn or "")).stage)
                for s in (await rt.list_stages()).stages or []
            ],
            "compositions": (await rt.list_compositions()).compositions,
            "encoders": (await rt.list_encoder_configurations()).encoder_configurations,
            "storage": (await rt.list_storage_configurations()).storage_configurations,
            "ingest": [
                (await rt.get_ingest_configuration(arn=i.arn or "")).ingest_configuration
                for i in (await rt.list_ingest_configurations()).ingest_configurations or []
            ],
            "keys": [
                (await rt.get_public_key(arn=k.arn or "")).public_key
                for k in (await rt.list_public_keys()).public_keys or []
            ],
        }  # fmt: skip
        return shown


def without_endpoints(stage: Any) -> Any:
    return attrs.evolve(stage, endpoints=None)


def room_fields(room: Any) -> tuple[Any, ...]:
    """A GetRoom answer without its response metadata (request ids differ from call to call)."""
    return (room.arn, room.id, room.name, room.tags, room.logging_configuration_identifiers, room.create_time,
            room.update_time, room.maximum_message_length, room.maximum_message_rate_per_second,
            room.message_review_handler)  # fmt: skip


def valid_state() -> tuple[dict[str, Any], dict[str, str]]:
    async def make() -> tuple[str, dict[str, str]]:
        async with LocalIvs() as ivs:
            names = await populate(ivs)
            return ivs.snapshot(), names

    text, names = asyncio.run(make())
    loaded: dict[str, Any] = json.loads(text)
    return loaded, names


VALID, NAMES = valid_state()


# -- round trips -----------------------------------------------------------------------------------------


def test_the_snapshot_holds_each_services_part() -> None:
    assert VALID["format"] == "ivs_async.testing/1"
    assert len(VALID["chat"]["rooms"]) == 4 and len(VALID["chat"]["loggingConfigurations"]) == 3
    assert {kind: len(found) for kind, found in VALID["realtime"]["resources"].items()} == {
        "stage": 1, "composition": 2, "encoder-configuration": 1, "storage-configuration": 1,
        "ingest-configuration": 2, "public-key": 1,
    }  # fmt: skip
    assert VALID["realtime"]["revokedTokens"] == ["revoked-1"] and len(VALID["realtime"]["disconnected"]) == 1
    assert NAMES["chat_token"] not in json.dumps(VALID)  # single-use chat tokens are not kept


async def test_a_populated_account_round_trips_through_snapshot_and_load() -> None:
    async with LocalIvs() as first:
        names = await populate(first)
        snapshot = first.snapshot()
        before = await everything_listed(first)
    async with LocalIvs() as second:
        second.load(snapshot)
        assert json.loads(second.snapshot()) == json.loads(snapshot)
        assert await everything_listed(second) == before
        # Participant tokens issued by the first still join (or not) in the second.
        realtime = second._realtime
        assert realtime.verify_participant_token(names["participant_token"]) is not None
        assert realtime.verify_participant_token(names["stage_token"]) is not None
        assert realtime.verify_participant_token(names["disconnected_token"]) is None
        async with second.chat_client(max_attempts=1) as chat, second.realtime_client(max_attempts=1) as rt:
            with pytest.raises(ConflictException):  # still attached to the lobby
                await chat.delete_logging_configuration(identifier=names["logging"])
            again = await rt.start_composition(
                stage_arn=names["stage"], destinations=json.loads(names["destinations"]), idempotency_token="run-1",
                tags={"c": "1"},
            )  # fmt: skip
            assert again.composition is not None and again.composition.arn == names["composition"]
            with pytest.raises(realtime_errors.ConflictException):  # the token names that request only
                await rt.start_composition(
                    stage_arn=names["stage"], destinations=[{"channel": {"channel_arn": names["channel"]}}],
                    idempotency_token="run-1",
                )  # fmt: skip
            # The counters carry on: a room updated now lists first.
            await chat.update_room(identifier=names["lobby"], name="updated")
            assert [r.arn for r in (await chat.list_rooms(max_results=1)).rooms or []] == [names["lobby"]]
    assert second.unexpected_errors == 0


async def test_a_state_folder_keeps_rooms_and_stages_across_a_restart(tmp_path: Path) -> None:
    async with LocalIvs(state_dir=tmp_path) as first:
        names = await populate(first)
        before = await everything_listed(first)
    saved = json.loads(first.snapshot())
    assert json.loads((tmp_path / "state.json").read_text()) == saved  # every change was written
    async with LocalIvs(state_dir=tmp_path) as second:
        assert json.loads(second.snapshot()) == saved
        assert await everything_listed(second) == before
        assert second._realtime.verify_participant_token(names["participant_token"]) is not None
        async with second.chat_client(max_attempts=1) as chat:
            await chat.delete_room(identifier=names["lobby"])
    async with LocalIvs(state_dir=tmp_path) as third, third.chat_client(max_attempts=1) as chat:
        assert names["lobby"] not in [r.arn for r in (await chat.list_rooms()).rooms or []]
        assert len((await chat.list_rooms()).rooms or []) == 3


async def test_a_failed_write_undoes_a_chat_change(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    async with LocalIvs(state_dir=tmp_path) as ivs, ivs.chat_client(max_attempts=1) as chat:
        await chat.create_room(name="before")

        def crash(src: object, dst: object) -> None:
            raise OSError("the disk is gone")

        monkeypatch.setattr(os, "replace", crash)
        with pytest.raises(InternalServerException, match="could not save its state"):
            await chat.create_room(name="lost")
        monkeypatch.undo()
        assert [r.name for r in (await chat.list_rooms()).rooms or []] == ["before"]
    async with LocalIvs(state_dir=tmp_path) as again, again.chat_client(max_attempts=1) as chat:
        assert [r.name for r in (await chat.list_rooms()).rooms or []] == ["before"]


def test_the_command_line_state_folder_keeps_rooms_and_stages(tmp_path: Path) -> None:
    credentials = StaticCredentials("AKIALOCALIVSEXAMPLE0", "localIvsSecretKeyForTestsOnly/EXAMPLE000")

    async def create(endpoint: str) -> None:
        async with (
            IvsChat(region="us-west-2", endpoint=endpoint, credentials=credentials, max_attempts=1) as chat,
            IvsRealTime(region="us-west-2", endpoint=endpoint, credentials=credentials, max_attempts=1) as rt,
        ):
            await chat.create_room(name="kept", tags={"a": "b"})
            await rt.create_stage(name="studio")

    async def listed(endpoint: str) -> tuple[list[Any], list[Any]]:
        async with (
            IvsChat(region="us-west-2", endpoint=endpoint, credentials=credentials, max_attempts=1) as chat,
            IvsRealTime(region="us-west-2", endpoint=endpoint, credentials=credentials, max_attempts=1) as rt,
        ):
            rooms = [(r.name, r.tags) for r in (await chat.list_rooms()).rooms or []]
            return rooms, [s.name for s in (await rt.list_stages()).stages or []]

    for step in ("create", "restart"):
        process, endpoint, _ = serve_from_command_line("--state-dir", str(tmp_path))
        try:
            if step == "create":
                asyncio.run(create(endpoint))
            else:
                assert asyncio.run(listed(endpoint)) == ([("kept", {"a": "b"})], ["studio"])
            process.send_signal(signal.SIGINT)
            _, err = process.communicate(timeout=20)
        finally:
            process.kill()
        assert process.returncode == 0, err


def test_a_snapshot_of_an_earlier_version_leaves_chat_and_realtime_empty() -> None:
    ivs = LocalIvs()
    ivs.load(json.dumps(VALID))
    older = {k: v for k, v in VALID.items() if k not in ("chat", "realtime")}
    ivs.load(json.dumps(older))
    state = json.loads(ivs.snapshot())
    assert state["chat"] == {"rooms": {}, "loggingConfigurations": {}, "sequence": 0}
    assert all(not found for found in state["realtime"]["resources"].values())
    assert state["resources"] == VALID["resources"]


def test_each_backend_loads_its_own_snapshot_or_refuses_it_whole() -> None:
    def now() -> datetime:
        return datetime(2025, 1, 1, tzinfo=UTC)

    chat = ChatBackend(region="us-west-2", account_id="123456789012", clock=now)
    chat.load(VALID["chat"])
    assert chat.snapshot() == VALID["chat"]
    bad = copy.deepcopy(VALID["chat"])
    next(iter(bad["rooms"].values()))["maximumMessageLength"] = 501
    with pytest.raises(EmulatorError, match="maximumMessageLength"):
        chat.load(bad)
    assert chat.snapshot() == VALID["chat"]

    realtime = RealTimeBackend(region="us-west-2", account_id="123456789012", clock=now)
    realtime.load(VALID["realtime"])
    assert realtime.snapshot() == VALID["realtime"]
    bad = copy.deepcopy(VALID["realtime"])
    next(iter(bad["resources"]["encoder-configuration"].values()))["video"]["width"] = 1281
    with pytest.raises(EmulatorError, match="video"):
        realtime.load(bad)
    assert realtime.snapshot() == VALID["realtime"]


# -- hostile states ---------------------------------------------------------------------------------------


def first(part: dict[str, Any]) -> Any:
    return next(iter(part.values()))


def lobby(s: dict[str, Any]) -> dict[str, Any]:
    room: dict[str, Any] = s["chat"]["rooms"][NAMES["lobby"].rsplit("/", 1)[1]]
    return room


def resources(s: dict[str, Any], kind: str) -> dict[str, Any]:
    found: dict[str, Any] = s["realtime"]["resources"][kind]
    return found


def running(s: dict[str, Any]) -> dict[str, Any]:
    composition: dict[str, Any] = resources(s, "composition")[NAMES["composition"]]
    return composition


def rekey(table: dict[str, Any], old: str, new: str) -> None:
    table[new] = table.pop(old)


OTHER_STAGE = "arn:aws:ivs:us-west-2:123456789012:stage/AAAAAAAAAAAA"
NOT_A_KEY = "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----"
SPOILED: dict[str, tuple[Callable[[dict[str, Any]], object], str]] = {
    # IVS Chat
    "chat that is a list": (lambda s: s.update(chat=[]), "chat must hold exactly"),
    "chat that is null": (lambda s: s.update(chat=None), "chat must hold exactly"),
    "an unknown part of chat": (lambda s: s["chat"].update(extra={}), "chat must hold exactly"),
    "a room of another account": (
        lambda s: lobby(s).update(arn=lobby(s)["arn"].replace("123456789012", "999999999999")),
        "arn must be its ARN",
    ),
    "a room kept under another id": (lambda s: rekey(s["chat"]["rooms"], lobby(s)["id"], "BBBBBBBBBBBB"), ".id"),
    "a room name too long": (lambda s: lobby(s).update(name="n" * 200), "name"),
    "a room name of the wrong type": (lambda s: lobby(s).update(name=7), "name"),
    "a message rate beyond the API's": (lambda s: lobby(s).update(maximumMessageRatePerSecond=101), "RatePerSecond"),
    "a room of a logging configuration not kept": (
        lambda s: lobby(s)["loggingConfigurationIdentifiers"].append(NAMES["logging"][:-1] + "Z"),
        "loggingConfigurationIdentifiers",
    ),
    "a logging configuration named twice": (
        lambda s: lobby(s).update(loggingConfigurationIdentifiers=[NAMES["logging"]] * 2),
        "loggingConfigurationIdentifiers",
    ),
    "four logging configurations on a room": (
        lambda s: lobby(s).update(loggingConfigurationIdentifiers=[NAMES["logging"]] * 4),
        "loggingConfigurationIdentifiers",
    ),
    "a member a room does not have": (lambda s: lobby(s).update(rogue=1), "rogue"),
    "a member deep inside a room": (lambda s: lobby(s)["messageReviewHandler"].update(rogue=1), "rogue"),
    "a review handler that is no Lambda": (lambda s: lobby(s)["messageReviewHandler"].update(uri="http://x"), "uri"),
    "a null member": (lambda s: lobby(s).update(messageReviewHandler=None), "null"),
    "a reserved tag key": (lambda s: lobby(s)["tags"].update({"aws:x": "y"}), "tags"),
    "51 tags": (lambda s: lobby(s).update(tags={f"k{n}": "v" for n in range(51)}), "tags"),
    "a time that is not one": (lambda s: lobby(s).update(createTime="yesterday"), "createTime"),
    "a time of another form": (lambda s: lobby(s).update(updateTime="2025-01-01T00:00:00Z"), "updateTime"),
    "two resources in one place of the order": (
        lambda s: lobby(s).update(_seq=first(s["chat"]["loggingConfigurations"])["_seq"]),
        "_seq",
    ),
    "an order beyond the sequence": (lambda s: lobby(s).update(_seq=10**6), "_seq"),
    "a sequence that is text": (lambda s: s["chat"].update(sequence="9"), "sequence"),
    "a logging configuration with two destinations": (
        lambda s: first(s["chat"]["loggingConfigurations"])["destinationConfiguration"].update(
            firehose={"deliveryStreamName": "x"}
        ),
        "union",
    ),
    "a bucket that climbs": (
        lambda s: first(s["chat"]["loggingConfigurations"])["destinationConfiguration"].update(
            s3={"bucketName": "../../etc"}
        ),
        "bucketName",
    ),
    "a logging configuration still being created": (
        lambda s: first(s["chat"]["loggingConfigurations"]).update(state="CREATING"),
        "state",
    ),
    # IVS Real-Time
    "realtime that is text": (lambda s: s.update(realtime="x"), "realtime must hold exactly"),
    "a resource kind IVS Real-Time does not have": (
        lambda s: s["realtime"]["resources"].update(channel={}),
        "realtime.resources must hold exactly",
    ),
    "a stage of another region": (
        lambda s: rekey(resources(s, "stage"), NAMES["stage"], NAMES["stage"].replace("us-west-2", "eu-west-1")),
        "is not an ARN of a stage of this account",
    ),
    "a stage under an ARN of another kind": (
        lambda s: rekey(resources(s, "stage"), NAMES["stage"], NAMES["stage"].replace("stage/", "channel/")),
        "is not an ARN of a stage",
    ),
    "a stage that holds another ARN": (lambda s: resources(s, "stage")[NAMES["stage"]].update(arn=OTHER_STAGE), "ARN"),
    "a stage name with spaces": (lambda s: resources(s, "stage")[NAMES["stage"]].update(name="a b"), "name"),
    "stage tags that are a list": (lambda s: resources(s, "stage")[NAMES["stage"]].update(tags=[1]), "tags"),
    "a stage recording to storage not kept": (
        lambda s: resources(s, "stage")[NAMES["stage"]]["autoParticipantRecordingConfiguration"].update(
            storageConfigurationArn=OTHER_STAGE.replace("stage/", "storage-configuration/")
        ),
        "storageConfigurationArn",
    ),
    "a stage's recording without its defaults": (
        lambda s: resources(s, "stage")[NAMES["stage"]]["autoParticipantRecordingConfiguration"].pop("mediaTypes"),
        "autoParticipantRecordingConfiguration",
    ),
    "an encoder of odd width": (
        lambda s: first(resources(s, "encoder-configuration"))["video"].update(width=1281),
        "video",
    ),
    "an encoder larger than 1080p": (
        lambda s: first(resources(s, "encoder-configuration"))["video"].update(width=1920, height=1920),
        "video",
    ),
    "a bucket named as an IP address": (
        lambda s: first(resources(s, "storage-configuration"))["s3"].update(bucketName="192.168.1.1"),
        "bucketName",
    ),
    "a stream key of another resource": (
        lambda s: first(resources(s, "ingest-configuration")).update(streamKey="rt_123456789012_us-west-2_x_y"),
        "streamKey",
    ),
    "an active ingest configuration": (
        lambda s: first(resources(s, "ingest-configuration")).update(state="ACTIVE"),
        "state",
    ),
    "redundant ingest without its credentials": (
        lambda s: first(resources(s, "ingest-configuration")).pop("redundantIngestCredentials"),
        "redundantIngestCredentials",
    ),
    "ingest attributes beyond 1 KB": (
        lambda s: first(resources(s, "ingest-configuration")).update(attributes={"a": "b" * 1024}),
        "attributes",
    ),
    "a public key's fingerprint of another": (
        lambda s: first(resources(s, "public-key")).update(fingerprint="00:" * 15 + "00"),
        "fingerprint",
    ),
    "a public key that is not one": (
        lambda s: first(resources(s, "public-key")).update(publicKeyMaterial=NOT_A_KEY),
        "publicKeyMaterial",
    ),
    "a running composition of no stage": (lambda s: running(s).update(stageArn=OTHER_STAGE), "stageArn"),
    "a composition of another account's stage": (
        lambda s: running(s).update(stageArn=OTHER_STAGE.replace("123456789012", "999999999999")),
        "stageArn",
    ),
    "a composition state IVS does not have": (lambda s: running(s).update(state="PAUSED"), "state"),
    "a composition with two channel destinations": (
        lambda s: running(s)["destinations"].__setitem__(0, copy.deepcopy(running(s)["destinations"][1])),
        "destinations",
    ),
    "a channel destination of another account": (
        lambda s: running(s)["destinations"][1]["configuration"]["channel"].update(
            channelArn=NAMES["channel"].replace("123456789012", "999999999999")
        ),
        "channelArn",
    ),
    "a running composition of an encoder not kept": (
        lambda s: running(s)["destinations"][0]["configuration"]["s3"].update(
            encoderConfigurationArns=[OTHER_STAGE.replace("stage/", "encoder-configuration/")]
        ),
        "configuration",
    ),
    "a timeline that says a running composition ended": (
        lambda s: s["realtime"]["lifecycles"][NAMES["composition"]].update(endedAt=5),
        "endedAt",
    ),
    "a timeline beyond the year 9999": (
        lambda s: s["realtime"]["lifecycles"][NAMES["composition"]].update(activeAt=1e300),
        "activeAt",
    ),
    "a timeline of no composition": (lambda s: s["realtime"]["lifecycles"].update({OTHER_STAGE: {}}), "lifecycles"),
    "an idempotency token of no composition": (
        lambda s: s["realtime"]["idempotency"]["run-1"].update(arn=OTHER_STAGE),
        "idempotency",
    ),
    "an idempotency token of the wrong form": (
        lambda s: rekey(s["realtime"]["idempotency"], "run-1", "a b"),
        "idempotency",
    ),
    "revocations beyond their bound": (
        lambda s: s["realtime"].update(revokedTokens=[f"t{n}" for n in range(10_001)]),
        "revokedTokens",
    ),
    "a revocation of no token id": (lambda s: s["realtime"].update(revokedTokens=[["x"]]), "revokedTokens"),
    "a disconnection of no stage": (lambda s: s["realtime"].update(disconnected=[[OTHER_STAGE, "p"]]), "disconnected"),
    "a disconnection that is an object": (lambda s: s["realtime"].update(disconnected=[{"a": 1}]), "disconnected"),
    "a token key of the wrong size": (lambda s: s["realtime"].update(tokenKey="AAAA"), "tokenKey"),
    "a token key that is not base64": (lambda s: s["realtime"].update(tokenKey="!" * 64), "tokenKey"),
}


def spoiled(change: Callable[[dict[str, Any]], object]) -> str:
    state = copy.deepcopy(VALID)
    change(state)
    return json.dumps(state)


@pytest.mark.parametrize("name", sorted(SPOILED))
def test_a_chat_or_realtime_part_of_the_wrong_shape_is_refused_by_name(name: str) -> None:
    change, where = SPOILED[name]
    ivs = LocalIvs()
    ivs.load(json.dumps(VALID))
    before = ivs.snapshot()
    with pytest.raises(EmulatorError, match=re.escape(where)) as refused:
        ivs.load(spoiled(change))
    assert ivs.snapshot() == before  # nothing of it was taken, in any service
    for secret in (NAMES["stream_key"], VALID["realtime"]["tokenKey"]):
        assert secret not in str(refused.value)


def test_a_bad_part_in_one_service_keeps_the_others_as_they_were() -> None:
    ivs = LocalIvs()
    before = ivs.snapshot()
    with pytest.raises(EmulatorError, match="tokenKey"):
        ivs.load(spoiled(lambda s: s["realtime"].update(tokenKey="")))  # IVS's and chat's parts are fine
    assert ivs.snapshot() == before


@pytest.mark.parametrize(
    ("options", "where"),
    [
        ({"chat_quotas": ChatQuotas(rooms=3)}, "chat.rooms must hold at most 3"),
        ({"chat_quotas": ChatQuotas(logging_configurations=2)}, "chat.loggingConfigurations"),
        ({"realtime_quotas": RealTimeQuotas(stages=0)}, "resources.stage must hold at most 0"),
        ({"realtime_quotas": RealTimeQuotas(public_keys=0)}, "resources.public-key"),
        ({"realtime_quotas": RealTimeQuotas(ingest_configurations=1)}, "resources.ingest-configuration"),
        ({"realtime_quotas": RealTimeQuotas(compositions=0)}, "running (the quota)"),
        ({"realtime_quotas": RealTimeQuotas(compositions_per_stage=0)}, "per stage"),
    ],
)
def test_a_state_over_a_quota_is_refused(options: dict[str, Any], where: str) -> None:
    ivs = LocalIvs(**options)
    before = ivs.snapshot()
    with pytest.raises(EmulatorError, match=re.escape(where)):
        ivs.load(json.dumps(VALID))
    assert ivs.snapshot() == before


def test_a_state_larger_than_the_bound_is_refused_in_all() -> None:
    ivs = LocalIvs()
    huge = spoiled(lambda s: lobby(s)["tags"].update(big="x" * MAX_STATE_BYTES))
    with pytest.raises(EmulatorError, match="larger than"):
        ivs.load(huge)
    assert json.loads(ivs.snapshot())["chat"]["rooms"] == {}


# -- fuzzing ----------------------------------------------------------------------------------------------


def paths(value: Any, at: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every place in ``value``, itself included."""
    found = [at]
    if isinstance(value, dict):
        for key, item in value.items():
            found += paths(item, (*at, key))
    elif isinstance(value, list):
        for n, item in enumerate(value[:3]):
            found += paths(item, (*at, n))
    return found


PLACES = [("chat", *p) for p in paths(VALID["chat"])] + [("realtime", *p) for p in paths(VALID["realtime"])]
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20) | st.sampled_from(["", "ACTIVE", "STOPPED", NAMES["stage"], NAMES["logging"], OTHER_STAGE]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=6,
)  # fmt: skip


class Clock:
    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now


def exercise(ivs: LocalIvs, clock: Clock) -> None:
    """Every read, and the updates and deletes, of every chat and realtime resource: each answers
    or raises the service's error; then the state still loads."""
    chat, realtime = ivs._chat, ivs._realtime
    state = json.loads(ivs.snapshot())
    calls: list[tuple[ChatBackend | RealTimeBackend, str, dict[str, Any]]] = [
        (chat, "ListRooms", {}), (chat, "ListLoggingConfigurations", {}),
    ]  # fmt: skip
    for room in state["chat"]["rooms"].values():
        arn = room["arn"]
        calls += [(chat, "GetRoom", {"identifier": arn}), (chat, "UpdateRoom", {"identifier": arn, "name": "x"}),
                  (chat, "CreateChatToken", {"roomIdentifier": arn, "userId": "u"}),
                  (chat, "ListTagsForResource", {"resourceArn": arn})]  # fmt: skip
    for config in state["chat"]["loggingConfigurations"].values():
        calls += [(chat, "GetLoggingConfiguration", {"identifier": config["arn"]}),
                  (chat, "DeleteLoggingConfiguration", {"identifier": config["arn"]})]  # fmt: skip
    calls += [(chat, "DeleteRoom", {"identifier": room["arn"]}) for room in state["chat"]["rooms"].values()]
    for operation in ("ListStages", "ListCompositions", "ListEncoderConfigurations", "ListStorageConfigurations",
                      "ListIngestConfigurations", "ListPublicKeys"):  # fmt: skip
        calls.append((realtime, operation, {}))
    found = state["realtime"]["resources"]
    for arn in found["composition"]:
        calls += [(realtime, "GetComposition", {"arn": arn}), (realtime, "StopComposition", {"arn": arn})]
    for arn in found["ingest-configuration"]:
        calls += [(realtime, "GetIngestConfiguration", {"arn": arn}),
                  (realtime, "UpdateIngestConfiguration", {"arn": arn, "redundantIngest": True})]  # fmt: skip
    for arn in found["stage"]:
        calls += [(realtime, "GetStage", {"arn": arn}), (realtime, "UpdateStage", {"arn": arn, "name": "x"}),
                  (realtime, "CreateParticipantToken", {"stageArn": arn}),
                  (realtime, "ListTagsForResource", {"resourceArn": arn})]  # fmt: skip
    deletes = {"stage": "DeleteStage", "encoder-configuration": "DeleteEncoderConfiguration",
               "storage-configuration": "DeleteStorageConfiguration",
               "ingest-configuration": "DeleteIngestConfiguration", "public-key": "DeletePublicKey"}  # fmt: skip
    for n, (backend, operation, request) in enumerate(calls):
        if n == len(calls) // 2:
            clock.now += timedelta(minutes=10)  # compositions start, stop and are forgotten
        with _answered():
            backend.handle(operation, request)
    for kind, operation in deletes.items():
        for arn in found[kind]:
            with _answered():
                realtime.handle(operation, {"arn": arn})
    LocalIvs().load(ivs.snapshot())


class _answered:
    """Lets a ServiceError (the service's answer) through, and nothing else."""

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: object) -> bool:
        return kind is not None and issubclass(kind, ServiceError)


def set_place(state: dict[str, Any], place: tuple[Any, ...], value: Any, *, remove: bool) -> None:
    *parents, last = place
    target: Any = state
    for step in parents:
        target = target[step]
    if remove:
        del target[last]
    else:
        target[last] = value


@settings(max_examples=300, deadline=None)
@given(place=st.sampled_from(PLACES), value=JSON_VALUES, remove=st.booleans())
def test_any_value_anywhere_in_chat_or_realtime_is_refused_or_serves(
    place: tuple[Any, ...], value: Any, remove: bool
) -> None:
    state = copy.deepcopy(VALID)
    set_place(state, place, value, remove=remove)
    clock = Clock()
    ivs = LocalIvs(clock=clock)
    ivs.load(json.dumps(VALID))
    before = ivs.snapshot()
    try:
        ivs.load(json.dumps(state))
    except EmulatorError:
        assert ivs.snapshot() == before
        return
    exercise(ivs, clock)


CHAT_STARTS = json.dumps(VALID).index('"chat": ')


@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_any_damage_to_the_chat_or_realtime_text_is_refused_or_serves(data: st.DataObject) -> None:
    text = bytearray(json.dumps(VALID).encode())
    for _ in range(data.draw(st.integers(1, 4))):
        text[data.draw(st.integers(CHAT_STARTS, len(text) - 1))] = data.draw(st.integers(32, 126))
    clock = Clock()
    ivs = LocalIvs(clock=clock)
    before = ivs.snapshot()
    try:
        ivs.load(text.decode("utf-8", "replace"))
    except EmulatorError:
        assert ivs.snapshot() == before
        return
    exercise(ivs, clock)

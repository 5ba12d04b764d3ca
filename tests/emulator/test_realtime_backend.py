"""IVS Local's IVS Real-Time control plane (RealTimeBackend), operation by operation, through
``handle`` with wire dicts: defaults, IVS's errors, pagination, quotas, the compositions' life on a
fake clock, idempotency. Every request sent is one the model accepts and every answer is checked
against the model's output shape; every error must be one the model lists for its operation."""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import re
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from ivs_async._generated.ivs_realtime.commands import OPERATIONS
from ivs_async.testing._backend import ServiceError, parse_time
from ivs_async.testing._keys import fingerprint, read_p384_public_key
from ivs_async.testing._realtime import COMPOSITION_IDLE_TIMEOUT, RESOURCE_TYPES, RealTimeBackend, RealTimeQuotas
from ivs_async.testing._realtime._core import DEFAULT_PAGE_SIZES
from ivs_async.testing._realtime.configurations import bucket_name_problem
from tests.support.shapes import ANY_JSON, mutated, reference_wire, sample_wire, valid

Json = dict[str, Any]
ROOT = Path(__file__).resolve().parent.parent.parent
MODEL: Json = json.loads((ROOT / "codegen" / "model" / "ivs-realtime" / "service-2.json").read_text())
REGION, ACCOUNT = "us-west-2", "123456789012"
START = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)
ID = re.compile(r"[a-zA-Z0-9]{12}")
# The model's ResourceArn allows a one-letter resource type only (codegen/overrides.py fixes it).
PATTERN_FIXES = {"ResourceArn": "arn:aws:ivs:[a-z0-9-]+:[0-9]+:[a-z-]+/[a-zA-Z0-9-]+"}


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


# -- the model as judge -----------------------------------------------------------------------------


def conform(shape_name: str, value: Any, path: str = "") -> list[str]:
    """Every way ``value`` (wire JSON) breaks the model's shape ``shape_name``."""
    shape = MODEL["shapes"][shape_name]
    kind, where = shape["type"], path or "<top>"
    if kind == "structure":
        if not isinstance(value, dict):
            return [f"{where}: not an object"]
        members = {n: m for n, m in shape["members"].items() if m.get("location") not in ("header", "querystring")}
        uri = {n for n, m in shape["members"].items() if m.get("location") in ("uri", "querystring")}
        problems = [f"{where}.{n}: not a member" for n in value if n not in members and n not in uri]
        problems += [f"{where}.{n}: required" for n in shape.get("required", []) if n not in value]
        for name, member in shape["members"].items():
            if name in value:
                problems += conform(member["shape"], value[name], f"{path}.{name}")
        return problems
    if kind == "list":
        if not isinstance(value, list):
            return [f"{where}: not a list"]
        problems = [] if _within(shape, len(value)) else [f"{where}: {len(value)} items"]
        for i, item in enumerate(value):
            problems += conform(shape["member"]["shape"], item, f"{path}[{i}]")
        return problems
    if kind == "map":
        if not isinstance(value, dict):
            return [f"{where}: not an object"]
        problems = [] if _within(shape, len(value)) else [f"{where}: {len(value)} entries"]
        for k, v in value.items():
            problems += conform(shape["key"]["shape"], k, f"{path}<{k}>") + conform(shape["value"]["shape"], v, path)
        return problems
    if kind == "string":
        if not isinstance(value, str):
            return [f"{where}: not a string"]
        if "enum" in shape and value not in shape["enum"]:
            return [f"{where}: {value!r} not in the enum"]
        pattern = PATTERN_FIXES.get(shape_name, shape.get("pattern"))
        if (
            pattern is not None
            and re.fullmatch(pattern, value, re.DOTALL if shape_name == "PublicKeyMaterial" else 0) is None
        ):
            return [f"{where}: {value[:60]!r} does not match {pattern}"]
        return [] if _within(shape, len(value)) else [f"{where}: length {len(value)}"]
    if kind in ("integer", "long"):
        ok = isinstance(value, int) and not isinstance(value, bool) and _within(shape, value)
        return [] if ok else [f"{where}: {value!r} is no integer in range"]
    if kind == "float":
        ok = isinstance(value, int | float) and not isinstance(value, bool) and _within(shape, value)
        return [] if ok else [f"{where}: {value!r} is no number in range"]
    if kind == "boolean":
        return [] if isinstance(value, bool) else [f"{where}: not a boolean"]
    if kind == "timestamp":
        try:
            parse_time(value)
        except (TypeError, ValueError):
            return [f"{where}: {value!r} is no time"]
        return []
    raise AssertionError(kind)


def _within(shape: Json, measure: float) -> bool:
    return shape.get("min", measure) <= measure <= shape.get("max", measure)


def call(backend: RealTimeBackend, operation: str, request: Json | None = None) -> Json:
    """``operation`` through ``handle``: the request must be valid and the answer must be too."""
    request = request or {}
    op = MODEL["operations"][operation]
    assert conform(op["input"]["shape"], request) == [], "the test sent a request the model refuses"
    response = backend.handle(operation, copy.deepcopy(request))
    problems = conform(op["output"]["shape"], response)
    assert problems == [], problems
    json.dumps(response)
    return response


def fails(backend: RealTimeBackend, operation: str, request: Json, code: str) -> ServiceError:
    """``operation`` must fail with ``code``, one of the errors the model lists for it."""
    assert code in {e["shape"] for e in MODEL["operations"][operation].get("errors", [])}, (operation, code)
    assert conform(MODEL["operations"][operation]["input"]["shape"], request) == []
    with pytest.raises(ServiceError) as caught:
        backend.handle(operation, copy.deepcopy(request))
    assert caught.value.code == code, caught.value
    return caught.value


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def rt(clock: Clock) -> RealTimeBackend:
    return RealTimeBackend(region=REGION, account_id=ACCOUNT, clock=clock, seed=7)


def arn_of(kind: str, resource_id: str = "AbCdEfGh1234") -> str:
    return f"arn:aws:ivs:{REGION}:{ACCOUNT}:{kind}/{resource_id}"


def stage(rt: RealTimeBackend, **request: Any) -> Json:
    created: Json = call(rt, "CreateStage", request)["stage"]
    return created


def storage(rt: RealTimeBackend, bucket: str = "my-bucket") -> Json:
    created: Json = call(rt, "CreateStorageConfiguration", {"s3": {"bucketName": bucket}})["storageConfiguration"]
    return created


def encoder(rt: RealTimeBackend, **request: Any) -> Json:
    created: Json = call(rt, "CreateEncoderConfiguration", request)["encoderConfiguration"]
    return created


def channel_destination(channel_id: str = "ChAnNeL12345") -> Json:
    return {"channel": {"channelArn": arn_of("channel", channel_id)}}


def compose(rt: RealTimeBackend, stage_arn: str, **request: Any) -> Json:
    request = {"stageArn": stage_arn, "destinations": [channel_destination()], **request}
    created: Json = call(rt, "StartComposition", request)["composition"]
    return created


def public_key_pem(curve: ec.EllipticCurve | None = None) -> str:
    key = ec.generate_private_key(curve or ec.SECP384R1())
    public = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    return public.decode()


def claims_of(token: str) -> Json:
    payload = token.split(".")[1]
    decoded: Json = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return decoded


# -- the backend and the model ------------------------------------------------------------------------


def test_every_operation_of_the_model_has_a_handler() -> None:
    assert sorted(OPERATIONS) == sorted(MODEL["operations"])
    assert len(OPERATIONS) == 40
    backend = RealTimeBackend(region=REGION, account_id=ACCOUNT, clock=Clock())
    assert all(callable(backend._handlers[name]) for name in OPERATIONS)


def test_default_page_sizes_cover_every_list_operation_within_the_model() -> None:
    listing = {
        name
        for name, op in MODEL["operations"].items()
        if "maxResults" in MODEL["shapes"][op["input"]["shape"]]["members"]
    }
    assert set(DEFAULT_PAGE_SIZES) == listing
    for name, size in DEFAULT_PAGE_SIZES.items():
        member = MODEL["shapes"][MODEL["operations"][name]["input"]["shape"]]["members"]["maxResults"]
        assert 1 <= size <= MODEL["shapes"][member["shape"]]["max"], name


def test_resource_types_are_the_arn_types_of_the_model() -> None:
    types = set()
    for name, shape in MODEL["shapes"].items():
        found = re.fullmatch(r"arn:aws:ivs:\[a-z0-9-\]\+:\[0-9\]\+:([a-z-]+)/.*", shape.get("pattern", "").strip("^$"))
        if name.endswith("Arn") and found and found.group(1) != "channel":
            types.add(found.group(1))
    assert set(RESOURCE_TYPES) == types


def test_unknown_operation_is_a_validation_error(rt: RealTimeBackend) -> None:
    with pytest.raises(ServiceError) as caught:
        rt.handle("CreateChannel", {})
    assert caught.value.code == "ValidationException"


def test_answers_are_copies_the_caller_cannot_change_the_state_through(rt: RealTimeBackend) -> None:
    created = stage(rt, name="one")
    created["name"] = "changed"
    created["tags"]["x"] = "y"
    created["autoParticipantRecordingConfiguration"]["mediaTypes"].append("AUDIO_ONLY")
    again = call(rt, "GetStage", {"arn": created["arn"]})["stage"]
    assert again["name"] == "one"
    assert again["tags"] == {}
    assert again["autoParticipantRecordingConfiguration"]["mediaTypes"] == ["AUDIO_VIDEO"]


def test_reset_forgets_everything(rt: RealTimeBackend) -> None:
    made = stage(rt)
    encoder(rt)
    rt.reset()
    fails(rt, "GetStage", {"arn": made["arn"]}, "ResourceNotFoundException")
    assert call(rt, "ListStages")["stages"] == []
    assert call(rt, "ListEncoderConfigurations")["encoderConfigurations"] == []


def test_same_seed_same_ids(clock: Clock) -> None:
    one = RealTimeBackend(region=REGION, account_id=ACCOUNT, clock=clock, seed=3)
    two = RealTimeBackend(region=REGION, account_id=ACCOUNT, clock=clock, seed=3)
    assert stage(one)["arn"] == stage(two)["arn"]


# -- stages -----------------------------------------------------------------------------------------


def test_create_stage_answers_ivs_defaults_and_endpoints(rt: RealTimeBackend) -> None:
    made = stage(rt)
    assert re.fullmatch(rf"arn:aws:ivs:{REGION}:{ACCOUNT}:stage/[a-zA-Z0-9]{{12}}", made["arn"])
    assert made["name"] == ""
    assert made["tags"] == {}
    assert "activeSessionId" not in made  # no participant, no session
    assert made["autoParticipantRecordingConfiguration"] == {
        "storageConfigurationArn": "",
        "mediaTypes": ["AUDIO_VIDEO"],
        "thumbnailConfiguration": {"targetIntervalSeconds": 60, "storage": ["SEQUENTIAL"], "recordingMode": "DISABLED"},
        "recordingReconnectWindowSeconds": 0,
        "hlsConfiguration": {"targetSegmentDurationSeconds": 6},
        "recordParticipantReplicas": True,
    }
    assert set(made["endpoints"]) == {"events", "whip", "rtmp", "rtmps"}


def test_stage_endpoints_follow_where_the_emulator_listens(rt: RealTimeBackend) -> None:
    made = stage(rt)
    rt.origin, rt.rtmp_url, rt.rtmps_url = "http://127.0.0.1:4567", "rtmp://h:1/app/", "rtmps://h:2/app/"
    shown = call(rt, "GetStage", {"arn": made["arn"]})["stage"]["endpoints"]
    assert shown == {
        "events": "ws://127.0.0.1:4567/realtime/events",
        "whip": "http://127.0.0.1:4567/realtime/whip",
        "rtmp": "rtmp://h:1/app/",
        "rtmps": "rtmps://h:2/app/",
    }


def test_create_stage_returns_a_token_per_configuration(rt: RealTimeBackend, clock: Clock) -> None:
    answer = call(
        rt,
        "CreateStage",
        {
            "name": "show",
            "tags": {"team": "a"},
            "participantTokenConfigurations": [
                {"userId": "alice", "capabilities": ["PUBLISH"], "duration": 60, "attributes": {"role": "host"}},
                {"userId": "bob"},
            ],
        },
    )
    made, tokens = answer["stage"], answer["participantTokens"]
    assert (made["name"], made["tags"]) == ("show", {"team": "a"})
    assert [t["userId"] for t in tokens] == ["alice", "bob"]
    alice, bob = tokens
    assert alice["capabilities"] == ["PUBLISH"] and alice["duration"] == 60
    assert alice["attributes"] == {"role": "host"}
    assert parse_time(alice["expirationTime"]) == clock.now + timedelta(minutes=60)
    assert bob["capabilities"] == ["PUBLISH", "SUBSCRIBE"] and bob["duration"] == 720
    assert claims_of(alice["token"])["resource"] == made["arn"]
    assert alice["participantId"] != bob["participantId"]


def test_get_update_delete_stage(rt: RealTimeBackend) -> None:
    made = stage(rt, name="before")
    assert call(rt, "GetStage", {"arn": made["arn"]})["stage"] == made
    updated = call(rt, "UpdateStage", {"arn": made["arn"], "name": "after"})["stage"]
    assert updated["name"] == "after"
    assert updated["autoParticipantRecordingConfiguration"] == made["autoParticipantRecordingConfiguration"]
    assert call(rt, "DeleteStage", {"arn": made["arn"]}) == {}
    fails(rt, "GetStage", {"arn": made["arn"]}, "ResourceNotFoundException")
    fails(rt, "UpdateStage", {"arn": made["arn"], "name": "x"}, "ResourceNotFoundException")
    fails(rt, "DeleteStage", {"arn": made["arn"]}, "ResourceNotFoundException")


def test_stage_of_another_account_or_region_is_not_found(rt: RealTimeBackend) -> None:
    made = stage(rt)
    stage_id = made["arn"].rsplit("/", 1)[1]
    fails(rt, "GetStage", {"arn": f"arn:aws:ivs:eu-west-1:{ACCOUNT}:stage/{stage_id}"}, "ResourceNotFoundException")
    fails(rt, "GetStage", {"arn": f"arn:aws:ivs:{REGION}:999999999999:stage/{stage_id}"}, "ResourceNotFoundException")


def test_stage_records_participants_to_a_storage_configuration(rt: RealTimeBackend) -> None:
    bucket = storage(rt)
    asked = {
        "storageConfigurationArn": bucket["arn"],
        "recordingReconnectWindowSeconds": 100,
        "thumbnailConfiguration": {"recordingMode": "INTERVAL", "targetIntervalSeconds": 30},
        "hlsConfiguration": {"targetSegmentDurationSeconds": 5},
    }
    made = stage(rt, autoParticipantRecordingConfiguration=asked)
    recording = made["autoParticipantRecordingConfiguration"]
    assert recording["storageConfigurationArn"] == bucket["arn"]
    assert recording["recordingReconnectWindowSeconds"] == 100
    assert recording["thumbnailConfiguration"] == {
        "targetIntervalSeconds": 30,
        "storage": ["SEQUENTIAL"],
        "recordingMode": "INTERVAL",
    }
    assert recording["hlsConfiguration"] == {"targetSegmentDurationSeconds": 5}
    assert recording["mediaTypes"] == ["AUDIO_VIDEO"] and recording["recordParticipantReplicas"] is True
    # "" turns recording off, and every other member goes back to its default.
    off = {"storageConfigurationArn": "", "recordingReconnectWindowSeconds": 200}
    updated = call(rt, "UpdateStage", {"arn": made["arn"], "autoParticipantRecordingConfiguration": off})["stage"]
    assert updated["autoParticipantRecordingConfiguration"] == stage(rt)["autoParticipantRecordingConfiguration"]


def test_stage_recording_needs_an_existing_storage_configuration(rt: RealTimeBackend) -> None:
    missing = {"storageConfigurationArn": arn_of("storage-configuration")}
    fails(rt, "CreateStage", {"autoParticipantRecordingConfiguration": missing}, "ValidationException")
    made = stage(rt)
    fails(rt, "UpdateStage", {"arn": made["arn"], "autoParticipantRecordingConfiguration": missing},
          "ValidationException")  # fmt: skip


def test_thumbnail_interval_is_only_for_interval_mode(rt: RealTimeBackend) -> None:
    bucket = storage(rt)
    asked = {"storageConfigurationArn": bucket["arn"], "thumbnailConfiguration": {"targetIntervalSeconds": 30}}
    error = fails(rt, "CreateStage", {"autoParticipantRecordingConfiguration": asked}, "ValidationException")
    assert "recordingMode" in error.message


def test_list_stages_pages_through_all_of_them(rt: RealTimeBackend) -> None:
    made = {stage(rt, name=f"s{i}")["arn"] for i in range(5)}
    seen: list[str] = []
    request: Json = {"maxResults": 2}
    pages = 0
    while True:
        page = call(rt, "ListStages", request)
        pages += 1
        assert len(page["stages"]) <= 2
        assert all(set(s) <= {"arn", "name", "activeSessionId", "tags"} for s in page["stages"])
        seen += [s["arn"] for s in page["stages"]]
        if "nextToken" not in page:
            break
        request = {"maxResults": 2, "nextToken": page["nextToken"]}
    assert pages == 3
    assert sorted(seen) == sorted(made) and len(seen) == 5
    assert len(call(rt, "ListStages")["stages"]) == 5  # default page: 50


def test_default_page_is_50_stages(rt: RealTimeBackend) -> None:
    for _ in range(51):
        stage(rt)
    first = call(rt, "ListStages")
    assert len(first["stages"]) == 50
    assert len(call(rt, "ListStages", {"nextToken": first["nextToken"]})["stages"]) == 1


def test_next_token_of_another_operation_is_refused(rt: RealTimeBackend) -> None:
    for _ in range(3):
        stage(rt)
    token = call(rt, "ListStages", {"maxResults": 1})["nextToken"]
    fails(rt, "ListPublicKeys", {"nextToken": token}, "ValidationException")
    fails(rt, "ListStages", {"nextToken": "bm90LWEtdG9rZW4="}, "ValidationException")


def test_stage_quota(clock: Clock) -> None:
    rt = RealTimeBackend(region=REGION, account_id=ACCOUNT, clock=clock, quotas=RealTimeQuotas(stages=2))
    stage(rt)
    stage(rt)
    error = fails(rt, "CreateStage", {}, "ServiceQuotaExceededException")
    assert "2 stages" in error.message


def test_published_quotas_are_the_defaults() -> None:
    quotas = RealTimeQuotas()
    assert (quotas.stages, quotas.encoder_configurations, quotas.storage_configurations) == (1000, 20, 5)
    assert (quotas.ingest_configurations, quotas.public_keys) == (100, 3)
    assert (quotas.compositions, quotas.compositions_per_stage, quotas.replications_per_participant) == (20, 5, 5)


# -- participant tokens -------------------------------------------------------------------------------


def test_participant_token_defaults(rt: RealTimeBackend, clock: Clock) -> None:
    made = stage(rt)
    token = call(rt, "CreateParticipantToken", {"stageArn": made["arn"]})["participantToken"]
    assert ID.fullmatch(token["participantId"])
    assert token["duration"] == 720
    assert token["capabilities"] == ["PUBLISH", "SUBSCRIBE"]
    assert token["attributes"] == {}
    assert "userId" not in token
    assert parse_time(token["expirationTime"]) == clock.now + timedelta(hours=12)


def test_participant_token_is_a_jwt_with_the_claims_ivs_documents(rt: RealTimeBackend, clock: Clock) -> None:
    made = stage(rt)
    request = {
        "stageArn": made["arn"],
        "userId": "carol",
        "duration": 90,
        "capabilities": ["SUBSCRIBE"],
        "attributes": {"seat": "3"},
    }
    token = call(rt, "CreateParticipantToken", request)["participantToken"]
    header = json.loads(base64.urlsafe_b64decode(token["token"].split(".")[0] + "=="))
    assert header == {"alg": "KMS", "typ": "JWT"}
    claims = claims_of(token["token"])
    assert claims["jti"] == token["participantId"]
    assert claims["resource"] == made["arn"]
    assert claims["topic"] == made["arn"].rsplit("/", 1)[1]
    assert claims["user_id"] == "carol"
    assert claims["attributes"] == {"seat": "3"}
    assert claims["capabilities"] == {"allow_publish": False, "allow_subscribe": True}
    assert claims["exp"] == int((clock.now + timedelta(minutes=90)).timestamp())
    assert claims["iat"] == int(clock.now.timestamp())
    assert claims["whip_url"] == made["endpoints"]["whip"] and claims["events_url"] == made["endpoints"]["events"]
    assert claims["version"] == "1.0"


def test_empty_capabilities_grant_nothing(rt: RealTimeBackend) -> None:
    made = stage(rt)
    token = call(rt, "CreateParticipantToken", {"stageArn": made["arn"], "capabilities": []})["participantToken"]
    assert token["capabilities"] == []
    assert claims_of(token["token"])["capabilities"] == {"allow_publish": False, "allow_subscribe": False}


def test_participant_token_needs_its_stage(rt: RealTimeBackend) -> None:
    fails(rt, "CreateParticipantToken", {"stageArn": arn_of("stage")}, "ResourceNotFoundException")


def test_attributes_are_limited_to_1kb_in_all(rt: RealTimeBackend) -> None:
    made = stage(rt)
    fits = {"a": "x" * 1023}
    call(rt, "CreateParticipantToken", {"stageArn": made["arn"], "attributes": fits})
    error = fails(rt, "CreateParticipantToken", {"stageArn": made["arn"], "attributes": {"ab": "x" * 1023}},
                  "ValidationException")  # fmt: skip
    assert "1024" in error.message
    fails(rt, "CreateStage", {"participantTokenConfigurations": [{"attributes": {"é": "x" * 1023}}]},
          "ValidationException")  # fmt: skip


def test_tokens_the_emulator_issued_verify_until_expired_disconnected_or_revoked(
    rt: RealTimeBackend, clock: Clock
) -> None:
    made = stage(rt)
    issue = lambda **more: call(rt, "CreateParticipantToken", {"stageArn": made["arn"], **more})["participantToken"]  # noqa: E731
    token = issue(duration=1)
    assert rt.verify_participant_token(token["token"])["jti"] == token["participantId"]  # type: ignore[index]
    header, payload, signature = token["token"].split(".")
    assert rt.verify_participant_token(f"{header}.{payload}.{signature[:-2]}AA") is None
    assert rt.verify_participant_token("not a token") is None
    clock.advance(61)
    assert rt.verify_participant_token(token["token"]) is None  # expired
    kept = issue()
    call(rt, "DisconnectParticipant", {"stageArn": made["arn"], "participantId": kept["participantId"]})
    assert rt.verify_participant_token(kept["token"]) is None
    revoked = issue()
    call(rt, "RevokeConnectionToken", {"tokenId": revoked["participantId"]})
    assert rt.verify_participant_token(revoked["token"]) is None
    other = issue()
    assert rt.verify_participant_token(other["token"]) is not None
    call(rt, "DeleteStage", {"arn": made["arn"]})
    assert rt.verify_participant_token(other["token"]) is None


def test_tokens_of_another_backend_do_not_verify(clock: Clock) -> None:
    one = RealTimeBackend(region=REGION, account_id=ACCOUNT, clock=clock)
    two = RealTimeBackend(region=REGION, account_id=ACCOUNT, clock=clock)
    made = stage(one)
    token = call(one, "CreateParticipantToken", {"stageArn": made["arn"]})["participantToken"]["token"]
    assert one.verify_participant_token(token) is not None
    assert two.verify_participant_token(token) is None


def test_disconnect_needs_the_stage_and_takes_any_participant_id(rt: RealTimeBackend) -> None:
    made = stage(rt)
    assert call(rt, "DisconnectParticipant", {"stageArn": made["arn"], "participantId": "selfSigned-jti"}) == {}
    fails(rt, "DisconnectParticipant", {"stageArn": arn_of("stage"), "participantId": "x"},
          "ResourceNotFoundException")  # fmt: skip


def test_revoking_any_token_id_succeeds(rt: RealTimeBackend) -> None:
    assert call(rt, "RevokeConnectionToken", {"tokenId": "never-issued"}) == {}


def test_revocations_are_bounded(rt: RealTimeBackend) -> None:
    for n in range(10_050):
        rt.handle("RevokeConnectionToken", {"tokenId": f"t{n}"})
    assert len(rt._state["revokedTokens"]) == 10_000
    assert "t10049" in rt._state["revokedTokens"] and "t0" not in rt._state["revokedTokens"]


# -- sessions, participants, events: a stage without media ------------------------------------------


def test_a_stage_without_media_has_no_sessions_participants_or_events(rt: RealTimeBackend) -> None:
    made = stage(rt)
    session = "st-AbCdEfGh12345"
    assert call(rt, "ListStageSessions", {"stageArn": made["arn"]}) == {"stageSessions": []}
    assert call(rt, "ListParticipants", {"stageArn": made["arn"], "sessionId": session}) == {"participants": []}
    events = {"stageArn": made["arn"], "sessionId": session, "participantId": "p1"}
    assert call(rt, "ListParticipantEvents", events) == {"events": []}
    fails(rt, "GetStageSession", {"stageArn": made["arn"], "sessionId": session}, "ResourceNotFoundException")
    fails(rt, "GetParticipant", {"stageArn": made["arn"], "sessionId": session, "participantId": "p1"},
          "ResourceNotFoundException")  # fmt: skip
    fails(rt, "GetStageSession", {"stageArn": arn_of("stage"), "sessionId": session}, "ResourceNotFoundException")


def test_list_participants_takes_one_filter_at_a_time(rt: RealTimeBackend) -> None:
    made = stage(rt)
    base = {"stageArn": made["arn"], "sessionId": "st-AbCdEfGh12345"}
    call(rt, "ListParticipants", {**base, "filterByState": "CONNECTED"})
    fails(rt, "ListParticipants", {**base, "filterByState": "CONNECTED", "filterByPublished": True},
          "ValidationException")  # fmt: skip


# -- encoder configurations ---------------------------------------------------------------------------


def test_encoder_configuration_defaults(rt: RealTimeBackend) -> None:
    made = encoder(rt)
    assert re.fullmatch(rf"arn:aws:ivs:{REGION}:{ACCOUNT}:encoder-configuration/[a-zA-Z0-9]{{12}}", made["arn"])
    assert made["video"] == {"width": 1280, "height": 720, "framerate": 30.0, "bitrate": 2500000}
    assert (made["name"], made["tags"]) == ("", {})
    portrait = encoder(rt, name="p", video={"width": 1080, "height": 1920})
    assert portrait["video"] == {"width": 1080, "height": 1920, "framerate": 30.0, "bitrate": 2500000}
    assert call(rt, "GetEncoderConfiguration", {"arn": portrait["arn"]})["encoderConfiguration"] == portrait


@pytest.mark.parametrize("video", [{"width": 1281}, {"height": 721}, {"width": 1920, "height": 1082}])
def test_encoder_video_must_be_even_and_at_most_1080p(rt: RealTimeBackend, video: Json) -> None:
    fails(rt, "CreateEncoderConfiguration", {"video": video}, "ValidationException")


def test_encoder_configurations_list_delete_and_quota(clock: Clock) -> None:
    rt = RealTimeBackend(
        region=REGION, account_id=ACCOUNT, clock=clock, quotas=RealTimeQuotas(encoder_configurations=2)
    )
    one, two = encoder(rt, name="one", tags={"k": "v"}), encoder(rt)
    fails(rt, "CreateEncoderConfiguration", {}, "ServiceQuotaExceededException")
    listed = call(rt, "ListEncoderConfigurations")["encoderConfigurations"]
    assert {e["arn"] for e in listed} == {one["arn"], two["arn"]}
    assert {"arn": one["arn"], "name": "one", "tags": {"k": "v"}} in listed  # a summary: no video
    call(rt, "DeleteEncoderConfiguration", {"arn": one["arn"]})
    fails(rt, "GetEncoderConfiguration", {"arn": one["arn"]}, "ResourceNotFoundException")
    fails(rt, "DeleteEncoderConfiguration", {"arn": one["arn"]}, "ResourceNotFoundException")
    encoder(rt)  # room again


def test_encoder_in_use_by_a_running_composition_cannot_be_deleted(rt: RealTimeBackend, clock: Clock) -> None:
    made, used = stage(rt), encoder(rt)
    destination = {"channel": {"channelArn": arn_of("channel"), "encoderConfigurationArn": used["arn"]}}
    compose(rt, made["arn"], destinations=[destination])
    fails(rt, "DeleteEncoderConfiguration", {"arn": used["arn"]}, "ConflictException")
    clock.advance(COMPOSITION_IDLE_TIMEOUT)  # the composition has stopped by itself
    assert call(rt, "DeleteEncoderConfiguration", {"arn": used["arn"]}) == {}


# -- storage configurations ---------------------------------------------------------------------------


def test_storage_configuration(rt: RealTimeBackend) -> None:
    made = call(
        rt, "CreateStorageConfiguration", {"name": "rec", "s3": {"bucketName": "my.bucket-1"}, "tags": {"a": "b"}}
    )
    made = made["storageConfiguration"]
    assert re.fullmatch(rf"arn:aws:ivs:{REGION}:{ACCOUNT}:storage-configuration/[a-zA-Z0-9]{{12}}", made["arn"])
    assert (made["name"], made["s3"], made["tags"]) == ("rec", {"bucketName": "my.bucket-1"}, {"a": "b"})
    assert call(rt, "GetStorageConfiguration", {"arn": made["arn"]})["storageConfiguration"] == made
    assert call(rt, "ListStorageConfigurations")["storageConfigurations"] == [made]
    call(rt, "DeleteStorageConfiguration", {"arn": made["arn"]})
    fails(rt, "GetStorageConfiguration", {"arn": made["arn"]}, "ResourceNotFoundException")


@pytest.mark.parametrize(
    "bucket",
    ["-bucket", "bucket-", "my..bucket", "192.168.1.10", "xn--bucket", "sthree-bucket", "amzn-s3-demo-b",
     "bucket-s3alias", "bucket--ol-s3", "bucket.mrap", "bucket--x-s3", "bucket--table-s3", ".bucket"],
)  # fmt: skip
def test_storage_bucket_names_follow_s3_rules(rt: RealTimeBackend, bucket: str) -> None:
    assert bucket_name_problem(bucket) is not None
    error = fails(rt, "CreateStorageConfiguration", {"s3": {"bucketName": bucket}}, "ValidationException")
    assert bucket in error.message


@pytest.mark.parametrize("bucket", ["abc", "my-bucket", "my.bucket.1", "a" * 63, "1bucket", "192.168.1.1000"])
def test_valid_bucket_names(bucket: str) -> None:
    assert bucket_name_problem(bucket) is None


def test_storage_configuration_quota_and_default_page(clock: Clock) -> None:
    rt = RealTimeBackend(region=REGION, account_id=ACCOUNT, clock=clock)
    for n in range(5):
        storage(rt, f"bucket-{n}")
    fails(rt, "CreateStorageConfiguration", {"s3": {"bucketName": "one-more"}}, "ServiceQuotaExceededException")
    page = call(rt, "ListStorageConfigurations", {"maxResults": 2})
    assert len(page["storageConfigurations"]) == 2 and "nextToken" in page
    assert len(call(rt, "ListStorageConfigurations")["storageConfigurations"]) == 5


def test_storage_in_use_cannot_be_deleted(rt: RealTimeBackend, clock: Clock) -> None:
    bucket, render = storage(rt), encoder(rt)
    recorded = stage(rt, autoParticipantRecordingConfiguration={"storageConfigurationArn": bucket["arn"]})
    error = fails(rt, "DeleteStorageConfiguration", {"arn": bucket["arn"]}, "ConflictException")
    assert recorded["arn"] in error.message
    call(
        rt,
        "UpdateStage",
        {"arn": recorded["arn"], "autoParticipantRecordingConfiguration": {"storageConfigurationArn": ""}},
    )
    s3 = {"s3": {"storageConfigurationArn": bucket["arn"], "encoderConfigurationArns": [render["arn"]]}}
    composed = compose(rt, recorded["arn"], destinations=[s3])
    error = fails(rt, "DeleteStorageConfiguration", {"arn": bucket["arn"]}, "ConflictException")
    assert composed["arn"] in error.message
    call(rt, "StopComposition", {"arn": composed["arn"]})
    clock.advance(rt.composition_stopping_for)
    assert call(rt, "DeleteStorageConfiguration", {"arn": bucket["arn"]}) == {}


# -- compositions -------------------------------------------------------------------------------------


def test_composition_of_an_empty_stage_starts_then_stops_by_itself(rt: RealTimeBackend, clock: Clock) -> None:
    made, render, bucket = stage(rt), encoder(rt), storage(rt)
    s3 = {"s3": {"storageConfigurationArn": bucket["arn"], "encoderConfigurationArns": [render["arn"]]}}
    started = compose(rt, made["arn"], destinations=[channel_destination(), s3], tags={"run": "1"})
    begun = clock.now
    assert started["state"] == "STARTING"
    assert parse_time(started["startTime"]) == begun and "endTime" not in started
    assert [d["state"] for d in started["destinations"]] == ["STARTING", "STARTING"]
    assert all("startTime" not in d for d in started["destinations"])
    assert started["tags"] == {"run": "1"}
    composition_id = started["arn"].rsplit("/", 1)[1]
    channel_out, s3_out = started["destinations"]
    assert "detail" not in channel_out
    assert s3_out["detail"]["s3"]["recordingPrefix"] == (
        f"{made['arn'].rsplit('/', 1)[1]}/{composition_id}/{s3_out['id']}/composite"
    )
    assert s3_out["configuration"]["s3"]["recordingConfiguration"] == {
        "format": "HLS",
        "hlsConfiguration": {"targetSegmentDurationSeconds": 2},
    }
    assert "thumbnailConfigurations" not in s3_out["configuration"]["s3"]
    get = lambda: call(rt, "GetComposition", {"arn": started["arn"]})["composition"]  # noqa: E731

    clock.advance(rt.composition_starting_for)
    active = get()
    assert active["state"] == "ACTIVE"
    assert [parse_time(d["startTime"]) for d in active["destinations"]] == [clock.now, clock.now]
    assert [d["state"] for d in active["destinations"]] == ["ACTIVE", "ACTIVE"]

    clock.advance(COMPOSITION_IDLE_TIMEOUT - rt.composition_starting_for - 1)
    assert get()["state"] == "ACTIVE"
    clock.advance(1)
    stopped = get()
    assert stopped["state"] == "STOPPED"
    assert parse_time(stopped["endTime"]) == begun + timedelta(seconds=COMPOSITION_IDLE_TIMEOUT)
    assert [d["state"] for d in stopped["destinations"]] == ["STOPPED", "STOPPED"]
    assert all(parse_time(d["endTime"]) == parse_time(stopped["endTime"]) for d in stopped["destinations"])

    clock.advance(rt.composition_retention - 1)
    assert call(rt, "ListCompositions")["compositions"][0]["state"] == "STOPPED"
    clock.advance(1)  # a few minutes after it stopped, it is gone
    fails(rt, "GetComposition", {"arn": started["arn"]}, "ResourceNotFoundException")
    assert call(rt, "ListCompositions") == {"compositions": []}


def test_a_late_look_sees_each_step_at_its_own_time(rt: RealTimeBackend, clock: Clock) -> None:
    made = stage(rt)
    started = compose(rt, made["arn"])
    clock.advance(COMPOSITION_IDLE_TIMEOUT + 10)
    seen = call(rt, "GetComposition", {"arn": started["arn"]})["composition"]
    assert seen["state"] == "STOPPED"
    (destination,) = seen["destinations"]
    assert parse_time(destination["startTime"]) == START + timedelta(seconds=rt.composition_starting_for)
    assert parse_time(seen["endTime"]) == START + timedelta(seconds=COMPOSITION_IDLE_TIMEOUT)


def test_starting_for_zero_is_active_at_once(rt: RealTimeBackend) -> None:
    rt.composition_starting_for = 0
    made = stage(rt)
    assert compose(rt, made["arn"])["state"] == "ACTIVE"


def test_stop_composition_stops_it_after_a_while(rt: RealTimeBackend, clock: Clock) -> None:
    made = stage(rt)
    started = compose(rt, made["arn"])
    clock.advance(5)
    assert call(rt, "StopComposition", {"arn": started["arn"]}) == {}
    stopping = call(rt, "GetComposition", {"arn": started["arn"]})["composition"]
    assert stopping["state"] == "STOPPING" and stopping["destinations"][0]["state"] == "STOPPING"
    assert call(rt, "StopComposition", {"arn": started["arn"]}) == {}  # again: nothing more to do
    clock.advance(rt.composition_stopping_for)
    stopped = call(rt, "GetComposition", {"arn": started["arn"]})["composition"]
    assert stopped["state"] == "STOPPED"
    assert parse_time(stopped["endTime"]) == clock.now
    fails(rt, "StopComposition", {"arn": arn_of("composition")}, "ResourceNotFoundException")


def test_deleting_its_stage_fails_the_composition(rt: RealTimeBackend, clock: Clock) -> None:
    made = stage(rt)
    started = compose(rt, made["arn"])
    clock.advance(3)
    call(rt, "DeleteStage", {"arn": made["arn"]})
    failed = call(rt, "GetComposition", {"arn": started["arn"]})["composition"]
    assert failed["state"] == "FAILED" and parse_time(failed["endTime"]) == clock.now
    assert failed["destinations"][0]["state"] == "STOPPED"


def test_same_idempotency_token_and_request_is_the_same_composition(rt: RealTimeBackend, clock: Clock) -> None:
    made = stage(rt)
    first = compose(rt, made["arn"], idempotencyToken="token-1")
    clock.advance(3)
    again = compose(rt, made["arn"], idempotencyToken="token-1")
    assert again["arn"] == first["arn"] and again["state"] == "ACTIVE"
    assert len(call(rt, "ListCompositions")["compositions"]) == 1
    error = fails(
        rt,
        "StartComposition",
        {"stageArn": made["arn"], "destinations": [channel_destination("OtHeRcHaNnEl")], "idempotencyToken": "token-1"},
        "ConflictException",
    )
    assert "idempotencyToken" in error.message
    assert compose(rt, made["arn"], idempotencyToken="token-2")["arn"] != first["arn"]
    assert compose(rt, made["arn"])["arn"] != first["arn"]  # no token: a new composition each time
    assert len(call(rt, "ListCompositions")["compositions"]) == 3


def test_idempotency_token_is_forgotten_with_its_composition(rt: RealTimeBackend, clock: Clock) -> None:
    made = stage(rt)
    first = compose(rt, made["arn"], idempotencyToken="t")
    clock.advance(COMPOSITION_IDLE_TIMEOUT + rt.composition_retention)
    assert compose(rt, made["arn"], idempotencyToken="t")["arn"] != first["arn"]


def test_composition_quotas_count_running_compositions(clock: Clock) -> None:
    quotas = RealTimeQuotas(compositions=3, compositions_per_stage=2)
    rt = RealTimeBackend(region=REGION, account_id=ACCOUNT, clock=clock, quotas=quotas)
    one, two = stage(rt), stage(rt)
    first = compose(rt, one["arn"])
    compose(rt, one["arn"])
    error = fails(rt, "StartComposition", {"stageArn": one["arn"], "destinations": [channel_destination()]},
                  "ServiceQuotaExceededException")  # fmt: skip
    assert "per stage" in error.message
    compose(rt, two["arn"])
    fails(rt, "StartComposition", {"stageArn": two["arn"], "destinations": [channel_destination()]},
          "ServiceQuotaExceededException")  # fmt: skip
    call(rt, "StopComposition", {"arn": first["arn"]})
    clock.advance(rt.composition_stopping_for)
    compose(rt, one["arn"])  # a stopped composition no longer counts


def test_composition_needs_its_stage_and_configurations(rt: RealTimeBackend) -> None:
    made, render, bucket = stage(rt), encoder(rt), storage(rt)
    start = lambda *d: {"stageArn": made["arn"], "destinations": list(d)}  # noqa: E731
    fails(rt, "StartComposition", {"stageArn": arn_of("stage"), "destinations": [channel_destination()]},
          "ResourceNotFoundException")  # fmt: skip
    missing_encoder = {
        "channel": {"channelArn": arn_of("channel"), "encoderConfigurationArn": arn_of("encoder-configuration")}
    }
    fails(rt, "StartComposition", start(missing_encoder), "ResourceNotFoundException")
    s3 = {"storageConfigurationArn": arn_of("storage-configuration"), "encoderConfigurationArns": [render["arn"]]}
    fails(rt, "StartComposition", start({"s3": s3}), "ResourceNotFoundException")
    s3 = {"storageConfigurationArn": bucket["arn"], "encoderConfigurationArns": [arn_of("encoder-configuration")]}
    fails(rt, "StartComposition", start({"s3": s3}), "ResourceNotFoundException")
    assert call(rt, "ListCompositions") == {"compositions": []}


def test_destinations_are_one_channel_and_or_one_s3(rt: RealTimeBackend) -> None:
    made, render, bucket = stage(rt), encoder(rt), storage(rt)
    s3 = {"storageConfigurationArn": bucket["arn"], "encoderConfigurationArns": [render["arn"]]}
    start = lambda *d: {"stageArn": made["arn"], "destinations": list(d)}  # noqa: E731
    fails(rt, "StartComposition", start({"name": "none"}), "ValidationException")
    fails(rt, "StartComposition", start({**channel_destination(), "s3": s3}), "ValidationException")
    fails(rt, "StartComposition", start(channel_destination("a"), channel_destination("b")), "ValidationException")
    fails(rt, "StartComposition", start({"s3": s3}, {"s3": s3}), "ValidationException")
    foreign = {"channel": {"channelArn": f"arn:aws:ivs:eu-west-1:{ACCOUNT}:channel/AbCdEfGh1234"}}
    fails(rt, "StartComposition", start(foreign), "ValidationException")
    call(rt, "StartComposition", start({"s3": s3, "name": "rec"}, channel_destination()))


def test_s3_destination_thumbnails_and_recording_take_defaults(rt: RealTimeBackend) -> None:
    made, render, bucket = stage(rt), encoder(rt), storage(rt)
    s3 = {
        "storageConfigurationArn": bucket["arn"],
        "encoderConfigurationArns": [render["arn"]],
        "thumbnailConfigurations": [{"storage": ["LATEST"]}],
        "recordingConfiguration": {"hlsConfiguration": {"targetSegmentDurationSeconds": 4}},
    }
    (out,) = compose(rt, made["arn"], destinations=[{"s3": s3}])["destinations"]
    assert out["configuration"]["s3"]["thumbnailConfigurations"] == [
        {"targetIntervalSeconds": 60, "storage": ["LATEST"]}
    ]
    assert out["configuration"]["s3"]["recordingConfiguration"] == {
        "format": "HLS",
        "hlsConfiguration": {"targetSegmentDurationSeconds": 4},
    }


def test_channel_destinations_are_checked_when_the_emulator_knows_the_channels(
    rt: RealTimeBackend, clock: Clock
) -> None:
    live, offline = arn_of("channel", "LiveChannel1"), arn_of("channel", "OffChannel12")
    rt.channel_status = {live: "LIVE", offline: "OFFLINE"}.get
    made = stage(rt)
    fails(rt, "StartComposition", {"stageArn": made["arn"], "destinations": [channel_destination("NoSuchChan12")]},
          "ResourceNotFoundException")  # fmt: skip
    ok = compose(rt, made["arn"], destinations=[{"channel": {"channelArn": offline}}])
    busy = compose(rt, made["arn"], destinations=[{"channel": {"channelArn": live}}])
    clock.advance(rt.composition_starting_for)
    assert call(rt, "GetComposition", {"arn": ok["arn"]})["composition"]["state"] == "ACTIVE"
    failed = call(rt, "GetComposition", {"arn": busy["arn"]})["composition"]
    assert failed["state"] == "FAILED" and failed["destinations"][0]["state"] == "FAILED"
    assert parse_time(failed["endTime"]) == clock.now


def test_layouts_take_ivs_defaults(rt: RealTimeBackend) -> None:
    made = stage(rt)
    assert compose(rt, made["arn"])["layout"] == {
        "grid": {
            "featuredParticipantAttribute": "",
            "omitStoppedVideo": False,
            "videoAspectRatio": "VIDEO",
            "gridGap": 2,
            "participantOrderAttribute": "",
        }
    }
    pip = compose(rt, made["arn"], layout={"pip": {"featuredParticipantAttribute": "host", "pipWidth": 320}})["layout"]
    assert pip == {
        "pip": {
            "featuredParticipantAttribute": "host",
            "omitStoppedVideo": False,
            "videoFillMode": "COVER",
            "gridGap": 0,
            "pipParticipantAttribute": "",
            "pipBehavior": "STATIC",
            "pipOffset": 0,
            "pipPosition": "BOTTOM_RIGHT",
            "participantOrderAttribute": "",
            "pipWidth": 320,
        }
    }
    grid = compose(rt, made["arn"], layout={"grid": {"gridGap": 8, "videoFillMode": "FILL"}})["layout"]["grid"]
    assert (grid["gridGap"], grid["videoFillMode"], grid["videoAspectRatio"]) == (8, "FILL", "VIDEO")
    fails(rt, "StartComposition", {"stageArn": made["arn"], "destinations": [channel_destination()],
                                   "layout": {"grid": {}, "pip": {}}}, "ValidationException")  # fmt: skip


def test_list_compositions_filters_and_pages(rt: RealTimeBackend) -> None:
    one, two, render = stage(rt), stage(rt), encoder(rt)
    with_encoder = [{"channel": {"channelArn": arn_of("channel"), "encoderConfigurationArn": render["arn"]}}]
    a = compose(rt, one["arn"], destinations=with_encoder)
    b = compose(rt, one["arn"])
    c = compose(rt, two["arn"], destinations=with_encoder)
    arns = lambda request: {x["arn"] for x in call(rt, "ListCompositions", request)["compositions"]}  # noqa: E731
    assert arns({}) == {a["arn"], b["arn"], c["arn"]}
    assert arns({"filterByStageArn": one["arn"]}) == {a["arn"], b["arn"]}
    assert arns({"filterByEncoderConfigurationArn": render["arn"]}) == {a["arn"], c["arn"]}
    assert arns({"filterByStageArn": one["arn"], "filterByEncoderConfigurationArn": render["arn"]}) == {a["arn"]}
    summary = call(rt, "ListCompositions", {"filterByStageArn": two["arn"]})["compositions"][0]
    assert set(summary) == {"arn", "stageArn", "destinations", "state", "tags", "startTime"}
    assert set(summary["destinations"][0]) == {"id", "state"}
    page = call(rt, "ListCompositions", {"maxResults": 2})
    rest = call(rt, "ListCompositions", {"maxResults": 2, "nextToken": page["nextToken"]})
    assert len(page["compositions"]) == 2 and len(rest["compositions"]) == 1 and "nextToken" not in rest


def test_ended_compositions_kept_are_bounded(rt: RealTimeBackend, clock: Clock) -> None:
    rt.composition_retention = 10**9
    made = stage(rt)
    for _ in range(1005):
        compose(rt, made["arn"])
        clock.advance(COMPOSITION_IDLE_TIMEOUT)
    rt.settle()
    assert len(rt._resources("composition")) == 1000


# -- ingest configurations ------------------------------------------------------------------------------


def test_create_ingest_configuration_defaults(rt: RealTimeBackend) -> None:
    made = call(rt, "CreateIngestConfiguration", {"ingestProtocol": "RTMPS"})["ingestConfiguration"]
    configuration_id = made["arn"].rsplit("/", 1)[1]
    assert re.fullmatch(rf"arn:aws:ivs:{REGION}:{ACCOUNT}:ingest-configuration/[a-zA-Z0-9]{{12}}", made["arn"])
    assert made["streamKey"].startswith(f"rt_{ACCOUNT}_{REGION}_{configuration_id}_")
    assert ID.fullmatch(made["participantId"])
    assert (made["state"], made["stageArn"], made["name"]) == ("INACTIVE", "", "")
    assert made["redundantIngest"] is False and "redundantIngestCredentials" not in made
    assert (made["attributes"], made["tags"]) == ({}, {})
    assert call(rt, "GetIngestConfiguration", {"arn": made["arn"]})["ingestConfiguration"] == made


def test_rtmp_ingest_must_be_insecure(rt: RealTimeBackend) -> None:
    error = fails(rt, "CreateIngestConfiguration", {"ingestProtocol": "RTMP"}, "ValidationException")
    assert "insecureIngest" in error.message
    call(rt, "CreateIngestConfiguration", {"ingestProtocol": "RTMP", "insecureIngest": True})


def test_ingest_configuration_for_a_stage_with_a_user_and_attributes(rt: RealTimeBackend) -> None:
    made = stage(rt)
    request = {"ingestProtocol": "RTMPS", "stageArn": made["arn"], "userId": "enc-1", "attributes": {"a": "b"},
               "name": "studio", "redundantIngest": True}  # fmt: skip
    ingest = call(rt, "CreateIngestConfiguration", request)["ingestConfiguration"]
    assert (ingest["stageArn"], ingest["userId"], ingest["attributes"]) == (made["arn"], "enc-1", {"a": "b"})
    (backup,) = ingest["redundantIngestCredentials"]
    assert backup["streamKey"] != ingest["streamKey"] and backup["participantId"] != ingest["participantId"]
    bad = {"ingestProtocol": "RTMPS", "stageArn": arn_of("stage")}
    fails(rt, "CreateIngestConfiguration", bad, "ValidationException")
    fails(rt, "CreateIngestConfiguration", {"ingestProtocol": "RTMPS", "attributes": {"k": "v" * 1024}},
          "ValidationException")  # fmt: skip


def test_update_ingest_configuration(rt: RealTimeBackend) -> None:
    made = stage(rt)
    ingest = call(rt, "CreateIngestConfiguration", {"ingestProtocol": "RTMPS"})["ingestConfiguration"]
    moved = call(rt, "UpdateIngestConfiguration", {"arn": ingest["arn"], "stageArn": made["arn"]})[
        "ingestConfiguration"
    ]
    assert moved["stageArn"] == made["arn"] and moved["streamKey"] == ingest["streamKey"]
    redundant = call(rt, "UpdateIngestConfiguration", {"arn": ingest["arn"], "redundantIngest": True})
    assert len(redundant["ingestConfiguration"]["redundantIngestCredentials"]) == 1
    plain = call(rt, "UpdateIngestConfiguration", {"arn": ingest["arn"], "redundantIngest": False})
    assert "redundantIngestCredentials" not in plain["ingestConfiguration"]
    assert (
        call(rt, "UpdateIngestConfiguration", {"arn": ingest["arn"], "stageArn": ""})["ingestConfiguration"]["stageArn"]
        == ""
    )
    fails(
        rt,
        "UpdateIngestConfiguration",
        {"arn": ingest["arn"], "stageArn": arn_of("stage")},
        "ResourceNotFoundException",
    )
    fails(rt, "UpdateIngestConfiguration", {"arn": arn_of("ingest-configuration")}, "ResourceNotFoundException")


def test_delete_ingest_configuration(rt: RealTimeBackend) -> None:
    one = call(rt, "CreateIngestConfiguration", {"ingestProtocol": "RTMPS"})["ingestConfiguration"]
    two = call(rt, "CreateIngestConfiguration", {"ingestProtocol": "RTMPS"})["ingestConfiguration"]
    assert call(rt, "DeleteIngestConfiguration", {"arn": one["arn"]}) == {}
    assert call(rt, "DeleteIngestConfiguration", {"arn": two["arn"], "force": True}) == {}
    fails(rt, "GetIngestConfiguration", {"arn": one["arn"]}, "ResourceNotFoundException")
    fails(rt, "DeleteIngestConfiguration", {"arn": one["arn"]}, "ResourceNotFoundException")


def test_list_ingest_configurations_filters_one_at_a_time(rt: RealTimeBackend) -> None:
    made = stage(rt)
    on_stage = call(rt, "CreateIngestConfiguration", {"ingestProtocol": "RTMPS", "stageArn": made["arn"]})
    loose = call(rt, "CreateIngestConfiguration", {"ingestProtocol": "RTMP", "insecureIngest": True})
    listed = call(rt, "ListIngestConfigurations")["ingestConfigurations"]
    assert {c["arn"] for c in listed} == {on_stage["ingestConfiguration"]["arn"], loose["ingestConfiguration"]["arn"]}
    assert all("streamKey" not in c and "attributes" not in c for c in listed)  # summaries
    by_stage = call(rt, "ListIngestConfigurations", {"filterByStageArn": made["arn"]})["ingestConfigurations"]
    assert [c["arn"] for c in by_stage] == [on_stage["ingestConfiguration"]["arn"]]
    assert len(call(rt, "ListIngestConfigurations", {"filterByState": "INACTIVE"})["ingestConfigurations"]) == 2
    assert call(rt, "ListIngestConfigurations", {"filterByState": "ACTIVE"})["ingestConfigurations"] == []
    fails(rt, "ListIngestConfigurations", {"filterByState": "ACTIVE", "filterByStageArn": made["arn"]},
          "ValidationException")  # fmt: skip


def test_ingest_configuration_quota(clock: Clock) -> None:
    rt = RealTimeBackend(region=REGION, account_id=ACCOUNT, clock=clock, quotas=RealTimeQuotas(ingest_configurations=1))
    call(rt, "CreateIngestConfiguration", {"ingestProtocol": "RTMPS"})
    fails(rt, "CreateIngestConfiguration", {"ingestProtocol": "RTMPS"}, "ServiceQuotaExceededException")


# -- public keys ----------------------------------------------------------------------------------------


def test_import_public_key(rt: RealTimeBackend) -> None:
    pem = public_key_pem()
    key = call(rt, "ImportPublicKey", {"publicKeyMaterial": pem, "name": "signer", "tags": {"a": "1"}})["publicKey"]
    assert re.fullmatch(rf"arn:aws:ivs:{REGION}:{ACCOUNT}:public-key/[a-zA-Z0-9]{{12}}", key["arn"])
    assert (key["name"], key["publicKeyMaterial"], key["tags"]) == ("signer", pem, {"a": "1"})
    der = read_p384_public_key(pem)
    assert key["fingerprint"] == fingerprint(der)
    digest = hashlib.md5(der, usedforsecurity=False).hexdigest()
    assert key["fingerprint"].replace(":", "") == digest and len(key["fingerprint"]) == 47
    assert call(rt, "GetPublicKey", {"arn": key["arn"]})["publicKey"] == key
    assert call(rt, "ListPublicKeys")["publicKeys"] == [{"arn": key["arn"], "name": "signer", "tags": {"a": "1"}}]
    fails(rt, "ImportPublicKey", {"publicKeyMaterial": pem}, "ConflictException")
    assert call(rt, "DeletePublicKey", {"arn": key["arn"]}) == {}
    fails(rt, "GetPublicKey", {"arn": key["arn"]}, "ResourceNotFoundException")
    fails(rt, "DeletePublicKey", {"arn": key["arn"]}, "ResourceNotFoundException")
    call(rt, "ImportPublicKey", {"publicKeyMaterial": pem})  # importable again once deleted


def test_only_p384_public_keys_are_taken(rt: RealTimeBackend) -> None:
    fails(rt, "ImportPublicKey", {"publicKeyMaterial": public_key_pem(ec.SECP256R1())}, "ValidationException")
    body = base64.b64encode(b"\x30" * 120).decode()
    garbled = f"-----BEGIN PUBLIC KEY-----\n{body}\n-----END PUBLIC KEY-----"
    fails(rt, "ImportPublicKey", {"publicKeyMaterial": garbled}, "ValidationException")
    pem = public_key_pem()
    lines = pem.splitlines()
    lines[1] = lines[1][:-4] + ("AAAA" if not lines[1].endswith("AAAA") else "BBBB")  # off the curve
    fails(rt, "ImportPublicKey", {"publicKeyMaterial": "\n".join(lines)}, "ValidationException")


def test_public_key_quota_is_3(rt: RealTimeBackend) -> None:
    for _ in range(3):
        call(rt, "ImportPublicKey", {"publicKeyMaterial": public_key_pem()})
    fails(rt, "ImportPublicKey", {"publicKeyMaterial": public_key_pem()}, "ServiceQuotaExceededException")


# -- participant replication ----------------------------------------------------------------------------


def test_replication_checks_stages_then_finds_no_publisher(rt: RealTimeBackend) -> None:
    source, destination = stage(rt), stage(rt)
    request = {"sourceStageArn": source["arn"], "destinationStageArn": destination["arn"], "participantId": "p1"}
    error = fails(rt, "StartParticipantReplication", request, "ResourceNotFoundException")
    assert "not publishing" in error.message
    fails(rt, "StartParticipantReplication", {**request, "destinationStageArn": arn_of("stage")},
          "ResourceNotFoundException")  # fmt: skip
    fails(rt, "StartParticipantReplication", {**request, "destinationStageArn": source["arn"]}, "ValidationException")
    fails(rt, "StartParticipantReplication", {**request, "attributes": {"k": "v" * 1024}}, "ValidationException")
    fails(rt, "StopParticipantReplication", request, "ResourceNotFoundException")
    fails(rt, "StopParticipantReplication", {**request, "sourceStageArn": arn_of("stage")}, "ResourceNotFoundException")
    listed = call(rt, "ListParticipantReplicas", {"sourceStageArn": source["arn"], "participantId": "p1"})
    assert listed == {"replicas": []}


# -- tags -----------------------------------------------------------------------------------------------


def every_kind(rt: RealTimeBackend) -> dict[str, str]:
    made = stage(rt)
    return {
        "stage": made["arn"],
        "composition": compose(rt, made["arn"])["arn"],
        "encoder-configuration": encoder(rt)["arn"],
        "storage-configuration": storage(rt)["arn"],
        "ingest-configuration": call(rt, "CreateIngestConfiguration", {"ingestProtocol": "RTMPS"})[
            "ingestConfiguration"
        ]["arn"],
        "public-key": call(rt, "ImportPublicKey", {"publicKeyMaterial": public_key_pem()})["publicKey"]["arn"],
    }


def test_every_resource_type_takes_tags(rt: RealTimeBackend) -> None:
    arns = every_kind(rt)
    assert set(arns) == set(RESOURCE_TYPES)
    for arn in arns.values():
        assert call(rt, "ListTagsForResource", {"resourceArn": arn}) == {"tags": {}}
        call(rt, "TagResource", {"resourceArn": arn, "tags": {"a": "1", "b": "2"}})
        call(rt, "TagResource", {"resourceArn": arn, "tags": {"b": "3"}})
        assert call(rt, "ListTagsForResource", {"resourceArn": arn}) == {"tags": {"a": "1", "b": "3"}}
        call(rt, "UntagResource", {"resourceArn": arn, "tagKeys": ["a", "missing"]})
        assert call(rt, "ListTagsForResource", {"resourceArn": arn}) == {"tags": {"b": "3"}}


def test_tag_errors(rt: RealTimeBackend) -> None:
    made = stage(rt)["arn"]
    fails(rt, "TagResource", {"resourceArn": made, "tags": {"aws:x": "1"}}, "ValidationException")
    call(rt, "TagResource", {"resourceArn": made, "tags": {f"k{n}": "v" for n in range(50)}})
    error = fails(rt, "TagResource", {"resourceArn": made, "tags": {"one-more": "v"}}, "ValidationException")
    assert "50" in error.message
    for missing in (arn_of("stage"), arn_of("channel"), arn_of("public-key")):
        fails(rt, "ListTagsForResource", {"resourceArn": missing}, "ResourceNotFoundException")
        fails(rt, "TagResource", {"resourceArn": missing, "tags": {"a": "b"}}, "ResourceNotFoundException")
        fails(rt, "UntagResource", {"resourceArn": missing, "tagKeys": ["a"]}, "ResourceNotFoundException")


def test_members_sent_as_null_are_members_not_sent(rt: RealTimeBackend) -> None:
    made = rt.handle(
        "CreateStage", {"name": None, "tags": None, "participantTokenConfigurations": [{"capabilities": None}]}
    )
    assert made["stage"]["name"] == "" and made["stage"]["tags"] == {}
    assert made["participantTokens"][0]["capabilities"] == ["PUBLISH", "SUBSCRIBE"]
    request = {"stageArn": made["stage"]["arn"], "sessionId": "st-AbCdEfGh12345", "filterByState": None}
    assert rt.handle("ListParticipants", {**request, "filterByUserId": "u"}) == {"participants": []}


def test_answers_carry_every_default_the_sdk_documents(rt: RealTimeBackend) -> None:
    """The generator's table of IVS Real-Time defaults (codegen/descriptions) and the emulator agree."""
    sys.path.insert(0, str(ROOT / "codegen"))
    try:
        from descriptions import Prose
        from descriptions.ivs_realtime import DEFAULTS
    finally:
        sys.path.remove(str(ROOT / "codegen"))
    bucket, render = storage(rt), encoder(rt)
    made = stage(rt, autoParticipantRecordingConfiguration={"storageConfigurationArn": bucket["arn"]})
    answered = call(rt, "CreateStage", {"participantTokenConfigurations": [{}]})
    s3 = {"storageConfigurationArn": bucket["arn"], "encoderConfigurationArns": [render["arn"]],
          "thumbnailConfigurations": [{}]}  # fmt: skip
    composed = compose(rt, made["arn"], destinations=[{"s3": s3}])
    recording = made["autoParticipantRecordingConfiguration"]
    seen: dict[str, Json] = {
        "Video": render["video"],
        "CreateIngestConfigurationRequest": call(rt, "CreateIngestConfiguration", {"ingestProtocol": "RTMPS"})[
            "ingestConfiguration"
        ],
        "CreateParticipantTokenRequest": call(rt, "CreateParticipantToken", {"stageArn": made["arn"]})[
            "participantToken"
        ],
        "ParticipantTokenConfiguration": answered["participantTokens"][0],
        "AutoParticipantRecordingConfiguration": recording,
        "ParticipantThumbnailConfiguration": recording["thumbnailConfiguration"],
        "ParticipantRecordingHlsConfiguration": recording["hlsConfiguration"],
        "GridConfiguration": compose(rt, made["arn"])["layout"]["grid"],
        "PipConfiguration": compose(rt, made["arn"], layout={"pip": {}})["layout"]["pip"],
        "CompositionRecordingHlsConfiguration": composed["destinations"][0]["configuration"]["s3"][
            "recordingConfiguration"
        ]["hlsConfiguration"],
        "CompositionThumbnailConfiguration": composed["destinations"][0]["configuration"]["s3"][
            "thumbnailConfigurations"
        ][0],
    }
    # Inputs that no answer shows: whether RTMP ingest is insecure; a replication's window (none here).
    unseen = {
        "CreateIngestConfigurationRequest.insecureIngest",
        "StartParticipantReplicationRequest.reconnectWindowSeconds",
    }
    checked = 0
    for place, default in DEFAULTS.items():
        structure, member = place.split(".")
        if isinstance(default, Prose) or place in unseen:
            continue
        assert seen[structure][member] == default, place
        checked += 1
    assert checked >= 25


def test_handle_checks_the_models_rules_itself(rt: RealTimeBackend) -> None:
    with pytest.raises(ServiceError) as caught:
        rt.handle("CreateStage", {"name": "not a name!", "tags": "x"})
    assert caught.value.code == "ValidationException"
    assert caught.value.message.startswith("2 validation errors detected: Value at 'name' failed")
    for request in ({}, {"arn": 7}, {"arn": arn_of("channel")}):
        with pytest.raises(ServiceError) as caught:
            rt.handle("GetStage", request)
        assert caught.value.code == "ValidationException"
    with pytest.raises(ServiceError) as caught:
        rt.handle("ListStages", [])  # type: ignore[arg-type]
    assert caught.value.code == "ValidationException"


# -- any request --------------------------------------------------------------------------------------

_PEM = public_key_pem()
_ANY_ARN = re.compile(r"arn:aws:ivs:[^:]*:[0-9]*:([a-z-]+)/.*")


def populated(clock: Clock) -> tuple[RealTimeBackend, dict[str, str]]:
    """A backend with one resource of each kind (the composition running), and their ARNs."""
    rt = RealTimeBackend(region=REGION, account_id=ACCOUNT, clock=clock, seed=1)
    arns = {
        "stage": rt.handle("CreateStage", {})["stage"]["arn"],
        "encoder-configuration": rt.handle("CreateEncoderConfiguration", {})["encoderConfiguration"]["arn"],
        "storage-configuration": rt.handle("CreateStorageConfiguration", {"s3": {"bucketName": "b-1"}})[
            "storageConfiguration"
        ]["arn"],
        "ingest-configuration": rt.handle("CreateIngestConfiguration", {"ingestProtocol": "RTMPS"})[
            "ingestConfiguration"
        ]["arn"],
        "public-key": rt.handle("ImportPublicKey", {"publicKeyMaterial": _PEM})["publicKey"]["arn"],
    }
    destination = {"channel": {"channelArn": arn_of("channel")}}
    arns["composition"] = rt.handle("StartComposition", {"stageArn": arns["stage"], "destinations": [destination]})[
        "composition"
    ]["arn"]
    return rt, arns


def with_existing(value: Any, arns: dict[str, str], draw: Any) -> Any:
    """``value`` with some of its ARNs replaced by ARNs of resources that exist."""
    if isinstance(value, dict):
        return {k: with_existing(v, arns, draw) for k, v in value.items()}
    if isinstance(value, list):
        return [with_existing(v, arns, draw) for v in value]
    if isinstance(value, str) and (found := _ANY_ARN.fullmatch(value)) and found.group(1) in arns:
        return arns[found.group(1)] if draw(st.booleans()) else value
    return value


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_any_request_to_any_operation_answers_the_model_or_raises_a_modeled_service_error(data: st.DataObject) -> None:
    clock = Clock()
    rt, arns = populated(clock)
    clock.advance(data.draw(st.sampled_from([0, 3, 61, 400]), label="seconds later"))
    operation = data.draw(st.sampled_from(sorted(OPERATIONS)), label="operation")
    shape = OPERATIONS[operation].input
    kind = data.draw(st.sampled_from(["valid", "mutated", "any"]), label="kind")
    if kind == "valid":
        request = with_existing(reference_wire(shape, data.draw(valid(shape), label="input")), arns, data.draw)
    elif kind == "mutated":
        request = mutated(with_existing(sample_wire(shape), arns, data.draw), data.draw)
    else:
        request = data.draw(ANY_JSON, label="json")
    error: ServiceError | None = None
    try:
        response = rt.handle(operation, request)
    except ServiceError as exc:  # anything else fails the test
        error = exc
    event(f"{kind}: {'answered' if error is None else error.code}")
    if error is None:
        assert conform(MODEL["operations"][operation]["output"]["shape"], response) == []
        json.dumps(response)
    else:
        assert error.code in {e["shape"] for e in MODEL["operations"][operation]["errors"]}, error
        assert error.message

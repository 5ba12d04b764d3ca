"""IVS Real-Time through IVS Local end to end: the ``ivs_async.realtime`` client, signed HTTP, the
server's routing (``/tags/{arn}`` by the ARN's owner) and IVS Real-Time's error form."""

from __future__ import annotations

import base64
import json

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from ivs_async.realtime import errors
from ivs_async.realtime.paginators import paginate_list_stages
from ivs_async.testing import LocalIvs


def public_key_pem() -> str:
    key = ec.generate_private_key(ec.SECP384R1()).public_key()
    return key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


async def test_stages_tokens_and_tags_through_the_realtime_client() -> None:
    async with LocalIvs() as ivs, ivs.realtime_client(max_attempts=1) as rt:
        created = await rt.create_stage(name="studio", participant_token_configurations=[{"user_id": "alice"}])
        assert created.stage is not None and created.stage.arn is not None
        arn = created.stage.arn
        assert created.stage.name == "studio"
        assert created.participant_tokens is not None and created.participant_tokens[0].user_id == "alice"
        token = created.participant_tokens[0].token
        assert token is not None
        claims = json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))
        assert claims["resource"] == arn
        assert token not in repr(created)  # sensitive

        fetched = await rt.get_stage(arn=arn)
        assert fetched.stage is not None and fetched.stage.endpoints is not None
        another = await rt.create_participant_token(stage_arn=arn, capabilities=["SUBSCRIBE"], duration=5)
        assert another.participant_token is not None
        assert another.participant_token.capabilities == ["SUBSCRIBE"]

        for _ in range(3):
            await rt.create_stage()
        arns = [s.arn async for s in paginate_list_stages(rt, page_size=2).items()]
        assert len(arns) == 4 and arn in arns

        await rt.tag_resource(resource_arn=arn, tags={"team": "live"})
        assert (await rt.list_tags_for_resource(resource_arn=arn)).tags == {"team": "live"}
        await rt.untag_resource(resource_arn=arn, tag_keys=["team"])
        assert (await rt.list_tags_for_resource(resource_arn=arn)).tags == {}

        await rt.delete_stage(arn=arn)
        with pytest.raises(errors.ResourceNotFoundException) as missing:
            await rt.get_stage(arn=arn)
        assert missing.value.http_status_code == 404 and arn in missing.value.message
    assert ivs.unexpected_errors == 0


async def test_compositions_configurations_ingest_and_keys_through_the_realtime_client() -> None:
    async with LocalIvs() as ivs, ivs.realtime_client(max_attempts=1) as rt:
        stage = (await rt.create_stage()).stage
        assert stage is not None and stage.arn is not None
        encoder = (await rt.create_encoder_configuration(video={"width": 1920, "height": 1080})).encoder_configuration
        storage = (await rt.create_storage_configuration(s3={"bucket_name": "my-recordings"})).storage_configuration
        assert encoder is not None and storage is not None and encoder.video is not None
        assert (encoder.video.width, encoder.video.framerate, encoder.video.bitrate) == (1920, 30.0, 2500000)
        destinations = [{"s3": {"storage_configuration_arn": storage.arn, "encoder_configuration_arns": [encoder.arn]}}]
        started = await rt.start_composition(stage_arn=stage.arn, destinations=destinations, idempotency_token="abc")
        again = await rt.start_composition(stage_arn=stage.arn, destinations=destinations, idempotency_token="abc")
        assert started.composition is not None and again.composition is not None
        assert started.composition.arn == again.composition.arn
        assert started.composition.state == "STARTING"
        with pytest.raises(errors.ConflictException):
            await rt.delete_storage_configuration(arn=storage.arn)
        await rt.stop_composition(arn=started.composition.arn)
        stopping = await rt.get_composition(arn=started.composition.arn)
        assert stopping.composition is not None and stopping.composition.state == "STOPPING"

        ingest = (
            await rt.create_ingest_configuration(ingest_protocol="RTMPS", stage_arn=stage.arn)
        ).ingest_configuration
        assert ingest is not None and ingest.state == "INACTIVE" and ingest.stream_key is not None
        assert ingest.stream_key not in repr(ingest)
        with pytest.raises(errors.ValidationException):
            await rt.create_ingest_configuration(ingest_protocol="RTMP")

        key = (await rt.import_public_key(public_key_material=public_key_pem(), name="signer")).public_key
        assert key is not None and key.fingerprint is not None and len(key.fingerprint.split(":")) == 16
        listed = await rt.list_public_keys()
        assert [k.arn for k in listed.public_keys or []] == [key.arn]
        with pytest.raises(errors.ValidationException):
            await rt.import_public_key(public_key_material="-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----")
        with pytest.raises(errors.ResourceNotFoundException):
            await rt.start_participant_replication(
                source_stage_arn=stage.arn, destination_stage_arn=stage.arn.replace(stage.arn[-12:], "X" * 12),
                participant_id="p1",
            )  # fmt: skip
    assert ivs.unexpected_errors == 0


async def test_stage_endpoints_name_the_emulator_and_a_live_channel_fails_a_composition() -> None:
    from datetime import UTC, datetime, timedelta

    now = [datetime.now(UTC)]
    async with (
        LocalIvs(rtmp_port=0, clock=lambda: now[0]) as ivs,
        ivs.realtime_client(max_attempts=1) as rt,
        ivs.aggregated_client(max_attempts=1) as client,
    ):
        stage = (await rt.create_stage(name="studio")).stage
        assert stage is not None and stage.endpoints is not None and stage.arn is not None
        assert stage.endpoints.whip is not None and stage.endpoints.whip.startswith(ivs.endpoint)
        assert stage.endpoints.rtmp == ivs.rtmp_url
        live = (await client.create_channel(name="live")).channel
        idle = (await client.create_channel(name="idle")).channel
        assert live is not None and live.arn is not None and idle is not None and idle.arn is not None
        ivs.start_stream(live.arn)
        started = []
        for channel in (live.arn, idle.arn):
            answer = await rt.start_composition(
                stage_arn=stage.arn, destinations=[{"channel": {"channel_arn": channel}}]
            )
            assert answer.composition is not None and answer.composition.arn is not None
            started.append(answer.composition.arn)
        now[0] += timedelta(seconds=5)
        states = [(await rt.get_composition(arn=arn)).composition for arn in started]
        assert [c.state if c else None for c in states] == ["FAILED", "ACTIVE"]
        with pytest.raises(errors.ResourceNotFoundException):
            await rt.start_composition(
                stage_arn=stage.arn,
                destinations=[{"channel": {"channel_arn": live.arn.replace("channel/", "channel/x")}}],
            )
    assert ivs.unexpected_errors == 0

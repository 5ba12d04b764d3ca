"""Every operation's happy path and its documented errors, through our client, against LocalIvs."""

from __future__ import annotations

import hashlib
import re
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from ivs_async import Ivs, IvsClient, IvsServiceException, commands, paginators
from ivs_async._generated.ivs.commands import OPERATIONS
from ivs_async.errors import (
    ChannelNotBroadcasting,
    ConflictException,
    ResourceNotFoundException,
    ServiceQuotaExceededException,
    ThrottlingException,
    ValidationException,
)
from ivs_async.models import (
    BatchStartViewerSessionRevocationViewerSession,
    DestinationConfiguration,
    MediaTailorPlaybackConfiguration,
    MultitrackInputConfiguration,
    RenditionConfiguration,
    S3DestinationConfiguration,
    StreamFilters,
)
from ivs_async.testing import LocalIvs, Quotas
from tests.emulator.conftest import public_key_pem
from tests.support.shapes import full_valid

COMMANDS = [getattr(commands, n) for n in commands.__all__ if n.endswith("Command") and n != "Command"]

ACCOUNT = "123456789012"
S3 = DestinationConfiguration(s3=S3DestinationConfiguration(bucket_name="recordings-bucket"))
MEDIATAILOR = [
    MediaTailorPlaybackConfiguration(
        playback_configuration_arn="arn:aws:mediatailor:us-west-2:123456789012:playbackConfiguration/demo"
    )
]


def arn_pattern(kind: str) -> re.Pattern[str]:
    return re.compile(rf"arn:aws:ivs:us-west-2:{ACCOUNT}:{kind}/[a-zA-Z0-9]{{12}}")


async def new_channel(ivs: Ivs, **settings: Any) -> str:
    channel = (await ivs.create_channel(**settings)).channel
    assert channel is not None and channel.arn is not None
    return channel.arn


# -- channels and their stream keys ---------------------------------------------------------------


async def test_create_channel_defaults_and_its_stream_key(ivs: Ivs, ivs_emulator: LocalIvs) -> None:
    out = await ivs.create_channel(name="demo", tags={"team": "video"})
    channel, key = out.channel, out.stream_key
    assert channel is not None and key is not None
    assert arn_pattern("channel").fullmatch(channel.arn or "")
    assert (channel.name, channel.latency_mode, channel.type, channel.preset) == ("demo", "LOW", "STANDARD", "")
    assert (channel.authorized, channel.insecure_ingest, channel.container_format) == (False, False, "TS")
    assert channel.recording_configuration_arn == "" and channel.playback_restriction_policy_arn == ""
    # Every address names the emulator (never an AWS host an encoder would be sent to).
    assert channel.ingest_endpoint == "127.0.0.1"
    channel_id = (channel.arn or "").rsplit("/", 1)[1]
    assert channel.playback_url == (
        f"{ivs_emulator.endpoint}/api/video/v1/us-west-2.{ACCOUNT}.channel.{channel_id}.m3u8"
    )
    assert channel.srt is not None and channel.srt.endpoint == "127.0.0.1" and len(channel.srt.passphrase or "") == 32
    assert channel.multitrack_input_configuration == MultitrackInputConfiguration(
        enabled=False, maximum_resolution="FULL_HD", policy="ALLOW"
    )
    assert channel.tags == {"team": "video"}
    assert arn_pattern("stream-key").fullmatch(key.arn or "")
    assert key.channel_arn == channel.arn
    assert (key.value or "").startswith("sk_us-west-2_")
    assert key.value not in repr(out)  # the value is there, and masked when printed
    assert (await ivs.get_channel(arn=channel.arn or "")).channel == channel


async def test_channel_settings_and_update(ivs: Ivs) -> None:
    advanced = (await ivs.create_channel(type="ADVANCED_HD")).channel
    assert advanced is not None and advanced.preset == "HIGHER_BANDWIDTH_DELIVERY"
    arn = await new_channel(ivs, name="before", authorized=True)
    updated = (await ivs.update_channel(arn=arn, name="after", latency_mode="NORMAL", insecure_ingest=True)).channel
    assert updated is not None
    assert (updated.name, updated.latency_mode, updated.insecure_ingest) == ("after", "NORMAL", True)
    assert updated.authorized is True  # members not named keep their values
    multitrack = MultitrackInputConfiguration(enabled=True, policy="REQUIRE")
    updated = (
        await ivs.update_channel(arn=arn, multitrack_input_configuration=multitrack, container_format="FRAGMENTED_MP4")
    ).channel
    assert updated is not None and updated.multitrack_input_configuration is not None
    assert updated.multitrack_input_configuration.policy == "REQUIRE"
    assert updated.multitrack_input_configuration.maximum_resolution == "FULL_HD"


@pytest.mark.parametrize(
    ("settings", "rule"),
    [
        ({"type": "STANDARD", "preset": "HIGHER_BANDWIDTH_DELIVERY"}, "preset"),
        ({"multitrack_input_configuration": MultitrackInputConfiguration(enabled=True)}, "FRAGMENTED_MP4"),
        (
            {
                "type": "BASIC",
                "container_format": "FRAGMENTED_MP4",
                "multitrack_input_configuration": MultitrackInputConfiguration(enabled=True),
            },
            "STANDARD",
        ),
    ],
)
async def test_channel_rules(ivs: Ivs, settings: dict[str, Any], rule: str) -> None:
    with pytest.raises(ValidationException, match=rule) as caught:
        await ivs.create_channel(**settings)
    assert caught.value.metadata.http_status_code == 400


async def test_channel_references_must_exist(ivs: Ivs) -> None:
    missing = f"arn:aws:ivs:us-west-2:{ACCOUNT}:recording-configuration/ABCDEFGHIJKL"
    with pytest.raises(ResourceNotFoundException, match="Recording configuration"):
        await ivs.create_channel(recording_configuration_arn=missing)
    assert (await ivs.list_channels()).channels == []


async def test_missing_channel_is_404(ivs: Ivs) -> None:
    missing = f"arn:aws:ivs:us-west-2:{ACCOUNT}:channel/ABCDEFGHIJKL"
    for call in (ivs.get_channel(arn=missing), ivs.update_channel(arn=missing), ivs.delete_channel(arn=missing)):
        with pytest.raises(ResourceNotFoundException) as caught:
            await call
        assert caught.value.metadata.http_status_code == 404
        assert caught.value.metadata.request_id


async def test_batch_get_channel_reports_missing_arns(ivs: Ivs) -> None:
    arn = await new_channel(ivs)
    missing = f"arn:aws:ivs:us-west-2:{ACCOUNT}:channel/ABCDEFGHIJKL"
    out = await ivs.batch_get_channel(arns=[arn, missing])
    assert [c.arn for c in out.channels or []] == [arn]
    assert [(e.arn, e.code) for e in out.errors or []] == [(missing, "ResourceNotFoundException")]


async def test_delete_channel_takes_its_stream_keys(ivs: Ivs) -> None:
    out = await ivs.create_channel()
    assert out.channel is not None and out.stream_key is not None
    await ivs.delete_channel(arn=out.channel.arn or "")
    with pytest.raises(ResourceNotFoundException):
        await ivs.get_stream_key(arn=out.stream_key.arn or "")
    assert (await ivs.list_channels()).channels == []


async def test_live_channel_cannot_be_updated_or_deleted(ivs: Ivs, ivs_emulator: LocalIvs) -> None:
    arn = await new_channel(ivs)
    ivs_emulator.start_stream(arn)
    with pytest.raises(ConflictException) as caught:
        await ivs.delete_channel(arn=arn)
    assert caught.value.metadata.http_status_code == 409
    with pytest.raises(ConflictException):
        await ivs.update_channel(arn=arn, name="renamed")
    ivs_emulator.end_stream(arn)
    await ivs.delete_channel(arn=arn)


async def test_list_channels_filters(ivs: Ivs) -> None:
    recording = (await ivs.create_recording_configuration(destination_configuration=S3)).recording_configuration
    assert recording is not None and recording.arn is not None
    recorded = await new_channel(ivs, name="recorded", recording_configuration_arn=recording.arn)
    await new_channel(ivs, name="plain")
    by_name = await ivs.list_channels(filter_by_name="plain")
    assert [c.name for c in by_name.channels or []] == ["plain"]
    by_recording = await ivs.list_channels(filter_by_recording_configuration_arn=recording.arn)
    assert [c.arn for c in by_recording.channels or []] == [recorded]
    with pytest.raises(ConflictException, match="one filter"):
        await ivs.list_channels(filter_by_name="plain", filter_by_recording_configuration_arn=recording.arn)


async def test_stream_keys(ivs: Ivs) -> None:
    out = await ivs.create_channel()
    assert out.channel is not None and out.stream_key is not None
    channel_arn, key_arn = out.channel.arn or "", out.stream_key.arn or ""
    with pytest.raises(ServiceQuotaExceededException) as caught:
        await ivs.create_stream_key(channel_arn=channel_arn)
    assert caught.value.metadata.http_status_code == 402
    listed = (await ivs.list_stream_keys(channel_arn=channel_arn)).stream_keys or []
    assert [(k.arn, k.channel_arn) for k in listed] == [(key_arn, channel_arn)]
    got = (await ivs.get_stream_key(arn=key_arn)).stream_key
    assert got is not None and got.value == out.stream_key.value
    await ivs.delete_stream_key(arn=key_arn)
    new = (await ivs.create_stream_key(channel_arn=channel_arn, tags={"k": "v"})).stream_key
    assert new is not None and new.arn != key_arn and new.tags == {"k": "v"}
    batch = await ivs.batch_get_stream_key(arns=[new.arn or "", key_arn])
    assert [k.arn for k in batch.stream_keys or []] == [new.arn]
    assert [e.arn for e in batch.errors or []] == [key_arn]
    with pytest.raises(ResourceNotFoundException):
        await ivs.list_stream_keys(channel_arn=f"arn:aws:ivs:us-west-2:{ACCOUNT}:channel/ABCDEFGHIJKL")


# -- playback key pairs ---------------------------------------------------------------------------


async def test_import_playback_key_pair(ivs: Ivs) -> None:
    pem = public_key_pem()
    pair = (await ivs.import_playback_key_pair(public_key_material=pem, name="main", tags={"a": "b"})).key_pair
    assert pair is not None and arn_pattern("playback-key").fullmatch(pair.arn or "")
    der = serialization.load_pem_public_key(pem.encode()).public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    digest = hashlib.md5(der, usedforsecurity=False).hexdigest()
    assert pair.fingerprint == ":".join(digest[i : i + 2] for i in range(0, 32, 2))
    assert (await ivs.get_playback_key_pair(arn=pair.arn or "")).key_pair == pair
    assert [(p.arn, p.name) for p in (await ivs.list_playback_key_pairs()).key_pairs or []] == [(pair.arn, "main")]
    with pytest.raises(ConflictException, match="already imported"):
        await ivs.import_playback_key_pair(public_key_material=pem)
    await ivs.delete_playback_key_pair(arn=pair.arn or "")
    with pytest.raises(ResourceNotFoundException):
        await ivs.get_playback_key_pair(arn=pair.arn or "")


@pytest.mark.parametrize(
    ("material", "reason"),
    [
        ("not a key", "PEM"),
        ("-----BEGIN PUBLIC KEY-----\n!!!!\n-----END PUBLIC KEY-----", "base64"),
        (public_key_pem(ec.SECP256R1()), "P-384"),
    ],
)
async def test_import_rejects_other_keys(ivs: Ivs, material: str, reason: str) -> None:
    with pytest.raises(ValidationException, match=reason):
        await ivs.import_playback_key_pair(public_key_material=material)


async def test_point_not_on_the_curve_is_rejected(ivs: Ivs) -> None:
    lines = public_key_pem().strip().splitlines()
    import base64

    der = bytearray(base64.b64decode("".join(lines[1:-1])))
    der[-1] ^= 1  # y no longer matches x
    tampered = "\n".join([lines[0], base64.b64encode(bytes(der)).decode(), lines[-1]])
    with pytest.raises(ValidationException, match="not a point"):
        await ivs.import_playback_key_pair(public_key_material=tampered)


async def test_playback_key_pair_quota(ivs: Ivs, ivs_emulator: LocalIvs) -> None:
    ivs_emulator.quotas = Quotas(playback_key_pairs=2)
    for _ in range(2):
        await ivs.import_playback_key_pair(public_key_material=public_key_pem())
    with pytest.raises(ServiceQuotaExceededException, match="quota of 2 playback key pairs"):
        await ivs.import_playback_key_pair(public_key_material=public_key_pem())


# -- recording configurations, playback restriction policies, ad and failover slate configurations --


async def test_recording_configurations(ivs: Ivs) -> None:
    created = (
        await ivs.create_recording_configuration(name="rec", destination_configuration=S3, tags={"a": "b"})
    ).recording_configuration
    assert created is not None and created.arn is not None
    assert arn_pattern("recording-configuration").fullmatch(created.arn)
    assert (created.state, created.recording_reconnect_window_seconds) == ("ACTIVE", 0)
    assert created.thumbnail_configuration is not None
    assert created.thumbnail_configuration.target_interval_seconds == 60
    assert (await ivs.get_recording_configuration(arn=created.arn)).recording_configuration == created
    listed = (await ivs.list_recording_configurations()).recording_configurations or []
    assert [(r.arn, r.state) for r in listed] == [(created.arn, "ACTIVE")]
    channel = await new_channel(ivs, recording_configuration_arn=created.arn)
    with pytest.raises(ConflictException, match="still used by channel"):
        await ivs.delete_recording_configuration(arn=created.arn)
    await ivs.update_channel(arn=channel, recording_configuration_arn="")
    await ivs.delete_recording_configuration(arn=created.arn)
    with pytest.raises(ResourceNotFoundException):
        await ivs.get_recording_configuration(arn=created.arn)


async def test_custom_rendition_selection_needs_renditions(ivs: Ivs) -> None:
    with pytest.raises(ValidationException, match="renditions"):
        await ivs.create_recording_configuration(
            destination_configuration=S3, rendition_configuration=RenditionConfiguration(rendition_selection="CUSTOM")
        )


async def test_recording_configuration_quota(ivs: Ivs, ivs_emulator: LocalIvs) -> None:
    ivs_emulator.quotas = Quotas(recording_configurations=1)
    await ivs.create_recording_configuration(destination_configuration=S3)
    with pytest.raises(ServiceQuotaExceededException):
        await ivs.create_recording_configuration(destination_configuration=S3)


async def test_playback_restriction_policies(ivs: Ivs) -> None:
    policy = (
        await ivs.create_playback_restriction_policy(allowed_countries=["US"], allowed_origins=["https://a.example"])
    ).playback_restriction_policy
    assert policy is not None and policy.arn is not None
    assert (policy.allowed_countries, policy.enable_strict_origin_enforcement) == (["US"], False)
    updated = (
        await ivs.update_playback_restriction_policy(arn=policy.arn, enable_strict_origin_enforcement=True)
    ).playback_restriction_policy
    assert updated is not None and updated.enable_strict_origin_enforcement is True
    assert updated.allowed_origins == ["https://a.example"]
    got = (await ivs.get_playback_restriction_policy(arn=policy.arn)).playback_restriction_policy
    assert got == updated
    listed = (await ivs.list_playback_restriction_policies()).playback_restriction_policies or []
    assert [p.arn for p in listed] == [policy.arn]
    channel = await new_channel(ivs, playback_restriction_policy_arn=policy.arn)
    with pytest.raises(ConflictException):
        await ivs.delete_playback_restriction_policy(arn=policy.arn)
    await ivs.delete_channel(arn=channel)
    await ivs.delete_playback_restriction_policy(arn=policy.arn)
    with pytest.raises(ResourceNotFoundException):
        await ivs.get_playback_restriction_policy(arn=policy.arn)


async def test_ad_configurations_and_ad_breaks(ivs: Ivs, ivs_emulator: LocalIvs) -> None:
    ad = (
        await ivs.create_ad_configuration(name="ads", media_tailor_playback_configurations=MEDIATAILOR)
    ).ad_configuration
    assert ad is not None and ad.arn is not None and arn_pattern("ad-configuration").fullmatch(ad.arn)
    renamed = (await ivs.update_ad_configuration(arn=ad.arn, name="ads2")).ad_configuration
    assert renamed is not None and renamed.name == "ads2"
    assert renamed.media_tailor_playback_configurations == MEDIATAILOR
    assert (await ivs.get_ad_configuration(arn=ad.arn)).ad_configuration == renamed
    assert [a.arn for a in (await ivs.list_ad_configurations()).ad_configurations or []] == [ad.arn]

    plain = await new_channel(ivs)
    with pytest.raises(ChannelNotBroadcasting):
        await ivs.insert_ad_break(channel_arn=plain, duration_seconds=30)
    ivs_emulator.start_stream(plain)
    with pytest.raises(ConflictException, match="no ad configuration"):
        await ivs.insert_ad_break(channel_arn=plain, duration_seconds=30)

    with_ads = await new_channel(ivs, ad_configuration_arn=ad.arn)
    stream_id = ivs_emulator.start_stream(with_ads)
    inserted = await ivs.insert_ad_break(channel_arn=with_ads, duration_seconds=30)
    assert re.fullmatch(r"[a-zA-Z0-9]{12}", inserted.ad_break_id or "")
    assert inserted.target_start_at is not None
    (record,) = ivs_emulator.ad_breaks(with_ads)
    assert (record.stream_id, record.ad_break_id, record.duration_seconds) == (stream_id, inserted.ad_break_id, 30)

    with pytest.raises(ConflictException):
        await ivs.delete_ad_configuration(arn=ad.arn)
    ivs_emulator.end_stream(with_ads)
    await ivs.delete_channel(arn=with_ads)
    await ivs.delete_ad_configuration(arn=ad.arn)
    with pytest.raises(ResourceNotFoundException):
        await ivs.get_ad_configuration(arn=ad.arn)


async def test_failover_slate_configurations(ivs: Ivs) -> None:
    slate = (
        await ivs.create_failover_slate_configuration(name="slate", activation_threshold_seconds=4)
    ).failover_slate_configuration
    assert slate is not None and slate.arn is not None and slate.state == "CREATED"
    updated = (
        await ivs.update_failover_slate_configuration(arn=slate.arn, max_slate_display_seconds=120)
    ).failover_slate_configuration
    assert updated is not None and (updated.activation_threshold_seconds, updated.max_slate_display_seconds) == (4, 120)
    assert (await ivs.get_failover_slate_configuration(arn=slate.arn)).failover_slate_configuration == updated
    listed = (await ivs.list_failover_slate_configurations()).failover_slate_configurations or []
    assert [s.arn for s in listed] == [slate.arn]
    channel = await new_channel(ivs, failover_slate_configuration_arn=slate.arn)
    with pytest.raises(ConflictException):
        await ivs.delete_failover_slate_configuration(arn=slate.arn)
    await ivs.delete_channel(arn=channel)
    await ivs.delete_failover_slate_configuration(arn=slate.arn)
    with pytest.raises(ResourceNotFoundException):
        await ivs.get_failover_slate_configuration(arn=slate.arn)


# -- streams --------------------------------------------------------------------------------------


async def test_stream_lifecycle(ivs: Ivs, ivs_emulator: LocalIvs) -> None:
    recording = (await ivs.create_recording_configuration(destination_configuration=S3)).recording_configuration
    assert recording is not None
    arn = await new_channel(ivs, recording_configuration_arn=recording.arn)
    other = await new_channel(ivs)
    for call in (ivs.get_stream(channel_arn=arn), ivs.stop_stream(channel_arn=arn)):
        with pytest.raises(ChannelNotBroadcasting) as caught:
            await call
        assert caught.value.metadata.http_status_code == 404
    assert (await ivs.list_streams()).streams == []

    stream_id = ivs_emulator.start_stream(arn, viewer_count=12)
    assert re.fullmatch(r"st-[a-zA-Z0-9]{23}", stream_id)
    ivs_emulator.start_stream(other, health="STARVING")
    stream = (await ivs.get_stream(channel_arn=arn)).stream
    assert stream is not None
    assert (stream.stream_id, stream.state, stream.health, stream.viewer_count) == (stream_id, "LIVE", "HEALTHY", 12)
    assert stream.start_time is not None and stream.start_time.tzinfo is not None
    starving = (await ivs.list_streams(filter_by=StreamFilters(health="STARVING"))).streams or []
    assert [s.channel_arn for s in starving] == [other]
    ivs_emulator.update_stream(other, health="HEALTHY", viewer_count=3)
    healthy = (await ivs.list_streams(filter_by=StreamFilters(health="HEALTHY"))).streams or []
    assert sorted(s.channel_arn or "" for s in healthy) == sorted([arn, other])

    await ivs.stop_stream(channel_arn=arn)
    assert not ivs_emulator.is_live(arn)
    with pytest.raises(ChannelNotBroadcasting):
        await ivs.get_stream(channel_arn=arn)

    session = (await ivs.get_stream_session(channel_arn=arn)).stream_session
    assert session is not None and session.stream_id == stream_id
    assert session.end_time is not None and session.start_time is not None and session.end_time >= session.start_time
    assert session.channel is not None and session.channel.arn == arn
    assert session.recording_configuration is not None and session.recording_configuration.arn == recording.arn
    assert session.ingest_configuration is not None and session.ingest_configuration.video is not None
    names = [e.name for e in session.truncated_events or []]
    assert names == [
        "Session Created",
        "Stream Start",
        "Recording Start",
        "Stream End",
        "Recording End",
        "Session Ended",
    ]


async def test_stream_sessions_newest_first(ivs: Ivs, ivs_emulator: LocalIvs) -> None:
    arn = await new_channel(ivs)
    with pytest.raises(ResourceNotFoundException):
        await ivs.get_stream_session(channel_arn=arn)
    ids = []
    for n in range(3):
        ids.append(ivs_emulator.start_stream(arn))
        ivs_emulator.end_stream(arn, failure="EncoderDisconnected" if n == 1 else None)
    summaries = [s async for s in paginators.paginate_list_stream_sessions(ivs, channel_arn=arn, page_size=2).items()]
    assert [s.stream_id for s in summaries] == ids[::-1]
    assert [s.has_error_event for s in summaries] == [False, True, False]
    middle = (await ivs.get_stream_session(channel_arn=arn, stream_id=ids[1])).stream_session
    assert middle is not None and middle.stream_id == ids[1]
    assert any(e.code == "EncoderDisconnected" for e in middle.truncated_events or [])
    with pytest.raises(ResourceNotFoundException):
        await ivs.get_stream_session(channel_arn=arn, stream_id="st-" + "A" * 23)


async def test_put_metadata(ivs: Ivs, ivs_emulator: LocalIvs) -> None:
    arn = await new_channel(ivs)
    with pytest.raises(ChannelNotBroadcasting):
        await ivs.put_metadata(channel_arn=arn, metadata="early")
    with pytest.raises(ValidationException, match="1024 bytes"):  # the request is checked first
        await ivs.put_metadata(channel_arn=arn, metadata="é" * 513)
    stream_id = ivs_emulator.start_stream(arn)
    await ivs.put_metadata(channel_arn=arn, metadata='{"poll": 1}')
    await ivs.put_metadata(channel_arn=arn, metadata="é" * 512)  # 1024 bytes: at the limit
    with pytest.raises(ValidationException, match="1024 bytes, got 1026"):
        await ivs.put_metadata(channel_arn=arn, metadata="é" * 513)
    records = ivs_emulator.metadata(arn)
    assert [(r.stream_id, r.payload) for r in records] == [(stream_id, '{"poll": 1}'), (stream_id, "é" * 512)]


async def test_put_metadata_rate_limit(ivs: Ivs, ivs_emulator: LocalIvs) -> None:
    arn = await new_channel(ivs)
    ivs_emulator.start_stream(arn)
    statuses = []
    for n in range(8):
        try:
            statuses.append((await ivs.put_metadata(channel_arn=arn, metadata=str(n))).metadata.http_status_code)
        except ThrottlingException as exc:
            statuses.append(exc.metadata.http_status_code)
    # 8 calls in far less than a second: 5 pass, 3 are throttled (the calls take well under 1 s here).
    assert statuses == [204] * 5 + [429] * 3
    assert len(ivs_emulator.metadata(arn)) == 5


async def test_viewer_session_revocation(ivs: Ivs, ivs_emulator: LocalIvs) -> None:
    arn = await new_channel(ivs)
    await ivs.start_viewer_session_revocation(
        channel_arn=arn, viewer_id="viewer-1", viewer_session_versions_less_than_or_equal_to=3
    )
    missing = f"arn:aws:ivs:us-west-2:{ACCOUNT}:channel/ABCDEFGHIJKL"
    with pytest.raises(ResourceNotFoundException):
        await ivs.start_viewer_session_revocation(channel_arn=missing, viewer_id="viewer-1")
    out = await ivs.batch_start_viewer_session_revocation(
        viewer_sessions=[
            BatchStartViewerSessionRevocationViewerSession(channel_arn=arn, viewer_id="viewer-2"),
            BatchStartViewerSessionRevocationViewerSession(channel_arn=missing, viewer_id="viewer-3"),
        ]
    )
    assert [(e.channel_arn, e.viewer_id, e.code) for e in out.errors or []] == [
        (missing, "viewer-3", "ResourceNotFoundException")
    ]
    assert [(r.viewer_id, r.max_version) for r in ivs_emulator.revocations(arn)] == [("viewer-1", 3), ("viewer-2", 0)]


# -- tags -------------------------------------------------------------------------------------------


async def test_tags_on_every_kind_of_resource(ivs: Ivs) -> None:
    out = await ivs.create_channel()
    assert out.channel is not None and out.stream_key is not None
    arns = [
        out.channel.arn,
        out.stream_key.arn,
        ((await ivs.import_playback_key_pair(public_key_material=public_key_pem())).key_pair or None).arn,  # type: ignore[union-attr]
        ((await ivs.create_recording_configuration(destination_configuration=S3)).recording_configuration).arn,  # type: ignore[union-attr]
        ((await ivs.create_playback_restriction_policy()).playback_restriction_policy).arn,  # type: ignore[union-attr]
        ((await ivs.create_ad_configuration(media_tailor_playback_configurations=MEDIATAILOR)).ad_configuration).arn,  # type: ignore[union-attr]
        ((await ivs.create_failover_slate_configuration()).failover_slate_configuration).arn,
    ]
    for arn in arns:
        assert arn is not None
        await ivs.tag_resource(resource_arn=arn, tags={"env": "test", "owner": "me", "with space": "v w"})
        await ivs.untag_resource(resource_arn=arn, tag_keys=["owner", "not-there"])
        assert (await ivs.list_tags_for_resource(resource_arn=arn)).tags == {"env": "test", "with space": "v w"}


async def test_tag_limits(ivs: Ivs) -> None:
    arn = await new_channel(ivs, tags={f"k{n}": "v" for n in range(45)})
    with pytest.raises(ValidationException, match="at most 50 tags"):
        await ivs.tag_resource(resource_arn=arn, tags={f"new{n}": "v" for n in range(6)})
    await ivs.tag_resource(resource_arn=arn, tags={f"new{n}": "v" for n in range(5)})
    with pytest.raises(ValidationException, match="reserved"):
        await ivs.tag_resource(resource_arn=arn, tags={"aws:owner": "x"})
    with pytest.raises(ResourceNotFoundException):
        await ivs.list_tags_for_resource(resource_arn=f"arn:aws:ivs:us-west-2:{ACCOUNT}:channel/ABCDEFGHIJKL")
    assert len((await ivs.list_tags_for_resource(resource_arn=arn)).tags or {}) == 50


# -- the model's constraints, checked by the emulator itself -----------------------------------------


async def test_model_constraints_are_validation_exceptions(raw_ivs: Ivs) -> None:
    with pytest.raises(ValidationException) as caught:
        await raw_ivs.create_channel(name="no spaces allowed", latency_mode="FAST")
    message = caught.value.message
    assert message.startswith("2 validation errors detected")
    assert "'name'" in message and "pattern" in message
    assert "'latencyMode'" in message and "LOW, NORMAL" in message
    with pytest.raises(ValidationException, match=r"'arn'.*required"):
        await raw_ivs.get_channel(arn=None)  # type: ignore[arg-type]
    with pytest.raises(ValidationException, match=r"'maxResults'.*at most 100"):
        await raw_ivs.list_channels(max_results=101)
    with pytest.raises(ValidationException, match="'resourceArn'"):
        await raw_ivs.list_tags_for_resource(resource_arn="arn:aws:s3:::bucket")
    with pytest.raises(ValidationException, match=r"'metadata'.*required"):
        await raw_ivs.put_metadata(channel_arn=f"arn:aws:ivs:us-west-2:{ACCOUNT}:channel/x", metadata=None)  # type: ignore[arg-type]


async def test_stream_key_value_is_masked_in_validation_messages(raw_ivs: Ivs) -> None:
    with pytest.raises(ValidationException) as caught:
        await raw_ivs.put_metadata(channel_arn="bad", metadata="secret-payload-123")
    assert "secret-payload-123" not in str(caught.value)


# -- pagination ---------------------------------------------------------------------------------------


async def test_pagination_is_stable_and_opaque(ivs: Ivs) -> None:
    arns = sorted([await new_channel(ivs, name=f"c{n}") for n in range(7)])
    first = await ivs.list_channels(max_results=3)
    assert len(first.channels or []) == 3 and first.next_token
    assert "arn:" not in first.next_token
    # Deleting an item already returned does not shift what comes next.
    await ivs.delete_channel(arn=(first.channels or [])[0].arn or "")
    second = await ivs.list_channels(max_results=3, next_token=first.next_token)
    third = await ivs.list_channels(max_results=3, next_token=second.next_token)
    assert third.next_token is None
    seen = [c.arn for page in (first, second, third) for c in page.channels or []]
    assert seen == arns
    again = await ivs.list_channels(max_results=3, next_token=first.next_token)
    assert again.channels == second.channels


async def test_paginator_and_bad_tokens(ivs: Ivs) -> None:
    for n in range(5):
        await new_channel(ivs, name=f"p{n}")
    names = sorted([c.name async for c in paginators.paginate_list_channels(ivs, page_size=2).items()])
    assert names == [f"p{n}" for n in range(5)]
    with pytest.raises(ValidationException, match="nextToken"):
        await ivs.list_channels(next_token="bm90LWEtdG9rZW4=")
    token = (await ivs.list_channels(max_results=1)).next_token
    with pytest.raises(ValidationException, match="nextToken"):
        await ivs.list_recording_configurations(next_token=token)  # a token of another operation


async def test_plugin_client_fixture(ivs_client: IvsClient, ivs_emulator: LocalIvs) -> None:
    from ivs_async.commands import CreateChannelCommand, ListChannelsCommand

    created = await ivs_client.send(CreateChannelCommand(name="from-fixture"))
    assert created.channel is not None
    listed = await ivs_client.send(ListChannelsCommand())
    assert [c.name for c in listed.channels or []] == ["from-fixture"]
    assert ivs_client.config.region == ivs_emulator.region


async def test_a_fresh_state_for_every_test(ivs: Ivs) -> None:
    # The session emulator served the tests above; this one starts empty.
    assert (await ivs.list_channels()).channels == []
    with pytest.raises(IvsServiceException):
        await ivs.get_channel(arn=f"arn:aws:ivs:us-west-2:{ACCOUNT}:channel/ABCDEFGHIJKL")


@pytest.mark.parametrize("operation", sorted(OPERATIONS))
async def test_every_operation_answers_our_client(ivs: Ivs, operation: str) -> None:
    """Any valid input gets a modeled answer: the output model, or one of the IVS errors."""
    op = OPERATIONS[operation]
    command_cls = next(c for c in COMMANDS if c.operation is op)
    try:
        out = await ivs.send(command_cls(full_valid(op.input)))
    except IvsServiceException as exc:
        out = exc
    if isinstance(out, IvsServiceException):
        assert type(out) is not IvsServiceException, f"unmodeled error {out.code}"
        assert out.metadata.http_status_code < 500
    else:
        assert isinstance(out, op.output_cls)
        assert out.metadata.http_status_code == op.success_code

"""Nested inputs as plain dicts (the generated ...Dict TypedDicts), as boto3 and JS v3 users write them."""

from __future__ import annotations

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from ivs_async.commands import BatchStartViewerSessionRevocationCommand, CreateRecordingConfigurationCommand
from ivs_async.errors import ParamValidationError
from ivs_async.models import DestinationConfiguration, S3DestinationConfiguration, ThumbnailConfiguration
from ivs_async.testing import LocalIvs


async def test_dicts_become_models_and_reach_the_service() -> None:
    command = CreateRecordingConfigurationCommand(
        destination_configuration={"s3": {"bucket_name": "recordings"}},
        thumbnail_configuration={"recording_mode": "INTERVAL", "target_interval_seconds": 30},
    )
    assert command.input.destination_configuration == DestinationConfiguration(
        s3=S3DestinationConfiguration(bucket_name="recordings")
    )
    assert isinstance(command.input.thumbnail_configuration, ThumbnailConfiguration)
    async with LocalIvs() as ivs, ivs.client() as client:
        out = await client.send(command)
    assert out.recording_configuration is not None
    destination = out.recording_configuration.destination_configuration
    assert destination is not None and destination.s3 is not None and destination.s3.bucket_name == "recordings"


def test_lists_of_dicts_are_accepted() -> None:
    arn = "arn:aws:ivs:us-west-2:123456789012:channel/abcdEFGH1234"
    command = BatchStartViewerSessionRevocationCommand(viewer_sessions=[{"channel_arn": arn, "viewer_id": "v1"}])
    (session,) = command.input.viewer_sessions
    assert session.viewer_id == "v1"


@pytest.mark.parametrize(
    ("destination", "path", "rule"),
    [
        ({"s3": {"bucket": "b"}}, "destination_configuration.s3.bucket", "unknown"),
        ({"s3": {}}, "destination_configuration.s3.bucket_name", "required"),
        ({"s4": {}}, "destination_configuration.s4", "unknown"),
    ],
)
def test_bad_dicts_are_validation_errors_naming_the_key(destination: object, path: str, rule: str) -> None:
    with pytest.raises(ParamValidationError) as info:
        CreateRecordingConfigurationCommand(destination_configuration=destination)  # type: ignore[arg-type]
    assert (info.value.operation, info.value.field, info.value.rule) == ("CreateRecordingConfiguration", path, rule)
    if path.endswith(".bucket"):
        assert "did you mean 'bucket_name'" in str(info.value)


def test_every_bad_key_at_every_depth_is_listed_with_its_path() -> None:
    arn = "arn:aws:ivs:us-west-2:123456789012:channel/abcdEFGH1234"
    with pytest.raises(ParamValidationError) as info:
        BatchStartViewerSessionRevocationCommand(
            viewer_sessions=[{"channel_arn": arn, "viewer_id": "v1"}, {"channelArn": arn, "viewer_id": "v2"}]  # type: ignore[list-item]
        )
    assert [(v.path, v.rule) for v in info.value.violations] == [
        ("viewer_sessions[1].channelArn", "unknown"),
        ("viewer_sessions[1].channel_arn", "required"),
    ]
    with pytest.raises(ParamValidationError) as info:
        CreateRecordingConfigurationCommand(
            destination_configuration={"s3": {"bucketName": "b"}},  # type: ignore[arg-type]
            thumbnail_configuration={"storage": ["SEQUENTIAL"], "interval": 5},  # type: ignore[arg-type]
        )
    assert {v.path for v in info.value.violations} == {
        "destination_configuration.s3.bucketName",
        "destination_configuration.s3.bucket_name",
        "thumbnail_configuration.interval",
    }


@given(
    st.lists(st.sampled_from(["s3", "x"]), min_size=0, max_size=1),
    st.from_regex(r"[a-zA-Z][a-zA-Z_]{0,12}", fullmatch=True),
)
def test_an_unknown_key_is_named_by_its_full_path(depth: list[str], key: str) -> None:
    assume(key not in {"s3", "bucket_name"})
    destination: dict[str, object] = (
        {"s3": {"bucket_name": "b", key: 1}} if depth else {"s3": {"bucket_name": "b"}, key: 1}
    )
    with pytest.raises(ParamValidationError) as info:
        CreateRecordingConfigurationCommand(destination_configuration=destination)  # type: ignore[arg-type]
    expected = f"destination_configuration.s3.{key}" if depth else f"destination_configuration.{key}"
    assert [(v.path, v.rule) for v in info.value.violations] == [(expected, "unknown")]


def test_from_dict_suggests_the_wire_name_of_a_snake_case_key() -> None:
    from ivs_async.commands import CreateChannelCommand

    with pytest.raises(ParamValidationError) as info:
        CreateChannelCommand.from_dict(
            {"latency_mode": "LOW", "multitrackInputConfiguration": {"maximum_resolution": "HD"}}
        )
    paths = {v.path: v.message for v in info.value.violations}
    assert "did you mean 'latencyMode'" in paths["$.latency_mode"]
    assert "did you mean 'maximumResolution'" in paths["$.multitrackInputConfiguration.maximum_resolution"]
    assert all(p.startswith("$.") for p in paths)  # one style: wire paths


def test_token_keyword_errors_name_the_public_function() -> None:
    from ivs_async.playback import create_token

    with pytest.raises(TypeError, match=r"create_token\(\) missing the required keyword argument 'expires_in'"):
        create_token("pem", "arn")  # type: ignore[call-arg]
    with pytest.raises(TypeError, match=r"create_token\(\) got an unexpected keyword argument 'viewer'"):
        create_token("pem", "arn", expires_in=60, viewer="v")  # type: ignore[call-arg]

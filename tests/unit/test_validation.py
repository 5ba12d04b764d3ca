"""Input validation through send(): each rule, its path, and no network call."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings

from ivs_async import IvsClient, ParamValidationError, StaticCredentials, commands, models
from ivs_async.middleware import HttpRequest, HttpResponse
from tests.conftest import KEY, REGION, SECRET
from tests.support.shapes import valid

ARN = "arn:aws:ivs:us-west-2:123456789012:channel/abcdEFGH1234"


class NoNetwork:
    """A transport that fails the test if anything is sent."""

    async def send(self, request: HttpRequest) -> HttpResponse:
        raise AssertionError(f"validation let a request through: {request}")

    async def close(self) -> None:
        pass


@pytest.fixture
async def offline() -> AsyncIterator[IvsClient]:
    async with IvsClient(region=REGION, credentials=StaticCredentials(KEY, SECRET), transport=NoNetwork()) as c:
        yield c


async def violations(client: IvsClient, command: Any) -> list[tuple[str, str]]:
    with pytest.raises(ParamValidationError) as info:
        await client.send(command)
    return [(v.path, v.rule) for v in info.value.violations]


async def test_required_member_set_to_none(offline: IvsClient) -> None:
    assert await violations(offline, commands.GetChannelCommand(arn=None)) == [("arn", "required")]  # type: ignore[arg-type]


async def test_type(offline: IvsClient) -> None:
    assert await violations(offline, commands.GetChannelCommand(arn=123)) == [("arn", "type")]  # type: ignore[arg-type]
    bad_bool = commands.CreateChannelCommand(authorized="yes")  # type: ignore[arg-type]
    assert await violations(offline, bad_bool) == [("authorized", "type")]
    bool_is_not_int = commands.ListChannelsCommand(max_results=True)
    assert await violations(offline, bool_is_not_int) == [("max_results", "type")]


async def test_enum(offline: IvsClient) -> None:
    with pytest.raises(ParamValidationError) as info:
        await offline.send(commands.CreateChannelCommand(latency_mode="FAST"))
    assert (info.value.field, info.value.rule) == ("latency_mode", "enum")
    assert "NORMAL" in str(info.value) and "'FAST'" in str(info.value)


async def test_length_and_range(offline: IvsClient) -> None:
    assert await violations(offline, commands.CreateChannelCommand(name="n" * 129)) == [("name", "length")]
    assert await violations(offline, commands.ListChannelsCommand(max_results=101)) == [("max_results", "range")]
    assert await violations(offline, commands.ListChannelsCommand(max_results=0)) == [("max_results", "range")]
    too_many = commands.BatchGetChannelCommand(arns=[ARN] * 51)
    assert await violations(offline, too_many) == [("arns", "length")]
    assert await violations(offline, commands.BatchGetChannelCommand(arns=[])) == [("arns", "length")]


async def test_pattern_is_a_full_match(offline: IvsClient) -> None:
    assert await violations(offline, commands.CreateChannelCommand(name="has space")) == [("name", "pattern")]
    suffix = commands.GetChannelCommand(arn=ARN + "!")
    assert await violations(offline, suffix) == [("arn", "pattern")]
    assert await violations(offline, commands.GetChannelCommand(arn="x" + ARN)) == [("arn", "pattern")]


async def test_nested_paths_and_every_violation_is_reported(offline: IvsClient) -> None:
    command = commands.CreateRecordingConfigurationCommand(
        destination_configuration=models.DestinationConfiguration(s3=models.S3DestinationConfiguration()),
        thumbnail_configuration=models.ThumbnailConfiguration(target_interval_seconds=0, storage=["SOMETIMES"]),
        tags={"ok": "x" * 257},
    )
    assert await violations(offline, command) == [
        ("destination_configuration.s3.bucket_name", "required"),
        ("tags['ok']", "length"),
        ("thumbnail_configuration.storage[0]", "enum"),
        ("thumbnail_configuration.target_interval_seconds", "range"),
    ]


async def test_list_items(offline: IvsClient) -> None:
    command = commands.BatchStartViewerSessionRevocationCommand(
        viewer_sessions=[
            models.BatchStartViewerSessionRevocationViewerSession(channel_arn=ARN, viewer_id=""),
            None,  # type: ignore[list-item]
        ]
    )
    assert await violations(offline, command) == [
        ("viewer_sessions[0].viewer_id", "length"),
        ("viewer_sessions[1]", "required"),
    ]


async def test_tag_arns_of_every_resource_type_pass(offline: IvsClient) -> None:
    # The model's ResourceArn pattern only allows one-letter resource types; codegen fixes it.
    class Answer(NoNetwork):
        async def send(self, request: HttpRequest) -> HttpResponse:
            return HttpResponse(200, {}, b'{"tags": {}}')

    async with IvsClient(region=REGION, credentials=StaticCredentials(KEY, SECRET), transport=Answer()) as client:
        for kind in ("channel", "stream-key", "playback-key", "recording-configuration"):
            await client.send(commands.ListTagsForResourceCommand(resource_arn=f"arn:aws:ivs:us-west-2:1:{kind}/a1"))


async def test_sensitive_values_never_appear_in_errors(offline: IvsClient) -> None:
    with pytest.raises(ParamValidationError) as info:
        await offline.send(commands.PutMetadataCommand(channel_arn=ARN, metadata=""))
    assert (info.value.field, info.value.rule) == ("metadata", "length")
    with pytest.raises(ParamValidationError) as info:
        await offline.send(commands.PutMetadataCommand(channel_arn="bad channel", metadata="the-secret"))
    assert "the-secret" not in str(info.value)


async def test_tag_keys_follow_the_unicode_pattern(offline: IvsClient) -> None:
    ok = commands.TagResourceCommand(resource_arn=ARN, tags={"Zürich büro 東京": "v@a.b"})

    class Answer(NoNetwork):
        async def send(self, request: HttpRequest) -> HttpResponse:
            return HttpResponse(200, {}, b"{}")

    async with IvsClient(region=REGION, credentials=StaticCredentials(KEY, SECRET), transport=Answer()) as client:
        await client.send(ok)
    bad = commands.TagResourceCommand(resource_arn=ARN, tags={"no#hash": "v"})
    assert await violations(offline, bad) == [("tags<key 'no#hash'>", "pattern")]


async def test_timestamps_must_be_datetimes(offline: IvsClient) -> None:
    command = commands.InsertAdBreakCommand(channel_arn=ARN, duration_seconds=5, target_start_at="now")  # type: ignore[arg-type]
    assert await violations(offline, command) == [("target_start_at", "type")]
    fine = commands.InsertAdBreakCommand(channel_arn=ARN, duration_seconds=5, target_start_at=datetime.now(UTC))
    with pytest.raises(AssertionError, match="let a request through"):
        await offline.send(fine)


@settings(max_examples=100, deadline=None)
@given(request=valid(commands.CreateChannelCommand.operation.input))
def test_generated_valid_inputs_pass_validation(request: models.CreateChannelRequest) -> None:
    from ivs_async._protocol.validation import compile_validator

    compile_validator(commands.CreateChannelCommand.operation.input, "CreateChannel")(request)

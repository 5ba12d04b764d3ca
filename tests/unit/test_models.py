"""Models, wire conversion and commands, through the public modules."""

from __future__ import annotations

import pickle
from datetime import UTC, datetime, timedelta, timezone

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ivs_async import ParamValidationError, commands, models
from ivs_async.commands import CreateChannelCommand, GetChannelCommand, TagResourceCommand
from ivs_async.models import (
    Channel,
    ChannelLatencyMode,
    ChannelType,
    CreateChannelRequest,
    GetChannelResponse,
    GetStreamSessionResponse,
    StreamKey,
)
from tests.support.shapes import sample_wire

ARN = "arn:aws:ivs:us-west-2:123456789012:channel/abcdEFGH1234"


def test_models_are_frozen_slotted_and_keyword_only() -> None:
    channel = Channel(arn=ARN, name="a")
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        channel.name = "b"  # type: ignore[misc]
    assert not hasattr(channel, "__dict__")
    with pytest.raises(TypeError):
        Channel(ARN)  # type: ignore[misc]


def test_input_members_are_snake_case_and_wire_is_camel_case() -> None:
    command = CreateChannelCommand(
        name="demo", latency_mode="LOW", recording_configuration_arn="", insecure_ingest=True
    )
    assert command.to_dict() == {
        "name": "demo",
        "latencyMode": "LOW",
        "recordingConfigurationArn": "",
        "insecureIngest": True,
    }
    assert CreateChannelCommand.from_dict(command.to_dict()) == command


def test_command_accepts_a_ready_input_but_not_both() -> None:
    request = CreateChannelRequest(name="demo")
    assert CreateChannelCommand(request).input is request
    with pytest.raises(ParamValidationError, match="not both"):
        CreateChannelCommand(request, name="x")
    with pytest.raises(ParamValidationError, match="expected CreateChannelRequest"):
        CreateChannelCommand(GetChannelCommand(arn=ARN).input)  # type: ignore[arg-type]


def test_command_keyword_errors_name_the_member() -> None:
    with pytest.raises(ParamValidationError) as info:
        GetChannelCommand(arnn=ARN)  # type: ignore[call-arg]
    assert [(v.path, v.rule) for v in info.value.violations] == [("arnn", "unknown"), ("arn", "required")]
    assert info.value.field == "arnn"
    assert isinstance(info.value, ValueError)


def test_from_dict_is_strict_about_user_input() -> None:
    with pytest.raises(ParamValidationError) as info:
        GetChannelCommand.from_dict({"arn": ARN, "bogus": 1})
    assert info.value.rule == "unknown"
    with pytest.raises(ParamValidationError) as info:
        GetChannelCommand.from_dict({})
    assert (info.value.field, info.value.rule) == ("$.arn", "required")
    with pytest.raises(ParamValidationError) as info:
        GetChannelCommand.from_dict({"arn": 12})
    assert info.value.rule == "type"
    with pytest.raises(ParamValidationError) as info:
        TagResourceCommand.from_dict({"resourceArn": ARN, "tags": {"a": 1}})
    assert info.value.rule == "type"
    with pytest.raises(ParamValidationError):
        GetChannelCommand.from_dict(["arn"])  # type: ignore[arg-type]


def test_unknown_enum_values_and_fields_from_the_service_are_kept_or_ignored() -> None:
    out = GetChannelResponse.from_dict(
        {"channel": {"arn": ARN, "type": "ULTRA_HD_2030", "latencyMode": "LOW", "newField": {"x": 1}}, "extra": 1}
    )
    assert out.channel is not None
    assert out.channel.type == "ULTRA_HD_2030"
    assert out.channel.latency_mode is ChannelLatencyMode.LOW
    assert out.to_dict() == {"channel": {"arn": ARN, "type": "ULTRA_HD_2030", "latencyMode": "LOW"}}


def test_enums_compare_as_strings() -> None:
    assert ChannelType.STANDARD == "STANDARD"
    assert CreateChannelCommand(type=ChannelType.BASIC).to_dict() == {"type": "BASIC"}


@pytest.mark.parametrize(
    ("wire", "expected"),
    [
        ("2024-05-06T07:08:09Z", datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC)),
        ("2024-05-06T07:08:09.123Z", datetime(2024, 5, 6, 7, 8, 9, 123000, tzinfo=UTC)),
        ("2024-05-06T07:08:09.123456Z", datetime(2024, 5, 6, 7, 8, 9, 123456, tzinfo=UTC)),
    ],
)
def test_timestamps_are_aware_and_round_trip(wire: str, expected: datetime) -> None:
    out = GetStreamSessionResponse.from_dict({"streamSession": {"startTime": wire}})
    assert out.stream_session is not None
    assert out.stream_session.start_time == expected
    assert out.stream_session.start_time.tzinfo is not None
    assert out.to_dict() == {"streamSession": {"startTime": wire}}


def test_timestamps_go_out_in_utc() -> None:
    plus_two = datetime(2024, 5, 6, 9, 8, 9, tzinfo=timezone(timedelta(hours=2)))
    command = commands.InsertAdBreakCommand(channel_arn=ARN, duration_seconds=30, target_start_at=plus_two)
    assert command.to_dict()["targetStartAt"] == "2024-05-06T07:08:09Z"


def test_sensitive_members_are_masked_in_repr() -> None:
    key = StreamKey(arn="arn:aws:ivs:us-west-2:1:stream-key/k", value="sk_us-west-2_TOPSECRET")
    assert "TOPSECRET" not in repr(key)
    assert "value='****'" in repr(key)
    assert key.value == "sk_us-west-2_TOPSECRET"
    command = commands.PutMetadataCommand(channel_arn=ARN, metadata="secret-payload")
    assert "secret-payload" not in repr(command)
    channel = Channel(srt=models.Srt(endpoint="srt://x", passphrase="pass-phrase-123"))
    assert "pass-phrase-123" not in repr(channel)
    assert repr(models.Srt()) == "Srt()"  # unset members are left out


def test_response_metadata_is_not_part_of_the_wire_form() -> None:
    out = GetChannelResponse.from_dict({"channel": {"arn": ARN}})
    out.metadata.request_id = "abc"
    assert out.to_dict() == {"channel": {"arn": ARN}}
    assert out == GetChannelResponse.from_dict({"channel": {"arn": ARN}})


def test_models_pickle() -> None:
    out = GetChannelResponse.from_dict({"channel": {"arn": ARN, "type": "STANDARD", "tags": {"a": "b"}}})
    assert pickle.loads(pickle.dumps(out)) == out


OUTPUT_SHAPES = [
    c.operation.output
    for c in (getattr(commands, n) for n in commands.__all__)
    if isinstance(c, type) and issubclass(c, commands.Command) and c is not commands.Command
]


@pytest.mark.parametrize("shape", OUTPUT_SHAPES, ids=lambda s: s.name)
def test_every_output_round_trips_its_full_wire_form(shape: object) -> None:
    body = sample_wire(shape)  # type: ignore[arg-type]
    model = shape.cls.from_dict(body)  # type: ignore[attr-defined]
    assert model.to_dict() == body


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=8,
)


# Keys the models know are not "unknown": a known member of the wrong type is an error (test below).
_OUTPUT = GetChannelCommand.operation.output
KNOWN_KEYS = {m.wire for shape in (_OUTPUT, _OUTPUT.members[0].shape) for m in shape.members}
unknown_keys = st.text(min_size=1, max_size=8).filter(lambda key: key not in KNOWN_KEYS)


@settings(max_examples=200, deadline=None)
@given(extra=st.dictionaries(unknown_keys, json_values, max_size=4), enum_value=st.text(max_size=12))
def test_any_unknown_keys_and_enum_values_never_break_parsing(extra: dict[str, object], enum_value: str) -> None:
    known = {"arn": ARN, "type": enum_value, "latencyMode": enum_value}
    channel = {**extra, **known}
    out = GetChannelResponse.from_dict({"channel": channel, **extra})
    assert out.channel is not None
    assert out.channel.arn == ARN
    assert out.channel.type == enum_value


def test_unknown_keyword_suggests_the_member_meant() -> None:
    with pytest.raises(ParamValidationError, match="did you mean 'target_start_at'"):
        commands.InsertAdBreakCommand(channel_arn=ARN, duration_seconds=30, target_start=1)  # type: ignore[call-arg]


def test_a_known_member_of_the_wrong_type_is_a_typed_error() -> None:
    with pytest.raises(ParamValidationError, match="Srt"):
        GetChannelResponse.from_dict({"channel": {"arn": ARN, "srt": []}})


@given(arn=st.text(max_size=8), other_arn=st.text(max_size=8), tags=st.dictionaries(st.text(), st.text(), max_size=3))
def test_models_compare_and_hash_by_value(arn: str, other_arn: str, tags: dict[str, str]) -> None:
    a, b = models.Channel(arn=arn, name="n"), models.Channel(arn=arn, name="n")
    assert a == b and hash(a) == hash(b) and len({a, b}) == 1
    assert (a != b) is False
    assert (a == models.Channel(arn=other_arn, name="n")) is (arn == other_arn)
    assert a != models.ChannelSummary(arn=arn, name="n")  # another class, the same members
    assert a != arn
    assert models.Channel(arn=arn, tags=tags) == models.Channel(arn=arn, tags=dict(tags))
    with pytest.raises(TypeError):
        hash(models.Channel(tags=tags))  # a dict member is unhashable, as with attrs' own hash
    # Outputs compare by their members, never by the metadata of the response they came from.
    first, second = GetChannelResponse(channel=a), GetChannelResponse(channel=b)
    second.metadata.request_id = "another"
    assert first == second and hash(first) == hash(second)
    assert attrs.evolve(a, name="x") != a

"""parse_event on IVS's documented event shapes, unknown input, malformed input; EventLedger."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ivs_async.errors import IvsSdkError
from ivs_async.events import (
    EventLedger,
    EventParseError,
    IvsEvent,
    LimitBreach,
    RecordingStateChange,
    StreamHealthChange,
    StreamStateChange,
    UnknownEvent,
    parse_event,
)

ARN = "arn:aws:ivs:us-west-2:123456789012:channel/abcdEFGH1234"
RECORDING = "IVS Recording State Change"


def envelope(detail_type: str, detail: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "version": "0",
        "id": extra.pop("id", "01234567-0123-0123-0123-012345678901"),
        "detail-type": detail_type,
        "source": "aws.ivs",
        "account": "123456789012",
        "time": extra.pop("time", "2026-11-26T10:00:00Z"),
        "region": "us-west-2",
        "resources": [ARN],
        "detail": detail,
        **extra,
    }


def test_stream_state_change() -> None:
    event = parse_event(
        envelope("IVS Stream State Change", {"event_name": "Stream Start", "channel_name": "c", "stream_id": "st-1"})
    )
    assert isinstance(event, StreamStateChange)
    assert (event.event_name, event.channel_name, event.stream_id) == ("Stream Start", "c", "st-1")
    assert event.time == datetime(2026, 11, 26, 10, tzinfo=UTC) and event.channel_arn == ARN
    assert event.unknown_detail == {} and event.resources == (ARN,)


def test_stream_failure_and_health() -> None:
    failure = parse_event(
        envelope("IVS Stream State Change", {"event_name": "Stream Failure", "reason": "why", "code": "E1"})
    )
    assert isinstance(failure, StreamStateChange) and (failure.reason, failure.code) == ("why", "E1")
    health = parse_event(envelope("IVS Stream Health Change", {"event_name": "Starvation Start", "stream_id": "s"}))
    assert isinstance(health, StreamHealthChange) and health.event_name == "Starvation Start"


def test_limit_breach_numbers() -> None:
    event = parse_event(
        envelope(
            "IVS Limit Breach",
            {"limit_name": "Stream Ingest Bitrate", "limit_value": 8500, "exceeded_by": "120.5", "limit_unit": "Kbps"},
        )
    )
    assert isinstance(event, LimitBreach)
    assert (event.limit_name, event.limit_value, event.exceeded_by, event.limit_unit) == (
        "Stream Ingest Bitrate",
        8500,
        120.5,
        "Kbps",
    )


def test_recording_state_change() -> None:
    detail = {
        "channel_name": "c",
        "stream_id": "st-1",
        "recording_status": "Recording End",
        "recording_status_reason": "",
        "recording_s3_bucket_name": "bucket",
        "recording_s3_key_prefix": "ivs/v1/123456789012/abcd/2026/11/26/10/0/st-1",
        "recording_duration_ms": 60000,
        "recording_session_id": "rs-1",
        "recording_session_stream_ids": ["st-1", "st-2"],
    }
    event = parse_event(json.dumps(envelope("IVS Recording State Change", detail)).encode())
    assert isinstance(event, RecordingStateChange)
    assert event.recording_duration_ms == 60000 and event.recording_session_stream_ids == ("st-1", "st-2")
    assert event.recording_s3_bucket_name == "bucket"


def test_unknown_types_and_fields_are_kept() -> None:
    event = parse_event(envelope("IVS Something New", {"x": 1}, extra_key="kept"))
    assert isinstance(event, UnknownEvent) and event.detail == {"x": 1}
    assert event.unknown_envelope == {"extra_key": "kept"}
    known = parse_event(envelope("IVS Stream State Change", {"event_name": "Stream End", "new_field": [1]}))
    assert isinstance(known, StreamStateChange) and known.unknown_detail == {"new_field": [1]}


def test_models_are_frozen() -> None:
    event = parse_event(envelope("IVS Stream State Change", {"event_name": "Stream End"}))
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        event.id = "other"  # type: ignore[misc]
    with pytest.raises(TypeError):
        event.detail["event_name"] = "x"  # type: ignore[index]


@pytest.mark.parametrize(
    ("data", "field", "rule"),
    [
        (b"{not json", "<event>", "json"),
        ("[1, 2]", "<event>", "type"),
        ({**envelope("IVS Stream State Change", {}), "source": "aws.s3"}, "source", "value"),
        ({k: v for k, v in envelope("IVS Stream State Change", {}).items() if k != "id"}, "id", "required"),
        (envelope("IVS Stream State Change", {}, time="yesterday"), "time", "format"),
        (envelope("IVS Stream State Change", {}, time="2026-11-26T10:00:00"), "time", "format"),
        ({**envelope("IVS Stream State Change", {}), "detail": "x"}, "detail", "type"),
        ({**envelope("IVS Stream State Change", {}), "resources": "arn"}, "resources", "type"),
        (envelope("IVS Stream State Change", {"event_name": 5}), "detail.event_name", "type"),
        (envelope("IVS Limit Breach", {"limit_value": "lots"}), "detail.limit_value", "type"),
        (
            envelope(RECORDING, {"recording_duration_ms": 1.5}),
            "detail.recording_duration_ms",
            "type",
        ),
        (
            envelope(RECORDING, {"recording_session_stream_ids": "st"}),
            "detail.recording_session_stream_ids",
            "type",
        ),
    ],
)
def test_malformed_input_is_a_clear_error(data: Any, field: str, rule: str) -> None:
    with pytest.raises(EventParseError) as caught:
        parse_event(data)
    assert (caught.value.field, caught.value.rule) == (field, rule)
    assert isinstance(caught.value, IvsSdkError) and field in str(caught.value)


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)
DETAIL_TYPES = st.sampled_from(
    ["IVS Stream State Change", "IVS Stream Health Change", "IVS Limit Breach", "IVS Recording State Change", "X"]
)
FIELDS = st.sampled_from(["event_name", "limit_value", "recording_duration_ms", "recording_session_stream_ids", "z"])


def parse_or_error(data: Any) -> IvsEvent | EventParseError:
    try:
        return parse_event(data)
    except EventParseError as exc:
        return exc


@given(data=JSON)
def test_any_json_is_an_event_or_a_parse_error(data: Any) -> None:
    outcome = parse_or_error(json.dumps(data))
    assert isinstance(outcome, IvsEvent | EventParseError)


@given(detail_type=DETAIL_TYPES, detail=st.dictionaries(FIELDS, JSON, max_size=4))
def test_any_detail_is_an_event_or_a_parse_error_naming_its_field(detail_type: str, detail: dict[str, Any]) -> None:
    outcome = parse_or_error(envelope(detail_type, detail))
    if isinstance(outcome, EventParseError):
        assert outcome.field.startswith("detail.") and outcome.field[7:] in detail
    else:
        assert dict(outcome.detail) == detail


def _event(event_id: str, time: str, name: str = "Stream Start") -> IvsEvent:
    return parse_event(envelope("IVS Stream State Change", {"event_name": name}, id=event_id, time=time))


def test_ledger_drops_duplicates_and_late_events() -> None:
    ledger = EventLedger()
    start = _event("a", "2026-11-26T10:00:00Z")
    end = _event("b", "2026-11-26T10:05:00Z", "Stream End")
    assert ledger.accept(start) and ledger.accept(end)
    assert not ledger.accept(start)  # duplicate delivery
    late = _event("c", "2026-11-26T10:01:00Z", "Stream Start")
    assert not ledger.accept(late)  # older than what was applied
    same_second = _event("d", "2026-11-26T10:05:00Z", "Session Ended")
    assert ledger.accept(same_second)
    recording = parse_event(
        envelope(
            "IVS Recording State Change", {"recording_status": "Recording End"}, id="e", time="2026-11-26T10:04:00Z"
        )
    )
    assert ledger.accept(recording)  # another detail type: its own order
    assert "a" in ledger and "zzz" not in ledger


def test_ledger_memory_is_bounded() -> None:
    ledger = EventLedger(remember=3)
    for n in range(5):
        assert ledger.accept(_event(str(n), "2026-11-26T10:00:00Z"), key=f"k{n}")
    assert "0" not in ledger and "4" in ledger

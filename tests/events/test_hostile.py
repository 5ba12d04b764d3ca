"""parse_event on hostile input, and the ledger's bound on keys."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ivs_async.errors import EventParseError
from ivs_async.events import EventLedger, IvsEvent, parse_event
from tests.events.test_parse import ARN, envelope


@pytest.mark.parametrize(
    ("data", "rule"),
    [
        (b"[" * 100_000 + b"]" * 100_000, "json"),
        (json.dumps(envelope("X", {"a": 1})).replace('"a": 1', '"a": ' + "[" * 100 + "]" * 100), "depth"),
        ('{"source": "aws.ivs", "x": NaN}', "json"),
        ('{"source": "aws.ivs", "x": 1e999}', "json"),
        (b'{"source": "\xff"}', "json"),
        ("{" + " " * 300_000 + "}", "size"),
    ],
)
def test_hostile_text_is_a_parse_error(data: str | bytes, rule: str) -> None:
    with pytest.raises(EventParseError) as info:
        parse_event(data)
    assert info.value.rule == rule


def test_a_deep_dict_is_refused_too() -> None:
    detail: dict[str, Any] = {}
    inner = detail
    for _ in range(10_000):
        inner["x"] = {}
        inner = inner["x"]
    with pytest.raises(EventParseError, match="nested deeper"):
        parse_event(envelope("IVS Stream State Change", detail))


@pytest.mark.parametrize(
    ("detail", "field"),
    [
        ({"limit_value": "nan"}, "detail.limit_value"),
        ({"limit_value": "inf"}, "detail.limit_value"),
        ({"recording_duration_ms": "²"}, "detail.recording_duration_ms"),
        ({"recording_duration_ms": "9" * 500}, "detail.recording_duration_ms"),
    ],
)
def test_numbers_sent_as_text_must_be_finite_numbers(detail: dict[str, Any], field: str) -> None:
    detail_type = "IVS Limit Breach" if "limit_value" in detail else "IVS Recording State Change"
    with pytest.raises(EventParseError) as info:
        parse_event(envelope(detail_type, detail))
    assert info.value.field == field


def test_the_version_must_be_short() -> None:
    with pytest.raises(EventParseError) as info:
        parse_event({**envelope("X", {}), "version": [[["0"]]]})
    assert info.value.field == "version"


@settings(max_examples=300)
@given(data=st.binary(max_size=512))
def test_any_bytes_are_an_event_or_a_parse_error(data: bytes) -> None:
    try:
        outcome = parse_event(data)
    except EventParseError:
        return
    assert isinstance(outcome, IvsEvent)


def test_the_ledger_forgets_the_least_recent_keys_beyond_its_bound() -> None:
    ledger = EventLedger(max_keys=1000)
    for n in range(200_000):
        event = parse_event(
            {**envelope("IVS Stream State Change", {"event_name": "Stream Start"}), "id": f"e{n}"}
            | {"resources": [f"{ARN}{n}"], "time": "2026-11-26T10:05:00Z"}
        )
        assert ledger.accept(event)
    late_old = parse_event({**envelope("IVS Stream State Change", {}), "id": "late-0", "resources": [f"{ARN}0"]})
    late_new = parse_event({**envelope("IVS Stream State Change", {}), "id": "late-1", "resources": [f"{ARN}199999"]})
    assert ledger.accept(late_old)  # its key was forgotten: nothing newer is known for it
    assert not ledger.accept(late_new)  # still known: 10:00 is older than 10:05
    assert ledger.tracked_keys() <= 1000

"""JSON from outside: the standard decoder and orjson (the `speedups` extra) give one verdict."""

from __future__ import annotations

import json
import re
import tracemalloc
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from ivs_async._protocol import json as _json
from ivs_async._protocol.json import JsonError
from ivs_async.commands import CreateChannelCommand, GetChannelCommand, ListChannelsCommand
from ivs_async.testing import LocalIvs

pytest.importorskip("orjson")  # a test dependency: without it both paths are the same one

DECODERS = ["standard", "orjson"]
# Numbers where the two may differ by design: integers past 64 bits, numbers past 64 characters.
_LONG_NUMBER = re.compile(rb"[0-9]{19}")

JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(st.characters(exclude_categories=("Cs",))),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=8), inner, max_size=5),
    max_leaves=20,
)


def decode(which: str, data: bytes | str, monkeypatch: pytest.MonkeyPatch) -> Any:
    if which == "standard":
        monkeypatch.setattr(_json, "_FAST", None)
    else:
        assert _json._FAST is not None, "orjson is installed for the tests: the fast path must be on"
    try:
        return "value", _json.loads(data)
    except JsonError as exc:
        return "refused", exc.reason


@pytest.mark.parametrize("which", DECODERS)
@given(value=JSON_VALUES)
def test_json_text_reads_back_as_its_value(which: str, value: Any) -> None:
    with pytest.MonkeyPatch.context() as monkeypatch:
        assert decode(which, json.dumps(value).encode(), monkeypatch) == ("value", value)


@given(data=st.binary(max_size=300) | JSON_VALUES.map(lambda v: json.dumps(v).encode()))
@example(data=b'{"a": NaN}')
@example(data=b'{"a": 1e999}')
@example(data=b'"\\ud800"')
@example(data=b"\xef\xbb\xbf{}")
@example(data=b'{"a": "\xff"}')
@example(data=b"[" * 2000 + b"]" * 2000)
def test_both_decoders_give_one_verdict(data: bytes) -> None:
    with pytest.MonkeyPatch.context() as monkeypatch:
        fast = decode("orjson", data, monkeypatch)
        standard = decode("standard", data, monkeypatch)
    if _LONG_NUMBER.search(data):
        assert fast[0] == "value" or fast == standard  # orjson may read what the standard refuses
    else:
        assert fast == standard


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b'{"a": NaN}', "NaN"),
        (b'{"a": 1e999}', "out of the range"),
        (b'{"a": ' + b"9" * 5000 + b"}", "digits"),
        (b'{"a": "\xff\xfe"}', "not UTF-8"),
        (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
    ],
)
@pytest.mark.parametrize("which", DECODERS)
def test_hostile_documents_are_refused_with_the_reason(
    which: str, body: bytes, reason: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    verdict, said = decode(which, body, monkeypatch)
    assert verdict == "refused" and reason in said


@pytest.mark.parametrize("which", DECODERS)
async def test_the_client_reads_responses_with_either_decoder(which: str, monkeypatch: pytest.MonkeyPatch) -> None:
    if which == "standard":
        monkeypatch.setattr(_json, "_FAST", None)
    async with LocalIvs() as ivs, ivs.client() as client:
        created = await client.send(CreateChannelCommand(name="json", tags={"k": "v"}))
        assert created.channel is not None and created.channel.arn is not None
        got = await client.send(GetChannelCommand(arn=created.channel.arn))
        page = await client.send(ListChannelsCommand())
    assert got.channel == created.channel
    assert [c.arn for c in page.channels or []] == [created.channel.arn]


# What the writers produce: no floats (the IVS model has none), integers of any size.
REQUEST_VALUES = st.recursive(
    st.booleans() | st.integers() | st.text(st.characters(exclude_categories=("Cs",))),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=8), inner, max_size=5),
    max_leaves=20,
)


@given(value=REQUEST_VALUES)
def test_both_encoders_write_the_same_bytes(value: Any) -> None:
    with pytest.MonkeyPatch.context() as monkeypatch:
        assert _json._FAST is not None, "orjson is installed for the tests: the fast path must be on"
        fast = _json.dumps(value)
        monkeypatch.setattr(_json, "_FAST", None)
        standard = _json.dumps(value)
    assert fast == standard
    assert json.loads(fast) == value


@pytest.mark.parametrize("which", DECODERS)
def test_what_orjson_cannot_write_is_written_or_refused_as_before(which: str, monkeypatch: pytest.MonkeyPatch) -> None:
    if which == "standard":
        monkeypatch.setattr(_json, "_FAST", None)
    assert _json.dumps({"big": 2**70}) == b'{"big":1180591620717411303424}'
    with pytest.raises(UnicodeEncodeError):
        _json.dumps({"k": "\ud800"})


def test_request_bodies_hold_no_more_memory_than_their_bytes() -> None:
    # A body lives as long as its call; thousands of queued calls must not each keep a buffer.
    bodies = []
    tracemalloc.start()
    try:
        for n in range(2000):
            bodies.append(_json.dumps({"arn": f"arn:aws:ivs:us-west-2:123456789012:channel/{n:012d}"}))
        held = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    assert held < 2000 * 200, held  # about 100 bytes each, not kilobytes

"""The generated response readers read exactly as the lenient cattrs converter they replace."""

from __future__ import annotations

from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from multidict import CIMultiDict, CIMultiDictProxy

from ivs_async import IvsClient, StaticCredentials, commands
from ivs_async._core.http import HttpRequest, HttpResponse
from ivs_async._generated.ivs.readers import READERS
from ivs_async._generated.ivs.schema import STRUCTURES
from ivs_async._protocol.converter import _WIRE, structure_hook, to_wire
from ivs_async._protocol.model import Model, ResponseMetadata
from ivs_async.commands import ListChannelsCommand
from ivs_async.errors import ResponseParseError
from ivs_async.models import (
    ChannelSummary,
    ChannelType,
    RenditionConfiguration,
    RenditionConfigurationRendition,
)
from tests.conftest import KEY, REGION, SECRET
from tests.support.shapes import ANY_JSON, full_valid, mutated, valid

SENT = sorted(READERS, key=lambda cls: cls.__name__)


def typed(value: Any) -> Any:
    """``value`` with the type of every part: a StrEnum member equals its string, this does not."""
    if attrs.has(type(value)):
        return type(value), tuple((a.name, typed(getattr(value, a.name))) for a in attrs.fields(type(value)) if a.eq)
    if isinstance(value, list):
        return "list", tuple(typed(v) for v in value)
    if isinstance(value, dict):
        return "dict", tuple(sorted((k, typed(v)) for k, v in value.items()))
    return type(value), value


def outcome(reader: Any, cls: type[Any], wire: Any) -> Any:
    try:
        return typed(reader(wire, cls))
    except Exception:  # any failure: the response parser then reports it, the same way for both
        return "fails"


def test_every_structure_the_service_sends_has_a_reader() -> None:
    outputs = {
        getattr(commands, n).operation.output_cls for n in commands.__all__ if n.endswith("Command") and n != "Command"
    }
    assert outputs <= set(READERS)
    assert all(structure_hook(cls) is READERS[cls] for cls in outputs)


@pytest.mark.parametrize("cls", SENT, ids=lambda cls: cls.__name__)
@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_a_reader_agrees_with_the_converter(cls: type[Any], data: st.DataObject) -> None:
    wire = to_wire(data.draw(valid(STRUCTURES[cls]), label="model"))
    how = data.draw(st.sampled_from(["as is", "mutated", "unknown keys", "unknown enum", "any json"]), label="how")
    if how == "mutated":
        wire = mutated(wire, data.draw, one_in=4)
    elif how == "unknown keys":
        wire = {**wire, "someNewMember": data.draw(ANY_JSON)}
    elif how == "unknown enum":
        wire = {k: ("A_NEW_VALUE" if isinstance(v, str) else v) for k, v in wire.items()}
    elif how == "any json":
        wire = data.draw(ANY_JSON)
    cattrs_reader = _WIRE.get_structure_hook(cls)
    assert outcome(READERS[cls], cls, wire) == outcome(cattrs_reader, cls, wire)
    if how == "as is":
        # Readers fill slots without __init__: every member is set, metadata (eq=False) included.
        read = READERS[cls](wire, cls)
        assert all(hasattr(read, a.name) for a in attrs.fields(cls))
        modeled = {m.name for m in STRUCTURES[cls].members}
        if any(a.name == "metadata" for a in attrs.fields(cls)) and "metadata" not in modeled:
            assert type(read.metadata) is ResponseMetadata and read.metadata == ResponseMetadata()
            assert read.metadata is not READERS[cls](wire, cls).metadata


def models_in(value: Any) -> list[Any]:
    """Every model instance in ``value``, nested ones included (not the mutable ResponseMetadata)."""
    if isinstance(value, Model):
        return [value] + [m for a in attrs.fields(type(value)) for m in models_in(getattr(value, a.name))]
    if isinstance(value, list):
        return [m for v in value for m in models_in(v)]
    if isinstance(value, dict):
        return [m for v in value.values() for m in models_in(v)]
    return []


@pytest.mark.parametrize("cls", SENT, ids=lambda cls: cls.__name__)
def test_a_read_model_is_the_frozen_model_itself(cls: type[Any]) -> None:
    # Readers fill a private subclass that allows stores, then make it the model: nothing of
    # that subclass may show, and the result is as frozen as one built through __init__.
    read = READERS[cls](to_wire(full_valid(STRUCTURES[cls])), cls)
    assert type(read) is cls
    for model in models_in(read):
        declared = type(model)
        assert declared.__module__ == "ivs_async.models" and not declared.__name__.startswith("_")
        name = attrs.fields(declared)[0].name
        with pytest.raises(attrs.exceptions.FrozenInstanceError):
            setattr(model, name, None)
        with pytest.raises(attrs.exceptions.FrozenInstanceError):
            delattr(model, name)
        rebuilt = declared(**{a.name: getattr(model, a.name) for a in attrs.fields(declared) if a.init})
        assert rebuilt == model and typed(rebuilt) == typed(model)


def test_a_reader_refuses_a_wrong_type_and_keeps_unknown_enum_values() -> None:
    read = READERS[ChannelSummary]
    kept = read({"arn": "a", "latencyMode": "ULTRA_LOW", "type": "STANDARD", "authorized": True}, ChannelSummary)
    assert type(kept) is ChannelSummary
    assert type(kept.latency_mode) is str and kept.latency_mode == "ULTRA_LOW"
    assert kept.type is ChannelType.STANDARD and kept.authorized is True and kept.name is None
    for wrong in (
        {"authorized": "true"},
        {"arn": 1},
        {"tags": {"k": 1}},
        {"tags": []},
        {"latencyMode": 3},
        {"latencyMode": True},
        {"latencyMode": 1.5},
        {"latencyMode": ["LOW"]},
        {"latencyMode": {"LOW": 1}},
    ):
        with pytest.raises(TypeError):
            read(wrong, ChannelSummary)
    assert read({"latencyMode": None}, ChannelSummary).latency_mode is None
    renditions = READERS[RenditionConfiguration]
    assert renditions({"renditions": ["SD", "NEW"]}, RenditionConfiguration).renditions == [
        RenditionConfigurationRendition.SD,
        "NEW",
    ]
    for wrong_item in (None, 1, ["SD"]):
        with pytest.raises(TypeError):
            renditions({"renditions": ["SD", wrong_item]}, RenditionConfiguration)
    with pytest.raises(TypeError):
        read(["not", "an", "object"], ChannelSummary)


class Answering:
    """A transport answering every request with one 200 response."""

    def __init__(self, body: bytes) -> None:
        self.answer = HttpResponse(200, CIMultiDictProxy(CIMultiDict({"x-amzn-RequestId": "r"})), body)

    async def send(self, request: HttpRequest, **timeouts: float | None) -> HttpResponse:
        return self.answer

    async def close(self) -> None:
        pass


async def test_the_response_parser_still_names_the_member_of_the_wrong_type() -> None:
    body = b'{"channels": [{"arn": "a"}, {"arn": "b", "authorized": "yes"}], "nextToken": "t"}'
    async with IvsClient(region=REGION, credentials=StaticCredentials(KEY, SECRET), transport=Answering(body)) as c:
        with pytest.raises(ResponseParseError, match=r"channels.*1.*authorized"):
            await c.send(ListChannelsCommand())

"""The generated response readers read exactly as the lenient cattrs converter they replace."""

from __future__ import annotations

from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ivs_async import commands
from ivs_async._converter import _WIRE, structure_hook, to_wire
from ivs_async._generated.readers import READERS
from ivs_async._generated.schema import STRUCTURES
from ivs_async._model import ResponseMetadata
from tests.support.shapes import ANY_JSON, mutated, valid

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

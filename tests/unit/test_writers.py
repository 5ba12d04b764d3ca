"""The generated request writers write exactly what the cattrs converter they replace wrote."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ivs_async import commands
from ivs_async._generated.ivs.schema import STRUCTURES
from ivs_async._generated.ivs.writers import WRITERS
from ivs_async._protocol.converter import _WIRE
from tests.support.shapes import valid

WRITTEN = sorted(WRITERS, key=lambda cls: cls.__name__)


def typed(value: Any) -> Any:
    """``value`` with the type of every part: a StrEnum member equals its string, this does not."""
    if isinstance(value, list):
        return "list", tuple(typed(v) for v in value)
    if isinstance(value, dict):
        return "dict", tuple(sorted((k, typed(v)) for k, v in value.items()))
    return type(value), value


def test_every_operation_input_has_a_writer() -> None:
    inputs = {
        getattr(commands, n).operation.input_cls for n in commands.__all__ if n.endswith("Command") and n != "Command"
    }
    assert inputs <= set(WRITERS)


@pytest.mark.parametrize("cls", WRITTEN, ids=lambda cls: cls.__name__)
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_a_writer_agrees_with_the_converter(cls: type[Any], data: st.DataObject) -> None:
    model = data.draw(valid(STRUCTURES[cls], full=data.draw(st.booleans(), label="full")), label="model")
    if data.draw(st.booleans(), label="enum members"):
        # Read back, the known enum values become enum members: writers must write both forms.
        model = _WIRE.structure(_WIRE.unstructure(model), cls)
    written = WRITERS[cls](model)
    assert typed(written) == typed(_WIRE.unstructure(model))
    # A copy: the caller's lists and dicts never end up in (or change with) the request.
    for value in written.values():
        if isinstance(value, list | dict) and value:
            assert all(value is not getattr(model, a) for a in dir(model) if not a.startswith("_"))


def test_a_call_loads_neither_cattrs_nor_the_converter() -> None:
    """What one call needs (client, command, serializing, reading) loads without cattrs."""
    code = (
        "import sys, asyncio\n"
        "from ivs_async import IvsClient\n"
        "from ivs_async.commands import CreateChannelCommand\n"
        "from ivs_async.testing import LocalIvs\n"
        "async def main():\n"
        "    async with LocalIvs() as ivs:\n"
        "        async with IvsClient(region=ivs.region, endpoint=ivs.endpoint, environ={},\n"
        "                             credentials=ivs.credentials) as client:\n"
        "            out = await client.send(CreateChannelCommand(name='x', tags={'a': 'b'}))\n"
        "            assert out.channel.name == 'x', out\n"
        "asyncio.run(main())\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'cattrs' or m == 'ivs_async._protocol.converter'))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip().splitlines()[-1] == "[]"

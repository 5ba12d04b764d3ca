"""Finding 5 (Low): a client takes any service's commands, for the type checker and at run time.
`IvsRealTimeClient.send(CreateRoomCommand(...))` and `paginate_list_stages(IvsChat(...))` pass
mypy --strict (ServiceClient.send and the paginators' Sender take Command[Any, T]), and run: the
request is signed for the client's service and sent to its endpoint (against AWS, the wrong host;
IVS Local answers 403 InvalidSignatureException "scoped to correct service"). Expected: a type
error, or at least a ConfigurationError/ParamValidationError before sending."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from mypy import api

from ivs_async.chat.commands import CreateRoomCommand
from ivs_async.errors import IvsError, IvsServiceException
from ivs_async.testing import LocalIvs

SNIPPET = """
from ivs_async.chat import IvsChat
from ivs_async.chat.commands import CreateRoomCommand
from ivs_async.realtime import IvsRealTimeClient
from ivs_async.realtime.paginators import paginate_list_stages


async def wrong(rt: IvsRealTimeClient, chat: IvsChat) -> None:
    await rt.send(CreateRoomCommand(name="b"))
    async for _ in paginate_list_stages(chat):
        pass
"""


def test_mypy_refuses_a_command_of_another_service(tmp_path: Path) -> None:
    path = tmp_path / "wrong_service.py"
    path.write_text(textwrap.dedent(SNIPPET))
    out, _, status = api.run(["--strict", "--no-incremental", "--cache-dir", str(tmp_path / "c"), str(path)])
    assert status != 0, out
    assert out.count("error:") >= 2, out


async def test_a_command_of_another_service_fails_before_sending() -> None:
    async with LocalIvs() as local, local.realtime_client() as rt:
        with pytest.raises(IvsError) as caught:
            await rt.send(CreateRoomCommand(name="b"))  # mypy --strict accepts this line
        assert not isinstance(caught.value, IvsServiceException), caught.value  # refused by the client
        assert local.requests("CreateRoom") == 0

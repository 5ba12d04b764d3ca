"""A client sends only its own service's commands: another's is refused before anything is sent
(it would be signed for this service and sent to this service's host)."""

from __future__ import annotations

import pytest

from ivs_async.testing import LocalIvs


async def test_a_client_refuses_another_services_command_before_sending() -> None:
    from ivs_async.chat.commands import CreateRoomCommand
    from ivs_async.errors import ParamValidationError
    from ivs_async.realtime.commands import ListStagesCommand
    from ivs_async.realtime.paginators import paginate_list_stages

    async with LocalIvs() as local, local.realtime_client() as rt, local.chat_client() as chat:
        with pytest.raises(ParamValidationError) as refused:
            await rt.send(CreateRoomCommand(name="b"))
        assert refused.value.violations[0].rule == "service"
        assert "IVS Chat command" in str(refused.value) and "IvsRealTime" in str(refused.value)
        with pytest.raises(ParamValidationError):
            await chat.send(ListStagesCommand())
        with pytest.raises(ParamValidationError):
            async for _ in paginate_list_stages(chat):
                pass
        assert await rt.send(ListStagesCommand()) is not None  # its own still go
        assert local.requests("CreateRoom") == local.requests("ListStages") - 1 == 0

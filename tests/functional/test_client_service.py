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


async def test_each_service_is_paced_to_its_own_rates_under_its_own_keys() -> None:
    from collections.abc import Sequence
    from typing import Any

    from ivs_async.limits import InProcessRateLimiter, Limit, Reservation

    class Recording(InProcessRateLimiter):
        def __init__(self) -> None:
            super().__init__(account_id="123456789012")
            self.asked: list[tuple[str, float]] = []

        async def acquire(self, scope: str, keys: Sequence[tuple[str, Limit]], **options: Any) -> Reservation:
            self.asked += [(name, limit.rate) for name, limit in keys]
            return await super().acquire(scope, keys, **options)

    limiter = Recording()
    async with (
        LocalIvs() as local,
        local.chat_client(rate_limiter=limiter) as chat,
        local.realtime_client(rate_limiter=limiter) as rt,
        local.aggregated_client(rate_limiter=limiter) as ivs,
    ):
        room = await chat.create_room()
        assert room.arn is not None
        await chat.list_tags_for_resource(resource_arn=room.arn)
        stage = (await rt.create_stage()).stage
        assert stage is not None and stage.arn is not None
        await rt.create_participant_token(stage_arn=stage.arn)
        await rt.list_tags_for_resource(resource_arn=stage.arn)
        await ivs.list_channels()
    # The published per-account rates; TagResource & co. share a name across services, not a key.
    assert limiter.asked == [
        ("api:ivschat:CreateRoom", 5),
        ("api:ivschat:ListTagsForResource", 10),
        ("api:ivs_realtime:CreateStage", 5),
        ("api:ivs_realtime:CreateParticipantToken", 50),
        ("api:ivs_realtime:ListTagsForResource", 10),
        ("api:ListChannels", 5),
    ]

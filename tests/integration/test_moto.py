"""The channel operations against moto's IVS in server mode (an independent implementation)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from ivs_async import Ivs, StaticCredentials
from ivs_async.commands import (
    BatchGetChannelCommand,
    CreateChannelCommand,
    DeleteChannelCommand,
    GetChannelCommand,
    ListChannelsCommand,
    UpdateChannelCommand,
)
from ivs_async.errors import ResourceNotFoundException
from ivs_async.models import ChannelLatencyMode, ChannelType
from ivs_async.paginators import paginate_list_channels


@pytest.fixture
async def ivs(moto_endpoint: str) -> AsyncIterator[Ivs]:
    async with Ivs(region="us-west-2", credentials=StaticCredentials("AKID", "SECRET"), endpoint=moto_endpoint) as c:
        yield c


async def test_channel_lifecycle(ivs: Ivs) -> None:
    created = await ivs.send(
        CreateChannelCommand(name="moto-demo", latency_mode="LOW", type=ChannelType.BASIC, tags={"team": "video"})
    )
    assert created.channel is not None and created.stream_key is not None
    arn = created.channel.arn
    assert arn is not None and arn.startswith("arn:aws:ivs:us-west-2:")
    assert created.channel.latency_mode is ChannelLatencyMode.LOW
    assert created.stream_key.value and "****" in repr(created.stream_key)
    assert created.metadata.http_status_code == 200 and created.metadata.request_id

    got = await ivs.send(GetChannelCommand.from_dict({"arn": arn}))
    assert got.channel == created.channel
    assert got.to_dict()["channel"]["name"] == "moto-demo"

    updated = await ivs.send(UpdateChannelCommand(arn=arn, name="moto-renamed", latency_mode="NORMAL"))
    assert updated.channel is not None and updated.channel.name == "moto-renamed"

    batch = await ivs.send(BatchGetChannelCommand(arns=[arn, arn.replace("/", "/missing")]))
    assert [c.arn for c in batch.channels or []] == [arn]

    listed = await ivs.send(ListChannelsCommand(filter_by_name="moto-renamed"))
    assert [c.arn for c in listed.channels or []] == [arn]

    await ivs.send(DeleteChannelCommand(arn=arn))
    with pytest.raises(ResourceNotFoundException) as info:
        await ivs.get_channel(arn=arn)
    assert info.value.metadata is not None and info.value.metadata.http_status_code == 404


async def test_pagination_against_moto(ivs: Ivs) -> None:
    arns = []
    for i in range(5):
        out = await ivs.create_channel(name=f"page-{i}")
        assert out.channel is not None and out.channel.arn is not None
        arns.append(out.channel.arn)
    seen = [c.arn async for c in paginate_list_channels(ivs, page_size=2).items()]
    assert set(arns) <= set(seen)
    pages = [p async for p in paginate_list_channels(ivs, page_size=2)]
    assert len(pages) >= 3
    for arn in arns:
        await ivs.delete_channel(arn=arn)

"""Finding 3 (Medium): IVS Chat's state has no byte bound. IVS's own resources stop at 32 MiB of
state (ServiceQuotaExceededException, README "Limits and safety"), but rooms only meet the 50,000
rooms quota, and nothing paces CreateRoom: 10,000 rooms with 50 tags of maximum size took one
client 14.5 s and +276 MB of ivs-local's RSS, so the quota allows ~1.4 GB from one peer.

Here: 1,400 such rooms (well over 32 MiB of wire JSON) must meet a bound before the last."""

from __future__ import annotations

import asyncio

import pytest

from ivs_async.chat.errors import ServiceQuotaExceededException
from ivs_async.testing import LocalIvs


async def test_rooms_stop_at_the_state_bound() -> None:
    async with LocalIvs() as local, local.chat_client(max_attempts=1) as chat:
        gate = asyncio.Semaphore(16)

        async def one(i: int) -> None:
            async with gate:
                tags = {f"{i:06d}{j:02d}" + "k" * 120: "v" * 256 for j in range(50)}
                await chat.create_room(name="n" * 128, tags=tags)

        with pytest.raises(ServiceQuotaExceededException):
            await asyncio.gather(*(one(i) for i in range(1400)))
        assert local.unexpected_errors == 0

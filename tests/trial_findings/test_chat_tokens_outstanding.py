"""Finding 7 (Low): IVS Local keeps at most 10,000 chat tokens issued in the last hour (used ones
included) and forgets the oldest beyond that, so a backend that issues more (CreateChatToken's
published rate is 200 a second: 50 s) finds its earlier, unused tokens refused with 401 "not valid
or has expired" although they have 59 minutes left. IVS has no such cap. (Real-Time's records of
DisconnectParticipant are capped the same way, at 10,000: junk disconnections evict a real one,
and verify_participant_token accepts that participant's token again.)"""

from __future__ import annotations

import asyncio

import aiohttp

from ivs_async.testing import LocalIvs


async def test_an_early_token_still_connects_after_10000_more() -> None:
    async with LocalIvs() as local, local.chat_client() as chat:
        room = await chat.create_room(name="busy")
        assert room.arn is not None
        arn = room.arn
        first = await chat.create_chat_token(room_identifier=arn, user_id="first")
        gate = asyncio.Semaphore(32)

        async def one(i: int) -> None:
            async with gate:
                await chat.create_chat_token(room_identifier=arn, user_id=f"u{i}")

        await asyncio.gather(*(one(i) for i in range(10_000)))
        assert first.token is not None
        async with aiohttp.ClientSession() as session:
            ws = await session.ws_connect(local.chat_url, protocols=(first.token,))
            assert ws.protocol == first.token
            await ws.close()

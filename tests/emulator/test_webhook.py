"""--events-url: IVS events POSTed to a webhook, in order, retried, with the shared secret."""

from __future__ import annotations

import asyncio
import json

from ivs_async.testing import LocalIvs
from tests.support.loopback import LoopbackServer, Reply


async def test_events_reach_the_webhook_in_order_despite_failures(server: LoopbackServer) -> None:
    server.queue(Reply(503, b"busy"), Reply(200, b""))  # the first delivery is retried
    async with LocalIvs(events_url=server.endpoint + "/ivs-events", events_secret="s3cret") as ivs:
        async with ivs.aggregated_client() as client:
            created = await client.create_channel(name="hooked")
            assert created.channel is not None and created.channel.arn
            ivs.start_stream(created.channel.arn)
            ivs.end_stream(created.channel.arn)
        for _ in range(200):
            if ivs.events_delivered[0] == 4:
                break
            await asyncio.sleep(0.02)
        assert ivs.events_delivered == (4, 0)
    bodies = [json.loads(r.body) for r in server.received]
    assert all(r.raw_path == "/ivs-events" and r.headers["X-Webhook-Secret"] == "s3cret" for r in server.received)
    names = [b["detail"].get("event_name") for b in bodies]
    assert names == ["Session Created", "Session Created", "Stream Start", "Stream End", "Session Ended"]
    assert bodies[0]["id"] == bodies[1]["id"]  # the retry is the same event


async def test_a_refusing_webhook_gives_up_without_blocking_the_emulator(server: LoopbackServer) -> None:
    server.default = Reply(401, b"no")
    async with LocalIvs(events_url=server.endpoint + "/x") as ivs, ivs.aggregated_client() as client:
        created = await client.create_channel(name="refused")
        assert created.channel is not None and created.channel.arn
        ivs.start_stream(created.channel.arn)
        for _ in range(200):
            if ivs.events_delivered[1] == 2:
                break
            await asyncio.sleep(0.02)
        assert ivs.events_delivered == (0, 2)
        assert len(server.received) == 2  # a 401 is not retried
        assert ivs.is_live(created.channel.arn)

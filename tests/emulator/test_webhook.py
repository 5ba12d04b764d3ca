"""--events-url: IVS events POSTed to a webhook, in order, retried, with the shared secret."""

from __future__ import annotations

import asyncio
import json

import pytest

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


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
async def test_a_redirect_is_a_failed_delivery_never_followed(
    server: LoopbackServer, status: int, caplog: pytest.LogCaptureFixture
) -> None:
    elsewhere = LoopbackServer()
    await elsewhere.start()
    try:
        server.default = Reply(status, b"", {"Location": elsewhere.endpoint + "/stolen"})
        url = server.endpoint.replace("http://", "http://user:p4ssw0rd@") + "/hook?token=t0k3n"
        with caplog.at_level("WARNING", logger="ivs_async.testing"):
            async with LocalIvs(events_url=url, events_secret="s3cret") as ivs, ivs.aggregated_client() as client:
                ivs._forwarder._base_delay = 0.01  # type: ignore[union-attr]  # retry at once
                created = await client.create_channel(name="redirected")
                assert created.channel is not None and created.channel.arn
                ivs.start_stream(created.channel.arn)
                for _ in range(300):
                    if ivs.events_delivered[1] == 2:
                        break
                    await asyncio.sleep(0.02)
                assert ivs.events_delivered == (0, 2)  # both events lost, after their retries
        assert elsewhere.received == []  # neither the event nor its secret went where it pointed
        assert len(server.received) == 2 * 6 and all(r.method == "POST" for r in server.received)
    finally:
        await elsewhere.close()
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "redirect" in logged and server.endpoint + "/hook" in logged
    assert "p4ssw0rd" not in logged and "t0k3n" not in logged and "user" not in logged

"""The control API under /_ivs_local/: a standalone emulator driven over plain HTTP, as a test in
another language would drive it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from ivs_async import Ivs
from ivs_async.errors import InternalServerException
from ivs_async.testing import LocalIvs


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def control(http: aiohttp.ClientSession, emulator: LocalIvs, method: str, path: str, body: Any = None) -> Any:
    async with http.request(method, f"{emulator.endpoint}/_ivs_local/{path}", json=body) as response:
        text = await response.text()
        assert response.status < 500, text
        return response.status, (
            await response.json() if text and response.content_type == "application/json" else None
        )


async def test_drive_a_broadcast_over_http(ivs: Ivs, ivs_emulator: LocalIvs, http: aiohttp.ClientSession) -> None:
    status, health = await control(http, ivs_emulator, "GET", "health")
    assert status == 200 and health["status"] == "ok" and health["region"] == ivs_emulator.region
    created = await ivs.create_channel(name="http-driven")
    assert created.channel is not None and created.channel.arn
    arn = created.channel.arn
    status, started = await control(http, ivs_emulator, "POST", "streams/start", {"channelArn": arn, "viewerCount": 3})
    assert status == 200 and started["streamId"].startswith("st-")
    stream = (await ivs.get_stream(channel_arn=arn)).stream
    assert stream is not None and stream.viewer_count == 3
    await ivs.put_metadata(channel_arn=arn, metadata="hello")
    assert (await control(http, ivs_emulator, "POST", "streams/update", {"channelArn": arn, "health": "STARVING"}))[
        0
    ] == 204
    status, metadata = await control(http, ivs_emulator, "GET", f"metadata?channelArn={arn}")
    assert [m["payload"] for m in metadata["metadata"]] == ["hello"]
    assert (await control(http, ivs_emulator, "POST", "streams/end", {"channelArn": arn}))[0] == 204
    status, events = await control(http, ivs_emulator, "GET", "events")
    names = [e["detail"].get("event_name") for e in events["events"]]
    assert "Stream Start" in names and "Stream End" in names and "Starvation Start" in names


async def test_faults_snapshot_load_and_reset(ivs: Ivs, ivs_emulator: LocalIvs, http: aiohttp.ClientSession) -> None:
    fault = {"kind": "ERROR", "operation": "ListChannels", "errorCode": "InternalServerException", "times": 5}
    assert (await control(http, ivs_emulator, "POST", "faults", fault))[0] == 204
    with pytest.raises(InternalServerException):
        await ivs.list_channels()
    assert (await control(http, ivs_emulator, "DELETE", "faults"))[0] == 204
    await ivs.create_channel(name="kept")
    status, snapshot = await control(http, ivs_emulator, "GET", "snapshot")
    assert status == 200
    assert (await control(http, ivs_emulator, "POST", "reset"))[0] == 204
    assert (await ivs.list_channels()).channels == []
    assert (await control(http, ivs_emulator, "POST", "load", snapshot))[0] == 204
    assert [c.name for c in (await ivs.list_channels()).channels or []] == ["kept"]


@pytest.mark.parametrize(
    ("method", "path", "body", "status"),
    [
        ("POST", "streams/start", {"channelArn": "arn:aws:ivs:us-west-2:123456789012:channel/none"}, 400),
        ("POST", "streams/start", {"channelArn": 5}, 400),
        ("POST", "streams/start", [1, 2], 400),
        ("POST", "faults", {"kind": "EXPLODE"}, 400),
        ("POST", "faults", {"operation": "NoSuchOperation"}, 400),
        ("POST", "faults", {"bogus": 1}, 400),
        ("POST", "load", {"format": "something else"}, 400),
        ("GET", "nothing-here", None, 404),
        ("DELETE", "health", None, 404),
    ],
)
async def test_bad_control_requests_are_4xx(
    ivs_emulator: LocalIvs, http: aiohttp.ClientSession, method: str, path: str, body: Any, status: int
) -> None:
    got, answer = await control(http, ivs_emulator, method, path, body)
    assert got == status and answer["message"]
    assert ivs_emulator.unexpected_errors == 0


async def test_request_and_throttle_counts(ivs: Ivs, ivs_emulator: LocalIvs, http: aiohttp.ClientSession) -> None:
    from ivs_async.errors import ResourceNotFoundException, ThrottlingException
    from ivs_async.testing import Quotas

    ivs_emulator.quotas = Quotas(enforce_api_rates=True)
    async with ivs_emulator.aggregated_client(max_attempts=1) as single:
        for _ in range(4):  # 10 per second: none throttled
            with pytest.raises(ResourceNotFoundException):
                await single.list_tags_for_resource(resource_arn="arn:aws:ivs:us-west-2:123456789012:channel/x")
        results = [await single.list_channels() for _ in range(5)]
        with pytest.raises(ThrottlingException):
            await single.list_channels()
    assert len(results) == 5 and ivs_emulator.throttled("ListChannels") == 1 and ivs_emulator.throttled() == 1
    status, counts = await control(http, ivs_emulator, "GET", "requests")
    assert status == 200
    assert counts["requests"]["ListChannels"] == 6 and counts["requests"]["ListTagsForResource"] == 4
    assert counts["throttled"] == {"ListChannels": 1}

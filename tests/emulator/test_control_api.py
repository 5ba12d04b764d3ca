"""The control API under /_ivs_local/: a standalone emulator driven over plain HTTP, as a test in
another language would drive it."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ivs_async import Ivs
from ivs_async.errors import InternalServerException
from ivs_async.testing import LocalIvs


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def control(http: aiohttp.ClientSession, emulator: LocalIvs, method: str, path: str, body: Any = None) -> Any:
    if method == "POST" and body is None:
        body = {}  # a POST is JSON, as the control API requires
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


# -- only the emulator's own pages and non-browser clients ---------------------------------------------


async def raw(
    http: aiohttp.ClientSession, emulator: LocalIvs, method: str, path: str, headers: dict[str, str], body: bytes = b""
) -> tuple[int, str]:
    async with http.request(
        method, f"{emulator.endpoint}/_ivs_local/{path}", headers=headers, data=body, skip_auto_headers=["Content-Type"]
    ) as response:
        return response.status, await response.text()


async def test_a_page_of_another_site_cannot_read_or_change_anything(
    ivs: Ivs, ivs_emulator: LocalIvs, http: aiohttp.ClientSession
) -> None:
    created = await ivs.create_channel(name="secret-holder")
    assert created.stream_key is not None and created.stream_key.value
    port = ivs_emulator.endpoint.rsplit(":", 1)[1]
    before = ivs_emulator.snapshot()
    fault = json.dumps({"kind": "ERROR", "operation": "ListChannels"}).encode()
    refused = {
        # DNS rebinding: evil.example resolves to 127.0.0.1; the page's requests name its host.
        "rebinding": ("GET", "snapshot", {"Host": f"evil.example:{port}"}, b""),
        "rebinding, from its own page": (
            "GET", "snapshot", {"Host": f"evil.example:{port}", "Origin": f"http://evil.example:{port}"}, b""
        ),
        "another origin": ("POST", "faults", {"Origin": "http://evil.test", "Content-Type": "application/json"}, fault),
        "a simple request": ("POST", "faults", {"Content-Type": "text/plain"}, fault),
        "a form": ("POST", "reset", {"Content-Type": "application/x-www-form-urlencoded"}, b"a=1"),
        "no content type": ("POST", "reset", {}, b""),
        "cross-site, says the browser": ("GET", "snapshot", {"Sec-Fetch-Site": "cross-site"}, b""),
        "an opaque origin": ("GET", "events", {"Origin": "null"}, b""),
    }  # fmt: skip
    for reason, (method, path, headers, body) in refused.items():
        status, text = await raw(http, ivs_emulator, method, path, headers, body)
        assert status == 403, reason
        assert created.stream_key.value not in text, reason
    assert ivs_emulator.faults.pending == [] and ivs_emulator.snapshot() == before  # nothing changed
    allowed = {
        "curl": ("GET", "health", {}),
        "its own page": ("GET", "health", {"Origin": f"http://127.0.0.1:{port}", "Sec-Fetch-Site": "same-origin"}),
        "localhost": ("GET", "health", {"Host": f"localhost:{port}"}),
        "an address": ("GET", "health", {"Host": f"192.0.2.10:{port}"}),
        "typed into the address bar": ("GET", "health", {"Sec-Fetch-Site": "none"}),
    }
    for reason, (method, path, headers) in allowed.items():
        assert (await raw(http, ivs_emulator, method, path, headers))[0] == 200, reason


async def test_the_advertised_host_is_one_of_its_names(http: aiohttp.ClientSession) -> None:
    async with LocalIvs(advertise_host="ivs-local") as emulator:
        port = emulator.endpoint.rsplit(":", 1)[1]
        url = f"http://127.0.0.1:{port}/_ivs_local/health"
        async with http.get(url, headers={"Host": f"ivs-local:{port}"}) as response:
            assert response.status == 200
        async with http.get(url, headers={"Host": f"other-name:{port}"}) as response:
            assert response.status == 403 and "--advertise-host" in (await response.json())["message"]


async def test_bodies_are_bounded(ivs_emulator: LocalIvs, http: aiohttp.ClientSession) -> None:
    status, body = await control(http, ivs_emulator, "POST", "streams/start", {"channelArn": "x" * 100_000})
    assert status == 400 and "larger than" in body["message"]
    huge = b'{"format": "' + b"x" * (33 * 1024 * 1024) + b'"}'
    status, text = await raw(http, ivs_emulator, "POST", "load", {"Content-Type": "application/json"}, huge)
    assert status == 400 and "larger than" in text


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    method=st.sampled_from(["GET", "POST", "DELETE", "PUT", "OPTIONS"]),
    path=st.sampled_from(
        [
            *("health", "reset", "snapshot", "load", "streams/start", "faults", "events", "nope", "channels"),
            *("recordings", "metadata", "dashboard", "dashboard/", "dashboard/dashboard.js", "dashboard/key"),
            "dashboard/token",
        ]
    ),
    navigation=st.booleans(),
    host=st.sampled_from(["", "evil.example", "localhost", "127.0.0.1", "[::1]", "a" * 300]),
    origin=st.sampled_from([None, "null", "http://evil.test", "same"]),
    site=st.sampled_from([None, "cross-site", "same-site", "same-origin", "none"]),
    kind=st.sampled_from([None, "application/json", "text/plain", "application/json; charset=utf-8"]),
    body=st.binary(max_size=300) | st.just(b"{}") | st.just(b'{"channelArn": 7}'),
)
async def test_any_request_to_the_control_api_gets_an_answer_and_changes_nothing_when_refused(
    ivs_emulator: LocalIvs,
    http: aiohttp.ClientSession,
    method: str,
    path: str,
    host: str,
    origin: str | None,
    site: str | None,
    kind: str | None,
    body: bytes,
    navigation: bool,
) -> None:
    port = ivs_emulator.endpoint.rsplit(":", 1)[1]
    headers = {"Host": f"{host}:{port}" if host else f"127.0.0.1:{port}"}
    if navigation:  # a link followed (to the dashboard's page, which another site may link to)
        headers.update({"Sec-Fetch-Mode": "navigate", "Sec-Fetch-Dest": "document"})
    if origin is not None:
        headers["Origin"] = f"http://{headers['Host']}" if origin == "same" else origin
    if site is not None:
        headers["Sec-Fetch-Site"] = site
    if kind is not None:
        headers["Content-Type"] = kind
    before = (ivs_emulator.snapshot(), ivs_emulator.faults.pending)
    status, _ = await raw(http, ivs_emulator, method, path, headers, body)
    assert status < 500
    if status == 403:
        assert (ivs_emulator.snapshot(), ivs_emulator.faults.pending) == before
    refused = origin not in (None, "same") or site not in (None, "same-origin", "none")
    if refused and status != 403:  # only the page itself opens from another site's link
        assert (method, path, navigation, status) in {(m, "dashboard/", True, 200) for m in ("GET", "HEAD")}
    assert ivs_emulator.unexpected_errors == 0


async def test_fault_rules_are_bounded_in_number(ivs_emulator: LocalIvs, http: aiohttp.ClientSession) -> None:
    from ivs_async.testing._faults import MAX_RULES

    rule = {"kind": "ERROR", "operation": "GetChannel", "errorCode": "InternalServerException", "times": None}
    for _ in range(MAX_RULES):
        assert (await control(http, ivs_emulator, "POST", "faults", rule))[0] == 204
    status, body = await control(http, ivs_emulator, "POST", "faults", rule)
    assert status == 400 and f"at most {MAX_RULES}" in body["message"]
    assert len(ivs_emulator.faults.pending) == MAX_RULES
    assert (await control(http, ivs_emulator, "DELETE", "faults"))[0] == 204
    assert (await control(http, ivs_emulator, "POST", "faults", rule))[0] == 204


async def test_one_load_at_a_time_and_none_larger_than_a_state(
    ivs_emulator: LocalIvs, http: aiohttp.ClientSession
) -> None:
    from ivs_async.testing._backend import MAX_STATE_BYTES

    url = f"{ivs_emulator.endpoint}/_ivs_local/load"
    headers = {"Content-Type": "application/json"}
    # Announced larger than a state: refused before a byte of it is read.
    announced = {**headers, "Content-Length": str(MAX_STATE_BYTES + 1)}
    async with http.post(url, data=b"{", headers=announced) as response:
        assert response.status == 400 and "larger than" in await response.text()

    # A load whose body is still arriving holds the one place: a second one meanwhile gets 409.
    release = asyncio.Event()

    async def slow_body() -> AsyncIterator[bytes]:
        yield b" "
        await release.wait()
        yield ivs_emulator.snapshot().encode()

    first = asyncio.create_task(http.post(url, data=slow_body(), headers=headers))
    await asyncio.sleep(0.3)
    async with http.post(url, data=ivs_emulator.snapshot(), headers=headers) as second:
        assert second.status == 409
    release.set()
    async with await first as response:
        assert response.status == 204

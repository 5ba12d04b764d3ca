"""The dashboard's side of the emulator, over plain HTTP: its page and files (and their policy),
the control API routes it reads and acts through, its key pair, and the banner line. The page
itself, in a browser, is tests/browser/test_dashboard.py."""

from __future__ import annotations

import asyncio
import json
import re
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from ivs_async import Ivs
from ivs_async.playback import tokenized_url
from ivs_async.testing import LocalIvs
from tests.emulator.media import publish, stop, until
from tests.emulator.viewer import Viewer

FILES = {
    "": "text/html",
    "dashboard.js": "text/javascript",
    "dashboard.css": "text/css",
    "hls.light.min.js": "text/javascript",
    "icon.svg": "image/svg+xml",
}


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def control(http: aiohttp.ClientSession, emulator: LocalIvs, method: str, path: str, body: Any = None) -> Any:
    if method == "POST" and body is None:
        body = {}
    async with http.request(method, f"{emulator.endpoint}/_ivs_local/{path}", json=body) as response:
        text = await response.text()
        assert response.status < 500, text
        return response.status, (json.loads(text) if text and response.content_type == "application/json" else None)


def private_pem(curve: ec.EllipticCurve | None = None) -> tuple[str, str]:
    key = ec.generate_private_key(curve or ec.SECP384R1())
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    public = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    return private.decode(), public.decode()


# -- the page ------------------------------------------------------------------------------------


async def test_the_page_and_its_files_come_from_the_emulator_under_a_strict_policy(
    ivs_emulator: LocalIvs, http: aiohttp.ClientSession
) -> None:
    assert ivs_emulator.dashboard_url == f"{ivs_emulator.endpoint}/_ivs_local/dashboard/"
    for name, kind in FILES.items():
        async with http.get(ivs_emulator.dashboard_url + name) as response:
            assert response.status == 200 and response.content_type == kind, name
            body = await response.read()
            policy = response.headers["Content-Security-Policy"]
            assert response.headers["X-Content-Type-Options"] == "nosniff"
            assert response.headers["X-Frame-Options"] == "DENY"
            etag = response.headers["ETag"]
        directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
        assert directives["default-src"] == "'none'" and directives["frame-ancestors"] == "'none'"
        for directive in ("script-src", "connect-src", "media-src", "img-src", "style-src"):
            assert directives[directive].startswith("'self'"), directive
            assert not re.search(r"https?:|\*", directives[directive]), directive
        async with http.get(ivs_emulator.dashboard_url + name, headers={"If-None-Match": etag}) as again:
            assert again.status == 304 and not await again.read()
        if name in ("", "dashboard.js", "dashboard.css"):
            # The page's own files name no other host (hls.js only mentions URLs in its messages).
            assert not re.search(rb"(?:https?:)?//[a-z0-9.-]+\.[a-z]", body.replace(b"http://www.w3.org/2000/svg", b""))
    page = (await (await http.get(ivs_emulator.dashboard_url)).text()).lower()
    # No inline script, style or handler: the policy would refuse them.
    assert "<script>" not in page and not re.search(r"<[^>]*\s(?:style|on[a-z]+)=", page)
    referenced = set(re.findall(r'(?:src|href)="([^"]+)"', page))
    assert referenced == {"icon.svg", "dashboard.css", "hls.light.min.js", "dashboard.js"}
    async with http.get(f"{ivs_emulator.endpoint}/_ivs_local/dashboard", allow_redirects=False) as response:
        assert response.status == 302 and response.headers["Location"] == "/_ivs_local/dashboard/"
    async with http.get(ivs_emulator.dashboard_url + "secrets.txt") as response:
        assert response.status == 404


async def test_a_link_from_another_site_opens_the_page_but_nothing_else_comes_from_there(
    ivs_emulator: LocalIvs, http: aiohttp.ClientSession
) -> None:
    link = {"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "navigate", "Sec-Fetch-Dest": "document"}
    port = ivs_emulator.endpoint.rsplit(":", 1)[1]
    cases = {
        "a link, in a tab": ("", link, 200),
        "the page in a frame of another site": ("", {**link, "Sec-Fetch-Dest": "iframe"}, 403),
        "its script, for another site": ("dashboard.js", {**link, "Sec-Fetch-Dest": "script"}, 403),
        "a link, to its script": ("dashboard.js", link, 403),
        "a rebinding host": ("", {"Host": f"evil.example:{port}"}, 403),
        "a rebinding host, by a link": ("", {**link, "Host": f"evil.example:{port}"}, 403),
        "another origin": ("", {"Origin": "http://evil.test"}, 403),
        "its own page": ("dashboard.js", {"Sec-Fetch-Site": "same-origin"}, 200),
    }
    for reason, (name, headers, status) in cases.items():
        async with http.get(ivs_emulator.dashboard_url + name, headers=headers) as response:
            assert response.status == status, reason


# -- what it reads -------------------------------------------------------------------------------


async def test_channels_show_their_state_stream_and_session_but_no_secret(
    ivs: Ivs, ivs_emulator: LocalIvs, http: aiohttp.ClientSession
) -> None:
    created = await ivs.create_channel(name="shown", latency_mode="NORMAL", authorized=True)
    await ivs.create_channel(name="another")
    assert created.channel and created.channel.arn and created.channel.srt and created.stream_key
    arn, secrets = created.channel.arn, [created.stream_key.value, created.channel.srt.passphrase]
    status, answer = await control(http, ivs_emulator, "GET", "channels")
    assert status == 200 and [c["name"] for c in answer["channels"]] == ["another", "shown"]
    shown = answer["channels"][1]
    assert (shown["state"], shown["stream"], shown["session"], shown["playable"]) == ("OFFLINE", None, None, False)
    assert (shown["latencyMode"], shown["type"], shown["authorized"]) == ("NORMAL", "STANDARD", True)
    assert shown["streamKeyArns"] == [created.stream_key.arn] and shown["playbackUrl"] == created.channel.playback_url

    ivs_emulator.start_stream(arn, health="STARVING", viewer_count=7)

    async def playable() -> bool:
        channels = (await control(http, ivs_emulator, "GET", "channels"))[1]["channels"]
        return bool(channels[1]["playable"])

    await until(playable, seconds=30)  # the first simulated stream of a process waits for its pattern
    status, answer = await control(http, ivs_emulator, "GET", "channels")
    live = answer["channels"][1]
    assert live["state"] == "LIVE" and (live["stream"]["health"], live["stream"]["viewerCount"]) == ("STARVING", 7)
    assert live["session"]["streamId"] == live["stream"]["streamId"] and "endTime" not in live["session"]
    assert live["session"]["ingestConfiguration"]["video"]["videoWidth"] == 1920
    assert [e["name"] for e in live["session"]["truncatedEvents"]] == ["Session Created", "Stream Start"]
    ivs_emulator.end_stream(arn)
    text = await (await http.get(f"{ivs_emulator.endpoint}/_ivs_local/channels")).text()
    ended = json.loads(text)["channels"][1]
    assert ended["state"] == "OFFLINE" and ended["stream"] is None and ended["session"]["endTime"]
    for secret in secrets:
        assert secret and secret not in text


async def test_put_metadata_through_the_control_api_is_put_metadata(
    ivs: Ivs, ivs_emulator: LocalIvs, http: aiohttp.ClientSession
) -> None:
    created = await ivs.create_channel(name="cues")
    assert created.channel and created.channel.arn
    arn = created.channel.arn
    status, answer = await control(http, ivs_emulator, "POST", "metadata", {"channelArn": arn, "metadata": "early"})
    assert status == 400 and answer["code"] == "ChannelNotBroadcasting"
    ivs_emulator.start_stream(arn)
    assert (await control(http, ivs_emulator, "POST", "metadata", {"channelArn": arn, "metadata": "hi ✓"}))[0] == 204
    assert [m.payload for m in ivs_emulator.metadata(arn)] == ["hi ✓"]
    refused = {
        "too long": {"channelArn": arn, "metadata": "x" * 1025},
        "empty": {"channelArn": arn, "metadata": ""},
        "not text": {"channelArn": arn, "metadata": 5},
        "no channel": {"metadata": "x"},
        "an unknown field": {"channelArn": arn, "metadata": "x", "extra": 1},
    }
    for reason, body in refused.items():
        status, answer = await control(http, ivs_emulator, "POST", "metadata", body)
        assert status == 400 and answer["message"], reason
    assert "extra" in (await control(http, ivs_emulator, "POST", "metadata", refused["an unknown field"]))[1]["message"]
    codes = [
        (await control(http, ivs_emulator, "POST", "metadata", {"channelArn": arn, "metadata": str(n)}))[1]
        for n in range(6)
    ]
    assert codes[-1]["code"] == "ThrottlingException"  # IVS's 5 per second per channel, shared with the API
    assert len(ivs_emulator.metadata(arn)) == 5


async def test_events_and_metadata_take_a_limit(ivs: Ivs, ivs_emulator: LocalIvs, http: aiohttp.ClientSession) -> None:
    created = await ivs.create_channel(name="limited")
    assert created.channel and created.channel.arn
    ivs_emulator.start_stream(created.channel.arn)
    ivs_emulator.end_stream(created.channel.arn)
    names = [e["detail"]["event_name"] for e in (await control(http, ivs_emulator, "GET", "events"))[1]["events"]]
    latest = (await control(http, ivs_emulator, "GET", "events?limit=2"))[1]["events"]
    assert len(names) == 4 and [e["detail"]["event_name"] for e in latest] == names[-2:]
    for limit in ("0", "1001", "two", "-1"):
        for path in ("events", "metadata"):
            status, answer = await control(http, ivs_emulator, "GET", f"{path}?limit={limit}")
            assert status == 400 and "limit" in answer["message"], (path, limit)


async def test_faults_are_listed_with_the_calls_they_have_left(
    ivs: Ivs, ivs_emulator: LocalIvs, http: aiohttp.ClientSession
) -> None:
    fault = {"kind": "ERROR", "operation": "ListChannels", "errorCode": "InternalServerException", "times": 2}
    assert (await control(http, ivs_emulator, "POST", "faults", fault))[0] == 204
    async with ivs_emulator.aggregated_client(max_attempts=1) as once:
        with pytest.raises(Exception, match="InternalServerException"):
            await once.list_channels()
    status, answer = await control(http, ivs_emulator, "GET", "faults")
    assert status == 200 and [(f["operation"], f["errorCode"], f["remaining"]) for f in answer["faults"]] == [
        ("ListChannels", "InternalServerException", 1)
    ]
    assert "ERROR" in answer["kinds"] and "PutMetadata" in answer["operations"]
    assert (await control(http, ivs_emulator, "DELETE", "faults"))[0] == 204
    assert (await control(http, ivs_emulator, "GET", "faults"))[1]["faults"] == []


async def test_recordings_are_listed_from_their_events(
    ivs: Ivs, ivs_emulator: LocalIvs, http: aiohttp.ClientSession
) -> None:
    configuration = await ivs.create_recording_configuration(
        destination_configuration={"s3": {"bucket_name": "bucket-one"}}
    )
    assert configuration.recording_configuration and configuration.recording_configuration.arn
    created = await ivs.create_channel(
        name="rec", recording_configuration_arn=configuration.recording_configuration.arn
    )
    assert created.channel and created.channel.arn
    ivs_emulator.start_stream(created.channel.arn)
    status, answer = await control(http, ivs_emulator, "GET", "recordings")
    assert status == 200 and answer["recordingsDir"] is False
    (recording,) = answer["recordings"]
    assert (recording["state"], recording["bucket"], recording["channelName"], recording["files"]) == (
        "RECORDING",
        "bucket-one",
        "rec",
        None,
    )
    ivs_emulator.end_stream(created.channel.arn)
    (ended,) = (await control(http, ivs_emulator, "GET", "recordings"))[1]["recordings"]
    assert ended["state"] == "ENDED" and ended["prefix"] == recording["prefix"] and ended["endedAt"]


async def test_a_recording_lists_the_files_it_wrote(tmp_path: Path, http: aiohttp.ClientSession) -> None:
    async with LocalIvs(rtmp_port=0, recordings_dir=tmp_path) as emulator, emulator.aggregated_client() as client:
        configuration = await client.create_recording_configuration(
            destination_configuration={"s3": {"bucket_name": "bucket-two"}}
        )
        assert configuration.recording_configuration and configuration.recording_configuration.arn
        created = await client.create_channel(recording_configuration_arn=configuration.recording_configuration.arn)
        assert created.channel and created.channel.arn and created.stream_key and created.stream_key.value
        encoder = await publish(emulator.rtmp_url + created.stream_key.value, seconds=3)
        try:

            async def written() -> bool:
                recordings = (await control(http, emulator, "GET", "recordings"))[1]["recordings"]
                paths = [f["path"] for r in recordings for f in r["files"] or []]
                return "events/recording-ended.json" in paths

            await until(written, seconds=30)
        finally:
            await stop(encoder)
        (recording,) = (await control(http, emulator, "GET", "recordings"))[1]["recordings"]
        folder = tmp_path / "bucket-two" / recording["prefix"]
        for file in recording["files"]:
            assert (folder / file["path"]).stat().st_size == file["bytes"]
        assert any(f["path"].endswith(".ts") for f in recording["files"])


# -- its key pair ----------------------------------------------------------------------------------


async def test_the_dashboard_signs_viewer_tokens_once_its_key_pair_is_imported(
    ivs: Ivs, ivs_emulator: LocalIvs, http: aiohttp.ClientSession
) -> None:
    created = await ivs.create_channel(name="private", authorized=True)
    assert created.channel and created.channel.arn and created.channel.playback_url
    arn = created.channel.arn
    status, key = await control(http, ivs_emulator, "GET", "dashboard/key")
    assert status == 200 and key["available"] and key["keyPairArn"] is None and not key["given"]
    assert "PRIVATE" not in json.dumps(key) and key["publicKeyMaterial"].startswith("-----BEGIN PUBLIC KEY-----")
    status, answer = await control(http, ivs_emulator, "POST", "dashboard/token", {"channelArn": arn})
    assert status == 400 and "not imported" in answer["message"]

    status, imported = await control(http, ivs_emulator, "POST", "dashboard/key")
    assert status == 200
    pairs = (await ivs.list_playback_key_pairs()).key_pairs or []
    assert [(p.arn, p.name) for p in pairs] == [(imported["keyPairArn"], "ivs-local-dashboard")]
    pair = (await ivs.get_playback_key_pair(arn=imported["keyPairArn"])).key_pair
    assert pair is not None and pair.fingerprint == key["fingerprint"]
    assert (await control(http, ivs_emulator, "GET", "dashboard/key"))[1]["keyPairArn"] == imported["keyPairArn"]
    status, again = await control(http, ivs_emulator, "POST", "dashboard/key")
    assert status == 400 and again["code"] == "ConflictException"

    ivs_emulator.start_stream(arn)
    status, answer = await control(http, ivs_emulator, "POST", "dashboard/token", {"channelArn": arn})
    assert status == 200
    viewer = Viewer(http)
    assert (await viewer.playable(tokenized_url(created.channel.playback_url, answer["token"]))).status == 200
    assert (await viewer.get(created.channel.playback_url)).status == 403  # no token
    assert "PRIVATE KEY" not in ivs_emulator.snapshot() and "****" in repr(ivs_emulator._dashboard_key)
    ivs_emulator.reset()  # the key pair resource goes; the dashboard's key stays, to import again
    key_after = (await control(http, ivs_emulator, "GET", "dashboard/key"))[1]
    assert key_after["keyPairArn"] is None and key_after["fingerprint"] == key["fingerprint"]


async def test_a_given_key_pair_is_recognised_by_its_fingerprint(http: aiohttp.ClientSession) -> None:
    private, public = private_pem()
    async with LocalIvs(dashboard_key=private) as emulator, emulator.aggregated_client() as client:
        imported = await client.import_playback_key_pair(public_key_material=public, name="my-app")
        assert imported.key_pair is not None
        status, key = await control(http, emulator, "GET", "dashboard/key")
        assert status == 200 and key["given"] and key["keyPairArn"] == imported.key_pair.arn
        assert private not in repr(emulator) and "BEGIN" not in repr(emulator._dashboard_key)
    for bad in (private_pem(ec.SECP256R1())[0], "not a key"):
        with pytest.raises(ValueError, match="dashboard_key") as raised:
            LocalIvs(dashboard_key=bad)
        assert bad not in str(raised.value)


async def test_the_banner_prints_the_dashboard_url(tmp_path: Path, http: aiohttp.ClientSession) -> None:
    private, _ = private_pem()
    (tmp_path / "key.pem").write_text(private)
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "ivs_async.testing", "--port", "0", "--rtmp-port", "-1",
        "--dashboard-key", str(tmp_path / "key.pem"),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        assert process.stdout is not None
        lines: list[str] = []
        async with asyncio.timeout(30):
            while not lines or not lines[-1].startswith("Ctrl-C"):
                lines.append((await process.stdout.readline()).decode())
                assert lines[-1], "".join(lines)
        banner = "".join(lines)
        found = re.search(r"^Dashboard: (http://127\.0\.0\.1:\d+/_ivs_local/dashboard/)$", banner, re.MULTILINE)
        assert found is not None, banner
        async with http.get(found.group(1)) as response:
            assert response.status == 200 and "<title>IVS Local</title>" in await response.text()
        async with http.get(found.group(1) + "key") as response:
            assert (await response.json())["given"] is True
        async with http.get(found.group(1).replace("dashboard/", "health")) as response:
            health = await response.json()
            assert health["rtmpUrl"] is None and health["recordings"] is False
        assert "PRIVATE" not in banner
    finally:
        process.send_signal(signal.SIGINT)
        try:
            await asyncio.wait_for(process.communicate(), 20)
        except TimeoutError:
            process.kill()
            await process.wait()

"""The IVS Local dashboard in headless Chromium, opened at the URL a standalone ``ivs-local``'s banner
prints, while ffmpeg publishes: channels turning LIVE, the player, SDK and page PutMetadata, events,
recordings, private channels, faults, reset, and the same-origin guard against another origin.

The test writes the screenshots of the docs (docs/images/dashboard/), so they show the page as it is.
"""

from __future__ import annotations

import asyncio
import json
import re
import signal
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import attrs
import pytest

from ivs_async import Ivs, StaticCredentials
from ivs_async.errors import ThrottlingException
from tests.browser.conftest import NPM_DIR, ROOT, Tab
from tests.emulator.media import publish, stop, until

SHOTS = ROOT / "docs" / "images" / "dashboard"
VENDORED = ROOT / "ivs_async" / "testing" / "dashboard"


@attrs.frozen
class Standalone:
    """An ``ivs-local`` process, as its banner describes it."""

    process: asyncio.subprocess.Process
    banner: str
    dashboard: str
    endpoint: str
    rtmp: str
    credentials: StaticCredentials
    region: str

    @property
    def origin(self) -> str:
        return self.endpoint


@pytest.fixture
async def standalone(tmp_path: Path) -> AsyncIterator[Standalone]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "ivs_async.testing", "--port", "0", "--rtmp-port", "0",
        "--recordings-dir", str(tmp_path / "recordings"),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert process.stdout is not None
    lines: list[str] = []
    try:
        async with asyncio.timeout(30):
            while not lines or not lines[-1].startswith("Ctrl-C"):
                lines.append((await process.stdout.readline()).decode())
                assert lines[-1], "".join(lines)
        banner = "".join(lines)
        settings = dict(re.findall(r"^  (AWS_[A-Z_]+)=(\S+)$", banner, re.MULTILINE))
        dashboard = re.search(r"^Dashboard: (\S+)$", banner, re.MULTILINE)
        rtmp = re.search(r"rtmp://\S+/app/", banner)
        assert dashboard is not None and rtmp is not None, banner
        yield Standalone(
            process,
            banner,
            dashboard.group(1),
            settings["AWS_ENDPOINT_URL_IVS"],
            rtmp.group(0),
            StaticCredentials(settings["AWS_ACCESS_KEY_ID"], settings["AWS_SECRET_ACCESS_KEY"]),
            settings["AWS_REGION"],
        )
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGINT)
            try:
                await asyncio.wait_for(process.wait(), 20)
            except TimeoutError:
                process.kill()
                await process.wait()


async def open_dashboard(browser: Any, url: str) -> Tab:
    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    # Anything not for 127.0.0.1 would be aborted (and is recorded by the Tab): none is expected.
    await context.route(lambda url: not url.startswith("http://127.0.0.1:"), lambda route: route.abort())
    tab = Tab(await context.new_page())
    await tab.page.goto(url)
    return tab


async def shown(tab: Tab, selector: str, text: str | None = None) -> bool:
    """An element matching ``selector`` (containing ``text``) is on the page."""
    texts: list[str] = await tab.page.eval_on_selector_all(selector, "nodes => nodes.map(n => n.textContent)")
    return bool(texts) if text is None else any(text in found for found in texts)


async def seconds_until(tab: Tab, selector: str, text: str | None = None, limit: float = 30) -> float:
    """How long until ``selector`` (with ``text``) shows; AssertionError after ``limit`` seconds."""
    started = time.monotonic()
    try:
        await until(lambda: shown(tab, selector, text), seconds=limit)
    except AssertionError:
        raise AssertionError(f"{selector} {text!r} not shown within {limit} s; errors: {tab.console_errors}") from None
    return time.monotonic() - started


async def played(tab: Tab) -> float:
    return float(await tab.page.evaluate("document.getElementById('video').currentTime"))


async def playing(tab: Tab, limit: float = 30) -> None:
    async def advanced() -> bool:
        return await played(tab) > 1.0

    try:
        await until(advanced, seconds=limit)
    except AssertionError:
        status = await tab.page.text_content("#player-status")
        raise AssertionError(f"the video did not play: {status!r}; errors: {tab.console_errors}") from None


def row(arn: str, state: str) -> str:
    return f'#channels tr[data-arn="{arn}"][data-state="{state}"]'


async def foreign_attempts(browser: Any, pages: str, emulator: str, arn: str) -> dict[str, Any]:
    """What a page of another origin gets when it tries the dashboard's actions."""
    context = await browser.new_context()
    try:
        page = await context.new_page()
        await page.goto(f"{pages}/foreign.html")
        script = """async ([emulator, arn]) => {
            const found = {};
            const body = JSON.stringify({channelArn: arn});
            try {  // JSON: a preflight, which the emulator never grants
                const r = await fetch(emulator + "/_ivs_local/reset", {method: "POST", body: "{}",
                    headers: {"Content-Type": "application/json"}});
                found.json = r.status;
            } catch (error) { found.json = "failed: " + error.name; }
            try {  // a simple request, sent without a preflight: the answer is opaque to the page
                const r = await fetch(emulator + "/_ivs_local/streams/end", {method: "POST", mode: "no-cors",
                    body, headers: {"Content-Type": "text/plain"}});
                found.simple = r.type;
            } catch (error) { found.simple = "failed: " + error.name; }
            try {  // the dashboard's own JSON: not readable from another origin
                const r = await fetch(emulator + "/_ivs_local/channels");
                found.read = r.status;
            } catch (error) { found.read = "failed: " + error.name; }
            return found;
        }"""
        found: dict[str, Any] = await page.evaluate(script, [emulator, arn])
        return found
    finally:
        await context.close()


async def test_the_dashboard_shows_a_live_broadcast_and_acts_on_it(
    browser: Any, pages: str, standalone: Standalone
) -> None:
    measured: dict[str, float] = {}
    async with (
        Ivs(region=standalone.region, endpoint=standalone.endpoint, credentials=standalone.credentials) as ivs,
        Ivs(
            region=standalone.region, endpoint=standalone.endpoint, credentials=standalone.credentials, max_attempts=1
        ) as once,
        aiohttp.ClientSession() as http,
    ):
        recording = await ivs.create_recording_configuration(
            name="dashboard", destination_configuration={"s3": {"bucket_name": "dashboard-recordings"}}
        )
        assert recording.recording_configuration is not None
        public = await ivs.create_channel(
            name="lobby", recording_configuration_arn=recording.recording_configuration.arn
        )
        private = await ivs.create_channel(name="backstage", authorized=True, latency_mode="NORMAL")
        assert public.channel and public.channel.arn and public.stream_key and public.stream_key.value
        assert private.channel and private.channel.arn and private.stream_key and private.stream_key.value
        arn, private_arn = public.channel.arn, private.channel.arn

        tab = await open_dashboard(browser, standalone.dashboard)
        await seconds_until(tab, row(arn, "OFFLINE"))
        started = time.monotonic()
        encoders = [
            await publish(standalone.rtmp + public.stream_key.value, seconds=90),
            await publish(standalone.rtmp + private.stream_key.value, seconds=90, size="320x180"),
        ]
        try:
            await seconds_until(tab, row(arn, "LIVE"), limit=20)
            measured["live on the page"] = time.monotonic() - started
            # Until the user chooses a channel, a live one opens: a public one rather than a private one.
            await seconds_until(tab, row(private_arn, "LIVE"), limit=20)
            await seconds_until(tab, "#channel-name", "lobby")
            await seconds_until(tab, "#session dd", "640\N{MULTIPLICATION SIGN}360 at 25 fps")
            await playing(tab)
            measured["playing"] = time.monotonic() - started

            await ivs.put_metadata(channel_arn=arn, metadata="sdk: question 1")
            sent = time.monotonic()
            await seconds_until(tab, "#metadata .payload", "sdk: question 1")
            measured["SDK PutMetadata on the page"] = time.monotonic() - sent
            for name in ("Session Created", "Stream Start", "Recording Start"):
                assert await shown(tab, f'#events li[data-name="{name}"]', "lobby"), name

            await tab.page.fill("#metadata-text", "page: answer ✓")
            await tab.page.click("#put-metadata button[type=submit]")
            sent = time.monotonic()
            await seconds_until(tab, "#cues .payload", "page: answer ✓")
            measured["page PutMetadata fired as a cue"] = time.monotonic() - sent
            cues = await tab.page.evaluate(
                "Array.from(document.getElementById('video').textTracks)"
                ".flatMap((track) => Array.from(track.cues || [])).map((cue) => cue.value && cue.value.data)"
            )
            assert cues.count("page: answer ✓") == 1, cues  # on the video too, as hls.js's cues carry it
            SHOTS.mkdir(parents=True, exist_ok=True)
            await tab.page.screenshot(path=str(SHOTS / "live-channel.png"), full_page=True)

            # Another origin can neither act nor read; the channel stays live.
            attempts = await foreign_attempts(browser, pages, standalone.origin, arn)
            assert attempts == {"json": "failed: TypeError", "simple": "opaque", "read": "failed: TypeError"}
            async with http.post(
                f"{standalone.origin}/_ivs_local/streams/end",
                json={"channelArn": arn},
                headers={"Origin": "http://elsewhere.test", "Sec-Fetch-Site": "cross-site"},
            ) as refused:
                assert refused.status == 403 and "another origin" in (await refused.json())["message"]
            stream = (await ivs.get_stream(channel_arn=arn)).stream
            assert stream is not None and stream.state == "LIVE"
            assert len((await ivs.list_channels()).channels or []) == 2

            # A fault armed on the page fails the next call, and is cleared from the page.
            await tab.page.select_option("#fault-form select[name=operation]", "GetChannel")
            await tab.page.click("#fault-form button[type=submit]")
            await seconds_until(tab, "#faults li", "GetChannel")
            with pytest.raises(ThrottlingException):
                await once.get_channel(arn=arn)
            await tab.page.fill("#fault-form input[name=times]", "5")
            await tab.page.click("#fault-form button[type=submit]")
            await seconds_until(tab, "#faults li", "5 calls left")
            await tab.page.click("#clear-faults")
            await until(lambda: _no_faults(tab), seconds=10)
            assert (await once.get_channel(arn=arn)).channel is not None

            # A private channel plays once the dashboard's key pair is imported.
            await tab.page.click(f'#channels tr[data-arn="{private_arn}"]')
            await seconds_until(tab, "#player-status[data-state=needs-key]")
            await tab.page.screenshot(path=str(SHOTS / "private-channel.png"), full_page=True)
            await tab.page.click("#import-key")
            await playing(tab)
            pairs = (await ivs.list_playback_key_pairs()).key_pairs or []
            assert [pair.name for pair in pairs] == ["ivs-local-dashboard"]

            # Ending the stream from the page: OFFLINE, its recording ends with its files.
            await tab.page.click(f'#channels tr[data-arn="{arn}"]')
            await playing(tab)
            await tab.page.click("#end-stream")
            ended = time.monotonic()
            await seconds_until(tab, row(arn, "OFFLINE"), limit=20)
            measured["OFFLINE after End stream"] = time.monotonic() - ended
            await seconds_until(tab, '#events li[data-name="Recording End"]')
            await seconds_until(tab, "#recordings li[data-state=ENDED] summary", " files")
            await tab.page.click("#recordings li[data-state=ENDED] summary")
            assert await shown(tab, "#recordings .files li", "media/hls/master.m3u8")
            assert await shown(tab, "#recordings .files li", "events/recording-ended.json")
            await tab.page.screenshot(path=str(SHOTS / "ended-and-recorded.png"), full_page=True)

            # The private channel's encoder stops: OFFLINE, and its player stops without an error.
            await stop(encoders[1])
            stopped = time.monotonic()
            await seconds_until(tab, row(private_arn, "OFFLINE"), limit=20)
            measured["OFFLINE after the encoder stopped"] = time.monotonic() - stopped
        finally:
            for encoder in encoders:
                await stop(encoder)

        # Reset, asked twice on the page: every channel goes.
        await tab.page.click("#reset")
        await tab.page.click("#reset")
        await seconds_until(tab, "#no-channels:not([hidden])")
        assert (await ivs.list_channels()).channels == []

    page_text = await tab.page.text_content("body") or ""
    for secret in (public.stream_key.value, private.stream_key.value):
        assert secret not in page_text
    assert tab.console_errors == [], (tab.console_errors, tab.failed)
    assert tab.requested == {standalone.origin.split("/")[2]}, tab.requested
    print("dashboard timings (s):", json.dumps({k: round(v, 2) for k, v in measured.items()}))


async def _no_faults(tab: Tab) -> bool:
    return not await shown(tab, "#faults li")


def test_the_vendored_hls_js_is_the_npm_package_with_its_license(npm_packages: Path) -> None:
    package = NPM_DIR / "node_modules" / "hls.js"
    assert json.loads((package / "package.json").read_text())["version"] == "1.7.4"
    assert (VENDORED / "hls.light.min.js").read_bytes() == (package / "dist" / "hls.light.min.js").read_bytes()
    assert (VENDORED / "hls.js.LICENSE").read_bytes() == (package / "LICENSE").read_bytes()
    notice = (ROOT / "NOTICE").read_text()
    assert "hls.js 1.7.4" in notice and "Copyright (c) 2017 Dailymotion" in notice

"""IVS Local played in headless Chromium, from a page of another origin, the way users' web pages
play IVS: hls.js and the official Amazon IVS Player Web SDK, a live ffmpeg encoder, PutMetadata cues,
private channels."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any
from urllib.parse import quote

import aiohttp
import attrs
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from ivs_async import Ivs
from ivs_async.playback import PlaybackSigner, tokenized_url
from ivs_async.testing import LocalIvs
from tests.browser.conftest import Tab
from tests.emulator.media import publish, stop, until
from tests.emulator.viewer import Viewer

OpenTab = Callable[[str], Awaitable[Tab]]


@attrs.frozen
class Live:
    ivs: LocalIvs
    client: Ivs
    arn: str
    playback_url: str


@pytest.fixture
async def emulator() -> AsyncIterator[tuple[LocalIvs, Ivs]]:
    async with LocalIvs(rtmp_port=0) as ivs, ivs.aggregated_client() as client:
        yield ivs, client


async def go_live(ivs: LocalIvs, client: Ivs, *options: str, **channel: Any) -> tuple[Live, Any]:
    """A channel its own ffmpeg encoder publishes to, once the emulator sees it live."""
    created = await client.create_channel(name="watched", **channel)
    assert created.channel is not None and created.channel.arn and created.channel.playback_url
    assert created.stream_key is not None and created.stream_key.value
    encoder = await publish(ivs.rtmp_url + created.stream_key.value, seconds=60, options=options)
    arn = created.channel.arn
    await until(lambda: asyncio.sleep(0, result=ivs.is_live(arn)), seconds=20)
    await until_playable(created.channel.playback_url)
    return Live(ivs, client, arn, created.channel.playback_url), encoder


async def until_playable(url: str) -> None:
    """As a page would (and IVS's guide advises): wait until the playback URL is no longer 404."""
    async with aiohttp.ClientSession() as http:
        await Viewer(http).playable(url)


async def playing(tab: Tab, seconds: float = 30) -> None:
    """The video advances (more than a second played), with no fatal player error."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        results = await tab.results()
        fatal = [e for e in results["errors"] if e.get("fatal") or ("code" in e and "fatal" not in e)]
        assert not fatal, fatal
        if await tab.current_time() > 1.0:
            return
        await asyncio.sleep(0.2)
    raise AssertionError(f"the video did not play: {await tab.results()}")


async def cues_arrive(tab: Tab, texts: list[str], seconds: float = 30) -> list[str]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        cues = (await tab.results())["cues"]
        if all(text in cues for text in texts):
            return list(cues)
        await asyncio.sleep(0.2)
    raise AssertionError(f"cues {texts} did not all arrive: {await tab.results()}")


async def put_metadata(live: Live, texts: list[str]) -> None:
    for text in texts:
        await live.client.put_metadata(channel_arn=live.arn, metadata=text)
        await asyncio.sleep(0.6)


def only_loopback(tab: Tab) -> None:
    """The page reached nothing but 127.0.0.1 (its own origin and the emulator's)."""
    assert {host.rsplit(":", 1)[0] for host in tab.hosts} <= {"127.0.0.1"}, tab.hosts


def private_key() -> tuple[ec.EllipticCurvePrivateKey, str]:
    key = ec.generate_private_key(ec.SECP384R1())
    public = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    return key, public.decode()


def page_url(pages: str, player: str, src: str) -> str:
    return f"{pages}/{player}.html?src={quote(src, safe='')}"


async def test_hls_js_plays_a_live_channel_and_fires_every_put_metadata(
    emulator: tuple[LocalIvs, Ivs], pages: str, open_tab: OpenTab
) -> None:
    live, encoder = await go_live(*emulator)
    try:
        tab = await open_tab(page_url(pages, "hls", live.playback_url))
        await playing(tab)
        first = ["quiz: 1", '{"question": 2}', "answer: ✓"]
        await put_metadata(live, first)
        await until(lambda: parsed(tab, first), seconds=30)  # every one, once, in order
        # hls.js makes its metadata text track when the first ID3 arrives, and loses the cues of that
        # segment from the track (it loads the track's empty WebVTT source after adding them): from
        # there on, each PutMetadata fires as a cue when the playhead reaches it.
        later = ["quiz: 4", "quiz: 5", "quiz: 6"]
        await put_metadata(live, later)
        await until(lambda: parsed(tab, first + later), seconds=30)
        cues = await cues_arrive(tab, later)
        assert cues[-3:] == later and all(cues.count(text) == 1 for text in later)
        assert tab.console_errors == [], tab.failed
        only_loopback(tab)
    finally:
        await stop(encoder)


async def test_hls_js_plays_a_video_only_encoder(emulator: tuple[LocalIvs, Ivs], pages: str, open_tab: OpenTab) -> None:
    live, encoder = await go_live(*emulator, "-an")
    try:
        tab = await open_tab(page_url(pages, "hls", live.playback_url))
        await playing(tab)
        assert tab.console_errors == [], tab.failed
    finally:
        await stop(encoder)


async def test_hls_js_plays_a_simulated_stream(ivs: Ivs, ivs_emulator: LocalIvs, pages: str, open_tab: OpenTab) -> None:
    created = await ivs.create_channel(name="simulated")
    assert created.channel is not None and created.channel.arn and created.channel.playback_url
    ivs_emulator.start_stream(created.channel.arn)
    await until_playable(created.channel.playback_url)  # the first of a process waits for its test pattern
    tab = await open_tab(page_url(pages, "hls", created.channel.playback_url))
    await playing(tab)
    await ivs.put_metadata(channel_arn=created.channel.arn, metadata="simulated cue")
    await until(lambda: parsed(tab, ["simulated cue"]), seconds=30)
    assert tab.console_errors == []


async def test_a_private_channel_refuses_a_page_without_a_valid_token(
    emulator: tuple[LocalIvs, Ivs], pages: str, open_tab: OpenTab
) -> None:
    ivs, client = emulator
    key, public = private_key()
    await client.import_playback_key_pair(public_key_material=public)
    live, encoder = await go_live(ivs, client, authorized=True)
    signer = PlaybackSigner(key)
    try:
        await until_playable(tokenized_url(live.playback_url, signer.create_token(live.arn, expires_in=60)))
        refused = {
            "no token": live.playback_url,
            "another origin only": tokenized_url(
                live.playback_url,
                signer.create_token(
                    live.arn, expires_in=60, allowed_origins=["https://elsewhere.test"], strict_origin_enforcement=True
                ),
            ),
            "a key never imported": tokenized_url(
                live.playback_url, PlaybackSigner(private_key()[0]).create_token(live.arn, expires_in=60)
            ),
        }
        for reason, url in refused.items():
            tab = await open_tab(page_url(pages, "hls", url))
            await until(lambda tab=tab: _has_errors(tab), seconds=20)
            errors = (await tab.results())["errors"]
            # hls.js sees a 403 (not a CORS failure), and gives up.
            assert errors[0]["fatal"] and errors[0]["code"] == 403, (reason, errors)
            assert await tab.current_time() == 0.0
        # The same page with a token for its own origin plays.
        allowed = signer.create_token(live.arn, expires_in=60, allowed_origins=[pages], strict_origin_enforcement=True)
        tab = await open_tab(page_url(pages, "hls", tokenized_url(live.playback_url, allowed)))
        await playing(tab)
    finally:
        await stop(encoder)


async def parsed(tab: Tab, texts: list[str]) -> bool:
    """hls.js has parsed exactly ``texts`` from the segments' ID3, in order, at one time each (a
    segment hls.js loads twice is parsed twice: the same tag at the same time)."""
    found: list[dict[str, Any]] = (await tab.results())["parsed"]
    distinct = list(dict.fromkeys((round(tag["pts"], 3), tag["text"]) for tag in found))
    texts_found = [text for _, text in distinct]
    assert texts_found == texts[: len(texts_found)], found
    return texts_found == texts


async def _has_errors(tab: Tab) -> bool:
    return bool((await tab.results())["errors"])


async def test_the_ivs_player_plays_a_live_channel_and_fires_every_put_metadata(
    emulator: tuple[LocalIvs, Ivs], pages: str, open_tab: OpenTab
) -> None:
    live, encoder = await go_live(*emulator)
    try:
        tab = await open_tab(page_url(pages, "ivs", live.playback_url))
        await playing(tab)
        assert "Playing" in (await tab.results())["states"]
        texts = ["ivs player: 1", "ivs player: 2", "ivs player: 3"]
        await put_metadata(live, texts)
        assert await cues_arrive(tab, texts) == texts  # TEXT_METADATA_CUE, once each, in order
        only_loopback(tab)
    finally:
        await stop(encoder)


async def test_the_ivs_player_is_refused_on_a_private_channel_without_a_token(
    emulator: tuple[LocalIvs, Ivs], pages: str, open_tab: OpenTab
) -> None:
    ivs, client = emulator
    key, public = private_key()
    await client.import_playback_key_pair(public_key_material=public)
    live, encoder = await go_live(ivs, client, authorized=True)
    try:
        token = PlaybackSigner(key).create_token(live.arn, expires_in=60)
        await until_playable(tokenized_url(live.playback_url, token))
        tab = await open_tab(page_url(pages, "ivs", live.playback_url))
        await until(lambda: _has_errors(tab), seconds=30)
        (error, *_) = (await tab.results())["errors"]
        assert (error["type"], error["code"], error["source"]) == ("ErrorAuthorization", 403, "MasterPlaylist")
        tab = await open_tab(page_url(pages, "ivs", tokenized_url(live.playback_url, token)))
        await playing(tab)
    finally:
        await stop(encoder)

"""Playback as players meet it: a private channel's token on the multivariant playlist, the viewing
it starts checked again on every variant playlist and segment, CORS on every answer, and playlists
that never name what is not served."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import attrs
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from ivs_async import Ivs
from ivs_async.playback import PlaybackSigner, tokenized_url
from ivs_async.testing import LocalIvs
from tests.emulator.viewer import Viewer


@attrs.frozen
class Private:
    arn: str
    playback_url: str
    signer: PlaybackSigner

    def url(self, **claims: object) -> str:
        claims.setdefault("expires_in", 60)
        return tokenized_url(self.playback_url, self.signer.create_token(self.arn, **claims))  # type: ignore[arg-type]


def _key_pair() -> tuple[ec.EllipticCurvePrivateKey, str]:
    key = ec.generate_private_key(ec.SECP384R1())
    public = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    return key, public.decode()


@pytest.fixture
async def private(ivs: Ivs, ivs_emulator: LocalIvs) -> Private:
    key, public = _key_pair()
    await ivs.import_playback_key_pair(public_key_material=public, name="app")
    out = await ivs.create_channel(name="members-only", authorized=True)
    assert out.channel is not None and out.channel.arn and out.channel.playback_url
    ivs_emulator.start_stream(out.channel.arn)
    return Private(out.channel.arn, out.channel.playback_url, PlaybackSigner(key))


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def every_request(viewer: Viewer, url: str) -> list[int]:
    """The statuses of a whole viewing: multivariant, each variant playlist, each listed segment."""
    multivariant = await viewer.playable(url)
    statuses = [multivariant.status]
    for variant in viewer.variants(url, multivariant.text) if multivariant.status == 200 else []:
        playlist = await viewer.get(variant.url)
        statuses.append(playlist.status)
        for segment in viewer.segments(variant.url, playlist.text)[-2:] if playlist.status == 200 else []:
            statuses.append((await viewer.get(segment)).status)
    return statuses


async def test_a_valid_token_plays_every_request_and_no_token_none(
    private: Private, http: aiohttp.ClientSession
) -> None:
    viewer = Viewer(http)
    refused = await viewer.get(private.playback_url)
    assert refused.status == 403 and "requires a playback token" in refused.text
    statuses = await every_request(viewer, private.url())
    assert statuses[0] == 200 and len(statuses) >= 1 + 3 * 3 and set(statuses) == {200}


async def test_variant_playlists_and_segments_need_the_viewing_the_token_started(
    private: Private, http: aiohttp.ClientSession, ivs_emulator: LocalIvs
) -> None:
    viewer = Viewer(http)
    variant, playlist = await viewer.first_variant(private.url())
    segment = viewer.segments(variant.url, playlist)[-1]
    assert (await viewer.get(segment)).status == 200
    base = ivs_emulator.endpoint
    ticket = variant.url.rsplit("/", 1)[1].removesuffix(".m3u8")
    body, signature = ticket.split(".")
    forged = [
        f"{base}/v1/playlist/{body}.{'A' * len(signature)}.m3u8",  # not signed by the emulator
        f"{base}/v1/playlist/{body[:-4]}AAAA.{signature}.m3u8",  # another viewing, the same signature
        segment.replace(signature, "B" * len(signature)),
    ]
    for url in forged:
        answer = await viewer.get(url)
        assert answer.status == 403 and "not issued by this emulator" in answer.text, url
    for url in (f"{base}/v1/playlist/nothing.m3u8", f"{base}/v1/segment/{'x' * 3000}.{signature}/1.ts"):
        assert (await viewer.get(url)).status in (403, 404), url


async def test_a_revoked_viewer_is_refused_on_the_next_request(
    private: Private, http: aiohttp.ClientSession, ivs: Ivs
) -> None:
    viewer = Viewer(http)
    url = private.url(expires_in=300, viewer_id="viewer-1", viewer_session_version=1)
    variant, playlist = await viewer.first_variant(url)
    segment = viewer.segments(variant.url, playlist)[-1]
    await ivs.start_viewer_session_revocation(
        channel_arn=private.arn, viewer_id="viewer-1", viewer_session_versions_less_than_or_equal_to=1
    )
    for later in (variant.url, segment):
        answer = await viewer.get(later)
        assert answer.status == 403 and "revoked" in answer.text
    assert (await viewer.get(url)).status == 403  # and a new start with the same session
    newer = private.url(expires_in=300, viewer_id="viewer-1", viewer_session_version=2)
    assert set(await every_request(viewer, newer)) == {200}  # a newer session of the same viewer
    other = private.url(expires_in=300, viewer_id="viewer-2", viewer_session_version=1)
    assert set(await every_request(viewer, other)) == {200}  # other viewers are untouched


async def test_signature_expiry_and_channel_are_checked(
    private: Private, http: aiohttp.ClientSession, ivs: Ivs
) -> None:
    viewer = Viewer(http)
    stranger = PlaybackSigner(_key_pair()[0])  # a key IVS was never given
    refused = {
        "not signed by an imported key": stranger.create_token(private.arn, expires_in=60),
        "expired": private.signer.create_token(private.arn, expires_in=60, now=time.time() - 120),
        "another channel": private.signer.create_token(private.arn[:-4] + "ZZZZ", expires_in=60),
        "tampered": private.signer.create_token(private.arn, expires_in=60)[:-6] + "AAAAAA",
        "not a JWT": "abc.def",
    }
    for reason, token in refused.items():
        answer = await viewer.get(tokenized_url(private.playback_url, token))
        assert answer.status == 403, reason
        assert answer.text.startswith("playback refused"), reason
    # A second imported key pair is accepted as well.
    other_key, other_public = _key_pair()
    await ivs.import_playback_key_pair(public_key_material=other_public)
    token = PlaybackSigner(other_key).create_token(private.arn, expires_in=60)
    assert (await viewer.playable(tokenized_url(private.playback_url, token))).status == 200


async def test_origins_on_the_multivariant_playlist_and_strictly_on_every_request(
    private: Private, http: aiohttp.ClientSession
) -> None:
    loose = private.url(allowed_origins=["https://*.example.com"])
    assert set(await every_request(Viewer(http, Origin="https://www.example.com"), loose)) == {200}
    assert await every_request(Viewer(http, Origin="https://evil.test"), loose) == [403]
    assert set(await every_request(Viewer(http), loose)) == {200}  # no Origin: not a browser, not held to it
    # Without strict enforcement only the multivariant playlist is held to the origins.
    variant, _ = await Viewer(http, Origin="https://www.example.com").first_variant(loose)
    assert (await Viewer(http, Origin="https://evil.test").get(variant.url)).status == 200
    strict = private.url(allowed_origins=["https://example.com"], strict_origin_enforcement=True)
    assert set(await every_request(Viewer(http, Origin="https://example.com"), strict)) == {200}
    answer = await Viewer(http).get(strict)
    assert answer.status == 403 and "no Origin" in answer.text
    # Strictly, every later request must come from an allowed origin too.
    variant, playlist = await Viewer(http, Origin="https://example.com").first_variant(strict)
    segment = Viewer.segments(variant.url, playlist)[-1]
    for later in (variant.url, segment):
        assert (await Viewer(http).get(later)).status == 403
        assert (await Viewer(http, Origin="https://evil.test").get(later)).status == 403
        assert (await Viewer(http, Origin="https://example.com").get(later)).status == 200


async def test_single_use(private: Private, http: aiohttp.ClientSession) -> None:
    viewer = Viewer(http)
    url = private.url(single_use=True)
    assert set(await every_request(viewer, url)) == {200}  # one use: the viewing it starts goes on
    answer = await viewer.get(url)
    assert answer.status == 403 and "already used" in answer.text


async def test_maximum_resolution_caps_the_renditions(private: Private, http: aiohttp.ClientSession) -> None:
    viewer = Viewer(http)
    for resolution, heights in (("SD", [480]), ("HD", [720, 480]), ("FULL_HD", [1080, 720, 480])):
        url = private.url(maximum_resolution=resolution)
        multivariant = await viewer.playable(url)
        variants = viewer.variants(url, multivariant.text)
        assert [int(v.info["RESOLUTION"].split("x")[1]) for v in variants] == heights
        assert all(v.info["CODECS"].startswith("avc1.") and v.info["VIDEO"] for v in variants)
        assert (await viewer.get(variants[0].url)).status == 200


async def test_public_channels_need_no_token_and_offline_is_404(
    private: Private, http: aiohttp.ClientSession, ivs: Ivs, ivs_emulator: LocalIvs
) -> None:
    viewer = Viewer(http)
    public = await ivs.create_channel(name="open")
    assert public.channel is not None and public.channel.playback_url and public.channel.arn
    ivs_emulator.start_stream(public.channel.arn)
    assert set(await every_request(viewer, public.channel.playback_url)) == {200}
    variant, playlist = await viewer.first_variant(private.url())
    ivs_emulator.end_stream(private.arn)
    assert (await viewer.get(private.url())).status == 404
    for later in (variant.url, viewer.segments(variant.url, playlist)[-1]):
        assert (await viewer.get(later)).status == 404  # the stream ended: its viewing with it


async def test_playback_restriction_policies_apply_to_every_request(
    ivs: Ivs, ivs_emulator: LocalIvs, http: aiohttp.ClientSession
) -> None:
    policy = await ivs.create_playback_restriction_policy(
        allowed_countries=["US", "CA"],
        allowed_origins=["https://app.example.com"],
        enable_strict_origin_enforcement=True,
    )
    assert policy.playback_restriction_policy is not None and policy.playback_restriction_policy.arn
    out = await ivs.create_channel(
        name="restricted", playback_restriction_policy_arn=policy.playback_restriction_policy.arn
    )
    assert out.channel is not None and out.channel.arn and out.channel.playback_url
    ivs_emulator.start_stream(out.channel.arn)
    url = out.channel.playback_url
    app = Viewer(http, Origin="https://app.example.com")
    assert set(await every_request(app, url)) == {200}
    canadian = Viewer(http, Origin="https://app.example.com", **{"X-IVS-Local-Viewer-Country": "ca"})
    assert set(await every_request(canadian, url)) == {200}
    assert await every_request(
        Viewer(http, Origin="https://app.example.com", **{"X-IVS-Local-Viewer-Country": "FR"}), url
    ) == [403]
    assert await every_request(Viewer(http, Origin="https://evil.example.com"), url) == [403]
    assert await every_request(Viewer(http), url) == [403]  # strict origin enforcement: no Origin, no playback
    variant, playlist = await app.first_variant(url)
    for later in (variant.url, Viewer.segments(variant.url, playlist)[-1]):
        assert (await Viewer(http).get(later)).status == 403
        french = Viewer(http, Origin="https://app.example.com", **{"X-IVS-Local-Viewer-Country": "FR"})
        assert (await french.get(later)).status == 403


async def test_cors_on_every_answer_and_preflight(private: Private, http: aiohttp.ClientSession) -> None:
    page = "http://localhost:8080"
    viewer = Viewer(http, Origin=page)
    refused = await viewer.get(private.playback_url)
    assert refused.status == 403 and refused.headers["Access-Control-Allow-Origin"] == page  # a player sees the 403
    multivariant = await viewer.playable(private.url())
    variant = viewer.variants(private.url(), multivariant.text)[0]
    playlist = await viewer.get(variant.url)
    segment = await viewer.get(viewer.segments(variant.url, playlist.text)[-1])
    for answer in (multivariant, playlist, segment):
        assert answer.status == 200 and answer.headers["Access-Control-Allow-Origin"] == page
        assert "Origin" in answer.headers["Vary"]
    assert (await Viewer(http).get(variant.url)).headers["Access-Control-Allow-Origin"] == "*"
    segment_url = viewer.segments(variant.url, playlist.text)[-1]
    for target, asked, allowed in (
        (variant.url, "range, x-custom", "range, x-custom"),
        (segment_url, "range, bad header, x-ok", "range, x-ok"),  # what no header can be named is dropped
    ):
        headers = {"Origin": page, "Access-Control-Request-Method": "GET", "Access-Control-Request-Headers": asked}
        async with http.options(target, headers=headers) as response:
            assert response.status == 204
            assert response.headers["Access-Control-Allow-Origin"] == page
            assert "GET" in response.headers["Access-Control-Allow-Methods"]
            assert response.headers["Access-Control-Allow-Headers"] == allowed


async def test_a_playlist_never_names_what_is_not_served(private: Private, http: aiohttp.ClientSession) -> None:
    viewer = Viewer(http)
    url = private.url()
    variant, _ = await viewer.first_variant(url)
    deadline = time.monotonic() + 5
    fetched: set[str] = set()
    while time.monotonic() < deadline:  # through at least two new segments
        playlist = await viewer.get(variant.url)
        assert playlist.status == 200
        for segment in viewer.segments(variant.url, playlist.text):
            if segment not in fetched:
                answer = await viewer.get(segment)
                assert answer.status == 200 and answer.body[:1] == b"\x47", segment
                fetched.add(segment)
    assert len(fetched) >= 5


async def test_segments_answer_byte_ranges_and_bandwidth_is_their_peak(
    private: Private, http: aiohttp.ClientSession
) -> None:
    viewer = Viewer(http)
    url = private.url()
    multivariant = await viewer.playable(url)
    for variant in viewer.variants(url, multivariant.text):
        playlist = await viewer.get(variant.url)
        for segment in viewer.segments(variant.url, playlist.text):
            whole = await viewer.get(segment)
            # HLS's BANDWIDTH is the peak rate of any segment (they are 2 seconds long here).
            assert len(whole.body) * 8 / 2 <= int(variant.info["BANDWIDTH"])
    segment_url = viewer.segments(variant.url, playlist.text)[-1]
    size = len(whole.body)
    for asked, status, expected in (
        ("bytes=0-187", 206, whole.body[:188]),
        ("bytes=188-", 206, whole.body[188:]),
        ("bytes=-188", 206, whole.body[-188:]),
        (f"bytes={size}-", 416, b""),
        ("bytes=0-1,5-6", 200, whole.body),  # several ranges: the whole segment
    ):
        async with http.get(segment_url, headers={"Range": asked}) as response:
            assert response.status == status, asked
            assert await response.read() == expected, asked
            assert response.headers["Accept-Ranges"] == "bytes"
            if status == 206:
                assert response.headers["Content-Range"].endswith(f"/{size}")


async def test_without_ffmpeg_a_live_channel_says_why_it_does_not_play(
    http: aiohttp.ClientSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ivs_async.testing import _broadcasts

    monkeypatch.setattr(_broadcasts, "find_ffmpeg", lambda: None)
    async with LocalIvs() as emulator, emulator.aggregated_client() as ivs:
        created = await ivs.create_channel(name="no-media")
        assert created.channel is not None and created.channel.arn and created.channel.playback_url
        emulator.start_stream(created.channel.arn)
        answer = await Viewer(http).get(created.channel.playback_url)
    assert answer.status == 404 and "without ffmpeg" in answer.text and "ivs-async[media]" in answer.text


async def test_when_ffmpeg_fails_a_live_channel_says_why_it_does_not_play(
    http: aiohttp.ClientSession, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    broken = tmp_path / "ffmpeg"
    broken.write_text("#!/bin/sh\nexit 3\n")
    broken.chmod(0o755)
    monkeypatch.setenv("IVS_LOCAL_FFMPEG", str(broken))
    async with LocalIvs() as emulator, emulator.aggregated_client() as ivs:
        created = await ivs.create_channel(name="broken-media")
        assert created.channel is not None and created.channel.arn and created.channel.playback_url
        emulator.start_stream(created.channel.arn)
        for _ in range(100):
            answer = await Viewer(http).get(created.channel.playback_url)
            if "not yet playable" not in answer.text:
                break
            await asyncio.sleep(0.05)
    assert answer.status == 404 and "could not make its test pattern" in answer.text and "status 3" in answer.text

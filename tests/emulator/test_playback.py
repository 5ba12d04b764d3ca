"""The emulator's playback check for private channels, driven by tokens from ivs_async.playback."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import aiohttp
import attrs
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from ivs_async import Ivs
from ivs_async.playback import PlaybackSigner, tokenized_url
from ivs_async.testing import LocalIvs


@attrs.frozen
class Private:
    arn: str
    playback_url: str
    signer: PlaybackSigner


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


async def fetch(http: aiohttp.ClientSession, url: str, origin: str | None = None) -> tuple[int, str]:
    headers = {"Origin": origin} if origin else {}
    async with http.get(url, headers=headers) as response:
        return response.status, await response.text()


async def test_a_valid_token_plays_and_no_token_does_not(private: Private, http: aiohttp.ClientSession) -> None:
    status, text = await fetch(http, private.playback_url)
    assert status == 403 and "requires a playback token" in text
    token = private.signer.create_token(private.arn, expires_in=60)
    status, text = await fetch(http, tokenized_url(private.playback_url, token))
    assert status == 200 and text.startswith("#EXTM3U")


async def test_signature_expiry_and_channel_are_checked(
    private: Private, http: aiohttp.ClientSession, ivs: Ivs
) -> None:
    stranger = PlaybackSigner(_key_pair()[0])  # a key IVS was never given
    refused = {
        "not signed by an imported key": stranger.create_token(private.arn, expires_in=60),
        "expired": private.signer.create_token(private.arn, expires_in=60, now=time.time() - 120),
        "another channel": private.signer.create_token(private.arn[:-4] + "ZZZZ", expires_in=60),
        "tampered": private.signer.create_token(private.arn, expires_in=60)[:-6] + "AAAAAA",
        "not a JWT": "abc.def",
    }
    for reason, token in refused.items():
        status, text = await fetch(http, tokenized_url(private.playback_url, token))
        assert status == 403, reason
        assert text.startswith("playback refused"), reason
    # A second imported key pair is accepted as well.
    other_key, other_public = _key_pair()
    await ivs.import_playback_key_pair(public_key_material=other_public)
    token = PlaybackSigner(other_key).create_token(private.arn, expires_in=60)
    assert (await fetch(http, tokenized_url(private.playback_url, token)))[0] == 200


async def test_origins(private: Private, http: aiohttp.ClientSession) -> None:
    loose = private.signer.create_token(private.arn, expires_in=60, allowed_origins=["https://*.example.com"])
    url = tokenized_url(private.playback_url, loose)
    assert (await fetch(http, url, "https://www.example.com"))[0] == 200
    assert (await fetch(http, url, "https://evil.test"))[0] == 403
    assert (await fetch(http, url))[0] == 200  # no Origin: not a browser, not held to the list
    strict = private.signer.create_token(
        private.arn, expires_in=60, allowed_origins=["https://example.com"], strict_origin_enforcement=True
    )
    url = tokenized_url(private.playback_url, strict)
    assert (await fetch(http, url, "https://example.com"))[0] == 200
    status, text = await fetch(http, url)
    assert status == 403 and "no Origin" in text


async def test_single_use(private: Private, http: aiohttp.ClientSession) -> None:
    url = tokenized_url(private.playback_url, private.signer.create_token(private.arn, expires_in=60, single_use=True))
    assert (await fetch(http, url))[0] == 200
    status, text = await fetch(http, url)
    assert status == 403 and "already used" in text


async def test_viewer_session_revocation_end_to_end(private: Private, http: aiohttp.ClientSession, ivs: Ivs) -> None:
    def url(version: int, viewer: str = "viewer-1") -> str:
        token = private.signer.create_token(
            private.arn, expires_in=300, viewer_id=viewer, viewer_session_version=version
        )
        return tokenized_url(private.playback_url, token)

    assert (await fetch(http, url(1)))[0] == 200
    await ivs.start_viewer_session_revocation(
        channel_arn=private.arn, viewer_id="viewer-1", viewer_session_versions_less_than_or_equal_to=1
    )
    status, text = await fetch(http, url(1))
    assert status == 403 and "revoked" in text
    assert (await fetch(http, url(2)))[0] == 200  # a newer session of the same viewer
    assert (await fetch(http, url(1, viewer="viewer-2")))[0] == 200  # other viewers are untouched


async def test_maximum_resolution_caps_the_playlist(private: Private, http: aiohttp.ClientSession) -> None:
    for resolution, top in (("SD", "480p"), ("HD", "720p"), ("FULL_HD", "1080p")):
        token = private.signer.create_token(private.arn, expires_in=60, maximum_resolution=resolution)
        status, text = await fetch(http, tokenized_url(private.playback_url, token))
        renditions = [line for line in text.splitlines() if line.endswith(".m3u8")]
        assert status == 200 and renditions[0] == f"{top}.m3u8"


async def test_public_channels_need_no_token_and_offline_is_404(
    private: Private, http: aiohttp.ClientSession, ivs: Ivs, ivs_emulator: LocalIvs
) -> None:
    public = await ivs.create_channel(name="open")
    assert public.channel is not None and public.channel.playback_url and public.channel.arn
    ivs_emulator.start_stream(public.channel.arn)
    assert (await fetch(http, public.channel.playback_url))[0] == 200
    ivs_emulator.end_stream(private.arn)
    token = private.signer.create_token(private.arn, expires_in=60)
    assert (await fetch(http, tokenized_url(private.playback_url, token)))[0] == 404


async def test_playback_restriction_policies_apply(
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

    async def status(**headers: str) -> int:
        async with http.get(out.channel.playback_url, headers=headers) as response:  # type: ignore[union-attr]
            return response.status

    assert await status(Origin="https://app.example.com") == 200
    assert await status(Origin="https://app.example.com", **{"X-IVS-Local-Viewer-Country": "ca"}) == 200
    assert await status(Origin="https://app.example.com", **{"X-IVS-Local-Viewer-Country": "FR"}) == 403
    assert await status(Origin="https://evil.example.com") == 403
    assert await status() == 403  # strict origin enforcement: no Origin, no playback

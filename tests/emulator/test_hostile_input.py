"""The emulator never answers 5xx to client input: malformed tokens, hostile bodies, half-sent
requests. Each case also checks that nothing reached the emulator's own safety net."""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import subprocess
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import aiohttp
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from ivs_async import Ivs
from ivs_async._core.http import HttpRequest
from ivs_async._core.signing import SigV4Signer, amz_date, signed_headers
from ivs_async.testing import LocalIvs


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def sign_raw(key: ec.EllipticCurvePrivateKey, header: bytes, claims: bytes) -> str:
    """A JWT over any bytes as header and claims, signed as IVS expects (raw r||s)."""
    signing_input = f"{b64(header)}.{b64(claims)}".encode()
    r, s = decode_dss_signature(key.sign(signing_input, ec.ECDSA(hashes.SHA384())))
    return f"{signing_input.decode()}.{b64(r.to_bytes(48, 'big') + s.to_bytes(48, 'big'))}"


@pytest.fixture
async def private(ivs: Ivs, ivs_emulator: LocalIvs) -> tuple[str, str, ec.EllipticCurvePrivateKey]:
    key = ec.generate_private_key(ec.SECP384R1())
    public = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    await ivs.import_playback_key_pair(public_key_material=public.decode())
    out = await ivs.create_channel(name="private", authorized=True)
    assert out.channel is not None and out.channel.arn and out.channel.playback_url
    ivs_emulator.start_stream(out.channel.arn)
    return out.channel.arn, out.channel.playback_url, key


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


def claims_for(arn: str, **extra: Any) -> dict[str, Any]:
    return {"aws:channel-arn": arn, "exp": int(datetime.now(UTC).timestamp()) + 60, **extra}


HEADER = b'{"alg":"ES384","typ":"JWT"}'


@pytest.mark.parametrize(
    "claims",
    [
        lambda arn: b'{"a":' + b"[" * 1500 + b"]" * 1500 + b"}",  # deep, and still within a URL's limit
        lambda arn: json.dumps(claims_for(arn, **{"aws:maximum-resolution": "8K"})).encode(),
        lambda arn: json.dumps(claims_for(arn, **{"aws:single-use-uuid": ["a", "b"]})).encode(),
        lambda arn: json.dumps(claims_for(arn, **{"aws:viewer-id": "v", "aws:viewer-session-version": "1"})).encode(),
        lambda arn: json.dumps(claims_for(arn, **{"aws:viewer-id": ["v"]})).encode(),
        lambda arn: json.dumps(claims_for(arn, **{"aws:access-control-allow-origin": {"a": 1}})).encode(),
        lambda arn: json.dumps(claims_for(arn, **{"aws:strict-origin-enforcement": "yes"})).encode(),
        lambda arn: json.dumps({"aws:channel-arn": arn, "exp": float("inf")}).encode(),
        lambda arn: json.dumps({"aws:channel-arn": arn, "exp": float("nan")}).encode(),
        lambda arn: json.dumps({"aws:channel-arn": arn, "exp": True}).encode(),
        lambda arn: json.dumps({"aws:channel-arn": arn, "exp": 10**400}).encode(),
        lambda arn: b"\xff\xfe\xfd",
        lambda arn: b"[]",
    ],
)
async def test_malformed_signed_tokens_are_refused_with_403(
    private: tuple[str, str, ec.EllipticCurvePrivateKey],
    http: aiohttp.ClientSession,
    ivs_emulator: LocalIvs,
    caplog: pytest.LogCaptureFixture,
    claims: Any,
) -> None:
    arn, url, key = private
    token = sign_raw(key, HEADER, claims(arn))
    with caplog.at_level(logging.WARNING):
        async with http.get(url, params={"token": token}) as response:
            assert response.status == 403, await response.text()
    assert ivs_emulator.unexpected_errors == 0
    assert not [r for r in caplog.records if r.exc_info]  # no traceback logged


@pytest.mark.parametrize(
    "token",
    [
        "a.b",
        "x" * 20_000,
        "é.é.é",
        b64(b"[" * 5000) + "." + b64(b"{}") + "." + b64(b"s"),
        b64(HEADER) + "." + b64(b'{"exp": Infinity}') + "." + b64(b"s" * 96),
    ],
)
async def test_unsigned_garbage_tokens_are_refused_with_403(
    private: tuple[str, str, ec.EllipticCurvePrivateKey],
    http: aiohttp.ClientSession,
    ivs_emulator: LocalIvs,
    token: str,
) -> None:
    _, url, _ = private
    async with http.get(url, params={"token": token}) as response:
        assert response.status in (403, 414, 400), await response.text()
        assert response.status < 500
    assert ivs_emulator.unexpected_errors == 0


async def signed_post(emulator: LocalIvs, path: str, body: bytes, http: aiohttp.ClientSession) -> tuple[int, str]:
    host = emulator.endpoint.removeprefix("http://")
    request = HttpRequest(
        "POST", emulator.endpoint + path, path, "", {"Host": host, "Content-Type": "application/json"}, body
    )
    headers = signed_headers(
        SigV4Signer(emulator.region, "ivs"), request, emulator.credentials, amz_date(datetime.now(UTC))
    )
    async with http.post(emulator.endpoint + path, data=body, headers=headers) as response:
        return response.status, response.headers.get("x-amzn-ErrorType", "")


@pytest.mark.parametrize(
    "body",
    [
        b"[" * 100_000 + b"]" * 100_000,
        b'{"name": ' + b"[" * 500 + b"]" * 500 + b"}",
        b'{"name": NaN}',
        b'{"maxResults": 1e999}',
        b'{"maxResults": ' + b"9" * 5000 + b"}",
        b'{"name": "\xff"}',
        b'{"filterByName": {"a": {"b": []}}}',
    ],
)
async def test_hostile_signed_bodies_get_a_validation_error(
    ivs_emulator: LocalIvs, http: aiohttp.ClientSession, body: bytes
) -> None:
    status, code = await signed_post(ivs_emulator, "/ListChannels", body, http)
    assert (status, code) == (400, "ValidationException")
    assert ivs_emulator.unexpected_errors == 0


async def test_an_oversized_body_is_refused(ivs_emulator: LocalIvs, http: aiohttp.ClientSession) -> None:
    status, _ = await signed_post(ivs_emulator, "/ListChannels", b'{"a": "' + b"x" * 2_000_000 + b'"}', http)
    assert 400 <= status < 500


async def raw_exchange(endpoint: str, data: bytes, wait: float) -> bytes:
    host, port = endpoint.removeprefix("http://").rsplit(":", 1)
    reader, writer = await asyncio.open_connection(host, int(port))
    try:
        writer.write(data)
        await writer.drain()
        return await asyncio.wait_for(reader.read(4096), wait)
    finally:
        writer.close()


async def test_a_bad_signature_is_refused_before_the_body_is_read(ivs_emulator: LocalIvs) -> None:
    # The body is announced but never sent: the answer must not wait for it.
    head = (
        "POST /ListChannels HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n"
        "Authorization: AWS4-HMAC-SHA256 Credential=AKIAUNKNOWN/20260101/us-west-2/ivs/aws4_request, "
        f"SignedHeaders=host;x-amz-date, Signature={'0' * 64}\r\nX-Amz-Date: 20260101T000000Z\r\n\r\n"
    )
    answer = await raw_exchange(ivs_emulator.endpoint, head.encode() + b'{"a', wait=3.0)
    assert answer.startswith(b"HTTP/1.1 403")


async def test_a_half_sent_body_times_out_with_408() -> None:
    async with LocalIvs(verify_signatures=False, body_timeout=0.3) as emulator:
        head = "POST /ListChannels HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n"
        answer = await raw_exchange(emulator.endpoint, head.encode() + b'{"a', wait=3.0)
        assert answer.startswith(b"HTTP/1.1 408")
        assert emulator.unexpected_errors == 0


@pytest.mark.parametrize("token", ["!!!", base64.b64encode(b"[" * 700).decode(), "eyJvcCI6MX0", "6bg="])
async def test_hostile_page_tokens_get_a_validation_error(raw_ivs: Ivs, ivs_emulator: LocalIvs, token: str) -> None:
    from ivs_async.errors import ValidationException

    with pytest.raises(ValidationException):
        await raw_ivs.list_channels(next_token=token)
    assert ivs_emulator.unexpected_errors == 0


def test_a_non_loopback_host_is_warned_about() -> None:
    # 192.0.2.1 is TEST-NET-1: never assigned, so binding fails and nothing is exposed or sent.
    result = subprocess.run(
        [sys.executable, "-m", "ivs_async.testing", "--host", "192.0.2.1", "--port", "0"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "WARNING: --host 192.0.2.1 is not a loopback address" in result.stderr
    assert result.returncode == 1

"""Fuzz: the emulator answers anything a client sends (to any operation of IVS, IVS Chat or IVS
Real-Time) with a 2xx or a 4xx, never a 5xx, and nothing reaches its safety net (which would mean
a bug of ours answered 400 to hide it)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import aiohttp
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from yarl import URL

from ivs_async._core.http import HttpRequest
from ivs_async._core.signing import SigV4Signer, amz_date, signed_headers
from ivs_async.testing import LocalIvs
from tests.support.services import SERVICES
from tests.support.shapes import ANY_JSON, mutated, sample_wire

FIXTURES = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
# (method, URI, signing name, operation) of every operation of the three services.
ROUTES = sorted(
    ((op.method, op.uri, s.signing_name, op) for s in SERVICES for op in s.operations.values()),
    key=lambda r: (r[0], r[1], r[2]),
)
# Resource ARNs of each service, for the label of /tags/{resourceArn} (which routes by owner).
ARNS = [
    "arn:aws:ivs:us-west-2:123456789012:channel/abcdEFGH1234",
    "arn:aws:ivs:us-west-2:123456789012:stage/abcdEFGH1234",
    "arn:aws:ivschat:us-west-2:123456789012:room/abcdEFGH1234",
]


@pytest.fixture
async def emulator() -> AsyncIterator[tuple[LocalIvs, aiohttp.ClientSession]]:
    async with LocalIvs() as ivs, aiohttp.ClientSession() as http:
        yield ivs, http


def path_of(uri: str, draw: Any) -> str:
    # Label values of any text (or another service's ARN), percent-encoded as a client would send them.
    while "{" in uri:
        start, end = uri.index("{"), uri.index("}")
        uri = uri[:start] + quote(draw(st.text(max_size=20) | st.sampled_from(ARNS)), safe="") + uri[end + 1 :]
    return uri


@settings(max_examples=400, deadline=None, suppress_health_check=FIXTURES)
@given(data=st.data())
async def test_any_signed_request_gets_2xx_or_4xx(
    emulator: tuple[LocalIvs, aiohttp.ClientSession], data: st.DataObject
) -> None:
    ivs, http = emulator
    method, uri, signing_name, operation = data.draw(st.sampled_from(ROUTES), label="route")
    kind = data.draw(st.sampled_from(["model", "json", "bytes"]), label="kind")
    if kind == "model":
        body = json.dumps(mutated(sample_wire(operation.input), data.draw)).encode()
    elif kind == "json":
        body = json.dumps(data.draw(ANY_JSON)).encode()
    else:
        body = data.draw(st.binary(max_size=80))
    path = path_of(uri, data.draw)
    query = data.draw(st.sampled_from(["", "tagKeys=a", "tagKeys=%FF", "x=1&x=2"]))
    url = ivs.endpoint + path + (f"?{query}" if query else "")
    host = ivs.endpoint.removeprefix("http://")
    request = HttpRequest(method, url, path, query, {"Host": host, "Content-Type": "application/json"}, body)
    # Mostly signed for the operation's service; sometimes for another one, which must be a 4xx too.
    signing_name = data.draw(st.sampled_from([signing_name] * 3 + ["ivs", "ivschat"]), label="signing name")
    signer = SigV4Signer(ivs.region, signing_name)
    headers = signed_headers(signer, request, ivs.credentials, amz_date(datetime.now(UTC)))
    async with http.request(method, URL(url, encoded=True), data=body, headers=headers) as response:
        assert response.status < 500, (response.status, await response.text())
        if response.status >= 400 and response.status != 404:
            assert response.headers.get("x-amzn-ErrorType")
    assert ivs.unexpected_errors == 0


HEADER_VALUE = st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=60)


@settings(max_examples=200, deadline=None, suppress_health_check=FIXTURES)
@given(
    method=st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"]),
    path=st.sampled_from(
        ["/ListChannels", "/CreateChannel", "/CreateRoom", "/ListStages", "/tags/x", "/", "/api/video/v1/x.m3u8"]
        + [f"/tags/{quote(arn, safe='')}" for arn in ARNS]
    )
    | st.text(alphabet="/abcXYZ%.-_0123456789", max_size=40).map(lambda p: "/" + p),
    authorization=HEADER_VALUE
    | st.sampled_from(
        [
            f"AWS4-HMAC-SHA256 Credential=AKIA/20260101/us-west-2/{name}/aws4_request, SignedHeaders=host, Signature="
            for name in ("ivs", "ivschat")
        ]
    ),
    amz=HEADER_VALUE | st.just("20260101T000000Z"),
    body=st.binary(max_size=80),
)
async def test_any_unsigned_or_badly_signed_request_gets_4xx(
    emulator: tuple[LocalIvs, aiohttp.ClientSession],
    method: str,
    path: str,
    authorization: str,
    amz: str,
    body: bytes,
) -> None:
    ivs, http = emulator
    headers = {"Authorization": authorization, "X-Amz-Date": amz}
    url = URL(ivs.endpoint + path, encoded=True)
    async with http.request(method, url, data=body, headers=headers) as response:
        assert response.status < 500, (response.status, await response.text())
    assert ivs.unexpected_errors == 0


_PRIVATE: dict[int, str] = {}


async def private_playback_url(ivs: LocalIvs) -> str:
    """One live private channel per emulator, made on first use."""
    if id(ivs) not in _PRIVATE:
        from ivs_async.commands import CreateChannelCommand

        async with ivs.client() as client:
            out = await client.send(CreateChannelCommand(name="p", authorized=True))
        assert out.channel is not None and out.channel.arn and out.channel.playback_url
        ivs.start_stream(out.channel.arn)
        _PRIVATE[id(ivs)] = out.channel.playback_url
    return _PRIVATE[id(ivs)]


@settings(max_examples=200, deadline=None, suppress_health_check=FIXTURES)
@given(token=st.text(max_size=300) | st.binary(max_size=200).map(lambda b: b.hex()))
async def test_any_playback_token_gets_403(emulator: tuple[LocalIvs, aiohttp.ClientSession], token: str) -> None:
    ivs, http = emulator
    url = await private_playback_url(ivs)
    async with http.get(url, params={"token": token}) as response:
        assert response.status in (400, 403), response.status
    assert ivs.unexpected_errors == 0


@settings(max_examples=300, deadline=None, suppress_health_check=FIXTURES)
@given(
    method=st.sampled_from(["GET", "HEAD", "OPTIONS", "POST"]),
    ticket=st.text(alphabet="ABCxyz019_-.", max_size=120)
    | st.binary(max_size=90).map(lambda b: __import__("base64").urlsafe_b64encode(b).decode().rstrip("=") + ".QQ"),
    kind=st.sampled_from(["playlist", "segment"]),
    number=st.integers(-5, 10**13),
    origin=HEADER_VALUE,
    asked=HEADER_VALUE,
)
async def test_any_playback_path_and_header_gets_403_or_404(
    emulator: tuple[LocalIvs, aiohttp.ClientSession],
    method: str,
    ticket: str,
    kind: str,
    number: int,
    origin: str,
    asked: str,
) -> None:
    ivs, http = emulator
    await private_playback_url(ivs)  # a live stream, so that a forged ticket could name one
    path = f"/v1/playlist/{ticket}.m3u8" if kind == "playlist" else f"/v1/segment/{ticket}/{number}.ts"
    headers = {"Origin": origin, "Access-Control-Request-Method": "GET", "Access-Control-Request-Headers": asked}
    async with http.request(method, URL(ivs.endpoint + path, encoded=True), headers=headers) as response:
        assert response.status in (204, 403, 404, 405), (response.status, await response.text())
        assert response.headers["Access-Control-Allow-Origin"] in (origin.strip(), "*")
    assert ivs.unexpected_errors == 0

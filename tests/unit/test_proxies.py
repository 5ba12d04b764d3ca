"""Proxies from the client's environment: read once, used for every call, mistakes are typed errors."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest
from hypothesis import assume, example, given
from hypothesis import strategies as st
from yarl import URL

from ivs_async import IvsClient, StaticCredentials
from ivs_async._core.proxies import proxies_from_environ
from ivs_async.commands import GetChannelCommand
from ivs_async.errors import ConfigurationError, ConnectionFailedError
from tests.conftest import KEY, REGION, SECRET
from tests.support.loopback import LoopbackServer

ARN = "arn:aws:ivs:us-west-2:123456789012:channel/abcdEFGH1234"
REMOTE = "http://ivs.example.invalid:8080"  # never resolved: every request goes to the proxy


class CountingEnviron(Mapping[str, str]):
    """An environment that counts how often it is read."""

    def __init__(self, values: dict[str, str]) -> None:
        self._values = values
        self.reads = 0

    def __getitem__(self, key: str) -> str:
        self.reads += 1
        return self._values[key]

    def __iter__(self) -> Iterator[str]:
        self.reads += 1
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)


def environ(tmp_path: Path, **values: str) -> CountingEnviron:
    nowhere = str(tmp_path / "none")
    return CountingEnviron({"AWS_CONFIG_FILE": nowhere, "AWS_SHARED_CREDENTIALS_FILE": nowhere, **values})


async def test_calls_go_through_the_proxy_read_once_from_the_environment(
    server: LoopbackServer, tmp_path: Path
) -> None:
    proxy = server.endpoint.removeprefix("http://")
    env = environ(tmp_path, HTTP_PROXY=f"http://ivs%20user:p%40ss@{proxy}", no_proxy="other.example.invalid")
    async with IvsClient(
        region=REGION, credentials=StaticCredentials(KEY, SECRET), endpoint=REMOTE, environ=env, max_attempts=1
    ) as client:
        reads = env.reads
        for _ in range(3):
            await client.send(GetChannelCommand(arn=ARN))
        assert env.reads == reads, "the environment is read when the client is built, never per call"
    assert [r.raw_path for r in server.received] == [f"{REMOTE}/GetChannel"] * 3
    credentials = base64.b64encode(b"ivs user:p@ss").decode()
    assert {r.headers.get("Proxy-Authorization") for r in server.received} == {f"Basic {credentials}"}
    assert {r.headers["Host"] for r in server.received} == {"ivs.example.invalid:8080"}


async def test_a_loopback_endpoint_connects_directly_despite_a_proxy(server: LoopbackServer, tmp_path: Path) -> None:
    # A proxy on a port nothing listens on: a call that used it would fail. (no_proxy: below.)
    env = environ(tmp_path, http_proxy="http://127.0.0.1:9", HTTPS_PROXY="http://127.0.0.1:9")
    async with IvsClient(
        region=REGION, credentials=StaticCredentials(KEY, SECRET), endpoint=server.endpoint, environ=env
    ) as client:
        await client.send(GetChannelCommand(arn=ARN))
    assert [r.raw_path for r in server.received] == ["/GetChannel"]


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("HTTPS_PROXY", "http://user:hunter2@proxy.example:notaport"),
        ("https_proxy", "socks5://user:hunter2@proxy.example:1080"),
        ("HTTP_PROXY", "http://user:hunter2@/nohost"),
        ("http_proxy", "http://user:hunter2@proxy.example:3128/some/path"),
        ("HTTP_PROXY", "http://user:hunter2@proxy.example:3128\n"),
    ],
)
def test_a_malformed_proxy_is_a_configuration_error_naming_the_variable(
    variable: str, value: str, tmp_path: Path
) -> None:
    with pytest.raises(ConfigurationError) as info:
        IvsClient(
            region=REGION, credentials=StaticCredentials(KEY, SECRET), environ=environ(tmp_path, **{variable: value})
        )
    assert variable in str(info.value)
    assert "hunter2" not in str(info.value)


def test_which_proxy_serves_which_url() -> None:
    settings = proxies_from_environ(
        {
            "HTTP_PROXY": "upper.example:1",
            "http_proxy": "lower.example:2",  # lowercase wins, as in curl and urllib
            "HTTPS_PROXY": "https://secure.example",
            "NO_PROXY": "direct.example, .internal.example, pinned.example:8443,10.0.0.0/8 [fd00::1]:443",
        }
    )
    assert settings is not None
    chosen = {
        url: (proxy.url if proxy else None)
        for url in (
            "http://ivs.example",
            "https://ivs.example",
            "https://direct.example",
            "https://a.b.internal.example",
            "https://pinned.example:8443",
            "https://pinned.example:443",
            "https://localhost",
            "https://[::1]:8443",
            "https://10.1.2.3",
            "https://11.1.2.3",
            "https://[fd00::1]:443",
            "https://[fd00::1]:8443",
            "https://notdirect.example",
        )
        for proxy in [settings.proxy_for(URL(url).scheme, URL(url).host or "", URL(url).explicit_port)]
    }
    assert chosen == {
        "http://ivs.example": "http://lower.example:2",
        "https://ivs.example": "https://secure.example",
        "https://direct.example": None,
        "https://a.b.internal.example": None,
        "https://pinned.example:8443": None,
        "https://pinned.example:443": "https://secure.example",
        "https://localhost": None,
        "https://[::1]:8443": None,
        "https://10.1.2.3": None,
        "https://11.1.2.3": "https://secure.example",
        "https://[fd00::1]:443": None,
        "https://[fd00::1]:8443": "https://secure.example",
        "https://notdirect.example": "https://secure.example",
    }
    assert proxies_from_environ({"NO_PROXY": "*"}) is None
    everything_direct = proxies_from_environ({"https_proxy": "p.example:1", "no_proxy": "*"})
    assert everything_direct is not None and everything_direct.proxy_for("https", "ivs.example") is None
    # httpoxy: in a CGI process HTTP_PROXY comes from a request header and is never trusted.
    cgi = proxies_from_environ({"REQUEST_METHOD": "GET", "HTTP_PROXY": "attacker.example:1"})
    assert cgi is None


PASSWORD = "hunter2-Qz7"


@given(value=st.text(max_size=200), rest=st.text(max_size=60))
@example(value="http://[::1", rest="[::1")
@example(value="proxy.example:3128", rest="p.example:1/x")
@example(value="", rest="0\u0641")  # hosts IDNA cannot encode (BIDI rules, empty labels): found by
@example(value="", rest=".\u00a1")  # this test; the transport's URL() raised UnicodeError at a call
def test_any_proxy_value_is_a_proxy_or_a_configuration_error(value: str, rest: str) -> None:
    assume(PASSWORD not in value + rest)
    try:
        settings = proxies_from_environ({"https_proxy": value, "HTTP_PROXY": f"http://u:{PASSWORD}@{rest}"})
    except ConfigurationError as exc:
        message = str(exc)
        assert PASSWORD not in message
        return
    assert settings is not None
    assert PASSWORD not in repr(settings)
    for scheme in ("http", "https"):
        proxy = settings.proxy_for(scheme, "ivs.example")
        if proxy is not None:
            parsed = URL(proxy.url)
            assert parsed.scheme in ("http", "https") and parsed.host and not parsed.user
            assert PASSWORD not in proxy.url and PASSWORD not in repr(proxy)


@given(no_proxy=st.text(max_size=120), host=st.text(max_size=40), port=st.none() | st.integers(0, 65535))
@example(no_proxy="10.0.0.0/8,[fd00::1]:443,*.x", host="10.1.2.3", port=None)
@example(no_proxy="[", host="[::1", port=1)
def test_any_no_proxy_list_answers_for_any_host(no_proxy: str, host: str, port: int | None) -> None:
    try:
        settings = proxies_from_environ({"https_proxy": "p.example:1", "no_proxy": no_proxy})
    except ConfigurationError:
        return
    assert settings is not None
    found = settings.proxy_for("https", host, port)
    assert found is None or found.url == "http://p.example:1"


async def test_an_https_call_tunnels_through_the_proxy_with_its_credentials(tmp_path: Path) -> None:
    # The proxy answers the CONNECT, then hangs up before any TLS: the call fails as a typed
    # connection error, and the CONNECT is what the proxy saw, credentials included.
    heads: list[bytes] = []

    async def proxy(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        heads.append(await reader.readuntil(b"\r\n\r\n"))
        writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(proxy, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    env = environ(tmp_path, HTTPS_PROXY=f"http://tunnel%20user:s3cret@127.0.0.1:{port}")
    try:
        async with IvsClient(
            region=REGION,
            credentials=StaticCredentials(KEY, SECRET),
            endpoint="https://ivs.example.invalid",
            environ=env,
            max_attempts=1,
        ) as client:
            with pytest.raises(ConnectionFailedError):
                await client.send(GetChannelCommand(arn=ARN))
    finally:
        server.close()
        await server.wait_closed()
    assert len(heads) == 1
    lines = heads[0].decode().split("\r\n")
    assert lines[0] == "CONNECT ivs.example.invalid:443 HTTP/1.1"
    credentials = base64.b64encode(b"tunnel user:s3cret").decode()
    assert f"Proxy-Authorization: Basic {credentials}" in lines

"""Client configuration, lifecycle and the aggregated client."""

from __future__ import annotations

import logging

import pytest

from ivs_async import Credentials, EnvironmentCredentials, Ivs, IvsClient, StaticCredentials
from ivs_async.commands import GetChannelCommand, GetStreamKeyCommand, ListChannelsCommand, ListTagsForResourceCommand
from ivs_async.errors import ClientClosedError, ConfigurationError, MissingRegionError, NoCredentialsError
from tests.conftest import KEY, REGION, SECRET
from tests.support.loopback import LoopbackServer, Reply

ARN = "arn:aws:ivs:us-west-2:123456789012:channel/abcdEFGH1234"


def test_default_endpoint_from_region() -> None:
    client = IvsClient(region="eu-central-1", credentials=StaticCredentials(KEY, SECRET))
    assert client.config.endpoint is not None
    assert client.config.endpoint.url == "https://ivs.eu-central-1.amazonaws.com"
    assert client.config.endpoint.host == "ivs.eu-central-1.amazonaws.com"


def test_region_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "ap-south-1")
    assert IvsClient().config.region == "ap-south-1"
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    assert IvsClient().config.region == "us-east-1"
    assert IvsClient(region="eu-west-1").config.region == "eu-west-1"


@pytest.mark.parametrize(
    ("endpoint", "url", "host"),
    [
        ("http://127.0.0.1:4566", "http://127.0.0.1:4566", "127.0.0.1:4566"),
        ("https://ivs.example.com:443/", "https://ivs.example.com", "ivs.example.com"),
        ("http://localhost:80/prefix/", "http://localhost/prefix", "localhost"),
    ],
)
def test_custom_endpoints(endpoint: str, url: str, host: str) -> None:
    config = IvsClient(region=REGION, endpoint=endpoint).config
    assert config.endpoint is not None
    assert (config.endpoint.url, config.endpoint.host) == (url, host)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"endpoint": "ftp://x"},
        {"endpoint": "http://"},
        {"endpoint": "http://h:99999"},
        {"endpoint": "http://h/?q=1"},
        {"region": "us west"},
        {"region": "evil.com/x"},
        {"max_attempts": 0},
        {"read_timeout": -1},
        {"credentials": ("AKID", "SECRET")},
    ],
)
def test_bad_configuration_is_refused_at_construction(kwargs: dict[str, object]) -> None:
    kwargs.setdefault("region", REGION)
    with pytest.raises(ConfigurationError):
        IvsClient(**kwargs)  # type: ignore[arg-type]


async def test_endpoint_path_prefix_is_sent_and_signed(server: LoopbackServer) -> None:
    from tests.support.botocore_ref import verify_signature

    creds = StaticCredentials(KEY, SECRET)
    async with IvsClient(region=REGION, credentials=creds, endpoint=server.endpoint + "/ivs-proxy/") as client:
        await client.send(GetChannelCommand(arn=ARN))
        await client.send(ListTagsForResourceCommand(resource_arn=ARN))
    assert [r.raw_path.split("?")[0] for r in server.received] == [
        "/ivs-proxy/GetChannel",
        "/ivs-proxy/tags/arn%3Aaws%3Aivs%3Aus-west-2%3A123456789012%3Achannel%2FabcdEFGH1234",
    ]
    for r in server.received:
        assert verify_signature(r.method, r.url, r.headers, r.body, key=KEY, secret=SECRET, region=REGION)[0]


@pytest.mark.parametrize("endpoint", [None, "http://127.0.0.1:9"])
async def test_missing_region_is_a_clear_error_at_first_send(endpoint: str | None) -> None:
    client = IvsClient(credentials=StaticCredentials(KEY, SECRET), endpoint=endpoint)
    with pytest.raises(MissingRegionError, match="AWS_REGION"):
        await client.send(GetChannelCommand(arn=ARN))
    await client.close()


async def test_missing_credentials_is_a_clear_error_at_first_send(server: LoopbackServer) -> None:
    async with IvsClient(region=REGION, endpoint=server.endpoint) as client:
        with pytest.raises(NoCredentialsError, match="AWS_ACCESS_KEY_ID"):
            await client.send(GetChannelCommand(arn=ARN))
    assert server.received == []


async def test_credentials_from_environment(server: LoopbackServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDENV")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "env-secret")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "env-token")
    async with IvsClient(region=REGION, endpoint=server.endpoint) as client:
        await client.send(GetChannelCommand(arn=ARN))
    headers = server.received[0].headers
    assert "Credential=AKIDENV/" in headers["Authorization"]
    assert headers["X-Amz-Security-Token"] == "env-token"
    assert "x-amz-security-token" in headers["Authorization"]


class Rotating:
    """A provider of new credentials at each resolve: AKID1, AKID2 ... (the first with ``first_token``)."""

    def __init__(self, first_token: str | None = None) -> None:
        self.calls = 0
        self.first_token = first_token

    async def resolve(self) -> Credentials:
        self.calls += 1
        return Credentials(f"AKID{self.calls}", SECRET, session_token=self.first_token if self.calls == 1 else None)


async def test_custom_credentials_provider(server: LoopbackServer) -> None:
    provider = Rotating()
    async with IvsClient(region=REGION, endpoint=server.endpoint, credentials=provider) as client:
        await client.send(GetChannelCommand(arn=ARN))
        await client.send(GetChannelCommand(arn=ARN))
    assert [
        "Credential=AKID1/" in server.received[0].headers["Authorization"],
        "Credential=AKID2/" in server.received[1].headers["Authorization"],
    ] == [True, True]


async def test_each_attempt_is_signed_afresh_from_the_unsigned_request(server: LoopbackServer) -> None:
    # The first attempt's credentials carry a session token, the retry's do not: the retry must
    # not carry the first attempt's token, date or signature along.
    server.queue(Reply(500, {"__type": "InternalServerException", "message": "try again"}))
    server.queue(Reply(200, {"channel": {"arn": ARN}}))
    provider = Rotating(first_token="first-token")
    async with IvsClient(region=REGION, endpoint=server.endpoint, credentials=provider) as client:
        out = await client.send(GetChannelCommand(arn=ARN))
    assert out.metadata.attempts == 2
    first, second = (r.headers for r in server.received)
    assert first["X-Amz-Security-Token"] == "first-token" and "Credential=AKID1/" in first["Authorization"]
    assert "X-Amz-Security-Token" not in second and "x-amz-security-token" not in second["Authorization"]
    assert "Credential=AKID2/" in second["Authorization"]
    assert second["amz-sdk-request"].startswith("attempt=2;")
    assert first["amz-sdk-invocation-id"] == second["amz-sdk-invocation-id"]


async def test_plain_credentials_value_is_accepted(server: LoopbackServer) -> None:
    async with IvsClient(region=REGION, endpoint=server.endpoint, credentials=Credentials("AKIDPLAIN", SECRET)) as c:
        await c.send(GetChannelCommand(arn=ARN))
    assert "Credential=AKIDPLAIN/" in server.received[0].headers["Authorization"]


def test_secrets_are_masked_in_reprs() -> None:
    creds = StaticCredentials("AKIDVISIBLE", "very-secret-key", session_token="very-secret-token")
    text = repr(creds)
    assert "AKIDVISIBLE" in text
    assert "very-secret" not in text
    assert "very-secret" not in repr(IvsClient(region=REGION, credentials=creds))
    assert "very-secret" not in repr(IvsClient(region=REGION, credentials=creds).config)
    assert repr(EnvironmentCredentials()) == "EnvironmentCredentials()"


async def test_secrets_never_reach_the_logs(server: LoopbackServer, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    creds = StaticCredentials(KEY, "log-secret-key", session_token="log-secret-token")
    server.queue(Reply(200, {"streamKey": {"value": "sk_log_secret_value"}}, {"x-amzn-RequestId": "r-log"}))
    async with IvsClient(region=REGION, endpoint=server.endpoint, credentials=creds) as client:
        out = await client.send(GetStreamKeyCommand(arn="arn:aws:ivs:us-west-2:123456789012:stream-key/k1"))
        assert out.stream_key is not None and out.stream_key.value == "sk_log_secret_value"
        logging.getLogger("test").debug("output: %r", out)
    assert "r-log" in caplog.text  # the logger did log the call
    assert "log-secret" not in caplog.text
    assert "sk_log_secret_value" not in caplog.text


async def test_headers_on_the_wire(server: LoopbackServer, client: IvsClient) -> None:
    await client.send(GetChannelCommand(arn=ARN))
    headers = server.received[0].headers
    (agent,) = [v for k, v in server.received[0].header_lines if k.lower() == "user-agent"]  # aiohttp adds none
    assert agent.startswith("ivs-async/")
    assert headers["Content-Type"] == "application/json"
    assert headers["Host"] == server.endpoint.removeprefix("http://")
    assert server.received[0].raw_path == "/GetChannel"
    assert server.received[0].body == b'{"arn":"' + ARN.encode() + b'"}'


async def test_empty_input_sends_an_empty_object(server: LoopbackServer, client: IvsClient) -> None:
    await client.send(ListChannelsCommand())
    assert server.received[0].body == b"{}"


async def test_closed_client_raises(server: LoopbackServer) -> None:
    client = IvsClient(region=REGION, credentials=StaticCredentials(KEY, SECRET), endpoint=server.endpoint)
    await client.send(GetChannelCommand(arn=ARN))
    await client.close()
    assert client.closed
    with pytest.raises(ClientClosedError):
        await client.send(GetChannelCommand(arn=ARN))
    with pytest.raises(ClientClosedError):
        async with client:
            pass
    await client.close()  # closing twice is fine


async def test_two_clients_share_no_session(server: LoopbackServer) -> None:
    a = IvsClient(region=REGION, credentials=StaticCredentials(KEY, SECRET), endpoint=server.endpoint)
    b = IvsClient(region=REGION, credentials=StaticCredentials(KEY, SECRET), endpoint=server.endpoint)
    await a.send(GetChannelCommand(arn=ARN))
    await b.send(GetChannelCommand(arn=ARN))
    assert a.transport is not b.transport
    assert a.transport.connector is not b.transport.connector  # type: ignore[attr-defined]
    await a.close()
    assert not b.closed
    await b.send(GetChannelCommand(arn=ARN))
    await b.close()


async def test_aggregated_client(server: LoopbackServer) -> None:
    server.queue(Reply(200, {"channel": {"arn": ARN, "name": "demo"}}))
    async with Ivs(region=REGION, credentials=StaticCredentials(KEY, SECRET), endpoint=server.endpoint) as ivs:
        out = await ivs.get_channel(arn=ARN)
        assert out.channel is not None and out.channel.name == "demo"
        await ivs.list_channels(filter_by_name="demo", max_results=5)
    assert server.received[1].raw_path == "/ListChannels"
    assert server.received[1].body == b'{"filterByName":"demo","maxResults":5}'


def test_aggregated_client_has_one_method_per_command() -> None:
    from ivs_async import commands

    names = [n for n in commands.__all__ if n.endswith("Command") and n != "Command"]
    for name in names:
        snake = "".join("_" + c.lower() if c.isupper() else c for c in name.removesuffix("Command")).lstrip("_")
        assert callable(getattr(Ivs, snake)), snake

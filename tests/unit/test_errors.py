"""Error responses, as IVS and as proxies send them, read through a real loopback server."""

from __future__ import annotations

import json
import pickle

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from multidict import CIMultiDict

from ivs_async import IvsClient, IvsError, IvsServiceException, StaticCredentials
from ivs_async.commands import GetChannelCommand, GetStreamKeyCommand, GetStreamSessionCommand
from ivs_async.errors import (
    AccessDeniedException,
    ConflictException,
    IvsSdkError,
    ResourceNotFoundException,
    ResponseParseError,
    ThrottlingException,
    ValidationException,
)
from ivs_async.middleware import HttpRequest, HttpResponse
from tests.conftest import KEY, REGION, SECRET
from tests.support.loopback import LoopbackServer, Reply

ARN = "arn:aws:ivs:us-west-2:123456789012:channel/abcdEFGH1234"
IVS_HEADERS = {"x-amzn-RequestId": "req-9", "x-amz-cf-id": "cf-1", "x-amz-id-2": "ext-2"}


@pytest.fixture
async def once(server: LoopbackServer) -> IvsClient:
    """A client that does not retry, so one queued reply is one outcome."""
    return IvsClient(
        region=REGION, credentials=StaticCredentials(KEY, SECRET), endpoint=server.endpoint, max_attempts=1
    )


async def failure(client: IvsClient) -> IvsError:
    with pytest.raises(IvsError) as info:
        await client.send(GetChannelCommand(arn=ARN))
    await client.close()
    return info.value


async def test_ivs_wire_form(server: LoopbackServer, once: IvsClient) -> None:
    server.queue(
        Reply(
            404,
            {"exceptionMessage": "Resource: x not found"},
            {"x-amzn-ErrorType": "ResourceNotFoundException:http://internal/", **IVS_HEADERS},
        )
    )
    err = await failure(once)
    assert type(err) is ResourceNotFoundException
    assert isinstance(err, IvsServiceException)
    assert (err.code, err.message, err.fault, err.retryable) == (
        "ResourceNotFoundException",
        "Resource: x not found",
        "client",
        False,
    )
    md = err.metadata
    assert md is not None
    assert (md.http_status_code, md.request_id, md.cf_id, md.extended_request_id, md.attempts) == (
        404,
        "req-9",
        "cf-1",
        "ext-2",
        1,
    )
    assert "Resource: x not found" in str(err) and "req-9" in str(err)


@pytest.mark.parametrize(
    "body",
    [
        {"__type": "com.amazonaws.ivs#ConflictException", "message": "in use"},
        {"code": "ConflictException", "Message": "in use"},
        {"__type": "ConflictException:http://x", "errorMessage": "in use"},
    ],
)
async def test_code_and_message_from_the_body(server: LoopbackServer, once: IvsClient, body: dict[str, str]) -> None:
    server.queue(Reply(409, body, IVS_HEADERS))
    err = await failure(once)
    assert type(err) is ConflictException
    assert err.message == "in use"


async def test_unknown_code_gives_the_base_class(server: LoopbackServer, once: IvsClient) -> None:
    server.queue(Reply(400, {"message": "new"}, {"x-amzn-ErrorType": "BrandNewException", **IVS_HEADERS}))
    err = await failure(once)
    assert type(err) is IvsServiceException
    assert (err.code, err.message, err.fault) == ("BrandNewException", "new", "client")


async def test_html_from_a_proxy_is_a_clear_sdk_error(server: LoopbackServer, once: IvsClient) -> None:
    html = b"<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1></body></html>"
    server.queue(Reply(502, html, {"Content-Type": "text/html"}))
    err = await failure(once)
    assert type(err) is ResponseParseError
    assert isinstance(err, IvsSdkError)
    assert err.http_status_code == 502
    assert err.retryable is True
    assert "502 Bad Gateway" in err.snippet and "HTTP 502" in str(err)


async def test_truncated_json_success_body(server: LoopbackServer, once: IvsClient) -> None:
    server.queue(Reply(200, b'{"channel": {"arn": "arn:aws:iv', IVS_HEADERS))
    err = await failure(once)
    assert type(err) is ResponseParseError
    assert err.retryable is False
    assert err.metadata is not None and err.metadata.request_id == "req-9"
    assert '{"channel"' in err.snippet


async def test_secrets_in_a_cut_body_are_masked_in_the_error(server: LoopbackServer, once: IvsClient) -> None:
    server.queue(
        Reply(200, b'{"streamKey": {"arn": "arn:aws:ivs:us-west-2:1:stream-key/k", "value": "sk_us-west-2_SEC')
    )
    with pytest.raises(ResponseParseError) as info:
        await once.send(GetStreamKeyCommand(arn="arn:aws:ivs:us-west-2:123456789012:stream-key/k1"))
    await once.close()
    assert "SEC" not in str(info.value)
    assert '"value": "****"' in info.value.snippet


@pytest.mark.parametrize("body", [b"[1, 2]", b'"text"', b'{"channel": "not an object"}', b'{"channel": {"tags": 5}}'])
async def test_json_of_the_wrong_shape(server: LoopbackServer, once: IvsClient, body: bytes) -> None:
    server.queue(Reply(200, body, IVS_HEADERS))
    err = await failure(once)
    assert type(err) is ResponseParseError


async def test_error_without_body_or_code(server: LoopbackServer, once: IvsClient) -> None:
    server.queue(Reply(403, b"", IVS_HEADERS))
    err = await failure(once)
    assert type(err) is IvsServiceException
    assert err.code == "Http403"


async def test_code_header_with_html_body(server: LoopbackServer, once: IvsClient) -> None:
    server.queue(Reply(403, b"<html>denied</html>", {"x-amzn-ErrorType": "AccessDeniedException", **IVS_HEADERS}))
    err = await failure(once)
    assert type(err) is AccessDeniedException
    assert err.message == "<html>denied</html>"


async def test_throttling_is_marked_retryable(server: LoopbackServer, once: IvsClient) -> None:
    server.queue(Reply(429, {"exceptionMessage": "slow down"}, {"x-amzn-ErrorType": "ThrottlingException"}))
    err = await failure(once)
    assert type(err) is ThrottlingException
    assert err.retryable is True


def test_errors_pickle() -> None:
    err = ValidationException("bad", metadata=None)
    copy = pickle.loads(pickle.dumps(err))
    assert type(copy) is ValidationException and copy.message == "bad" and copy.code == "ValidationException"
    unknown = IvsServiceException("x", code="Other", fault="server", retryable=True)
    copy2 = pickle.loads(pickle.dumps(unknown))
    assert (copy2.code, copy2.fault, copy2.retryable) == ("Other", "server", True)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=6),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=12,
)
# Wire keys of GetStreamSession's output, so that fuzzed bodies often hit real members.
SESSION_KEYS = st.sampled_from(
    [
        "streamSession",
        "channel",
        "startTime",
        "endTime",
        "truncatedEvents",
        "tags",
        "ingestConfiguration",
        "video",
        "audio",
        "type",
        "eventTime",
        "recordingConfiguration",
    ]
)
session_like = st.recursive(
    json_values,
    lambda inner: st.dictionaries(SESSION_KEYS, inner, max_size=4),
    max_leaves=16,
)


class Canned:
    def __init__(self) -> None:
        self.body = b"{}"

    async def send(self, request: HttpRequest) -> HttpResponse:
        return HttpResponse(200, CIMultiDict({"x-amzn-RequestId": "fuzz"}), self.body)

    async def close(self) -> None:
        pass


@settings(max_examples=300, deadline=None)
@given(body=session_like | st.binary(max_size=40))
@example(body={"streamSession": {"startTime": 1e300}})
@example(body={"streamSession": {"truncatedEvents": [1, None]}})
@example(body=b"\xff\xfe")
async def test_no_response_body_escapes_as_an_untyped_error(body: object) -> None:
    transport = Canned()
    transport.body = body if isinstance(body, bytes) else json.dumps(body).encode()
    client = IvsClient(region=REGION, credentials=StaticCredentials(KEY, SECRET), transport=transport, max_attempts=1)
    try:
        out = await client.send(GetStreamSessionCommand(channel_arn=ARN))
    except ResponseParseError:
        return
    assert out.metadata.request_id == "fuzz"
    assert isinstance(out.to_dict(), dict)


def test_public_names_show_their_public_home() -> None:
    import traceback

    import ivs_async
    from ivs_async import commands, credentials, errors, middleware, models, paginators, testing

    for module in (ivs_async, commands, credentials, errors, middleware, models, paginators, testing):
        for name in module.__all__:
            home = getattr(getattr(module, name), "__module__", None)
            if isinstance(home, str) and home.startswith("ivs_async"):
                assert not any(part.startswith("_") for part in home.split(".")), (module.__name__, name, home)
    try:
        raise errors.ResourceNotFoundException("gone")
    except errors.ResourceNotFoundException as exc:
        shown = "".join(traceback.format_exception(exc))
    assert "ivs_async.errors.ResourceNotFoundException: " in shown
    assert repr(models.Channel(arn="a")) == "Channel(arn='a')"

"""Every operation through the full public stack, checked against botocore as a reference.

- property: for any valid input, the request we send (method, encoded path, query, JSON body)
  is the one botocore's serializer builds from the same model, and botocore's signer computes
  the same signature;
- round trip over real HTTP on 127.0.0.1: a response with every member set parses to what
  botocore's parser reads, and ``to_dict()`` gives the wire form back.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from multidict import CIMultiDict

from ivs_async import IvsClient, StaticCredentials, commands
from ivs_async.middleware import HttpRequest, HttpResponse
from tests.conftest import KEY, REGION, SECRET
from tests.support.botocore_ref import normalize, reference_parse, reference_request, split_url, verify_signature
from tests.support.loopback import LoopbackServer, Reply
from tests.support.shapes import full_valid, reference_wire, sample_wire, valid

COMMANDS = [getattr(commands, name) for name in commands.__all__ if name.endswith("Command") and name != "Command"]


def test_every_operation_of_the_model_has_a_command() -> None:
    from tests.support.botocore_ref import SERVICE

    assert sorted(c.operation.name for c in COMMANDS) == sorted(SERVICE.operation_names)
    assert len(COMMANDS) >= 41


class CapturingTransport:
    """Records what would go on the wire and answers 200 {}."""

    def __init__(self) -> None:
        self.sent: list[HttpRequest] = []

    async def send(self, request: HttpRequest) -> HttpResponse:
        self.sent.append(request)
        return HttpResponse(200, CIMultiDict({"x-amzn-RequestId": "captured"}), b"{}")

    async def close(self) -> None:
        pass


@pytest.mark.parametrize("command_cls", COMMANDS, ids=lambda c: c.operation.name)
@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
)
@given(data=st.data())
async def test_request_matches_botocore(command_cls: Any, data: st.DataObject) -> None:
    op = command_cls.operation
    request_input = data.draw(valid(op.input), label="input")
    command = command_cls(request_input)
    transport = CapturingTransport()
    client = IvsClient(region=REGION, credentials=StaticCredentials(KEY, SECRET), transport=transport)
    await client.send(command)
    await client.close()
    (sent,) = transport.sent
    # The reference input comes from the schema, not from our converter, so a member our
    # converter drops (PutMetadata's payload once was) cannot hide on both sides.
    expected = reference_request(op.name, reference_wire(op.input, request_input))
    path = sent.path
    assert sent.method == expected["method"]
    assert path == expected["path"]
    assert split_url(sent.url)[1] == expected["query"]
    assert sent.url == f"https://ivs.{REGION}.amazonaws.com{path}" + (f"?{sent.query}" if sent.query else "")
    assert normalize(json.loads(sent.body) if sent.body else None) == normalize(expected["body"])
    ok, want = verify_signature(sent.method, sent.url, sent.headers, sent.body, key=KEY, secret=SECRET, region=REGION)
    assert ok, f"botocore signs this request as {want}, we sent {sent.headers['Authorization']}"


@pytest.mark.parametrize("command_cls", COMMANDS, ids=lambda c: c.operation.name)
async def test_round_trip_over_http(command_cls: Any, server: LoopbackServer, client: IvsClient) -> None:
    op = command_cls.operation
    body = sample_wire(op.output)
    headers = {m.location_name: f"{m.wire}-header" for m in op.header_members}
    server.queue(Reply(op.success_code, body if op.output.members else b"", {"x-amzn-RequestId": "rid-1", **headers}))
    command = command_cls(full_valid(op.input))

    out = await client.send(command)

    # The server received botocore's request, signed the way botocore signs it.
    (received,) = server.received
    expected = reference_request(op.name, reference_wire(op.input, command.input))
    assert received.method == expected["method"]
    assert received.raw_path.split("?")[0] == expected["path"]
    assert split_url(received.raw_path)[1] == expected["query"]
    assert normalize(json.loads(received.body) if received.body else None) == normalize(expected["body"])
    ok, want = verify_signature(
        received.method, received.url, received.headers, received.body, key=KEY, secret=SECRET, region=REGION
    )
    assert ok, want
    # The response reads as botocore reads it, and writes back to the same wire form.
    wire_body = json.dumps(body).encode() if op.output.members else b""
    reference = reference_parse(op.name, op.success_code, {"x-amzn-RequestId": "rid-1", **headers}, wire_body)
    assert normalize(out.to_dict()) == normalize(reference)
    assert normalize(out.to_dict()) == normalize(
        {**body, **{m.wire: v for m in op.header_members for k, v in headers.items() if k == m.location_name}}
    )
    assert out.metadata.http_status_code == op.success_code
    assert out.metadata.request_id == "rid-1"
    assert out.metadata.attempts == 1
    assert type(out) is op.output_cls

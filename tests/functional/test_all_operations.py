"""Every operation of every service (IVS, IVS Chat, IVS Real-Time) through the full public stack,
checked against botocore as a reference (tests/support/botocore_ref.py) on our vendored models.

- property: for any valid input, the request we send (method, encoded path, query, JSON body) is
  the one botocore's serializer builds from the same model, to the host botocore's endpoint rules
  give, and botocore's signer computes the same signature with the service's signing name;
- round trip over real HTTP on 127.0.0.1: a response with every member set (headers too) parses
  to what botocore's parser reads, and ``to_dict()`` gives the wire form back;
- property: any full response (floats, unions, every member) parses as botocore parses it;
- unknown members and enum values are read as botocore reads them; a value of the wrong JSON type
  is a ResponseParseError.
"""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from multidict import CIMultiDict

from ivs_async import StaticCredentials
from ivs_async._protocol.schema import Kind, Shape
from ivs_async.errors import ResponseParseError
from ivs_async.middleware import HttpRequest, HttpResponse
from tests.conftest import KEY, REGION, SECRET
from tests.support.botocore_ref import is_uuid4, normalize, reference, split_url
from tests.support.loopback import LoopbackServer, Reply
from tests.support.services import ServiceUnderTest, by_service, every_command
from tests.support.shapes import full_valid, json_wire, reference_wire, sample_wire, valid

COMMANDS = every_command()
# Operations whose answer has a JSON body (the others answer 204 or an empty object).
WITH_BODY = [p for p in COMMANDS if any(m.location.value == "body" for m in p.values[1].operation.output.members)]
HEADER_TEXT = st.text(st.characters(min_codepoint=33, max_codepoint=126), min_size=1, max_size=20)
UNKNOWN = "aMemberFrom2099"


@by_service()
def test_every_operation_of_the_model_has_a_command(service: ServiceUnderTest) -> None:
    ref = reference(service)
    commands = service.command_classes
    assert sorted(c.operation.name for c in commands) == sorted(ref.model.operation_names)
    assert len(commands) >= {"ivs": 41, "chat": 17, "realtime": 40}[service.key]
    assert all(c.operation.service is service.client_cls.service for c in commands)
    assert service.client_cls.service.signing_name == ref.model.signing_name == service.signing_name


@by_service()
async def test_default_endpoint_is_botocores(service: ServiceUnderTest, monkeypatch: pytest.MonkeyPatch) -> None:
    """The host our client sends to (and signs) is the one botocore's rules give, per region and
    FIPS/dual-stack setting; the service's own endpoint variable is the one botocore reads."""
    ref = reference(service)
    for region in ("us-west-2", "eu-central-1", "ap-northeast-1", "cn-north-1", "us-gov-west-1"):
        for fips, dualstack in ((False, False), (True, False), (False, True), (True, True)):
            try:
                expected = ref.endpoint(region, fips=fips, dualstack=dualstack)
            except Exception:  # botocore's EndpointResolutionError: FIPS where the partition has none
                continue
            client = service.client_cls(
                region=region,
                credentials=StaticCredentials(KEY, SECRET),
                use_fips_endpoint=fips,
                use_dualstack_endpoint=dualstack,
            )
            assert client.config.endpoint.url == expected, (region, fips, dualstack)
            await client.close()
    assert ref.endpoint(REGION) == f"https://{service.host(REGION)}"
    # botocore's name for the variable: AWS_ENDPOINT_URL_ and the service id, spaces as underscores.
    variable = "AWS_ENDPOINT_URL_" + ref.model.service_id.replace(" ", "_").upper()
    for other in ("IVS", "IVSCHAT", "IVS_REALTIME"):
        monkeypatch.setenv(f"AWS_ENDPOINT_URL_{other}", f"http://127.0.0.1:9/{other.lower()}")
    client = service.client_cls(region=REGION, credentials=StaticCredentials(KEY, SECRET))
    assert client.config.endpoint.url == f"http://127.0.0.1:9/{variable.removeprefix('AWS_ENDPOINT_URL_').lower()}"
    await client.close()


class CapturingTransport:
    """Records what would go on the wire and answers 200 {}."""

    def __init__(self) -> None:
        self.sent: list[HttpRequest] = []

    async def send(self, request: HttpRequest) -> HttpResponse:
        self.sent.append(request)
        return HttpResponse(200, CIMultiDict({"x-amzn-RequestId": "captured"}), b"{}")

    async def close(self) -> None:
        pass


class Canned:
    """Answers every request with one response."""

    def __init__(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.answer = HttpResponse(status, CIMultiDict(headers), body)

    async def send(self, request: HttpRequest) -> HttpResponse:
        return self.answer

    async def close(self) -> None:
        pass


async def answered(
    service: ServiceUnderTest, command_cls: Any, status: int, headers: dict[str, str], body: bytes
) -> Any:
    """What our client makes of one answer to the command with the fullest valid input."""
    op = command_cls.operation
    client = service.client_cls(
        region=REGION,
        credentials=StaticCredentials(KEY, SECRET),
        transport=Canned(status, headers, body),
        max_attempts=1,
    )
    try:
        return await client.send(command_cls(full_valid(op.input)))
    finally:
        await client.close()


@pytest.mark.parametrize(("service", "command_cls"), COMMANDS)
@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
)
@given(data=st.data())
async def test_request_matches_botocore(service: ServiceUnderTest, command_cls: Any, data: st.DataObject) -> None:
    op = command_cls.operation
    ref = reference(service)
    request_input = data.draw(valid(op.input), label="input")
    command = command_cls(request_input)
    transport = CapturingTransport()
    client = service.client_cls(region=REGION, credentials=StaticCredentials(KEY, SECRET), transport=transport)
    await client.send(command)
    await client.close()
    (sent,) = transport.sent
    # The reference input comes from the schema, not from our converter, so a member our
    # converter drops (PutMetadata's payload once was) cannot hide on both sides.
    params = reference_wire(op.input, request_input)
    expected = ref.request(op.name, params)
    body = json.loads(sent.body) if sent.body else None
    for token in ref.idempotency_members(op.name):
        if token not in params:  # both sides fill it: botocore and we each with a fresh UUID4
            assert body is not None and is_uuid4(body.get(token)), body
            assert is_uuid4(expected["body"][token])
            expected["body"][token] = body[token]
    path = sent.path
    assert sent.method == expected["method"]
    assert path == expected["path"]
    assert split_url(sent.url)[1] == expected["query"]
    assert sent.url == ref.endpoint(REGION) + path + (f"?{sent.query}" if sent.query else "")
    assert sent.headers["Host"] == service.host(REGION)
    assert normalize(body) == normalize(expected["body"])
    ok, want = ref.verify_signature(
        sent.method, sent.url, sent.headers, sent.body, key=KEY, secret=SECRET, region=REGION
    )
    assert ok, f"botocore signs this request as {want}, we sent {sent.headers['Authorization']}"
    assert f"/{REGION}/{service.signing_name}/aws4_request" in sent.headers["Authorization"]


@pytest.mark.parametrize(("service", "command_cls"), COMMANDS)
async def test_round_trip_over_http(service: ServiceUnderTest, command_cls: Any, server: LoopbackServer) -> None:
    op = command_cls.operation
    ref = reference(service)
    body = sample_wire(op.output)
    headers = {m.location_name: f"{m.wire}-header" for m in op.header_members}
    server.queue(Reply(op.success_code, body if op.output.members else b"", {"x-amzn-RequestId": "rid-1", **headers}))
    command = command_cls(full_valid(op.input))

    async with service.client_cls(
        region=REGION, credentials=StaticCredentials(KEY, SECRET), endpoint=server.endpoint
    ) as client:
        out = await client.send(command)

    # The server received botocore's request, signed the way botocore signs it.
    (received,) = server.received
    expected = ref.request(op.name, reference_wire(op.input, command.input))
    sent = json.loads(received.body) if received.body else None
    for token in ref.idempotency_members(op.name):
        member = next(m for m in op.input.members if m.wire == token)
        if getattr(command.input, member.name) is None:
            assert sent is not None and is_uuid4(sent[token])
            expected["body"][token] = sent[token]
    assert received.method == expected["method"]
    assert received.raw_path.split("?")[0] == expected["path"]
    assert split_url(received.raw_path)[1] == expected["query"]
    assert normalize(sent) == normalize(expected["body"])
    ok, want = ref.verify_signature(
        received.method, received.url, received.headers, received.body, key=KEY, secret=SECRET, region=REGION
    )
    assert ok, want
    # The response reads as botocore reads it, and writes back to the same wire form.
    wire_body = json.dumps(body).encode() if op.output.members else b""
    expected_out = ref.parse(op.name, op.success_code, {"x-amzn-RequestId": "rid-1", **headers}, wire_body)
    assert normalize(out.to_dict()) == normalize(expected_out)
    assert normalize(out.to_dict()) == normalize(
        {**body, **{m.wire: v for m in op.header_members for k, v in headers.items() if k == m.location_name}}
    )
    assert out.metadata.http_status_code == op.success_code
    assert out.metadata.request_id == "rid-1"
    assert out.metadata.attempts == 1
    assert type(out) is op.output_cls


@pytest.mark.parametrize(("service", "command_cls"), WITH_BODY)
@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data())
async def test_any_full_response_parses_as_botocore_reads_it(
    service: ServiceUnderTest, command_cls: Any, data: st.DataObject
) -> None:
    """Every member set, values drawn (floats, each member of a union, header-bound members)."""
    op = command_cls.operation
    drawn = data.draw(valid(op.output, full=True, loose=True), label="output")
    body = json.dumps(json_wire(op.output, drawn)).encode()
    headers = {"x-amzn-RequestId": "rid-2"}
    for member in op.header_members:
        headers[member.location_name] = data.draw(HEADER_TEXT, label=member.location_name)
    out = await answered(service, command_cls, op.success_code, headers, body)
    expected = reference(service).parse(op.name, op.success_code, headers, body)
    assert normalize(out.to_dict()) == normalize(expected)


def with_unknowns(shape: Shape, value: Any) -> Any:
    """``value`` (wire form) with a member the model does not know in every structure (but unions:
    a union names one member) and every enum value replaced by one the model does not list."""
    if shape.kind is Kind.STRING and shape.enum is not None:
        return "A_VALUE_FROM_2099"
    if shape.kind is Kind.LIST:
        assert shape.member is not None
        return [with_unknowns(shape.member, v) for v in value]
    if shape.kind is Kind.MAP:
        assert shape.key is not None and shape.value is not None
        return {with_unknowns(shape.key, k): with_unknowns(shape.value, v) for k, v in value.items()}
    if shape.kind is Kind.STRUCTURE:
        by_wire = {m.wire: m for m in shape.members}
        out = {k: with_unknowns(by_wire[k].shape, v) for k, v in value.items()}
        if not shape.union:
            out[UNKNOWN] = {"nested": [1, "two", None], "flag": True}
        return out
    return value


@pytest.mark.parametrize(("service", "command_cls"), WITH_BODY)
async def test_unknown_members_and_enum_values_read_as_botocore_reads_them(
    service: ServiceUnderTest, command_cls: Any
) -> None:
    op = command_cls.operation
    body = with_unknowns(op.output, sample_wire(op.output))
    wire = json.dumps(body).encode()
    headers = {"x-amzn-RequestId": "rid-3"}
    out = await answered(service, command_cls, op.success_code, headers, wire)
    assert type(out) is op.output_cls
    expected = reference(service).parse(op.name, op.success_code, headers, wire)
    assert normalize(out.to_dict()) == normalize(expected)
    assert UNKNOWN not in json.dumps(out.to_dict())


def wrong_type(shape: Shape) -> Any:
    """A JSON value no member of ``shape``'s kind can be read from."""
    if shape.kind in (Kind.STRUCTURE, Kind.MAP):
        return ["not", "an", "object"]
    if shape.kind is Kind.LIST:
        return {"not": "a list"}
    if shape.kind is Kind.STRING:
        return {"not": "a string"}
    if shape.kind is Kind.BOOLEAN:
        return "yes"
    if shape.kind is Kind.TIMESTAMP:
        return [2024]
    return "not a number"  # integer, long, float, double


def body_members(shape: Shape) -> list[Any]:
    return [m for m in shape.members if m.location.value == "body"]


@pytest.mark.parametrize(("service", "command_cls"), WITH_BODY)
async def test_a_value_of_the_wrong_json_type_is_a_response_parse_error(
    service: ServiceUnderTest, command_cls: Any
) -> None:
    """Each body member in turn, at the top and one level down: never a KeyError or a TypeError."""
    op = command_cls.operation
    good = sample_wire(op.output)
    cases: list[tuple[str, dict[str, Any]]] = []
    for member in body_members(op.output):
        cases.append((member.wire, {**good, member.wire: wrong_type(member.shape)}))
        inner = member.shape.member if member.shape.kind is Kind.LIST else member.shape
        if inner is not None and inner.kind is Kind.STRUCTURE:
            for sub in body_members(inner)[: 1 if inner.union else None]:
                broken = dict(sample_wire(inner))
                broken[sub.wire] = wrong_type(sub.shape)
                value = [broken] if member.shape.kind is Kind.LIST else broken
                cases.append((f"{member.wire}.{sub.wire}", {**good, member.wire: value}))
    assert cases
    for where, body in cases:
        with pytest.raises(ResponseParseError) as caught:
            await answered(
                service, command_cls, op.success_code, {"x-amzn-RequestId": "rid-4"}, json.dumps(body).encode()
            )
        assert caught.value.metadata.request_id == "rid-4", where
        assert op.name in str(caught.value), where
    for cut in (b'{"', b"<html>oops</html>", b"[]", b"null"):
        with pytest.raises(ResponseParseError):
            await answered(service, command_cls, op.success_code, {}, cut)


@pytest.mark.parametrize(
    "destination",
    [{"kinesis": {"streamName": "new"}}, {"s3": {"bucketName": "b"}, "aNewMember": {"x": 1}}],
    ids=["only-unknown", "known-and-unknown"],
)
async def test_a_union_member_the_model_does_not_know_is_tolerated(destination: dict[str, Any]) -> None:
    """botocore reads a union holding only an unknown member as SDK_UNKNOWN_MEMBER (and refuses
    two members); we read the members we know and never fail on the others."""
    from ivs_async.chat.commands import GetLoggingConfigurationCommand
    from tests.support.services import CHAT

    body = {**sample_wire(GetLoggingConfigurationCommand.operation.output), "destinationConfiguration": destination}
    out = await answered(CHAT, GetLoggingConfigurationCommand, 200, {}, json.dumps(body).encode())
    assert out.destination_configuration is not None
    known = {k: v for k, v in destination.items() if k in ("s3", "firehose", "cloudWatchLogs")}
    assert out.to_dict()["destinationConfiguration"] == known


@pytest.mark.parametrize("framerate", [math.nan, math.inf, -math.inf], ids=["nan", "inf", "-inf"])
async def test_non_finite_floats_are_written_as_botocore_writes_them(framerate: float) -> None:
    """NaN is outside any range (refused before sending, as infinities beyond a bound are); with
    the validation step removed, NaN and the infinities go as the strings botocore writes, never
    as null (orjson) or as bare NaN (not JSON)."""
    from ivs_async.errors import ParamValidationError
    from ivs_async.realtime.commands import CreateEncoderConfigurationCommand
    from tests.support.services import REALTIME

    command = CreateEncoderConfigurationCommand(video={"framerate": framerate})
    transport = CapturingTransport()
    client = REALTIME.client_cls(region=REGION, credentials=StaticCredentials(KEY, SECRET), transport=transport)
    with pytest.raises(ParamValidationError) as caught:
        await client.send(command)
    assert (caught.value.field, caught.value.rule) == ("video.framerate", "range")
    assert client.middleware_stack.remove("validation")
    await client.send(command)
    await client.close()
    (sent,) = transport.sent
    expected = reference(REALTIME).request("CreateEncoderConfiguration", {"video": {"framerate": framerate}})
    assert (
        json.loads(sent.body)
        == expected["body"]
        == {"video": {"framerate": str(expected["body"]["video"]["framerate"])}}
    )
    assert expected["body"]["video"]["framerate"] in ("NaN", "Infinity", "-Infinity")


@pytest.mark.parametrize("text", ["NaN", "Infinity", "-Infinity"])
async def test_non_finite_floats_are_read_as_botocore_reads_them(text: str) -> None:
    from ivs_async.realtime.commands import GetEncoderConfigurationCommand
    from tests.support.services import REALTIME

    body = json.dumps({"encoderConfiguration": {"arn": "a", "video": {"framerate": text, "width": 1280}}}).encode()
    out = await answered(REALTIME, GetEncoderConfigurationCommand, 200, {}, body)
    expected = reference(REALTIME).parse("GetEncoderConfiguration", 200, {}, body)
    got = out.encoder_configuration.video.framerate
    want = expected["encoderConfiguration"]["video"]["framerate"]
    assert type(got) is float and (got == want or (math.isnan(got) and math.isnan(want)))


async def test_a_number_in_a_string_is_not_a_float() -> None:
    """Only the three names above come as strings; botocore's float() would read "29.97" too."""
    from ivs_async.realtime.commands import GetEncoderConfigurationCommand
    from tests.support.services import REALTIME

    body = json.dumps({"encoderConfiguration": {"video": {"framerate": "29.97"}}}).encode()
    with pytest.raises(ResponseParseError, match="framerate"):
        await answered(REALTIME, GetEncoderConfigurationCommand, 200, {}, body)


async def test_a_filled_idempotency_token_is_the_same_on_every_attempt(server: LoopbackServer) -> None:
    """As botocore fills it once per call (before serializing), so the retries repeat it."""
    from ivs_async.realtime.commands import StartCompositionCommand
    from tests.support.services import REALTIME

    server.queue(Reply(500, {"exceptionMessage": "oops"}, {"x-amzn-ErrorType": "InternalServerException"}))
    server.queue(Reply(200, {"composition": {"arn": "c"}}, {"x-amzn-RequestId": "rid-5"}))
    full = full_valid(StartCompositionCommand.operation.input)
    command = StartCompositionCommand(stage_arn=full.stage_arn, destinations=full.destinations)  # no token
    async with REALTIME.client_cls(
        region=REGION, credentials=StaticCredentials(KEY, SECRET), endpoint=server.endpoint, max_attempts=2
    ) as client:
        out = await client.send(command)
        await client.send(StartCompositionCommand(stage_arn=full.stage_arn, destinations=full.destinations))
    assert out.metadata.attempts == 2
    first, retried, other = (json.loads(r.body)["idempotencyToken"] for r in server.received)
    assert is_uuid4(first) and first == retried
    assert is_uuid4(other) and other != first  # a new call is a new request


WITH_HEADERS = [p for p in COMMANDS if p.values[1].operation.header_members]


@pytest.mark.parametrize(("service", "command_cls"), WITH_HEADERS)
async def test_header_bound_members_are_read_from_their_headers_only(
    service: ServiceUnderTest, command_cls: Any
) -> None:
    """A body key named like a header-bound member is an unknown key, as botocore reads it."""
    op = command_cls.operation
    body = {**sample_wire(op.output), **{m.wire: "from the body" for m in op.header_members}}
    wire = json.dumps(body).encode()
    for headers in ({}, {m.location_name: "from the header" for m in op.header_members}):
        out = await answered(service, command_cls, op.success_code, headers, wire)
        expected = reference(service).parse(op.name, op.success_code, headers, wire)
        assert normalize(out.to_dict()) == normalize(expected)
        assert "from the body" not in json.dumps(out.to_dict())

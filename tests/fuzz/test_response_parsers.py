"""Fuzz: any answer to any operation gives the output model or a documented typed error.

Arbitrary status, headers (undecodable bytes included, through a raw-header transport) and bodies
(arbitrary bytes, arbitrary JSON, and the operation's own output with values swapped for values
of other JSON types) go through the public client with a transport that answers them in memory.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from multidict import CIMultiDict

from ivs_async import StaticCredentials
from ivs_async._protocol.schema import Kind, Shape
from ivs_async.errors import IvsServiceException, ResponseParseError
from ivs_async.middleware import HttpRequest, HttpResponse
from ivs_async.models import Model
from tests.conftest import KEY, REGION, SECRET
from tests.support.services import ServiceUnderTest, every_command
from tests.support.shapes import ANY_JSON, full_valid, mutated, sample_wire

COMMANDS = every_command()  # IVS, IVS Chat and IVS Real-Time


HEADER_TEXT = st.text(max_size=20).map(lambda s: s.encode("utf-8", "surrogatepass").decode("utf-8", "surrogateescape"))


def holds_declared_types(shape: Shape, value: Any) -> bool:
    """Whether a parsed value has the Python type the model declares, all the way down."""
    if value is None:
        return True
    kind = shape.kind
    if kind is Kind.STRING:
        return isinstance(value, str)  # enum members are str subclasses
    if kind in (Kind.INTEGER, Kind.LONG):
        return type(value) is int
    if kind in (Kind.FLOAT, Kind.DOUBLE):
        return type(value) is float
    if kind is Kind.BOOLEAN:
        return type(value) is bool
    if kind is Kind.TIMESTAMP:
        return isinstance(value, datetime) and value.tzinfo is not None
    if kind is Kind.LIST:
        assert shape.member is not None
        return isinstance(value, list) and all(holds_declared_types(shape.member, v) for v in value)
    if kind is Kind.MAP:
        assert shape.value is not None
        return isinstance(value, dict) and all(
            isinstance(k, str) and holds_declared_types(shape.value, v) for k, v in value.items()
        )
    return isinstance(value, shape.cls or object) and all(
        holds_declared_types(m.shape, getattr(value, m.name)) for m in shape.members
    )


class Canned:
    """Answers every request with the drawn status, headers and body."""

    def __init__(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.answer = HttpResponse(status, CIMultiDict(headers), body)

    async def send(self, request: HttpRequest, **timeouts: float | None) -> HttpResponse:
        return self.answer

    async def close(self) -> None:
        pass


@pytest.mark.parametrize(("service", "command_cls"), COMMANDS)
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
async def test_any_answer_is_an_output_or_a_typed_error(
    service: ServiceUnderTest, command_cls: Any, data: st.DataObject
) -> None:
    op = command_cls.operation
    # Half the answers are successes carrying the operation's own (mutated) output: the reader's
    # type checks are where most bugs would hide.
    success = data.draw(st.booleans(), label="success")
    status = op.success_code if success else data.draw(st.sampled_from([200, 400, 403, 404, 409, 429, 500, 503]))
    body_kind = "model" if success else data.draw(st.sampled_from(["model", "json", "bytes", "empty"]), label="kind")
    if body_kind == "model":
        body = json.dumps(mutated(sample_wire(op.output), data.draw)).encode()
    elif body_kind == "json":
        body = json.dumps(data.draw(ANY_JSON)).encode()
    elif body_kind == "bytes":
        body = data.draw(st.binary(max_size=64))
    else:
        body = b""
    headers = {"x-amzn-RequestId": data.draw(HEADER_TEXT, label="request id")}
    if data.draw(st.booleans()):
        codes = st.sampled_from(sorted(service.modeled_errors))
        headers["x-amzn-ErrorType"] = data.draw(HEADER_TEXT | codes, label="error type")
    if data.draw(st.booleans()):
        headers["x-amz-retry-after"] = data.draw(HEADER_TEXT, label="retry after")
    if data.draw(st.booleans()):
        headers["Date"] = data.draw(HEADER_TEXT | st.just("Fri, 31 Dec 9999 23:59:59 GMT"), label="date")
    for member in op.header_members:
        headers[member.location_name] = data.draw(HEADER_TEXT)
    transport = Canned(status, headers, body)
    client = service.client_cls(
        region=REGION, credentials=StaticCredentials(KEY, SECRET), transport=transport, max_attempts=1
    )
    error: ResponseParseError | IvsServiceException | None = None
    try:
        out = await client.send(command_cls(full_valid(op.input)))
    except (ResponseParseError, IvsServiceException) as exc:
        error = exc
    finally:
        await client.close()
    if error is not None:
        text = str(error)
        text.encode("utf-8")  # printable and loggable: no lone surrogates
        assert len(text) < 5000 and error.metadata is not None
        # A service's error is of that service: its base class, or a modeled class under it.
        assert isinstance(error, ResponseParseError | service.base_error), type(error)
        modeled = service.modeled_errors.get(headers.get("x-amzn-ErrorType", ""))
        if modeled is not None and not 200 <= status < 300:
            assert type(error) is modeled
        return
    assert isinstance(out, Model) and type(out) is op.output_cls
    assert holds_declared_types(op.output, out)
    assert isinstance(out.to_dict(), dict)
    assert 200 <= status < 300

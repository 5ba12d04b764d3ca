"""Every modeled error of every service (IVS, IVS Chat, IVS Real-Time) raises its class, as
botocore maps it: the code in ``x-amzn-ErrorType`` or in the body's ``__type``, the body in the
service's own form (IVS and Real-Time: ``exceptionMessage``; Chat: ``message`` with ``reason``,
``fieldList``, ``resourceId``, ``resourceType``, ``limit``). An unmodeled code raises the
service's base class."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.model import Shape as BotocoreShape
from multidict import CIMultiDict

from ivs_async import StaticCredentials
from ivs_async.errors import IvsServiceException
from ivs_async.middleware import HttpRequest, HttpResponse
from tests.conftest import KEY, REGION, SECRET
from tests.support.botocore_ref import reference
from tests.support.services import SERVICES, ServiceUnderTest, by_service
from tests.support.shapes import full_valid

# How AWS front ends write the code: the bare code, with the Coral namespace after a colon
# (x-amzn-ErrorType), or qualified by the service's namespace (__type).
FORMS = ["header", "header-namespaced", "body-type"]


def error_cases() -> list[Any]:
    return [
        pytest.param(s, code, form, id=f"{s.key}-{code}-{form}")
        for s in SERVICES
        for code in sorted(s.modeled_errors)
        for form in FORMS
    ]


def sample(shape: BotocoreShape, name: str) -> Any:
    """A value of a botocore shape (an error's members)."""
    if shape.type_name == "structure":
        return {k: sample(v, k) for k, v in shape.members.items()}
    if shape.type_name == "list":
        return [sample(shape.member, name)]
    if shape.type_name in ("integer", "long"):
        return 7
    if shape.enum:
        return shape.enum[-1]
    return f"{name}-value"


def error_response(service: ServiceUnderTest, code: str, form: str, message: str) -> tuple[dict[str, str], bytes]:
    """Headers and body of ``code`` as ``service`` sends it: every member of its error shape set."""
    shape = reference(service).model.shape_for_error_code(code)
    assert shape is not None
    headers = {"x-amzn-RequestId": "rid-err", "Content-Type": "application/json"}
    body: dict[str, Any] = {}
    for name, member in shape.members.items():
        where = member.serialization.get("location")
        if where == "header":
            headers[member.serialization["name"]] = f"{name}-header"
        else:
            body[member.serialization.get("name", name)] = sample(member, name)
    body[service.message_key] = message
    namespace = f"com.amazonaws.{service.model.replace('-', '')}"
    headers.pop("x-amzn-ErrorType", None)
    if form == "header":
        headers["x-amzn-ErrorType"] = code
    elif form == "header-namespaced":
        headers["x-amzn-ErrorType"] = f"{code}:http://internal.amazon.com/coral/{namespace}/"
    else:
        body["__type"] = f"{namespace}#{code}"
    return headers, json.dumps(body).encode()


class Canned:
    def __init__(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.answer = HttpResponse(status, CIMultiDict(headers), body)

    async def send(self, request: HttpRequest) -> HttpResponse:
        return self.answer

    async def close(self) -> None:
        pass


def operation_declaring(service: ServiceUnderTest, code: str) -> str:
    """An operation whose model lists ``code`` among its errors (the first by name)."""
    for name, op in sorted(service.model_data["operations"].items()):
        if any(e["shape"] == code for e in op.get("errors", [])):
            return name
    return sorted(service.operations)[0]


async def raised(service: ServiceUnderTest, operation: str, status: int, headers: dict[str, str], body: bytes) -> Any:
    op = service.operations[operation]
    command_cls = getattr(service.commands, f"{operation}Command")
    client = service.client_cls(
        region=REGION,
        credentials=StaticCredentials(KEY, SECRET),
        transport=Canned(status, headers, body),
        max_attempts=1,
    )
    try:
        with pytest.raises(IvsServiceException) as caught:
            await client.send(command_cls(full_valid(op.input)))
    finally:
        await client.close()
    return caught.value


@pytest.mark.parametrize(("service", "code", "form"), error_cases())
async def test_every_modeled_error_raises_its_class(service: ServiceUnderTest, code: str, form: str) -> None:
    ref = reference(service)
    operation = operation_declaring(service, code)
    status = service.modeled_status[code]
    headers, body = error_response(service, code, form, "what went wrong")

    err = await raised(service, operation, status, headers, body)

    botocore_reads = ref.parse_error(operation, status, headers, body)
    assert botocore_reads["Error"]["Code"] == code
    assert ref.error_shape_name(code) == code  # botocore raises its modeled class of that name
    cls = getattr(service.errors, code)
    assert type(err) is cls
    assert issubclass(cls, service.base_error) and issubclass(service.base_error, IvsServiceException)
    assert service.key == "ivs" or service.base_error is not IvsServiceException
    assert cls.__module__ == f"{service.public}.errors"
    assert err.code == code
    assert err.message == "what went wrong"
    # botocore has the message as Error.Message or as the modeled member (IVS's exceptionMessage).
    assert err.message in (botocore_reads["Error"]["Message"], botocore_reads.get(service.message_key))
    assert err.http_status_code == status == botocore_reads["ResponseMetadata"]["HTTPStatusCode"]
    assert err.metadata.request_id == "rid-err" == botocore_reads["ResponseMetadata"]["RequestId"]
    assert err.fault == ("server" if status >= 500 else "client")
    assert f"{code}: what went wrong" in str(err)


@by_service()
@pytest.mark.parametrize("form", ["header", "body-type"])
async def test_an_unmodeled_code_raises_the_service_base_class(service: ServiceUnderTest, form: str) -> None:
    operation = sorted(service.operations)[0]
    headers = {"x-amzn-RequestId": "rid-new"}
    body: dict[str, Any] = {service.message_key: "brand new"}
    if form == "header":
        headers["x-amzn-ErrorType"] = "BrandNewException"
    else:
        body["__type"] = "BrandNewException"
    wire = json.dumps(body).encode()

    err = await raised(service, operation, 418, headers, wire)

    assert reference(service).parse_error(operation, 418, headers, wire)["Error"]["Code"] == "BrandNewException"
    assert reference(service).error_shape_name("BrandNewException") is None
    assert type(err) is service.base_error
    assert (err.code, err.message, err.http_status_code, err.metadata.request_id) == (
        "BrandNewException",
        "brand new",
        418,
        "rid-new",
    )


@by_service()
def test_every_error_an_operation_declares_is_a_modeled_class(service: ServiceUnderTest) -> None:
    declared = {e["shape"] for op in service.model_data["operations"].values() for e in op.get("errors", [])}
    exceptions = {name for name, shape in service.model_data["shapes"].items() if shape.get("exception")}
    assert declared <= exceptions
    assert set(service.modeled_errors) == exceptions
    assert all(getattr(service.errors, code) is cls for code, cls in service.modeled_errors.items())
    assert service.base_error_name in service.errors.__all__ and exceptions <= set(service.errors.__all__)
    for code, status in service.modeled_status.items():
        assert status == service.model_data["shapes"][code]["error"]["httpStatusCode"]

"""botocore as an independent reference: its serializer, its parser, its SigV4 signer and its
endpoint rules engine, all driven by our vendored model of a service. Test-only.

``reference(service)`` gives one service's reference; the module-level functions are IVS's.
"""

from __future__ import annotations

import json
import re
import uuid
from datetime import UTC, datetime
from functools import cache
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest, HeadersDict
from botocore.credentials import Credentials
from botocore.endpoint_provider import EndpointProvider
from botocore.handlers import generate_idempotent_uuid
from botocore.model import ServiceModel
from botocore.parsers import create_parser
from botocore.serialize import create_serializer

from tests.support.services import IVS, MODEL_DIR, ServiceUnderTest


class Reference:
    """botocore's reading of one service's vendored model."""

    def __init__(self, service: ServiceUnderTest) -> None:
        self.service = service
        self.model = ServiceModel(service.model_data, service_name=service.model)
        self._serializer = create_serializer("rest-json", include_validation=False)
        self._parser = create_parser("rest-json")
        self._endpoints = EndpointProvider(
            json.loads(service.model_file("endpoint-rule-set-1.json").read_text()),
            json.loads((MODEL_DIR / "partitions.json").read_text()),
        )

    def request(self, operation: str, params: dict[str, Any]) -> dict[str, Any]:
        """What botocore would send: method, path (encoded), query pairs, JSON body (or None).
        Idempotency tokens left out are filled as botocore's client fills them (a UUID4)."""
        model = self.model.operation_model(operation)
        params = dict(params)
        generate_idempotent_uuid(params, model)
        serialized = self._serializer.serialize_to_request(params, model)
        body = serialized["body"]
        query = []
        for key, value in serialized["query_string"].items():
            for item in value if isinstance(value, list) else [value]:
                query.append((key, item))
        return {
            "method": serialized["method"],
            "path": serialized["url_path"],
            "query": sorted(query),
            "body": json.loads(body) if body else None,
        }

    def idempotency_members(self, operation: str) -> list[str]:
        """Wire names of the input members botocore fills with a UUID when left out."""
        return list(self.model.operation_model(operation).idempotent_members)

    def parse(self, operation: str, status: int, headers: dict[str, str], body: bytes) -> dict[str, Any]:
        """botocore's reading of a success response."""
        shape = self.model.operation_model(operation).output_shape
        # Case-insensitive headers, as botocore's endpoint hands them to its parser.
        parsed = self._parser.parse({"status_code": status, "headers": HeadersDict(headers), "body": body}, shape)
        parsed.pop("ResponseMetadata", None)
        return parsed

    def parse_error(self, operation: str, status: int, headers: dict[str, str], body: bytes) -> dict[str, Any]:
        """botocore's reading of an error response: Error (Code, Message), and the members of the
        modeled error shape for that code, as botocore's endpoint adds them."""
        response = {"status_code": status, "headers": HeadersDict(headers), "body": body}
        parsed = self._parser.parse(response, self.model.operation_model(operation).output_shape)
        shape = self.model.shape_for_error_code(parsed.get("Error", {}).get("Code", ""))
        if shape is not None:
            parsed.update(self._parser.parse(response, shape))
        return parsed

    def error_shape_name(self, code: str) -> str | None:
        """The modeled error shape botocore finds for ``code`` (its exception class's name)."""
        shape = self.model.shape_for_error_code(code)
        return None if shape is None else shape.name

    def endpoint(self, region: str, *, fips: bool = False, dualstack: bool = False, custom: str | None = None) -> str:
        """The URL botocore's rules engine resolves (raises its EndpointResolutionError)."""
        params: dict[str, Any] = {"Region": region, "UseFIPS": fips, "UseDualStack": dualstack}
        if custom is not None:
            params["Endpoint"] = custom
        url: str = self._endpoints.resolve_endpoint(**params).url
        return url

    def verify_signature(
        self,
        method: str,
        url: str,
        headers: dict[str, str],
        body: bytes,
        *,
        key: str,
        secret: str,
        region: str,
        token: str | None = None,
    ) -> tuple[bool, str]:
        """Recompute the Authorization header with botocore's signer, for this service's signing
        name; (matches, expected)."""
        return verify_signature(
            method,
            url,
            headers,
            body,
            key=key,
            secret=secret,
            region=region,
            token=token,
            signing_name=self.model.signing_name or self.service.signing_name,
        )


@cache
def reference(service: ServiceUnderTest) -> Reference:
    return Reference(service)


# -- IVS's, as the tests written for IVS alone use them -------------------------------------------

SERVICE = reference(IVS).model


def reference_request(operation: str, params: dict[str, Any]) -> dict[str, Any]:
    """What botocore would send for an IVS operation."""
    return reference(IVS).request(operation, params)


def reference_parse(operation: str, status: int, headers: dict[str, str], body: bytes) -> dict[str, Any]:
    """botocore's reading of an IVS response."""
    return reference(IVS).parse(operation, status, headers, body)


_ISO = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)")


def normalize(value: Any) -> Any:
    """For comparisons: timestamps (datetime or ISO text) become aware UTC datetimes."""
    if isinstance(value, dict):
        return {k: normalize(v) for k, v in value.items()}
    if isinstance(value, list):
        return [normalize(v) for v in value]
    if isinstance(value, str) and _ISO.fullmatch(value):
        value = datetime.fromisoformat(value)
    if isinstance(value, datetime):
        return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    return value


def verify_signature(
    method: str,
    url: str,
    headers: dict[str, str],
    body: bytes,
    *,
    key: str,
    secret: str,
    region: str,
    token: str | None = None,
    signing_name: str = "ivs",
) -> tuple[bool, str]:
    """Recompute the Authorization header with botocore's signer; (matches, expected)."""
    authorization = headers["Authorization"]
    signed = authorization.split("SignedHeaders=")[1].split(",")[0].split(";")
    lower = {k.lower(): v for k, v in headers.items()}
    request = AWSRequest(method=method, url=url, data=body, headers={h: lower[h] for h in signed})
    request.context["timestamp"] = lower["x-amz-date"]
    auth = SigV4Auth(Credentials(key, secret, token), signing_name, region)
    canonical = auth.canonical_request(request)
    sts = auth.string_to_sign(request, canonical)
    expected = auth.signature(sts, request)
    return authorization.endswith(f"Signature={expected}"), expected


def split_url(url: str) -> tuple[str, list[tuple[str, str]]]:
    parts = urlsplit(url)
    return parts.path, sorted(parse_qsl(parts.query, keep_blank_values=True))


def is_uuid4(value: object) -> bool:
    """Whether ``value`` is a UUID4 in its canonical text form (as botocore generates tokens)."""
    if not isinstance(value, str):
        return False
    try:
        parsed = uuid.UUID(value)
    except ValueError:
        return False
    return parsed.version == 4 and str(parsed) == value

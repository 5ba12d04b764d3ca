"""botocore as an independent reference: its serializer, its parser and its SigV4 signer,
all driven by our vendored model. Test-only."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.model import ServiceModel
from botocore.parsers import create_parser
from botocore.serialize import create_serializer

MODEL_PATH = Path(__file__).resolve().parents[2] / "codegen" / "model" / "ivs" / "service-2.json"
SERVICE = ServiceModel(json.loads(MODEL_PATH.read_text()), service_name="ivs")
_serializer = create_serializer("rest-json", include_validation=False)
_parser = create_parser("rest-json")


def reference_request(operation: str, params: dict[str, Any]) -> dict[str, Any]:
    """What botocore would send: method, path (encoded), query pairs, JSON body (or None)."""
    serialized = _serializer.serialize_to_request(params, SERVICE.operation_model(operation))
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


def reference_parse(operation: str, status: int, headers: dict[str, str], body: bytes) -> dict[str, Any]:
    """botocore's reading of a response, timestamps written back as ISO strings."""
    shape = SERVICE.operation_model(operation).output_shape
    parsed = _parser.parse({"status_code": status, "headers": headers, "body": body}, shape)
    parsed.pop("ResponseMetadata", None)
    return parsed


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
) -> tuple[bool, str]:
    """Recompute the Authorization header with botocore's signer; (matches, expected)."""
    authorization = headers["Authorization"]
    signed = authorization.split("SignedHeaders=")[1].split(",")[0].split(";")
    lower = {k.lower(): v for k, v in headers.items()}
    request = AWSRequest(method=method, url=url, data=body, headers={h: lower[h] for h in signed})
    request.context["timestamp"] = lower["x-amz-date"]
    auth = SigV4Auth(Credentials(key, secret, token), "ivs", region)
    canonical = auth.canonical_request(request)
    sts = auth.string_to_sign(request, canonical)
    expected = auth.signature(sts, request)
    return authorization.endswith(f"Signature={expected}"), expected


def split_url(url: str) -> tuple[str, list[tuple[str, str]]]:
    parts = urlsplit(url)
    return parts.path, sorted(parse_qsl(parts.query, keep_blank_values=True))

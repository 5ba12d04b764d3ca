"""IVS's rest-json protocol: input model -> HttpRequest, HttpResponse -> output model or error.

``request_builder`` and ``response_parser`` do the per-operation work once (URL, static headers,
compiled converters) and return the small function that runs per call.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import quote

from ivs_async import _converter
from ivs_async._clock import parse_http_date
from ivs_async._command import Operation
from ivs_async._endpoints import Endpoint
from ivs_async._exceptions import IvsError, IvsServiceException, ResponseParseError
from ivs_async._generated.errors import MODELED_ERRORS
from ivs_async._generated.schema import STRUCTURES
from ivs_async._http import HttpRequest, HttpResponse
from ivs_async._model import ResponseMetadata
from ivs_async._retries import classify
from ivs_async._schema import Location

_SNIPPET_CHARS = 200
_MESSAGE_KEYS = ("exceptionMessage", "message", "Message", "errorMessage")
_dumps = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode
# "value": "sk_..." of every sensitive member, closed or cut off, so snippets never show secrets.
_SENSITIVE_KEYS = sorted({m.wire for shape in STRUCTURES.values() for m in shape.members if m.shape.sensitive})
_SENSITIVE_VALUE = re.compile(
    '("(?:' + "|".join(map(re.escape, _SENSITIVE_KEYS)) + r')"\s*:\s*)"(?:[^"\\]|\\.)*(?:"|$)'
)


def encode_label(value: str) -> str:
    """A path parameter, every reserved character percent-encoded (ARNs hold ':' and '/')."""
    return quote(value, safe="")


def encode_query_value(value: str) -> str:
    """RFC 3986 query encoding: space is %20, never '+'."""
    return quote(value, safe="~")


def request_builder(operation: Operation, endpoint: Endpoint) -> Callable[[Any], HttpRequest]:
    """The per-call function that turns ``operation``'s input into an HttpRequest."""
    unstructure = _converter.unstructure_hook(operation.input_cls)
    method = operation.method
    has_body = any(m.location is Location.BODY for m in operation.input.members)
    static_headers = {"Host": endpoint.host}
    if has_body:
        static_headers["Content-Type"] = "application/json"
    bound = operation.uri_members + operation.query_members

    if not bound:
        # Every IVS operation but the three tag operations: a fixed URL and a JSON body.
        path = endpoint.path_prefix + operation.uri
        url = endpoint.origin + path

        def build(value: Any) -> HttpRequest:
            body = _dumps(unstructure(value)).encode()
            return HttpRequest(method, url, path, "", dict(static_headers), body)

        return build

    uri_members = [(m.wire, "{" + m.location_name + "}") for m in operation.uri_members]
    query_members = [(m.wire, m.location_name) for m in operation.query_members]

    def build_bound(value: Any) -> HttpRequest:
        data = unstructure(value)
        path = endpoint.path_prefix + operation.uri
        for wire, placeholder in uri_members:
            path = path.replace(placeholder, encode_label(str(data.pop(wire))))
        params = []
        for wire, name in query_members:
            item = data.pop(wire, None)
            for element in item if isinstance(item, list) else ([] if item is None else [item]):
                params.append(f"{name}={encode_query_value(str(element))}")
        query = "&".join(params)
        url = endpoint.origin + path + ("?" + query if query else "")
        body = _dumps(data).encode() if has_body else b""
        return HttpRequest(method, url, path, query, dict(static_headers), body)

    return build_bound


def fill_metadata(md: ResponseMetadata, response: HttpResponse) -> ResponseMetadata:
    h = response.headers
    md.http_status_code = response.status
    md.request_id = h.get("x-amzn-RequestId") or h.get("x-amz-request-id")
    md.extended_request_id = h.get("x-amz-id-2")
    md.cf_id = h.get("x-amz-cf-id")
    return md


def response_metadata(response: HttpResponse) -> ResponseMetadata:
    """Metadata of a response that is not a success: with the server's retry hint, if any."""
    md = fill_metadata(ResponseMetadata(), response)
    md.retry_after = retry_after(response.headers)
    return md


def retry_after(headers: Mapping[str, str]) -> float | None:
    """Seconds the server asks to wait: ``x-amz-retry-after`` (ms), else ``Retry-After``
    (seconds or an HTTP date, counted from the response's own ``Date``). None if absent or invalid."""
    raw = headers.get("x-amz-retry-after")
    if raw is not None:
        try:
            millis = int(raw)
        except ValueError:
            millis = -1
        if millis >= 0:
            return millis / 1000
    raw = headers.get("Retry-After")
    if raw is None:
        return None
    raw = raw.strip()
    if raw.isdigit():
        return float(raw)
    when = parse_http_date(raw)
    if when is None:
        return None
    sent = parse_http_date(headers.get("Date", "")) or time.time()
    return max(0.0, when - sent)


def response_parser(operation: Operation) -> Callable[[HttpResponse], Any]:
    """The per-call function that turns a response into the output model, or raises its error."""
    cls = operation.output_cls
    structure = _converter.structure_hook(cls)
    header_members = [(m.wire, m.location_name) for m in operation.header_members]

    def parse(response: HttpResponse) -> Any:
        status = response.status
        if not 200 <= status < 300:
            raise parse_error(response)
        body = response.body
        try:
            data = json.loads(body) if body else {}
        except ValueError:
            raise _unreadable("response body is not valid JSON", response) from None
        if not isinstance(data, dict):
            raise _unreadable(f"expected a JSON object, got {type(data).__name__}", response)
        for wire, header in header_members:
            value = response.headers.get(header)
            if value is not None:
                data[wire] = value
        try:
            output = structure(data, cls)
        except Exception as exc:  # whatever a malformed body trips over, the caller sees one error type
            raise _unreadable(f"response does not match the {operation.name} model ({exc})", response) from None
        fill_metadata(output.metadata, response)
        return output

    return parse


def parse_error(response: HttpResponse) -> IvsError:
    """The typed error for a non-2xx response."""
    metadata = response_metadata(response)
    data: Mapping[str, Any] | None = None
    if response.body:
        try:
            loaded = json.loads(response.body)
        except ValueError:
            loaded = None
        data = loaded if isinstance(loaded, dict) else None
    code = _error_code(response.headers.get("x-amzn-ErrorType"))
    if code is None and data is not None:
        code = _error_code(data.get("__type") or data.get("code") or data.get("Code"))
    if data is None and response.body and code is None:
        # Not an AWS error at all: a proxy's or load balancer's page, or a cut body.
        return ResponseParseError(
            "error response is not IVS JSON", status=response.status, snippet=snippet(response.body), metadata=metadata
        )
    message = ""
    if data is not None:
        message = next((str(data[k]) for k in _MESSAGE_KEYS if isinstance(data.get(k), str)), "")
    elif response.body:
        message = snippet(response.body)
    cls = MODELED_ERRORS.get(code or "", IvsServiceException)
    fault = None if cls is not IvsServiceException else ("server" if response.status >= 500 else "client")
    error = cls(message, code=code or f"Http{response.status}", fault=fault, metadata=metadata)
    error.retryable = classify(error) is not None
    return error


def _error_code(raw: object) -> str | None:
    if not isinstance(raw, str) or not raw:
        return None
    # "ValidationException:http://internal..." and "com.amazonaws.ivs#ValidationException"
    return raw.split(":", 1)[0].rsplit("#", 1)[-1] or None


def snippet(body: bytes) -> str:
    """The start of a body, printable and on one line, for error messages."""
    text = body[: _SNIPPET_CHARS * 4].decode("utf-8", "replace")
    text = " ".join(_SENSITIVE_VALUE.sub(r'\1"****"', text).split())
    return text[:_SNIPPET_CHARS] + ("..." if len(text) > _SNIPPET_CHARS else "")


def _unreadable(reason: str, response: HttpResponse) -> ResponseParseError:
    return ResponseParseError(
        reason, status=response.status, snippet=snippet(response.body), metadata=response_metadata(response)
    )

"""The rest-json protocol (IVS, IVS Chat, IVS Real-Time): input model -> HttpRequest,
HttpResponse -> output model or error.

``request_builder`` and ``response_parser`` do the per-operation work once (URL, static headers,
compiled converters) and return the small function that runs per call.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import quote

from ivs_async._core.clock import parse_http_date
from ivs_async._core.endpoints import Endpoint
from ivs_async._core.http import HttpRequest, HttpResponse
from ivs_async._core.retries import classify
from ivs_async._core.service import Service
from ivs_async._core.text import printable
from ivs_async._exceptions import IvsError, IvsServiceException, ResponseParseError
from ivs_async._generated.ivs import SERVICE as IVS

# IVS's generated writers and readers load with this module: every call needs them, and loaded
# inside the first call they cost it 1.1 ms more than they cost the import (cold_start.py).
# The other services' load with their first call.
from ivs_async._generated.ivs import readers as _ivs_readers  # noqa: F401
from ivs_async._generated.ivs import writers as _ivs_writers  # noqa: F401
from ivs_async._protocol.command import Operation
from ivs_async._protocol.json import JsonError, dumps, loads
from ivs_async._protocol.model import ResponseMetadata
from ivs_async._protocol.schema import Location
from ivs_async._protocol.wire import json_type

_SNIPPET_CHARS = 200
# What an error keeps of what the service said: enough for any real message, never megabytes.
MAX_ERROR_MESSAGE_CHARS = 2048
MAX_ERROR_CODE_CHARS = 128
_MAX_ID_CHARS = 256
_MESSAGE_KEYS = ("exceptionMessage", "message", "Message", "errorMessage")


def encode_label(value: str) -> str:
    """A path parameter, every reserved character percent-encoded (ARNs hold ':' and '/')."""
    return quote(value, safe="")


def encode_query_value(value: str) -> str:
    """RFC 3986 query encoding: space is %20, never '+'."""
    return quote(value, safe="~")


def _writer(service: Service, cls: type[Any]) -> Callable[[Any], dict[str, Any]]:
    """The generated writer of an input model; cattrs' for any other model (loaded then)."""
    writer = service.writers.get(cls)
    if writer is None:
        from ivs_async._protocol.converter import unstructure_hook

        writer = unstructure_hook(cls)
    return writer


def _reader(service: Service, cls: type[Any]) -> Callable[[Mapping[str, Any], Any], Any]:
    """The generated reader of an output model; cattrs' for any other model (loaded then)."""
    reader = service.readers.get(cls)
    if reader is None:
        from ivs_async._protocol.converter import structure_hook

        reader = structure_hook(cls)
    return reader


def request_builder(operation: Operation, endpoint: Endpoint) -> Callable[[Any], HttpRequest]:
    """The per-call function that turns ``operation``'s input into an HttpRequest."""
    unstructure = _writer(operation.service, operation.input_cls)
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
            body = dumps(unstructure(value))
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
        body = dumps(data) if has_body else b""
        return HttpRequest(method, url, path, query, dict(static_headers), body)

    return build_bound


def fill_metadata(md: ResponseMetadata, response: HttpResponse) -> ResponseMetadata:
    h = response.headers
    md.http_status_code = response.status
    # Ids end up in messages and logs: printable, and no longer than any AWS id.
    request_id = h.get("x-amzn-RequestId") or h.get("x-amz-request-id")
    if request_id is not None:
        md.request_id = printable(request_id, _MAX_ID_CHARS)
    extended = h.get("x-amz-id-2")
    if extended is not None:
        md.extended_request_id = printable(extended, _MAX_ID_CHARS)
    cf_id = h.get("x-amz-cf-id")
    if cf_id is not None:
        md.cf_id = printable(cf_id, _MAX_ID_CHARS)
    return md


def response_metadata(response: HttpResponse) -> ResponseMetadata:
    """Metadata of a response that is not a success: with the server's retry hint, if any."""
    md = fill_metadata(ResponseMetadata(), response)
    hint = retry_after_hint(response.headers)
    if hint is not None:
        md.retry_after, md.retry_after_header = hint
    return md


def retry_after(headers: Mapping[str, str]) -> float | None:
    """Seconds the server asks to wait: ``x-amz-retry-after`` (ms), else ``Retry-After``
    (seconds or an HTTP date, counted from the response's own ``Date``). None if absent or invalid."""
    hint = retry_after_hint(headers)
    return hint[0] if hint is not None else None


def retry_after_hint(headers: Mapping[str, str]) -> tuple[float, str] | None:
    """`retry_after()` and the name of the header that said it."""
    amz = _amz_retry_after(headers)
    if amz is not None:
        return amz, "x-amz-retry-after"
    seconds = _plain_retry_after(headers)
    return (seconds, "Retry-After") if seconds is not None else None


def _plain_retry_after(headers: Mapping[str, str]) -> float | None:
    raw = headers.get("Retry-After")
    if raw is None:
        return None
    raw = raw.strip()
    if raw.isascii() and raw.isdigit():  # not str.isdigit() alone: "²" is a digit to it
        return min(float(raw), 86400.0)
    when = parse_http_date(raw)
    if when is None:
        return None
    sent = parse_http_date(headers.get("Date", "")) or time.time()
    return min(max(0.0, when - sent), 86400.0)


def _amz_retry_after(headers: Mapping[str, str]) -> float | None:
    raw = headers.get("x-amz-retry-after")
    if raw is None:
        return None
    try:
        millis = int(raw)
    except ValueError:
        return None
    return millis / 1000 if 0 <= millis <= 86_400_000 else None


def response_parser(operation: Operation) -> Callable[[HttpResponse], Any]:
    """The per-call function that turns a response into the output model, or raises its error."""
    cls = operation.output_cls
    service = operation.service
    structure = _reader(service, cls)
    header_members = [(m.wire, m.location_name) for m in operation.header_members]

    def parse(response: HttpResponse) -> Any:
        status = response.status
        if not 200 <= status < 300:
            raise parse_error(response, service=service)
        body = response.body
        try:
            data = loads(body) if body else {}
        except JsonError as exc:
            raise _unreadable(f"response body is {exc.reason}", response, service) from None
        if type(data) is not dict:
            raise _unreadable(f"expected a JSON object, got {json_type(data)}", response, service)
        if "__type" in data:
            # An error envelope with a success status (a proxy or a broken front end): not an output.
            raise parse_error(response, data, service=service)
        for wire, header in header_members:
            value = response.headers.get(header)
            if value is not None:
                data[wire] = value
            else:  # the member lives in its header only: a body key of that name is not it
                data.pop(wire, None)
        try:
            output = structure(data, cls)
        except Exception:  # whatever a malformed body trips over, the caller sees one error type
            from ivs_async._protocol.converter import mismatches  # cattrs: loaded when a response is wrong

            found = mismatches(data, cls)
            detail = "; ".join(str(v) for v in found[:5]) + (f"; and {len(found) - 5} more" if len(found) > 5 else "")
            raise _unreadable(
                f"response does not match the {operation.name} model: {detail}", response, service
            ) from None
        fill_metadata(output.metadata, response)
        return output

    return parse


def parse_error(response: HttpResponse, data: Mapping[str, Any] | None = None, *, service: Service = IVS) -> IvsError:
    """The typed error for a non-2xx response (or a 2xx whose body, ``data``, is an error):
    the class ``service``'s model gives the code, else the service's base error."""
    metadata = response_metadata(response)
    if data is None and response.body:
        try:
            loaded = loads(response.body)
        except JsonError:
            loaded = None
        data = loaded if isinstance(loaded, dict) else None
    code = _error_code(response.headers.get("x-amzn-ErrorType"))
    if code is None and data is not None:
        code = _error_code(data.get("__type") or data.get("code") or data.get("Code"))
    if data is None and response.body and code is None:
        # Not an AWS error at all: a proxy's or load balancer's page, or a cut body.
        return ResponseParseError(
            f"error response is not {service.name} JSON",
            status=response.status,
            snippet=snippet(response.body, service),
            metadata=metadata,
        )
    message = ""
    if data is not None:
        message = next(
            (printable(data[k], MAX_ERROR_MESSAGE_CHARS) for k in _MESSAGE_KEYS if isinstance(data.get(k), str)), ""
        )
    elif response.body:
        message = snippet(response.body, service)
    base = service.base_error
    cls: type[IvsServiceException] = service.errors.get(code or "", base)
    fault = None if cls is not base else ("server" if response.status >= 500 else "client")
    error = cls(message, code=code or f"Http{response.status}", fault=fault, metadata=metadata)
    if cls.members and data is not None:
        for attribute, wire, kind in cls.members:
            value = _member_value(data.get(wire), kind)
            if value is not None:
                setattr(error, attribute, value)
    error.retryable = classify(error) is not None
    return error


def _member_value(value: object, kind: str) -> Any:
    """An error member as the exception keeps it (``kind``: its Python type): strings printable
    and bounded, integers as they are, lists of objects as lists of string dicts (of the first
    100 items, as ValidationException's fields); a value of another JSON type is dropped, never
    raised."""
    if kind == "str" and isinstance(value, str):
        return printable(value, MAX_ERROR_MESSAGE_CHARS)
    if kind == "int" and isinstance(value, int) and not isinstance(value, bool):
        return value
    if kind.startswith("list") and isinstance(value, list):
        return [
            {printable(k, 128): printable(v, MAX_ERROR_MESSAGE_CHARS) for k, v in item.items() if isinstance(v, str)}
            for item in value[:100]
            if isinstance(item, dict)
        ]
    return None


def _error_code(raw: object) -> str | None:
    if not isinstance(raw, str) or not raw:
        return None
    # "ValidationException:http://internal..." and "com.amazonaws.ivs#ValidationException"
    code = raw[: MAX_ERROR_CODE_CHARS * 4].split(":", 1)[0].rsplit("#", 1)[-1].strip()
    return printable(code, MAX_ERROR_CODE_CHARS) or None


def snippet(body: bytes, service: Service = IVS) -> str:
    """The start of a body, printable and on one line, for error messages (the values of the
    service's sensitive members masked)."""
    text = body[: _SNIPPET_CHARS * 4].decode("utf-8", "replace")
    text = " ".join(service.sensitive_values.sub(r'\1"****"', text).split())
    return printable(text, _SNIPPET_CHARS)


def _unreadable(reason: str, response: HttpResponse, service: Service) -> ResponseParseError:
    return ResponseParseError(
        reason, status=response.status, snippet=snippet(response.body, service), metadata=response_metadata(response)
    )

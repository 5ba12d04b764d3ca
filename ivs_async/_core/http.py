"""The SDK's own HTTP request and response: what middleware sees, whatever the transport."""

from __future__ import annotations

from collections.abc import Mapping


class HttpRequest:
    """A request ready for the wire. ``url`` is already percent-encoded and must be sent as is."""

    __slots__ = ("body", "headers", "method", "path", "query", "url")

    def __init__(self, method: str, url: str, path: str, query: str, headers: dict[str, str], body: bytes) -> None:
        self.method = method
        self.url = url
        self.path = path  # percent-encoded, as on the wire
        self.query = query  # percent-encoded, without "?"
        self.headers = headers
        self.body = body

    def with_headers(self, headers: dict[str, str]) -> HttpRequest:
        return HttpRequest(self.method, self.url, self.path, self.query, headers, self.body)

    def __repr__(self) -> str:
        # Header values can hold credentials (Authorization, X-Amz-Security-Token): names only.
        return f"HttpRequest({self.method} {self.url}, headers={sorted(self.headers)}, body={len(self.body)} bytes)"


class HttpResponse:
    """A response read in full. ``headers`` must look names up case-insensitively."""

    __slots__ = ("body", "headers", "status")

    def __init__(self, status: int, headers: Mapping[str, str], body: bytes) -> None:
        self.status = status
        self.headers = headers
        self.body = body

    def __repr__(self) -> str:
        return f"HttpResponse({self.status}, body={len(self.body)} bytes)"

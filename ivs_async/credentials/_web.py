"""HTTP for credential sources (STS, SSO, containers, instance metadata), over our own transport."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from urllib.parse import urlsplit

from ivs_async._core.http import HttpRequest, HttpResponse
from ivs_async._core.proxies import proxies_from_environ
from ivs_async._core.transport import AiohttpTransport
from ivs_async._exceptions import RequestTimeoutError
from ivs_async.credentials._base import MAX_DOCUMENT_BYTES

Send = Callable[..., Awaitable[HttpResponse]]


@asynccontextmanager
async def http(seconds: float, *, trust_env: bool) -> AsyncIterator[Send]:
    """A short-lived connection pool: ``await send(method, url, headers=..., body=...)``.

    ``seconds`` bounds each exchange as a whole, so a server that drips a byte at a time cannot
    hold a refresh for longer. ``trust_env=False`` for link-local sources (instance metadata,
    containers): a proxy from the environment must never see those requests.
    """
    transport = AiohttpTransport(
        connect_timeout=seconds,
        read_timeout=seconds,
        max_connections=4,
        keepalive_timeout=5,
        max_response_bytes=MAX_DOCUMENT_BYTES,
        proxies=proxies_from_environ(os.environ) if trust_env else None,
    )

    async def send(method: str, url: str, *, headers: dict[str, str] | None = None, body: bytes = b"") -> HttpResponse:
        parts = urlsplit(url)
        request = HttpRequest(method, url, parts.path or "/", parts.query, dict(headers or {}), body)
        try:
            async with asyncio.timeout(seconds):
                return await transport.send(request)
        except TimeoutError:
            raise RequestTimeoutError(
                f"{method} {parts.scheme}://{parts.netloc}{parts.path} took over {seconds:g} s"
            ) from None

    try:
        yield send
    finally:
        await transport.close()

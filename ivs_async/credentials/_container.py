"""Container credentials: ECS task roles and EKS Pod Identity, from a local HTTP endpoint."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import urlsplit

from ivs_async._core.endpoints import is_loopback
from ivs_async._core.files import read_bounded
from ivs_async._exceptions import TransportError
from ivs_async.credentials._base import (
    CredentialRefreshError,
    Credentials,
    Provider,
    credentials_from,
    json_document,
)
from ivs_async.credentials._refresh import RefreshingCredentials
from ivs_async.credentials._web import http

ECS_HOST = "http://169.254.170.2"
# Hosts a FULL_URI may name over plain HTTP: ECS, EKS Pod Identity (IPv4 and IPv6), or loopback.
_ALLOWED_HOSTS = frozenset({"169.254.170.2", "169.254.170.23", "fd00:ec2::23"})
_TIMEOUT = 2.0
_ATTEMPTS = 3
_MAX_TOKEN_BYTES = 64 * 1024


class ContainerCredentials(Provider):
    """``AWS_CONTAINER_CREDENTIALS_RELATIVE_URI`` (ECS), or ``..._FULL_URI`` with
    ``AWS_CONTAINER_AUTHORIZATION_TOKEN(_FILE)`` (EKS Pod Identity)."""

    __module__ = "ivs_async.credentials"  # its public home, however it is loaded

    name = "container credentials (AWS_CONTAINER_CREDENTIALS_RELATIVE_URI / _FULL_URI)"

    def __init__(
        self, environ: Mapping[str, str] | None = None, *, timeout: float = _TIMEOUT, attempts: int = _ATTEMPTS
    ) -> None:
        self._environ = os.environ if environ is None else environ
        self._timeout = timeout
        self._attempts = attempts
        self._refreshing: RefreshingCredentials | None = None

    async def load(self) -> Credentials | None:
        if self._refreshing is None:
            url = self._url()
            if url is None:
                return None
            self._refreshing = RefreshingCredentials(lambda: self._fetch(url), name=self.name)
        return await self._refreshing.load()

    def _cached(self) -> Credentials | None:
        return None if self._refreshing is None else self._refreshing._cached()

    def _inner(self) -> tuple[Provider, ...]:
        return (self._refreshing,) if self._refreshing is not None else ()

    def _url(self) -> str | None:
        env = self._environ
        relative = env.get("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI")
        if relative:
            return ECS_HOST + relative
        full = env.get("AWS_CONTAINER_CREDENTIALS_FULL_URI")
        if not full:
            return None
        parts = urlsplit(full)
        host = parts.hostname or ""
        if parts.scheme == "https" or (parts.scheme == "http" and (host in _ALLOWED_HOSTS or is_loopback(host))):
            return full
        raise CredentialRefreshError(
            self.name, f"AWS_CONTAINER_CREDENTIALS_FULL_URI must use https or a loopback/container host, not {host!r}"
        )

    def _authorization(self) -> str | None:
        env = self._environ
        token_file = env.get("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE")
        if token_file:
            try:
                return read_bounded(Path(token_file), _MAX_TOKEN_BYTES).strip()  # re-read: EKS rotates it
            except OSError as exc:
                raise CredentialRefreshError(self.name, f"cannot read {token_file}: {exc.strerror}") from None
            except ValueError as exc:
                raise CredentialRefreshError(self.name, f"cannot read {token_file}: {exc}") from None
        return env.get("AWS_CONTAINER_AUTHORIZATION_TOKEN") or None

    async def _fetch(self, url: str) -> Credentials:
        headers = {"Accept": "application/json"}
        token = self._authorization()
        if token is not None:
            if "\r" in token or "\n" in token:
                raise CredentialRefreshError(self.name, "the authorization token holds a line break")
            headers["Authorization"] = token
        problem = ""
        async with http(self._timeout, trust_env=False) as send:
            for attempt in range(self._attempts):
                if attempt:
                    await asyncio.sleep(0.1 * 2**attempt)
                try:
                    response = await send("GET", url, headers=headers)
                except TransportError as exc:
                    problem = str(exc)
                    continue
                if response.status >= 500:
                    problem = f"HTTP {response.status}"
                    continue
                if response.status != 200:
                    raise CredentialRefreshError(self.name, f"the endpoint answered HTTP {response.status}")
                try:
                    return credentials_from(
                        json_document(response.body),
                        key="AccessKeyId",
                        secret="SecretAccessKey",
                        token="Token",
                        expiration="Expiration",
                    )
                except (ValueError, TypeError, AttributeError) as exc:
                    raise CredentialRefreshError(self.name, f"unreadable answer: {exc}") from None
        raise CredentialRefreshError(self.name, f"no answer after {self._attempts} attempts ({problem})")

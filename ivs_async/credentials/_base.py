"""Credentials, the provider protocol, and the chain that tries providers in order."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Protocol, runtime_checkable

import attrs

from ivs_async._exceptions import CredentialRefreshError as CredentialRefreshError
from ivs_async._exceptions import NoCredentialsError
from ivs_async._protocol.json import MAX_DEPTH, JsonError, loads
from ivs_async._protocol.model import mask_secret

# Credential documents are a few kilobytes (STS's answer, the largest, is under 4 KB).
MAX_DOCUMENT_BYTES = 256 * 1024


@attrs.frozen(slots=True)
class Credentials:
    """An AWS access key pair with an optional session token. repr() hides the secret parts."""

    access_key_id: str
    secret_access_key: str = attrs.field(repr=mask_secret)
    session_token: str | None = attrs.field(default=None, kw_only=True, repr=mask_secret)
    expiration: datetime | None = attrs.field(default=None, kw_only=True)

    async def resolve(self) -> Credentials:
        """Fixed credentials are their own provider."""
        return self


@runtime_checkable
class CredentialsProvider(Protocol):
    """Anything that can produce credentials when a request is signed."""

    async def resolve(self) -> Credentials: ...


@attrs.frozen(slots=True)
class StaticCredentials(Credentials):
    """Fixed credentials: ``StaticCredentials("AKID", "SECRET", session_token=None)``."""


class Provider:
    """A source of credentials. ``load()`` returns None when the source is not configured here
    (no such variables, no such file); it raises CredentialRefreshError when it is but fails."""

    name: str = "provider"
    # Whether _cached() speaks for this class's load() and resolve() (see __init_subclass__).
    _cache_trusted = True

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)

        # A subclass that overrides load() or resolve() below the class defining _cached() (a
        # user's subclass of one of ours) is always asked through resolve().
        def owner(name: str) -> type:
            return next(k for k in cls.__mro__ if name in k.__dict__)

        cached = owner("_cached")
        cls._cache_trusted = issubclass(cached, owner("load")) and issubclass(cached, owner("resolve"))

    async def load(self) -> Credentials | None:
        raise NotImplementedError

    def _cached(self) -> Credentials | None:
        """What ``resolve()`` would return now without waiting for anything; None when it would
        wait, look or fail (then await ``resolve()``). Signing calls this first on every call."""
        return None

    async def resolve(self) -> Credentials:
        found = await self.load()
        if found is None:
            raise NoCredentialsError(f"no AWS credentials: {self.name} is not configured")
        return found

    async def aclose(self) -> None:
        """Stop whatever the provider runs (a refresh, a credential_process); the client that
        built it calls this when it closes."""
        for inner in self._inner():
            await inner.aclose()

    def _inner(self) -> tuple[Provider, ...]:
        """The providers this one delegates to."""
        return ()

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


def cached_credentials(provider: Provider) -> Credentials | None:
    """``provider._cached()`` where that speaks for the provider's class, else None."""
    return provider._cached() if provider._cache_trusted else None


class CredentialChain(Provider):
    """Tries its providers in order; the first that yields credentials is used from then on."""

    name = "credential chain"

    def __init__(self, providers: Sequence[Provider], *, looked_in: str = "") -> None:
        self.providers = tuple(providers)
        self._looked_in = looked_in
        self._chosen: Provider | None = None

    async def load(self) -> Credentials | None:
        if self._chosen is not None:
            return await self._chosen.load()
        for provider in self.providers:
            found = await provider.load()
            if found is not None:
                self._chosen = provider
                return found
        return None

    def _cached(self) -> Credentials | None:
        chosen = self._chosen
        return None if chosen is None else cached_credentials(chosen)

    async def resolve(self) -> Credentials:
        found = await self.load()
        if found is None:
            tried = [p.name for p in self.providers]
            if self._looked_in and not any(self._looked_in in name for name in tried):
                tried.append(f"(looked in {self._looked_in})")
            listed = "".join(f"\n  - {name}" for name in tried)
            raise NoCredentialsError(
                f"no AWS credentials found; pass credentials= to the client or configure one of:{listed}"
            )
        return found

    def _inner(self) -> tuple[Provider, ...]:
        return self.providers

    @property
    def chosen(self) -> Provider | None:
        """The provider in use, once one has yielded credentials."""
        return self._chosen

    def __repr__(self) -> str:
        return f"CredentialChain({', '.join(p.name for p in self.providers)})"


def parse_expiration(value: object) -> datetime | None:
    """An expiration as AWS sources write it: ISO 8601 text or epoch milliseconds.

    ValueError (which never quotes the value) for anything else, out-of-range numbers included.
    """
    if value is None or value == "":
        return None
    try:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return datetime.fromtimestamp(value / 1000, UTC)
        if isinstance(value, str) and len(value) <= 64:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    except (ValueError, OverflowError, OSError):
        pass
    raise ValueError("unreadable expiration time: expected ISO 8601 or epoch milliseconds within years 1-9999")


def json_document(body: bytes | str) -> dict[str, Any]:
    """A credential source's JSON object: bounded in size and depth, or ValueError saying why
    (never quoting the document, which holds keys)."""
    if len(body) > MAX_DOCUMENT_BYTES:
        raise ValueError(f"the document is larger than {MAX_DOCUMENT_BYTES} bytes")
    try:
        data = loads(body, max_depth=MAX_DEPTH)
    except JsonError as exc:
        raise ValueError(f"the document is {exc.reason}") from None
    if not isinstance(data, dict):
        raise ValueError("the document is not a JSON object")
    return data


def credentials_from(data: Mapping[str, Any], *, key: str, secret: str, token: str, expiration: str) -> Credentials:
    """Credentials out of a JSON document, by the names that source uses; never echoes values."""
    access_key_id, secret_access_key = data.get(key), data.get(secret)
    if not isinstance(access_key_id, str) or not access_key_id:
        raise ValueError(f"the document has no {key}")
    if not isinstance(secret_access_key, str) or not secret_access_key:
        raise ValueError(f"the document has no {secret}")
    session_token = data.get(token)
    if session_token is not None and not isinstance(session_token, str):
        raise ValueError(f"{token} is not a string")
    return Credentials(
        access_key_id,
        secret_access_key,
        session_token=session_token or None,
        expiration=parse_expiration(data.get(expiration)),
    )

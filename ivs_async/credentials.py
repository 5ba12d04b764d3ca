"""Credentials and the providers that find them.

A provider is any object with ``async def resolve() -> Credentials``. A ``Credentials`` value
(``StaticCredentials`` is its usual name) is its own provider. Without explicit credentials the
client uses ``EnvironmentCredentials``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import datetime
from typing import Protocol, runtime_checkable

import attrs

from ivs_async._exceptions import NoCredentialsError
from ivs_async._model import mask_secret


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


class EnvironmentCredentials:
    """``AWS_ACCESS_KEY_ID``, ``AWS_SECRET_ACCESS_KEY`` and ``AWS_SESSION_TOKEN``, read at the first use."""

    __slots__ = ("_environ", "_found")

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        self._environ = os.environ if environ is None else environ
        self._found: Credentials | None = None

    async def resolve(self) -> Credentials:
        if self._found is None:
            env = self._environ
            key, secret = env.get("AWS_ACCESS_KEY_ID"), env.get("AWS_SECRET_ACCESS_KEY")
            if not key or not secret:
                raise NoCredentialsError(
                    "no AWS credentials: pass credentials= to the client, or set AWS_ACCESS_KEY_ID and "
                    "AWS_SECRET_ACCESS_KEY (looked in: the credentials argument, the environment)"
                )
            self._found = Credentials(key, secret, session_token=env.get("AWS_SESSION_TOKEN") or None)
        return self._found

    def __repr__(self) -> str:
        return "EnvironmentCredentials()"

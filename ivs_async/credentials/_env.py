"""Credentials from AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN."""

from __future__ import annotations

import os
from collections.abc import Mapping

from ivs_async._exceptions import ConfigurationError, PartialCredentialsError
from ivs_async.credentials._base import Credentials, Provider, parse_expiration


class EnvironmentCredentials(Provider):
    """``AWS_ACCESS_KEY_ID``, ``AWS_SECRET_ACCESS_KEY`` and ``AWS_SESSION_TOKEN``, read once found
    (as boto3 does: a client does not follow later changes to its process's environment)."""

    __module__ = "ivs_async.credentials"  # its public home, however it is loaded

    name = "environment variables (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY)"

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        self._environ = os.environ if environ is None else environ
        self._found: Credentials | None = None

    def _cached(self) -> Credentials | None:
        return self._found

    async def load(self) -> Credentials | None:
        if self._found is not None:
            return self._found  # the signing hot path: nothing to read again
        env = self._environ
        key, secret = env.get("AWS_ACCESS_KEY_ID"), env.get("AWS_SECRET_ACCESS_KEY")
        if not key and not secret:
            return None
        # Half a pair is a mistake, never a reason to fall through to another identity.
        if not secret:
            raise PartialCredentialsError("the environment", "AWS_SECRET_ACCESS_KEY")
        if not key:
            raise PartialCredentialsError("the environment", "AWS_ACCESS_KEY_ID")
        try:
            expiration = parse_expiration(env.get("AWS_CREDENTIAL_EXPIRATION"))
        except ValueError as exc:
            raise ConfigurationError(f"AWS_CREDENTIAL_EXPIRATION (environment variable): {exc}") from None
        self._found = Credentials(
            key, secret, session_token=env.get("AWS_SESSION_TOKEN") or None, expiration=expiration
        )
        return self._found

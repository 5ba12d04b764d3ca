"""Credentials from AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN."""

from __future__ import annotations

import os
from collections.abc import Mapping

from ivs_async.credentials._base import Credentials, Provider, parse_expiration


class EnvironmentCredentials(Provider):
    """``AWS_ACCESS_KEY_ID``, ``AWS_SECRET_ACCESS_KEY`` and ``AWS_SESSION_TOKEN``, read once found
    (as boto3 does: a client does not follow later changes to its process's environment)."""

    name = "environment variables (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY)"

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        self._environ = os.environ if environ is None else environ
        self._found: Credentials | None = None

    async def load(self) -> Credentials | None:
        if self._found is not None:
            return self._found  # the signing hot path: nothing to read again
        env = self._environ
        key, secret = env.get("AWS_ACCESS_KEY_ID"), env.get("AWS_SECRET_ACCESS_KEY")
        if not key or not secret:
            return None
        self._found = Credentials(
            key,
            secret,
            session_token=env.get("AWS_SESSION_TOKEN") or None,
            expiration=parse_expiration(env.get("AWS_CREDENTIAL_EXPIRATION")),
        )
        return self._found

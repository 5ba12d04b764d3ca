"""EC2 instance metadata (IMDSv2 only): a session token, then the instance role's credentials."""

from __future__ import annotations

import os
from collections.abc import Mapping

from ivs_async._exceptions import ConfigurationError, TransportError
from ivs_async.credentials._base import (
    CredentialRefreshError,
    Credentials,
    Provider,
    credentials_from,
    json_document,
)
from ivs_async.credentials._refresh import RefreshingCredentials
from ivs_async.credentials._web import Send, http

DEFAULT_ENDPOINT = "http://169.254.169.254"
_TOKEN_TTL = "21600"
_ROLES = "/latest/meta-data/iam/security-credentials/"


class _Unavailable(CredentialRefreshError):
    """No metadata service token: not an EC2 instance, or IMDSv2 is blocked."""


class InstanceMetadataCredentials(Provider):
    """The instance role's credentials. Off when ``AWS_EC2_METADATA_DISABLED=true``; the endpoint is
    ``AWS_EC2_METADATA_SERVICE_ENDPOINT``, timeouts and attempts ``AWS_METADATA_SERVICE_TIMEOUT`` and
    ``AWS_METADATA_SERVICE_NUM_ATTEMPTS`` (1 s and 2 by default)."""

    __module__ = "ivs_async.credentials"  # its public home, however it is loaded

    name = "EC2 instance metadata (IMDSv2)"

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        env = os.environ if environ is None else environ
        self._disabled = env.get("AWS_EC2_METADATA_DISABLED", "").lower() == "true"
        self._endpoint = (env.get("AWS_EC2_METADATA_SERVICE_ENDPOINT") or DEFAULT_ENDPOINT).rstrip("/")
        self._timeout = _number(env, "AWS_METADATA_SERVICE_TIMEOUT", 1.0, float)
        self._attempts = int(_number(env, "AWS_METADATA_SERVICE_NUM_ATTEMPTS", 2, int))
        self._refreshing = RefreshingCredentials(self._fetch, name=self.name)
        self._found = False

    async def load(self) -> Credentials | None:
        if self._disabled:
            return None
        if self._found:
            return await self._refreshing.load()
        try:
            credentials = await self._refreshing.load()
        except _Unavailable:
            return None  # nothing to use here: the chain moves on
        self._found = True
        return credentials

    def _cached(self) -> Credentials | None:
        return self._refreshing._cached() if self._found else None

    def _inner(self) -> tuple[Provider, ...]:
        return (self._refreshing,)

    async def _fetch(self) -> Credentials:
        async with http(self._timeout, trust_env=False) as send:
            token = await self._token(send)
            headers = {"X-aws-ec2-metadata-token": token}
            roles = await self._get(send, _ROLES, headers)
            role = roles.strip().splitlines()[0].strip() if roles.strip() else ""
            if not role:
                raise CredentialRefreshError(self.name, "the instance has no IAM role")
            document = await self._get(send, _ROLES + role, headers)
        try:
            data = json_document(document)
            if data.get("Code", "Success") != "Success":
                raise ValueError("the metadata service reports a failure Code")
            return credentials_from(
                data, key="AccessKeyId", secret="SecretAccessKey", token="Token", expiration="Expiration"
            )
        except (ValueError, AttributeError) as exc:
            raise CredentialRefreshError(self.name, f"unreadable role credentials: {exc}") from None

    async def _token(self, send: Send) -> str:
        last = ""
        for _ in range(self._attempts):
            try:
                response = await send(
                    "PUT",
                    self._endpoint + "/latest/api/token",
                    headers={"X-aws-ec2-metadata-token-ttl-seconds": _TOKEN_TTL},
                )
            except TransportError as exc:
                last = str(exc)
                continue
            if response.status == 200 and response.body:
                token = response.body.decode("utf-8", "replace").strip()
                if not token.isprintable() or len(token) > 4096:
                    raise CredentialRefreshError(self.name, "the metadata service token is not a printable string")
                return token
            if response.status < 500:
                # IMDSv1-only or blocked: IMDSv2 is required, so there is nothing to use here.
                raise _Unavailable(self.name, f"no metadata service token (HTTP {response.status})")
            last = f"HTTP {response.status}"
        raise _Unavailable(self.name, f"no metadata service answered ({last})")

    async def _get(self, send: Send, path: str, headers: dict[str, str]) -> str:
        last = ""
        for _ in range(self._attempts):
            try:
                response = await send("GET", self._endpoint + path, headers=headers)
            except TransportError as exc:
                last = str(exc)
                continue
            if response.status == 200:
                return response.body.decode("utf-8", "replace")
            if response.status < 500:
                raise CredentialRefreshError(self.name, f"GET {path} answered HTTP {response.status}")
            last = f"HTTP {response.status}"
        raise CredentialRefreshError(self.name, f"GET {path} failed after {self._attempts} attempts ({last})")


def _number(env: Mapping[str, str], name: str, default: float, kind: type[float] | type[int]) -> float:
    raw = env.get(name)
    if not raw:
        return default
    try:
        value = kind(raw)
    except ValueError:
        value = 0
    if not 0 < value <= 3600:
        raise ConfigurationError(f"{name} (environment variable) must be a positive number, at most 3600")
    return value

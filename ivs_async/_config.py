"""The client's configuration, resolved once from the constructor's arguments and the environment."""

from __future__ import annotations

import os
import platform
import sys
from collections.abc import Mapping

import attrs

from ivs_async._endpoints import Endpoint, check_region, resolve_endpoint
from ivs_async._exceptions import ConfigurationError, MissingRegionError
from ivs_async._version import __version__
from ivs_async.credentials import CredentialsProvider, EnvironmentCredentials

SERVICE = "ivs"
DEFAULT_MAX_ATTEMPTS = 3
DEFAULT_CONNECT_TIMEOUT = 10.0
DEFAULT_READ_TIMEOUT = 60.0
# Enough that 64 coroutines sharing one client never queue for a connection.
DEFAULT_MAX_CONNECTIONS = 100
# Below the ~20 s after which AWS front ends close idle connections.
DEFAULT_KEEPALIVE_TIMEOUT = 15.0


@attrs.frozen(slots=True)
class ClientConfig:
    """Resolved settings. ``region`` (and so the default ``endpoint``) may be None until the first send."""

    region: str | None
    endpoint: Endpoint | None
    credentials: CredentialsProvider
    max_attempts: int
    connect_timeout: float
    read_timeout: float
    max_connections: int
    keepalive_timeout: float
    user_agent: str

    def require_region(self) -> tuple[str, Endpoint]:
        """The region and endpoint; a clear error when no region was found (a custom endpoint
        needs one too: it is part of every signature)."""
        if self.region is None or self.endpoint is None:
            raise MissingRegionError(
                "no AWS region: pass region= to the client or set AWS_REGION "
                "(looked in: the region argument, AWS_REGION, AWS_DEFAULT_REGION)"
            )
        return self.region, self.endpoint


def resolve_config(
    *,
    region: str | None,
    endpoint: str | None,
    credentials: CredentialsProvider | None,
    max_attempts: int | None,
    connect_timeout: float | None,
    read_timeout: float | None,
    max_connections: int | None,
    user_agent_extra: str | None,
    environ: Mapping[str, str] | None = None,
) -> ClientConfig:
    env = os.environ if environ is None else environ
    region = region or env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or None
    if region is not None:
        check_region(region)
    if credentials is not None and not isinstance(credentials, CredentialsProvider):
        raise ConfigurationError(
            "credentials must be StaticCredentials or a provider with async resolve(), "
            f"not {type(credentials).__name__}"
        )
    return ClientConfig(
        region=region,
        endpoint=resolve_endpoint(region, endpoint),
        credentials=credentials if credentials is not None else EnvironmentCredentials(env),
        max_attempts=_positive_int("max_attempts", max_attempts, DEFAULT_MAX_ATTEMPTS),
        connect_timeout=_positive_float("connect_timeout", connect_timeout, DEFAULT_CONNECT_TIMEOUT),
        read_timeout=_positive_float("read_timeout", read_timeout, DEFAULT_READ_TIMEOUT),
        max_connections=_positive_int("max_connections", max_connections, DEFAULT_MAX_CONNECTIONS),
        keepalive_timeout=DEFAULT_KEEPALIVE_TIMEOUT,
        user_agent=_user_agent(user_agent_extra),
    )


def _positive_int(name: str, value: int | None, default: int) -> int:
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigurationError(f"{name} must be a positive integer, got {value!r}")
    return value


def _positive_float(name: str, value: float | None, default: float) -> float:
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
        raise ConfigurationError(f"{name} must be a positive number of seconds, got {value!r}")
    return float(value)


def _user_agent(extra: str | None) -> str:
    py = f"{sys.version_info.major}.{sys.version_info.minor}.{sys.version_info.micro}"
    agent = f"ivs-async/{__version__} ua/2.1 os/{platform.system().lower()} lang/python#{py}"
    return f"{agent} {extra}" if extra else agent

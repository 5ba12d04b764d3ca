"""The client's configuration, resolved once from the constructor's arguments and the environment."""

from __future__ import annotations

import os
import platform
import sys
from collections.abc import Mapping

import attrs

from ivs_async._endpoints import Endpoint, check_region, resolve_endpoint
from ivs_async._exceptions import ConfigurationError, MissingRegionError
from ivs_async._profiles import SharedConfig, load_shared_config
from ivs_async._version import __version__
from ivs_async.credentials import CredentialsProvider, default_chain

SERVICE = "ivs"
DEFAULT_MAX_ATTEMPTS = 3
RETRY_MODES = ("standard", "adaptive")
DEFAULT_CONNECT_TIMEOUT = 5.0
# IVS answers in well under a second; 30 s of silence means the connection is gone.
DEFAULT_READ_TIMEOUT = 30.0
# The whole call, retries and backoff included: a worker never waits on one call longer than this.
DEFAULT_TIMEOUT = 90.0
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
    retry_mode: str
    connect_timeout: float
    read_timeout: float
    timeout: float
    max_connections: int
    keepalive_timeout: float
    user_agent: str
    profile: str | None = None
    use_fips_endpoint: bool = False
    use_dualstack_endpoint: bool = False
    region_lookup: str = "the region argument, AWS_REGION, AWS_DEFAULT_REGION"

    def require_region(self) -> tuple[str, Endpoint]:
        """The region and endpoint; a clear error when no region was found (a custom endpoint
        needs one too: it is part of every signature)."""
        if self.region is None or self.endpoint is None:
            raise MissingRegionError(
                f"no AWS region: pass region= to the client or set AWS_REGION (looked in: {self.region_lookup})"
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
    timeout: float | None = None,
    keepalive_timeout: float | None = None,
    profile: str | None = None,
    retry_mode: str | None = None,
    use_fips_endpoint: bool | None = None,
    use_dualstack_endpoint: bool | None = None,
    environ: Mapping[str, str] | None = None,
) -> ClientConfig:
    """Each setting from the argument, then the environment, then the shared config profile."""
    env = os.environ if environ is None else environ
    shared = load_shared_config(env, profile)
    if profile is not None and profile not in shared.profiles:
        raise ConfigurationError(f"profile {profile!r} is not in {shared.config_file} or {shared.credentials_file}")
    region = region or env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or shared.get("region")
    if region is not None:
        check_region(region)
    if credentials is not None and not isinstance(credentials, CredentialsProvider):
        raise ConfigurationError(
            "credentials must be StaticCredentials or a provider with async resolve(), "
            f"not {type(credentials).__name__}"
        )
    attempts = (
        max_attempts if max_attempts is not None else _setting_int(env, shared, "AWS_MAX_ATTEMPTS", "max_attempts")
    )
    mode = retry_mode or env.get("AWS_RETRY_MODE") or shared.get("retry_mode") or "standard"
    if mode not in RETRY_MODES:
        raise ConfigurationError(f"retry_mode must be one of {', '.join(RETRY_MODES)}, got {mode!r}")
    fips = _flag(use_fips_endpoint, env, shared, "AWS_USE_FIPS_ENDPOINT", "use_fips_endpoint")
    dualstack = _flag(use_dualstack_endpoint, env, shared, "AWS_USE_DUALSTACK_ENDPOINT", "use_dualstack_endpoint")
    return ClientConfig(
        region=region,
        endpoint=resolve_endpoint(
            region, endpoint or _configured_endpoint(env, shared), use_fips=fips, use_dualstack=dualstack
        ),
        credentials=credentials
        if credentials is not None
        else default_chain(env, shared, region, profile_argument=profile is not None),
        max_attempts=_positive_int("max_attempts", attempts, DEFAULT_MAX_ATTEMPTS),
        retry_mode=mode,
        connect_timeout=_positive_float("connect_timeout", connect_timeout, DEFAULT_CONNECT_TIMEOUT),
        read_timeout=_positive_float("read_timeout", read_timeout, DEFAULT_READ_TIMEOUT),
        timeout=_positive_float("timeout", timeout, DEFAULT_TIMEOUT),
        max_connections=_positive_int("max_connections", max_connections, DEFAULT_MAX_CONNECTIONS),
        keepalive_timeout=_positive_float("keepalive_timeout", keepalive_timeout, DEFAULT_KEEPALIVE_TIMEOUT),
        user_agent=_user_agent(user_agent_extra),
        profile=shared.profile_name if shared.explicit else None,
        use_fips_endpoint=fips,
        use_dualstack_endpoint=dualstack,
        region_lookup=f"the region argument, AWS_REGION, AWS_DEFAULT_REGION, 'region' of {shared.where()}",
    )


def _configured_endpoint(env: Mapping[str, str], shared: SharedConfig) -> str | None:
    """An endpoint from the environment or the profile, as boto3 reads them (unless told to ignore them)."""
    ignore = env.get("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS") or shared.get("ignore_configured_endpoint_urls")
    if (ignore or "").lower() == "true":
        return None
    return (
        env.get("AWS_ENDPOINT_URL_IVS")
        or env.get("AWS_ENDPOINT_URL")
        or shared.service_setting("ivs", "endpoint_url")
        or shared.get("endpoint_url")
    )


def _setting_int(env: Mapping[str, str], shared: SharedConfig, variable: str, key: str) -> int | None:
    for source, raw in ((variable, env.get(variable)), (f"'{key}' of {shared.where()}", shared.get(key))):
        if raw:
            try:
                return int(raw)
            except ValueError:
                raise ConfigurationError(f"{source} must be an integer, got {raw!r}") from None
    return None


def _flag(value: bool | None, env: Mapping[str, str], shared: SharedConfig, variable: str, key: str) -> bool:
    if value is not None:
        return value
    for source, raw in ((variable, env.get(variable)), (f"'{key}' of {shared.where()}", shared.get(key))):
        if raw:
            if raw.lower() not in ("true", "false"):
                raise ConfigurationError(f"{source} must be true or false, got {raw!r}")
            return raw.lower() == "true"
    return False


def _positive_int(name: str, value: int | None, default: int) -> int:
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigurationError(f"{name} must be a positive integer, got {value!r}")
    return value


def check_seconds(name: str, value: float | None) -> float | None:
    """``value`` as float seconds (None stays None); a clear error unless it is a positive number."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
        raise ConfigurationError(f"{name} must be a positive number of seconds, got {value!r}")
    return float(value)


def _positive_float(name: str, value: float | None, default: float) -> float:
    checked = check_seconds(name, value)
    return default if checked is None else checked


def _user_agent(extra: str | None) -> str:
    py = f"{sys.version_info.major}.{sys.version_info.minor}.{sys.version_info.micro}"
    agent = f"ivs-async/{__version__} ua/2.1 os/{platform.system().lower()} lang/python#{py}"
    return f"{agent} {extra}" if extra else agent

"""The client's configuration, resolved once from the constructor's arguments and the environment."""

from __future__ import annotations

import os
import platform
import sys
from collections.abc import Iterator, Mapping
from typing import Any

import attrs

from ivs_async._core.endpoints import Endpoint, check_region, resolve_endpoint
from ivs_async._core.profiles import SharedConfig, load_shared_config
from ivs_async._core.proxies import ProxySettings, proxies_from_environ
from ivs_async._core.service import Service
from ivs_async._exceptions import ConfigurationError, MissingRegionError
from ivs_async._generated.ivs import SERVICE as IVS
from ivs_async._version import __version__
from ivs_async.credentials import Credentials, CredentialsProvider, Provider

DEFAULT_MAX_ATTEMPTS = 3
RETRY_MODES = ("standard", "adaptive", "legacy")
DEFAULT_CONNECT_TIMEOUT = 5.0
# IVS answers in well under a second; 30 s of silence means the connection is gone.
DEFAULT_READ_TIMEOUT = 30.0
# The whole call, retries and backoff included: a worker never waits on one call longer than this.
DEFAULT_TIMEOUT = 90.0
# Enough that 64 coroutines sharing one client never queue for a connection.
DEFAULT_MAX_CONNECTIONS = 100
# Below the ~20 s after which AWS front ends close idle connections.
DEFAULT_KEEPALIVE_TIMEOUT = 15.0
# IVS's largest answer is a page of 100 channels with 50 tags each: about 6 MB if every tag
# used its full length in 3-byte characters, 12 MB if all were \u-escaped. Real pages are tens
# of kilobytes. 16 MiB is above any answer IVS can give and keeps 100 pooled calls under 2 GB.
DEFAULT_MAX_RESPONSE_BYTES = 16 * 1024 * 1024


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
    max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES
    new_retries: bool = False  # AWS_NEW_RETRIES_2026
    profile: str | None = None
    use_fips_endpoint: bool = False
    use_dualstack_endpoint: bool = False
    region_lookup: str = "the region argument, AWS_REGION, AWS_DEFAULT_REGION"
    proxies: ProxySettings | None = None  # http_proxy, https_proxy, no_proxy

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
    max_response_bytes: int | None = None,
    environ: Mapping[str, str] | None = None,
    service: Service = IVS,
) -> ClientConfig:
    """Each setting from the argument, then the environment, then the shared config profile
    (the endpoint as boto3 reads ``service``'s: ``AWS_ENDPOINT_URL_<KEY>``, then the rest)."""
    env = _PROCESS_ENVIRON if environ is None else environ
    shared = load_shared_config(env, profile)
    if profile is not None and profile not in shared.profiles:
        raise ConfigurationError(f"profile {profile!r} is not in {shared.config_file} or {shared.credentials_file}")
    in_profile = f"of {shared.where()}"
    # An argument wins: the environment and the profile are read only without one.
    if region is not None and region != "":
        region_source = "the region argument"
    else:
        region, region_source = _pick(
            ("AWS_REGION (environment variable)", env.get("AWS_REGION")),
            ("AWS_DEFAULT_REGION (environment variable)", env.get("AWS_DEFAULT_REGION")),
            (f"'region' {in_profile}", shared.get("region")),
        )
    if region is not None:
        check_region(region, region_source)
    # Our own classes first: a check against the runtime Protocol costs about 3 us.
    if credentials is not None and not isinstance(credentials, Credentials | Provider | CredentialsProvider):
        raise ConfigurationError(
            "credentials must be StaticCredentials or a provider with async resolve(), "
            f"not {type(credentials).__name__}"
        )
    attempts = (
        max_attempts if max_attempts is not None else _setting_int(env, shared, "AWS_MAX_ATTEMPTS", "max_attempts")
    )
    mode, mode_source = _pick(
        ("the retry_mode argument", retry_mode),
        ("AWS_RETRY_MODE (environment variable)", env.get("AWS_RETRY_MODE")),
        (f"'retry_mode' {in_profile}", shared.get("retry_mode")),
    )
    mode = (mode or "standard").strip().lower()
    if mode not in RETRY_MODES:
        raise ConfigurationError(f"{mode_source}: the retry mode must be one of {', '.join(RETRY_MODES)}")
    fips = _flag(use_fips_endpoint, env, shared, "AWS_USE_FIPS_ENDPOINT", "use_fips_endpoint")
    dualstack = _flag(use_dualstack_endpoint, env, shared, "AWS_USE_DUALSTACK_ENDPOINT", "use_dualstack_endpoint")
    endpoint_url: str | None = endpoint
    endpoint_source = "the endpoint argument"
    if endpoint is None or endpoint == "":
        endpoint_url, endpoint_source = _pick(*_configured_endpoint(env, shared, service.endpoint_key))
    return ClientConfig(
        region=region,
        endpoint=resolve_endpoint(
            region,
            endpoint_url,
            use_fips=fips,
            use_dualstack=dualstack,
            endpoint_source=endpoint_source,
            service=service,
        ),
        credentials=credentials if credentials is not None else _default_chain(env, shared, region, profile),
        max_attempts=_positive_int("max_attempts", attempts, DEFAULT_MAX_ATTEMPTS),
        # "legacy" (boto3's old default) runs as standard, as in the JS and Go SDKs that never had it.
        retry_mode="standard" if mode == "legacy" else mode,
        new_retries=_new_retries(env),
        connect_timeout=_positive_float("connect_timeout", connect_timeout, DEFAULT_CONNECT_TIMEOUT),
        read_timeout=_positive_float("read_timeout", read_timeout, DEFAULT_READ_TIMEOUT),
        timeout=_positive_float("timeout", timeout, DEFAULT_TIMEOUT),
        max_connections=_positive_int("max_connections", max_connections, DEFAULT_MAX_CONNECTIONS),
        keepalive_timeout=_positive_float("keepalive_timeout", keepalive_timeout, DEFAULT_KEEPALIVE_TIMEOUT),
        user_agent=_user_agent(user_agent_extra),
        max_response_bytes=_positive_int("max_response_bytes", max_response_bytes, DEFAULT_MAX_RESPONSE_BYTES),
        profile=shared.profile_name if shared.explicit else None,
        use_fips_endpoint=fips,
        use_dualstack_endpoint=dualstack,
        region_lookup=f"the region argument, AWS_REGION, AWS_DEFAULT_REGION, 'region' {in_profile}",
        proxies=proxies_from_environ(env),
    )


class _ProcessEnviron(Mapping[str, str]):
    """``os.environ`` read live, as it is at each lookup, for the client and its credential
    providers. Its ``get`` of an unset variable skips the KeyError os.environ raises and catches
    (about 0.7 us; a client looks up fifteen variables, most often unset)."""

    __slots__ = ()

    def __getitem__(self, key: str) -> str:
        return os.environ[key]

    def __iter__(self) -> Iterator[str]:
        return iter(os.environ)

    def __len__(self) -> int:
        return len(os.environ)

    def __contains__(self, key: object) -> bool:
        return key in os.environ if type(key) is not str else self.get(key) is not None

    def get(self, key: str, default: Any = None) -> Any:
        environ = os.environ
        # CPython's os._Environ keeps the encoded variables in `_data`; anything else (a
        # mapping put in its place) is asked as it is.
        data = getattr(environ, "_data", None)
        if type(data) is not dict or type(key) is not str:
            return environ.get(key, default)
        value = data.get(environ.encodekey(key))
        return default if value is None else environ.decodevalue(value)


_PROCESS_ENVIRON = _ProcessEnviron()


def _pick(*candidates: tuple[str, str | None]) -> tuple[str | None, str]:
    """The first set value and where it came from (the words errors use to name it)."""
    for source, value in candidates:
        if value is not None and value != "":
            return value, source
    return None, ""


def _new_retries(env: Mapping[str, str]) -> bool:
    """``AWS_NEW_RETRIES_2026``: the AWS SDKs' 2026 revision of standard retries (see _retries)."""
    raw = env.get("AWS_NEW_RETRIES_2026", "").strip().lower()
    if raw not in ("", "true", "false"):
        raise ConfigurationError("AWS_NEW_RETRIES_2026 (environment variable) must be true or false")
    return raw == "true"


def _configured_endpoint(env: Mapping[str, str], shared: SharedConfig, key: str) -> list[tuple[str, str | None]]:
    """Where boto3 reads an endpoint from, in its order (nowhere when told to ignore them)."""
    ignore = env.get("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS") or shared.get("ignore_configured_endpoint_urls")
    if (ignore or "").lower() == "true":
        return []
    return [
        (f"AWS_ENDPOINT_URL_{key.upper()} (environment variable)", env.get(f"AWS_ENDPOINT_URL_{key.upper()}")),
        ("AWS_ENDPOINT_URL (environment variable)", env.get("AWS_ENDPOINT_URL")),
        (f"the 'services' section of {shared.where()}", shared.service_setting(key, "endpoint_url")),
        (f"'endpoint_url' of {shared.where()}", shared.get("endpoint_url")),
    ]


def _env_or_profile(env: Mapping[str, str], shared: SharedConfig, variable: str, key: str) -> tuple[str | None, str]:
    """A setting from its environment variable, else from the profile, and where it came from."""
    return _pick(
        (f"{variable} (environment variable)", env.get(variable)), (f"'{key}' of {shared.where()}", shared.get(key))
    )


def _setting_int(env: Mapping[str, str], shared: SharedConfig, variable: str, key: str) -> int | None:
    raw, source = _env_or_profile(env, shared, variable, key)
    if raw is None:
        return None
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value < 1:
        raise ConfigurationError(f"{source} must be a positive integer")
    return value


def _flag(value: bool | None, env: Mapping[str, str], shared: SharedConfig, variable: str, key: str) -> bool:
    if value is not None:
        return value
    raw, source = _env_or_profile(env, shared, variable, key)
    if raw is None:
        return False
    if raw.lower() not in ("true", "false"):
        raise ConfigurationError(f"{source} must be true or false")
    return raw.lower() == "true"


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


def _default_chain(env: Mapping[str, str], shared: SharedConfig, region: str | None, profile: str | None) -> Provider:
    # The providers load here, for the clients that need them: not at import.
    from ivs_async.credentials._profile import default_chain

    return default_chain(env, shared, region, profile_argument=profile is not None)

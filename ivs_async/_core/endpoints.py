"""Where requests go: the service's endpoint rule set applied to the region, FIPS, dual-stack
and any custom endpoint the user gave."""

from __future__ import annotations

import functools
import ipaddress
import re
from urllib.parse import urlsplit

from ivs_async._core.rules import RuleError
from ivs_async._core.service import Service
from ivs_async._exceptions import ConfigurationError
from ivs_async._generated.ivs import SERVICE as IVS

_REGION = re.compile(r"[a-z0-9]([a-z0-9-]*[a-z0-9])?")
# IVS's rule engine is built with this module (every IVS client resolves its endpoint: built at
# the first client instead, it cost that client 1.5 ms); the other services' at their first client.
_IVS_RULES = IVS.rules


class Endpoint:
    """``origin`` is scheme://host[:port]; ``path_prefix`` ("" or "/some/path") goes before every
    operation's path; ``host`` is the Host header (and the signed host). A value: equal to any
    Endpoint with the same fields. (A plain class: an attrs class costs the import 0.3 ms.)"""

    __slots__ = ("host", "is_loopback", "origin", "path_prefix")

    def __init__(self, origin: str, host: str, path_prefix: str = "", is_loopback: bool = False) -> None:
        self.origin = origin
        self.host = host
        self.path_prefix = path_prefix
        self.is_loopback = is_loopback

    def _key(self) -> tuple[str, str, str, bool]:
        return self.origin, self.host, self.path_prefix, self.is_loopback

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Endpoint) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        return f"Endpoint(origin={self.origin!r}, host={self.host!r}, path_prefix={self.path_prefix!r})"

    @property
    def url(self) -> str:
        return self.origin + self.path_prefix


def check_region(region: str, source: str = "the region") -> str:
    # The region becomes part of a host name and of the signature scope: refuse anything odd.
    # The value is not quoted: it may come from a file that also holds secrets.
    if not isinstance(region, str) or not _REGION.fullmatch(region):
        raise ConfigurationError(f"{source}: invalid region, expected a name like 'us-west-2'")
    return region


def resolve_endpoint(
    region: str | None,
    endpoint: str | None,
    *,
    use_fips: bool = False,
    use_dualstack: bool = False,
    endpoint_source: str = "the endpoint",
    service: Service = IVS,
) -> Endpoint | None:
    """The endpoint to use, or None when neither a region nor an endpoint is known yet."""
    if region is None and endpoint is None:
        return None
    if not isinstance(region, str | None) or not isinstance(endpoint, str | None):
        # Not cacheable, and refused below with the typed error that names the argument.
        return _resolve.__wrapped__(region, endpoint, use_fips, use_dualstack, endpoint_source, service)
    return _resolve(region, endpoint, use_fips, use_dualstack, endpoint_source, service)


# The rules are a pure function of these arguments; clients of one process mostly ask the same
# question, and running the rule set costs 10 to 20 us. Errors are not cached: they are raised.
@functools.lru_cache(maxsize=64)
def _resolve(
    region: str | None,
    endpoint: str | None,
    use_fips: bool,
    use_dualstack: bool,
    endpoint_source: str,
    service: Service,
) -> Endpoint:
    if region is not None:
        check_region(region)
    given = None
    if endpoint is not None:
        given = parse_endpoint(endpoint, endpoint_source)  # its errors first, with its source
    try:
        url = service.rules.resolve(
            {"Region": region, "Endpoint": endpoint, "UseFIPS": use_fips, "UseDualStack": use_dualstack}
        )
    except RuleError as exc:
        raise ConfigurationError(f"cannot resolve the {service.name} endpoint: {exc}") from None
    return given if given is not None and url == endpoint else parse_endpoint(url)


def dns_suffix(region: str) -> str:
    """The DNS suffix of ``region``'s partition: amazonaws.com, amazonaws.com.cn, ..."""
    suffix: str = _IVS_RULES.partition(region)["dnsSuffix"]
    return suffix


def parse_endpoint(endpoint: str, source: str = "the endpoint") -> Endpoint:
    """An endpoint URL (``http(s)://host[:port][/path]``) checked and split. Errors name the
    source and the rule, never the URL (it may carry a password)."""
    try:
        parts = urlsplit(endpoint)
        port = parts.port
    except (ValueError, TypeError, AttributeError):
        raise ConfigurationError(f"{source}: invalid endpoint URL, expected http(s)://host[:port]") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigurationError(f"{source}: invalid endpoint URL, expected http(s)://host[:port]")
    if parts.query or parts.fragment:
        raise ConfigurationError(f"{source}: an endpoint URL cannot carry a query or fragment")
    if parts.username or parts.password:
        raise ConfigurationError(f"{source}: an endpoint URL cannot carry user information")
    default_port = 443 if parts.scheme == "https" else 80
    host = parts.netloc.rpartition("@")[2]
    if port == default_port:
        host = host.rsplit(":", 1)[0]
    return Endpoint(
        origin=f"{parts.scheme}://{host}",
        host=host,
        path_prefix=parts.path.rstrip("/"),
        is_loopback=is_loopback(parts.hostname),
    )


def is_loopback(hostname: str) -> bool:
    """localhost, 127.0.0.0/8 or ::1."""
    if hostname == "localhost":
        return True
    try:
        return ipaddress.ip_address(hostname).is_loopback
    except ValueError:
        return False

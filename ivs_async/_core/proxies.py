"""HTTP(S) proxies from the client's environment, read once when the client is built.

aiohttp's ``trust_env`` reads the environment and ``~/.netrc`` again for every request (about
0.4 ms of CPU a call); a client reads its proxies once, from the same mapping as the rest of its
configuration, and a malformed proxy variable is a ConfigurationError at construction.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from urllib.parse import unquote, urlsplit

from yarl import URL

from ivs_async._core.endpoints import is_loopback
from ivs_async._exceptions import ConfigurationError

_MAX_VARIABLE_CHARS = 4096  # a proxy URL or a no_proxy list; longer is a mistake, not a setting


class Proxy:
    """Where requests of one scheme go: ``url`` without credentials, and the credentials."""

    __slots__ = ("password", "url", "user")

    def __init__(self, url: str, user: str | None, password: str | None) -> None:
        self.url = url
        self.user = user
        self.password = password

    def __repr__(self) -> str:
        auth = "" if self.user is None else ", user=****"
        return f"Proxy({self.url!r}{auth})"


class ProxySettings:
    """The proxies for ``http`` and ``https`` URLs and the hosts that bypass them."""

    __slots__ = ("_by_scheme", "_no_proxy", "_no_proxy_text")

    def __init__(self, by_scheme: Mapping[str, Proxy], no_proxy: str = "") -> None:
        self._by_scheme = dict(by_scheme)
        self._no_proxy_text = no_proxy
        # "*", or names (a leading dot or none: the name and its subdomains), each with an
        # optional port, or IP addresses and networks (CIDR), as curl and requests read them.
        self._no_proxy = [entry.strip().lower() for entry in no_proxy.replace(" ", ",").split(",") if entry.strip()]

    def proxy_for(self, scheme: str, host: str, port: int | None = None) -> Proxy | None:
        """The proxy for a request to ``scheme://host:port``; None to connect directly.

        Loopback hosts never go through a proxy: no proxy can reach them.
        """
        proxy = self._by_scheme.get(scheme)
        if proxy is None or is_loopback(host.strip("[]")):
            return None
        if self._no_proxy and _bypassed(host.lower().strip("[]"), port, self._no_proxy):
            return None
        return proxy

    def __repr__(self) -> str:
        return f"ProxySettings({self._by_scheme!r}, no_proxy={self._no_proxy_text!r})"


def _bypassed(host: str, port: int | None, entries: list[str]) -> bool:
    try:
        address: ipaddress.IPv4Address | ipaddress.IPv6Address | None = ipaddress.ip_address(host)
    except ValueError:
        address = None
    for entry in entries:
        if entry == "*":
            return True
        name, wanted_port = entry, None
        if entry.startswith("[") and "]" in entry:  # [v6]:port
            name, _, rest = entry[1:].partition("]")
            wanted_port = rest[1:] if rest.startswith(":") else None
        elif entry.count(":") == 1:
            name, _, wanted_port = entry.partition(":")
        if wanted_port is not None and wanted_port != str(port):
            continue
        if address is not None:
            try:
                if address in ipaddress.ip_network(name, strict=False):
                    return True
            except ValueError:
                pass
            continue
        name = name.lstrip(".")
        if name and (host == name or host.endswith("." + name)):
            return True
    return False


def proxies_from_environ(env: Mapping[str, str]) -> ProxySettings | None:
    """``http_proxy``, ``https_proxy`` and ``no_proxy`` as curl and urllib read them (lowercase
    first); None when no proxy is set. ``HTTP_PROXY`` is ignored in a CGI process (httpoxy)."""
    by_scheme: dict[str, Proxy] = {}
    for scheme in ("http", "https"):
        lower = f"{scheme}_proxy"
        names = [lower] if scheme == "http" and "REQUEST_METHOD" in env else [lower, lower.upper()]
        for name in names:
            value = env.get(name)
            if value:
                by_scheme[scheme] = _parse(name, value)
                break
    if not by_scheme:
        return None
    no_proxy = env.get("no_proxy") or env.get("NO_PROXY") or ""
    if len(no_proxy) > _MAX_VARIABLE_CHARS:
        raise ConfigurationError(f"no_proxy (environment variable) is longer than {_MAX_VARIABLE_CHARS} characters")
    return ProxySettings(by_scheme, no_proxy)


def _parse(name: str, value: str) -> Proxy:
    # Never quote the value in an error: it may hold a password.
    problem = f"{name} (environment variable) is not a proxy URL (http://host:port, optionally user:password@)"
    if len(value) > _MAX_VARIABLE_CHARS or not value.isprintable():
        raise ConfigurationError(problem)
    text = value.strip()
    if "://" not in text:
        text = "http://" + text  # "proxy:3128", as curl and requests read it
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        raise ConfigurationError(problem) from None
    host = parts.hostname
    if parts.scheme not in ("http", "https") or not host or parts.query or parts.fragment:
        raise ConfigurationError(problem)
    if parts.path not in ("", "/"):
        raise ConfigurationError(problem)
    netloc = f"[{host}]" if ":" in host else host
    if port is not None:
        netloc += f":{port}"
    url = f"{parts.scheme}://{netloc}"
    try:
        URL(url)  # as the transport will read it: a host IDNA cannot encode fails here, not at a call
    except (ValueError, UnicodeError):
        raise ConfigurationError(problem) from None
    user = unquote(parts.username) if parts.username is not None else None
    password = unquote(parts.password) if parts.password is not None else None
    return Proxy(url, user, password)

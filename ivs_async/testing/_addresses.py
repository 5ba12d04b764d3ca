"""Where clients reach the emulator: the host its URLs name (endpoint, playback URLs, ingest
endpoints), which is not the address it listens on when that is a wildcard (``0.0.0.0`` in a
container reaches nobody). ``--advertise-host`` names it for Docker and other machines."""

from __future__ import annotations

import ipaddress
import re

from ivs_async._exceptions import ConfigurationError

_WILDCARDS = {"": "127.0.0.1", "0.0.0.0": "127.0.0.1", "::": "::1"}
_LABEL = re.compile(r"(?!-)[A-Za-z0-9-]{1,63}(?<!-)")


def reachable_host(listening: str) -> str:
    """The host a client on this machine reaches a listening address at."""
    return _WILDCARDS.get(listening, listening)


def checked_host(host: str) -> str:
    """``host`` if a URL can name it (a DNS name or an IP address, without scheme or port);
    ConfigurationError otherwise. An IPv6 address may come in brackets; it is kept without."""
    bare = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    try:
        address = ipaddress.ip_address(bare)
    except ValueError:
        address = None
    if address is not None:
        if address.is_unspecified:
            raise ConfigurationError(f"advertise_host {host!r} is a wildcard address: name one clients can reach")
        return str(address)
    labels = host.rstrip(".").split(".")
    if len(host) > 253 or not all(_LABEL.fullmatch(label) for label in labels):
        raise ConfigurationError(
            f"advertise_host must be a host name or an IP address, without scheme or port; got {host[:100]!r}"
        )
    return host


def bracketed(host: str) -> str:
    """``host`` as it stands in a URL: an IPv6 address in brackets."""
    return f"[{host}]" if ":" in host else host

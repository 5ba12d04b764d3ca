"""AWS Signature Version 4 for header-signed requests.

The signing key is derived here (four HMACs, once a day per secret), not by aws-requests-auth:
its module imports ``requests``, which a client would pay for at import. The emulator's checker
derives its keys with aws-requests-auth instead, so the two sides do not share that code. The
request's HMAC-SHA256 (RFC 2104) starts from the key's two padded hash states, hashed once per
key: each signature then costs two hash copies, not a key setup (and OpenSSL's look-up of the
digest by name) per request. The time is always passed in, so each client can correct its own
skew.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, TypeVar
from urllib.parse import quote, unquote

from ivs_async._core.http import HttpRequest

if TYPE_CHECKING:
    from hashlib import _Hash

    from ivs_async.credentials import Credentials

KeyDerivation = Callable[[str, str, str, str], bytes]
_sha256 = hashlib.sha256
_INNER_PAD = bytes(x ^ 0x36 for x in range(256))  # RFC 2104 ipad and opad, as translate() tables
_OUTER_PAD = bytes(x ^ 0x5C for x in range(256))
_BLOCK = _sha256().block_size

ALGORITHM = "AWS4-HMAC-SHA256"
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
# Never signed: proxies and the transport may add or rewrite them.
UNSIGNED_HEADERS = frozenset({"user-agent", "expect", "transfer-encoding", "x-amzn-trace-id", "authorization"})
_ALREADY_CANONICAL = re.compile(r"(/[A-Za-z0-9_.~-]+)+/?|/")
_DOT_SEGMENT = re.compile(r"(^|/)\.\.?(/|$)")
_MAX_CACHED_KEYS = 16
_MAX_CACHED_PLANS = 64  # header-name sets and paths a signer has seen: few per operation
_K = TypeVar("_K")
_V = TypeVar("_V")


def derive_signing_key(secret: str, datestamp: str, region: str, service: str) -> bytes:
    """The SigV4 signing key: HMAC-SHA256 chained over the date, region, service and terminator."""
    key = ("AWS4" + secret).encode()
    for part in (datestamp, region, service, "aws4_request"):
        key = hmac.digest(key, part.encode(), "sha256")
    return key


def amz_date(now: datetime) -> str:
    """``now`` (UTC) as the X-Amz-Date value."""
    return f"{now.year:04d}{now.month:02d}{now.day:02d}T{now.hour:02d}{now.minute:02d}{now.second:02d}Z"


def normalize_path(path: str) -> str:
    """RFC 3986 dot-segment removal plus collapsing of empty segments (every service but S3)."""
    segments: list[str] = []
    for segment in path.split("/"):
        if segment in ("", "."):
            continue
        if segment == "..":
            if segments:
                segments.pop()
            continue
        segments.append(segment)
    trailing = path.endswith(("/", "/.", "/..")) and bool(segments)
    return "/" + "/".join(segments) + ("/" if trailing else "")


def canonical_uri(path: str, *, normalize: bool = True) -> str:
    """The canonical URI of a path as sent on the wire (already percent-encoded once).

    Services other than S3 encode the wire path once more, so ``%3A`` on the wire signs as
    ``%253A``.
    """
    if not path:
        return "/"
    if _ALREADY_CANONICAL.fullmatch(path) and not _DOT_SEGMENT.search(path):
        return path  # the common case: nothing to normalize, nothing to encode
    if normalize:
        path = normalize_path(path)
    return quote(path, safe="/~")


def canonical_query(query: str) -> str:
    """Sorted, RFC 3986-encoded ``key=value`` pairs of a query string (with or without encoding)."""
    if not query:
        return ""
    pairs = []
    for part in query.split("&"):
        if not part:
            continue
        key, _, value = part.partition("=")
        pairs.append((quote(unquote(key), safe="~"), quote(unquote(value), safe="~")))
    pairs.sort()
    return "&".join(f"{k}={v}" for k, v in pairs)


def canonical_headers(
    headers: Iterable[tuple[str, str]], unsigned: frozenset[str] = UNSIGNED_HEADERS
) -> tuple[str, str]:
    """(canonical headers block, signed headers list) of the headers to sign, less ``unsigned``."""
    pairs = []
    for name, value in headers:
        lower = name.lower()
        if lower not in unsigned:
            # Trim, and fold runs of white space (including folded lines) into one space.
            pairs.append((lower, " ".join(value.split())))
    pairs.sort(key=_first)
    names: list[str] = []
    lines: list[str] = []
    for name, value in pairs:
        if names and names[-1] == name:
            lines[-1] += "," + value  # a repeated header: values joined in order
        else:
            names.append(name)
            lines.append(f"{name}:{value}")
    return "\n".join(lines) + "\n", ";".join(names)


def _first(pair: tuple[str, str]) -> str:
    return pair[0]


class Signature:
    """Every intermediate of one signature, for debugging and for the conformance tests."""

    __slots__ = ("authorization", "canonical_request", "signature", "string_to_sign")

    def __init__(self, canonical_request: str, string_to_sign: str, signature: str, authorization: str) -> None:
        self.canonical_request = canonical_request
        self.string_to_sign = string_to_sign
        self.signature = signature
        self.authorization = authorization

    def __repr__(self) -> str:
        return f"Signature({self.signature[:8]}...)"


class _HeaderPlan:
    """How to canonicalize one set of header names: which to sign, in which order. Names that
    differ only in case must be joined into one line: such a set has no ``order`` and goes the
    general way."""

    __slots__ = ("order", "signed")

    def __init__(self, names: tuple[str, ...], unsigned: frozenset[str]) -> None:
        pairs = sorted((name.lower(), name) for name in names if name.lower() not in unsigned)
        lowered = [lower for lower, _ in pairs]
        self.order = tuple((name, lower + ":") for lower, name in pairs) if len(set(lowered)) == len(pairs) else None
        self.signed = ";".join(lowered)


class SigV4Signer:
    """Signs for one region and service (one per client): derived keys are cached per secret and
    day, and the canonical form of each header-name set and path is worked out once."""

    __slots__ = ("_day", "_derive_key", "_keys", "_paths", "_plans", "_scope", "region", "service")

    def __init__(self, region: str, service: str, derive_key: KeyDerivation = derive_signing_key) -> None:
        self.region = region
        self.service = service
        self._derive_key = derive_key
        # (secret, day) -> the signing key's HMAC inner and outer hash states
        self._keys: dict[tuple[str, str], tuple[_Hash, _Hash]] = {}
        self._plans: dict[tuple[str, ...], _HeaderPlan] = {}  # by header names, in order
        self._paths: dict[str, str] = {}
        self._day = ""  # the datestamp of the credential scope below
        self._scope = ""

    def _signing_key(self, secret: str, datestamp: str) -> tuple[_Hash, _Hash]:
        cache_key = (secret, datestamp)
        states = self._keys.get(cache_key)
        if states is None:
            if len(self._keys) >= _MAX_CACHED_KEYS:
                self._keys.clear()
            key = self._derive_key(secret, datestamp, self.region, self.service).ljust(_BLOCK, b"\0")  # 32 bytes
            states = self._keys[cache_key] = (_sha256(key.translate(_INNER_PAD)), _sha256(key.translate(_OUTER_PAD)))
        return states

    def sign(
        self,
        *,
        method: str,
        canonical_uri: str,
        canonical_query: str,
        headers: Iterable[tuple[str, str]],
        payload_hash: str,
        credentials: Credentials,
        date: str,
        unsigned: frozenset[str] = UNSIGNED_HEADERS,
    ) -> Signature:
        """Sign ``headers`` (which must already hold Host, X-Amz-Date and any security token).

        A verifier passes exactly the headers the request says it signed, and ``unsigned=frozenset()``.
        """
        block, signed = canonical_headers(headers, unsigned)
        creq = f"{method}\n{canonical_uri}\n{canonical_query}\n{block}\n{signed}\n{payload_hash}"
        return self._finish(creq, signed, credentials, date)

    def authorization(
        self, request: HttpRequest, headers: Mapping[str, str], credentials: Credentials, date: str
    ) -> str:
        """The Authorization header of ``request`` carrying ``headers``: `sign()`'s, done
        with what this signer has already worked out for the same header names and path."""
        names = tuple(headers)
        plan = self._plans.get(names) or self._remember(self._plans, names, _HeaderPlan(names, UNSIGNED_HEADERS))
        if plan.order is None:
            block, signed = canonical_headers(headers.items())
        else:
            lines = []
            for name, prefix in plan.order:
                lines.append(prefix + " ".join(headers[name].split()))
            block, signed = "\n".join(lines) + "\n", plan.signed
        path = self._paths.get(request.path)
        if path is None:
            path = self._remember(self._paths, request.path, canonical_uri(request.path))
        payload_hash = _sha256(request.body).hexdigest() if request.body else EMPTY_SHA256
        query = canonical_query(request.query) if request.query else ""
        creq = f"{request.method}\n{path}\n{query}\n{block}\n{signed}\n{payload_hash}"
        return self._finish(creq, signed, credentials, date).authorization

    def _finish(self, creq: str, signed: str, credentials: Credentials, date: str) -> Signature:
        """Sign the canonical request ``creq``: string to sign, HMAC, Authorization."""
        day = date[:8]
        if day != self._day:
            self._day, self._scope = day, f"{day}/{self.region}/{self.service}/aws4_request"
        scope = self._scope
        secret = credentials.secret_access_key
        inner, outer = self._keys.get((secret, day)) or self._signing_key(secret, day)
        sts = f"{ALGORITHM}\n{date}\n{scope}\n{_sha256(creq.encode()).hexdigest()}"
        inner = inner.copy()
        inner.update(sts.encode())
        outer = outer.copy()
        outer.update(inner.digest())
        signature = outer.hexdigest()
        authorization = (
            f"{ALGORITHM} Credential={credentials.access_key_id}/{scope}, SignedHeaders={signed}, Signature={signature}"
        )
        return Signature(creq, sts, signature, authorization)

    @staticmethod
    def _remember(cache: dict[_K, _V], key: _K, value: _V) -> _V:
        if len(cache) >= _MAX_CACHED_PLANS:
            cache.clear()  # a caller sending ever-new header names or paths: stay bounded
        cache[key] = value
        return value


def signed_headers(signer: SigV4Signer, request: HttpRequest, credentials: Credentials, date: str) -> dict[str, str]:
    """``request``'s headers with X-Amz-Date, any session token and the Authorization header added."""
    headers = dict(request.headers)
    headers["X-Amz-Date"] = date
    if credentials.session_token:
        headers["X-Amz-Security-Token"] = credentials.session_token
    headers["Authorization"] = signer.authorization(request, headers, credentials, date)
    return headers

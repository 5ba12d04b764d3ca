"""Playback authorization tokens for private channels: ES384 JWTs signed with your playback key.

    signer = PlaybackSigner(private_key_pem)  # once: loading a key is the slow part
    token = signer.create_token(channel_arn, expires_in=300, viewer_id="user-42")
    url = tokenized_url(channel.playback_url, token)

IVS checks the token against the public half you imported with ImportPlaybackKeyPair. Signing
needs the ``cryptography`` package: ``pip install 'ivs-async[playback]'``.
"""

from __future__ import annotations

import base64
import difflib
import json
import re
import time
import uuid
from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any, NotRequired, TypedDict, Unpack
from urllib.parse import quote

from ivs_async._exceptions import PlaybackTokenError as PlaybackTokenError
from ivs_async._generated.ivs.models import MultitrackMaximumResolution as _Resolution

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ec import EllipticCurvePrivateKey

MAX_VIEWER_ID_LENGTH = 40
MAX_SHORT_LIVED_SECONDS = 600  # single-use and viewer-bound tokens expire within 10 minutes
MAX_STRICT_ORIGINS = 5
RESOLUTIONS = tuple(r.value for r in _Resolution)  # SD, HD, FULL_HD
_COORDINATE_BYTES = 48  # P-384: r and s are 48 bytes each in a JWS signature
_HEADER = base64.urlsafe_b64encode(b'{"alg":"ES384","typ":"JWT"}').rstrip(b"=").decode()
_CHANNEL_ARN = re.compile(r"arn:aws[a-z-]*:ivs:[a-z0-9-]+:\d{12}:channel/[a-zA-Z0-9]+")
_ORIGIN = re.compile(r"(\*|[a-z][a-z0-9+.-]*://(\*\.)?[^\s,/*]+)")


class TokenOptions(TypedDict):
    """What a token says besides its channel; see [playback_claims][ivs_async.playback.playback_claims]
    for the rules."""

    expires_in: float | timedelta
    allowed_origins: NotRequired[Sequence[str] | None]
    strict_origin_enforcement: NotRequired[bool]
    single_use: NotRequired[bool]
    viewer_id: NotRequired[str | None]
    viewer_session_version: NotRequired[int | None]
    maximum_resolution: NotRequired[str | None]


class PlaybackSigner:
    """Signs playback tokens with one private key (P-384), loaded once."""

    __slots__ = ("_key",)

    def __init__(self, private_key: str | bytes | EllipticCurvePrivateKey) -> None:
        self._key = _load_private_key(private_key)

    def __repr__(self) -> str:
        return "PlaybackSigner(private_key='****')"

    def create_token(self, channel_arn: str, *, now: float | None = None, **options: Unpack[TokenOptions]) -> str:
        """A signed token for ``channel_arn``, valid for ``expires_in`` seconds from ``now``."""
        _check_options("create_token", options)
        claims = playback_claims(channel_arn, now=now, **options)
        payload = _b64(json.dumps(claims, separators=(",", ":")).encode())
        signing_input = f"{_HEADER}.{payload}"
        return f"{signing_input}.{_b64(self._sign(signing_input.encode()))}"

    def _sign(self, data: bytes) -> bytes:
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

        # cryptography returns DER; JWS wants the raw r || s, each padded to the curve's size.
        r, s = decode_dss_signature(self._key.sign(data, ec.ECDSA(hashes.SHA384())))
        return r.to_bytes(_COORDINATE_BYTES, "big") + s.to_bytes(_COORDINATE_BYTES, "big")


def create_token(
    private_key: str | bytes | EllipticCurvePrivateKey, channel_arn: str, **options: Unpack[TokenOptions]
) -> str:
    """One token (`expires_in=` seconds, and any of [TokenOptions][ivs_async.playback.TokenOptions]); to
    sign many with one key, build a [PlaybackSigner][ivs_async.playback.PlaybackSigner] once instead."""
    _check_options("create_token", options)
    return PlaybackSigner(private_key).create_token(channel_arn, **options)


def tokenized_url(playback_url: str, token: str) -> str:
    """``playback_url`` with ``token=...`` added to its query."""
    base, _, fragment = playback_url.partition("#")
    separator = "&" if "?" in base else "?"
    url = f"{base}{separator}token={quote(token, safe='.-_')}"
    return f"{url}#{fragment}" if fragment else url


def playback_claims(
    channel_arn: str,
    *,
    expires_in: float | timedelta,
    allowed_origins: Sequence[str] | None = None,
    strict_origin_enforcement: bool = False,
    single_use: bool = False,
    viewer_id: str | None = None,
    viewer_session_version: int | None = None,
    maximum_resolution: str | None = None,
    now: float | None = None,
) -> dict[str, Any]:
    """The token's claims, every rule checked; what
    [PlaybackSigner.create_token][ivs_async.playback.PlaybackSigner.create_token] signs."""
    if not isinstance(channel_arn, str) or not _CHANNEL_ARN.fullmatch(channel_arn):
        raise PlaybackTokenError(
            "channel_arn", "pattern", "must be a channel ARN (arn:aws:ivs:REGION:ACCOUNT:channel/ID)"
        )
    seconds = expires_in.total_seconds() if isinstance(expires_in, timedelta) else expires_in
    if isinstance(seconds, bool) or not isinstance(seconds, int | float) or not seconds > 0:
        raise PlaybackTokenError("expires_in", "range", f"must be a positive number of seconds, got {expires_in!r}")
    issued = time.time() if now is None else now
    claims: dict[str, Any] = {"aws:channel-arn": channel_arn}
    origins = list(allowed_origins or ())
    for origin in origins:
        if not isinstance(origin, str) or not _ORIGIN.fullmatch(origin):
            raise PlaybackTokenError(
                "allowed_origins",
                "pattern",
                f"{origin!r} is not an origin like https://example.com or https://*.example.com",
            )
    if origins:
        claims["aws:access-control-allow-origin"] = ",".join(origins)
    if strict_origin_enforcement:
        if not origins:
            raise PlaybackTokenError("strict_origin_enforcement", "requires", "needs allowed_origins")
        if len(origins) > MAX_STRICT_ORIGINS:
            raise PlaybackTokenError(
                "allowed_origins",
                "length",
                f"at most {MAX_STRICT_ORIGINS} origins with strict origin enforcement, got {len(origins)}",
            )
        claims["aws:strict-origin-enforcement"] = True
    if single_use:
        claims["aws:single-use-uuid"] = str(uuid.uuid4())
    if viewer_id is not None:
        if not isinstance(viewer_id, str) or not viewer_id:
            raise PlaybackTokenError("viewer_id", "type", "must be a non-empty string")
        if len(viewer_id) > MAX_VIEWER_ID_LENGTH:
            raise PlaybackTokenError(
                "viewer_id", "length", f"at most {MAX_VIEWER_ID_LENGTH} characters, got {len(viewer_id)}"
            )
        claims["aws:viewer-id"] = viewer_id
    if viewer_session_version is not None:
        if viewer_id is None:
            raise PlaybackTokenError("viewer_session_version", "requires", "needs viewer_id")
        if (
            isinstance(viewer_session_version, bool)
            or not isinstance(viewer_session_version, int)
            or viewer_session_version < 0
        ):
            raise PlaybackTokenError("viewer_session_version", "range", "must be an integer >= 0")
        claims["aws:viewer-session-version"] = viewer_session_version
    if maximum_resolution is not None:
        if maximum_resolution not in RESOLUTIONS:
            raise PlaybackTokenError(
                "maximum_resolution", "enum", f"must be one of {', '.join(RESOLUTIONS)}, got {maximum_resolution!r}"
            )
        claims["aws:maximum-resolution"] = maximum_resolution
    if (single_use or viewer_id is not None) and seconds > MAX_SHORT_LIVED_SECONDS:
        raise PlaybackTokenError(
            "expires_in",
            "range",
            f"single-use and viewer-bound tokens expire at most {MAX_SHORT_LIVED_SECONDS} s ahead, got {seconds:g} s",
        )
    claims["exp"] = int(issued + seconds)  # seconds since the epoch, as JWT says: not milliseconds
    return claims


def _check_options(function: str, options: Mapping[str, object]) -> None:
    """Python's own keyword errors, but naming the public function rather than a helper."""
    known = TokenOptions.__annotations__
    unknown = sorted(set(options) - set(known))
    if unknown:
        close = difflib.get_close_matches(unknown[0], list(known), n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise TypeError(f"{function}() got an unexpected keyword argument {unknown[0]!r}{hint}")
    if "expires_in" not in options:
        raise TypeError(f"{function}() missing the required keyword argument 'expires_in'")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _load_private_key(private_key: str | bytes | EllipticCurvePrivateKey) -> EllipticCurvePrivateKey:
    try:
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import ec
    except ImportError:  # pragma: no cover - exercised only without the extra
        raise ImportError(
            "playback tokens need the 'cryptography' package: pip install 'ivs-async[playback]'"
        ) from None
    key: object = private_key
    if isinstance(private_key, str | bytes):
        data = private_key.encode() if isinstance(private_key, str) else private_key
        try:
            key = serialization.load_pem_private_key(data, password=None)
        except (ValueError, TypeError):
            # Never echo the text: it may be a key after all, only damaged.
            raise PlaybackTokenError(
                "private_key",
                "format",
                "is not an unencrypted PEM private key (BEGIN PRIVATE KEY or BEGIN EC PRIVATE KEY)",
            ) from None
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise PlaybackTokenError("private_key", "type", f"must be an EC private key, got {type(key).__name__}")
    if key.curve.name != "secp384r1":
        raise PlaybackTokenError("private_key", "curve", f"must be on P-384 (secp384r1), got {key.curve.name}")
    return key

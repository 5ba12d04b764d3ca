"""The emulator's playback authorization: what IVS checks in a private channel's token, on the
multivariant playlist and then on every variant playlist and segment of the same viewing.

A token passes when it is an ES384 JWT signed by one of the account's imported playback keys,
for this channel, not expired, from an allowed origin, not yet used if single-use, and not
revoked for its viewer. It is checked once, on the multivariant playlist (as IVS documents:
"validated when the viewer initializes playback"); what later requests need of it travels with
them as a ``Viewing``: its origins when strict origin enforcement is on (then every request must
come from one), and its viewer, whose revocation stops every later request. Verifying needs
``cryptography`` (the ``playback`` or ``test`` extra).
"""

from __future__ import annotations

import base64
import binascii
import math
import re
from collections.abc import Iterable, Mapping
from typing import Any

import attrs

from ivs_async._protocol.json import JsonError, loads

_COORDINATE_BYTES = 48
MAX_TOKEN_CHARS = 8192
RESOLUTIONS = ("FULL_HD", "HD", "SD")  # best first
# The claims IVS reads, and the JSON type each must have when present.
_CLAIM_TYPES: dict[str, tuple[type, ...]] = {
    "aws:channel-arn": (str,),
    "aws:access-control-allow-origin": (str,),
    "aws:strict-origin-enforcement": (bool,),
    "aws:single-use-uuid": (str,),
    "aws:viewer-id": (str,),
    "aws:viewer-session-version": (int,),
    "aws:maximum-resolution": (str,),
    "exp": (int, float),
}


class PlaybackRefused(Exception):
    """The token does not allow playback; the message says why (the emulator answers 403)."""


@attrs.frozen
class Viewing:
    """One viewer's playback of one live stream: what its variant playlists and segments carry."""

    channel_arn: str
    stream_id: str
    rendition: str
    viewer_id: str | None = None
    session_version: int = 0
    origins: tuple[str, ...] = ()  # the token's allowed origins, held to every request when strict
    strict: bool = False
    maximum_resolution: str | None = None  # the best rendition the token allows: SD, HD or FULL_HD

    @classmethod
    def of(cls, channel_arn: str, stream_id: str, claims: Mapping[str, Any] | None) -> Viewing:
        """The viewing a multivariant request started, with its token's claims (None: public channel)."""
        claims = claims or {}
        return cls(
            channel_arn,
            stream_id,
            "",
            claims.get("aws:viewer-id"),
            claims.get("aws:viewer-session-version", 0),
            tuple(o for o in str(claims.get("aws:access-control-allow-origin", "")).split(",") if o),
            claims.get("aws:strict-origin-enforcement") is True,
            claims.get("aws:maximum-resolution"),
        )


def check_viewing(viewing: Viewing, origin: str | None, revocations: Iterable[Mapping[str, Any]]) -> None:
    """PlaybackRefused unless a later request of ``viewing`` may go on: from an allowed origin when
    its token enforces origins strictly, and its viewer session not revoked since."""
    if viewing.strict and viewing.origins:
        if origin is None:
            raise PlaybackRefused("strict origin enforcement: the request has no Origin header")
        if not any(_origin_matches(pattern, origin) for pattern in viewing.origins):
            raise PlaybackRefused(f"origin {origin!r} is not allowed by the token")
    if viewing.viewer_id is not None:
        _check_revocations(viewing.viewer_id, viewing.session_version, revocations)


def _check_revocations(viewer_id: str, version: int, revocations: Iterable[Mapping[str, Any]]) -> None:
    for revocation in revocations:
        if revocation["viewerId"] == viewer_id and version <= revocation["maxVersion"]:
            raise PlaybackRefused(f"viewer session {viewer_id!r} version {version} was revoked")


def verify_token(
    token: str | None,
    *,
    channel_arn: str,
    origin: str | None,
    public_keys: Iterable[str],
    now: float,
    used_single_use: set[str],
    revocations: Iterable[Mapping[str, Any]],
) -> Mapping[str, Any]:
    """The token's claims when it allows playback of ``channel_arn``; PlaybackRefused otherwise.

    A single-use token is recorded in ``used_single_use`` when it passes.
    """
    if not token:
        raise PlaybackRefused("this channel requires a playback token (?token=...)")
    if len(token) > MAX_TOKEN_CHARS:
        raise PlaybackRefused(f"token is longer than {MAX_TOKEN_CHARS} characters")
    header, claims, signing_input, signature = _split(token)
    _check_claim_types(claims)
    if header.get("alg") != "ES384":
        raise PlaybackRefused(f"token algorithm must be ES384, got {header.get('alg')!r}")
    if not any(_signed_by(pem, signing_input, signature) for pem in public_keys):
        raise PlaybackRefused("token signature does not match any imported playback key pair")
    if claims.get("aws:channel-arn") != channel_arn:
        raise PlaybackRefused(f"token is for {claims.get('aws:channel-arn')!r}, not this channel")
    exp = claims.get("exp")
    if exp is None:
        raise PlaybackRefused("token has no numeric exp claim")
    if exp <= now:
        raise PlaybackRefused("token expired")
    allowed = [o for o in str(claims.get("aws:access-control-allow-origin", "")).split(",") if o]
    if allowed:
        strict = claims.get("aws:strict-origin-enforcement") is True
        if origin is None and strict:
            raise PlaybackRefused("strict origin enforcement: the request has no Origin header")
        # Without strict enforcement only browsers (which send Origin) are held to the list.
        if origin is not None and not any(_origin_matches(pattern, origin) for pattern in allowed):
            raise PlaybackRefused(f"origin {origin!r} is not allowed by the token")
    viewer_id = claims.get("aws:viewer-id")
    if viewer_id is not None:
        _check_revocations(viewer_id, claims.get("aws:viewer-session-version", 0), revocations)
    single_use = claims.get("aws:single-use-uuid")
    if single_use is not None:
        if single_use in used_single_use:
            raise PlaybackRefused("single-use token was already used")
        used_single_use.add(single_use)
    return claims


def _split(token: str) -> tuple[dict[str, Any], dict[str, Any], bytes, bytes]:
    parts = token.split(".")
    if len(parts) != 3:
        raise PlaybackRefused("token is not a JWT (three dot-separated parts)")
    try:
        header = loads(_unb64(parts[0]), max_depth=4)
        claims = loads(_unb64(parts[1]), max_depth=4)
        signature = _unb64(parts[2])
    except JsonError as exc:
        raise PlaybackRefused(f"token is not a JWT: its JSON is {exc.reason}") from None
    except (ValueError, binascii.Error):
        raise PlaybackRefused("token is not valid base64url JSON") from None
    if not isinstance(header, dict) or not isinstance(claims, dict):
        raise PlaybackRefused("token header and claims must be JSON objects")
    return header, claims, f"{parts[0]}.{parts[1]}".encode(), signature


def _check_claim_types(claims: Mapping[str, Any]) -> None:
    for name, types in _CLAIM_TYPES.items():
        value = claims.get(name)
        if value is None:
            continue
        # bool is an int to isinstance(); a claim that wants a number never takes true.
        if not isinstance(value, types) or (isinstance(value, bool) and bool not in types):
            raise PlaybackRefused(f"token claim {name} has the wrong type")
    exp = claims.get("exp")
    if exp is not None and not math.isfinite(exp):
        raise PlaybackRefused("token claim exp must be a finite number")
    resolution = claims.get("aws:maximum-resolution")
    if resolution is not None and resolution not in RESOLUTIONS:
        raise PlaybackRefused(f"token claim aws:maximum-resolution must be one of {', '.join(RESOLUTIONS)}")


def _unb64(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def _signed_by(public_key_pem: str, signing_input: bytes, signature: bytes) -> bool:
    try:
        from cryptography.exceptions import InvalidSignature
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
    except ImportError:  # pragma: no cover - exercised only without the extra
        raise PlaybackRefused(
            "the emulator checks playback tokens with 'cryptography': pip install 'ivs-async[playback]'"
        ) from None
    if len(signature) != 2 * _COORDINATE_BYTES:  # JWS: raw r || s, not DER
        return False
    key = serialization.load_pem_public_key(public_key_pem.encode())
    if not isinstance(key, ec.EllipticCurvePublicKey):
        return False
    r = int.from_bytes(signature[:_COORDINATE_BYTES], "big")
    s = int.from_bytes(signature[_COORDINATE_BYTES:], "big")
    try:
        key.verify(encode_dss_signature(r, s), signing_input, ec.ECDSA(hashes.SHA384()))
    except InvalidSignature:
        return False
    return True


def _origin_matches(pattern: str, origin: str) -> bool:
    if pattern == "*":
        return True
    regex = re.escape(pattern).replace(r"\*", "[^/.]+(?:\\.[^/.]+)*", 1)
    return re.fullmatch(regex, origin) is not None


def check_restriction_policy(
    policy: Mapping[str, Any], origin: str | None, country: str | None, *, first: bool = True
) -> None:
    """PlaybackRefused unless a playback restriction policy allows this viewer: its country (when
    known) among ``allowedCountries`` on every request, its Origin among ``allowedOrigins`` on the
    multivariant playlist (``first``) and, with strict origin enforcement, on every request, which
    must then carry one. Empty lists allow everyone."""
    countries = [c.upper() for c in policy.get("allowedCountries") or []]
    if countries and country is not None and country.upper() not in countries:
        raise PlaybackRefused(f"playback is not allowed from {country.upper()!r} by the channel's restriction policy")
    origins = list(policy.get("allowedOrigins") or [])
    strict = bool(policy.get("enableStrictOriginEnforcement"))
    if not (first or strict):
        return
    if origin is None:
        if strict:
            raise PlaybackRefused("strict origin enforcement: the request has no Origin header")
        return
    if origins and not any(_origin_matches(pattern, origin) for pattern in origins):
        raise PlaybackRefused(f"origin {origin!r} is not allowed by the channel's restriction policy")

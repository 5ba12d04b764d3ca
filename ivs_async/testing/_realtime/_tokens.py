"""Participant tokens as IVS issues them: JWTs whose header is ``{"alg":"KMS","typ":"JWT"}`` and
whose claims are the ones IVS documents for stage tokens (``jti`` the participant id, ``resource``
the stage ARN, ``topic`` its id, ``whip_url``, ``events_url``, ``capabilities``...).

IVS signs with a key of its own that no client can check; the emulator signs with HMAC-SHA384 and
a per-backend secret, so that it can tell its own tokens from forged ones (standard library only).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from typing import Any

from ivs_async._protocol.json import MAX_DEPTH, JsonError, loads

_HEADER = {"alg": "KMS", "typ": "JWT"}
MAX_TOKEN_LENGTH = 16 * 1024  # longer text is no token of ours (12 attributes of 1 KB fit well)


def _encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _part(value: Any) -> str:
    # ASCII escapes: attributes may hold lone surrogates, which no UTF-8 encoder takes.
    return _encode(json.dumps(value, separators=(",", ":")).encode("ascii"))


def mint(key: bytes, claims: dict[str, Any]) -> str:
    """A signed token carrying ``claims``."""
    signed = f"{_part(_HEADER)}.{_part(claims)}"
    signature = hmac.new(key, signed.encode("ascii"), hashlib.sha384).digest()
    return f"{signed}.{_encode(signature)}"


def read(key: bytes, token: str) -> dict[str, Any] | None:
    """The claims of a token ``mint`` made with ``key``; None for anything else."""
    if not isinstance(token, str) or len(token) > MAX_TOKEN_LENGTH or not token.isascii():
        return None
    parts = token.split(".")
    if len(parts) != 3:
        return None
    header, payload, signature = parts
    expected = hmac.new(key, f"{header}.{payload}".encode("ascii"), hashlib.sha384).digest()
    try:
        if not hmac.compare_digest(_decode(signature), expected):
            return None
        claims = loads(_decode(payload), max_depth=MAX_DEPTH)
    except (binascii.Error, JsonError, ValueError):
        return None
    return claims if isinstance(claims, dict) else None

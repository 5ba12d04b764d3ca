"""Reading the PEM public keys ImportPlaybackKeyPair accepts: ECDSA on P-384, nothing else."""

from __future__ import annotations

import base64
import binascii
import hashlib

# SubjectPublicKeyInfo of a P-384 key, DER, up to the uncompressed point's 0x04:
# SEQUENCE { SEQUENCE { id-ecPublicKey, secp384r1 }, BIT STRING (97 bytes) }.
_SPKI_PREFIX = bytes.fromhex("3076301006072a8648ce3d020106052b8104002203620004")
_COORDINATE = 48
_P = 2**384 - 2**128 - 2**96 + 2**32 - 1
_B = int(
    "b3312fa7e23ee7e4988e056be3f82d19181d9c6efe8141120314088f5013875ac656398d8a2ed19d2a85c8edd3ec2aef",
    16,
)


class InvalidPublicKey(ValueError):
    """The text is not a PEM P-384 public key; the message says why."""


def read_p384_public_key(pem: str) -> bytes:
    """The DER SubjectPublicKeyInfo of a PEM ``PUBLIC KEY``, checked to be a point on P-384."""
    lines = [line.strip() for line in pem.strip().splitlines() if line.strip()]
    if len(lines) < 3 or lines[0] != "-----BEGIN PUBLIC KEY-----" or lines[-1] != "-----END PUBLIC KEY-----":
        raise InvalidPublicKey("publicKeyMaterial must be a PEM block 'BEGIN PUBLIC KEY' ... 'END PUBLIC KEY'")
    try:
        der = base64.b64decode("".join(lines[1:-1]), validate=True)
    except binascii.Error:
        raise InvalidPublicKey("publicKeyMaterial is not valid base64 inside the PEM block") from None
    if len(der) != len(_SPKI_PREFIX) + 2 * _COORDINATE or not der.startswith(_SPKI_PREFIX):
        raise InvalidPublicKey("publicKeyMaterial must be an ECDSA public key on the P-384 curve (secp384r1)")
    point = der[len(_SPKI_PREFIX) :]
    x = int.from_bytes(point[:_COORDINATE], "big")
    y = int.from_bytes(point[_COORDINATE:], "big")
    if x >= _P or y >= _P or (y * y - (x * x * x - 3 * x + _B)) % _P:
        raise InvalidPublicKey("publicKeyMaterial is not a point on the P-384 curve")
    return der


def fingerprint(der: bytes) -> str:
    """The key's fingerprint as IVS shows it: MD5 of the DER key, colon-separated hex."""
    digest = hashlib.md5(der, usedforsecurity=False).hexdigest()
    return ":".join(digest[i : i + 2] for i in range(0, len(digest), 2))

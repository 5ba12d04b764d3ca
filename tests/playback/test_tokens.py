"""Playback tokens, verified by an independent JWT library (PyJWT), and every rule's error."""

from __future__ import annotations

import base64
import json
import time
from datetime import timedelta

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from hypothesis import given, settings
from hypothesis import strategies as st

from ivs_async.errors import IvsSdkError
from ivs_async.playback import PlaybackSigner, PlaybackTokenError, create_token, tokenized_url

ARN = "arn:aws:ivs:us-west-2:123456789012:channel/abcdEFGH1234"
KEY = ec.generate_private_key(ec.SECP384R1())
PEM = KEY.private_bytes(
    serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
).decode()
PUBLIC = KEY.public_key()


def decode(token: str, *, verify_exp: bool = True) -> dict[str, object]:
    """The claims, as PyJWT reads them after checking the ES384 signature with the public key."""
    options = {"require": ["exp"], "verify_exp": verify_exp}
    claims: dict[str, object] = jwt.decode(token, PUBLIC, algorithms=["ES384"], options=options)  # type: ignore[arg-type]
    return claims


def test_a_token_pyjwt_accepts() -> None:
    before = int(time.time())
    token = create_token(PEM, ARN, expires_in=300)
    assert jwt.get_unverified_header(token) == {"alg": "ES384", "typ": "JWT"}
    claims = decode(token)
    assert claims["aws:channel-arn"] == ARN
    assert set(claims) == {"aws:channel-arn", "exp"}  # unset options are left out
    exp = claims["exp"]
    assert isinstance(exp, int) and before + 300 <= exp <= int(time.time()) + 300  # seconds, not ms


def test_the_signature_is_raw_r_and_s() -> None:
    token = create_token(KEY, ARN, expires_in=60)
    signature = base64.urlsafe_b64decode(token.split(".")[2] + "==")
    assert len(signature) == 96  # 48 + 48 bytes, not DER (which starts 0x30 and varies in length)


def test_every_claim() -> None:
    signer = PlaybackSigner(PEM)
    token = signer.create_token(
        ARN,
        expires_in=timedelta(minutes=10),
        allowed_origins=["https://example.com", "https://*.example.org"],
        strict_origin_enforcement=True,
        single_use=True,
        viewer_id="viewer-42",
        viewer_session_version=3,
        maximum_resolution="HD",
        now=1_900_000_000,
    )
    claims = decode(token, verify_exp=False)
    single_use = claims.pop("aws:single-use-uuid")
    assert isinstance(single_use, str) and len(single_use) == 36
    assert claims == {
        "aws:channel-arn": ARN,
        "aws:access-control-allow-origin": "https://example.com,https://*.example.org",
        "aws:strict-origin-enforcement": True,
        "aws:viewer-id": "viewer-42",
        "aws:viewer-session-version": 3,
        "aws:maximum-resolution": "HD",
        "exp": 1_900_000_600,
    }
    other = signer.create_token(ARN, expires_in=60, single_use=True)
    assert decode(other)["aws:single-use-uuid"] != single_use  # a new uuid per token


@settings(max_examples=40, deadline=None)
@given(
    expires_in=st.integers(min_value=1, max_value=600),
    origins=st.lists(st.from_regex(r"https://(\*\.)?[a-z]{1,10}\.com", fullmatch=True), max_size=5),
    viewer=st.none() | st.text(alphabet="abcXYZ019-_", min_size=1, max_size=40),
    resolution=st.sampled_from([None, "SD", "HD", "FULL_HD"]),
)
def test_random_valid_options_always_verify(
    expires_in: int, origins: list[str], viewer: str | None, resolution: str | None
) -> None:
    token = create_token(
        KEY,
        ARN,
        expires_in=expires_in,
        allowed_origins=origins,
        strict_origin_enforcement=bool(origins),
        viewer_id=viewer,
        maximum_resolution=resolution,
    )
    claims = decode(token)
    assert claims.get("aws:viewer-id") == viewer and claims.get("aws:maximum-resolution") == resolution


@pytest.mark.parametrize(
    ("options", "field", "rule"),
    [
        ({"expires_in": 0}, "expires_in", "range"),
        ({"expires_in": "60"}, "expires_in", "range"),
        ({"viewer_id": "x" * 41}, "viewer_id", "length"),
        ({"viewer_id": "v", "expires_in": 601}, "expires_in", "range"),
        ({"single_use": True, "expires_in": 601}, "expires_in", "range"),
        ({"strict_origin_enforcement": True}, "strict_origin_enforcement", "requires"),
        (
            {"strict_origin_enforcement": True, "allowed_origins": [f"https://{n}.example.com" for n in "abcdef"]},
            "allowed_origins",
            "length",
        ),
        ({"allowed_origins": ["example.com"]}, "allowed_origins", "pattern"),
        ({"allowed_origins": ["https://a.com,https://b.com"]}, "allowed_origins", "pattern"),
        ({"viewer_session_version": 1}, "viewer_session_version", "requires"),
        ({"viewer_id": "v", "viewer_session_version": -1}, "viewer_session_version", "range"),
        ({"maximum_resolution": "4K"}, "maximum_resolution", "enum"),
    ],
)
def test_rules(options: dict[str, object], field: str, rule: str) -> None:
    arguments: dict[str, object] = {"expires_in": 60, **options}
    with pytest.raises(PlaybackTokenError) as caught:
        create_token(KEY, ARN, **arguments)  # type: ignore[arg-type]
    assert (caught.value.field, caught.value.rule) == (field, rule)
    error = caught.value
    assert field in str(error) and isinstance(error, IvsSdkError) and isinstance(error, ValueError)


def test_without_strict_enforcement_origins_are_unlimited() -> None:
    origins = [f"https://{n}.example.com" for n in "abcdefgh"]
    claims = decode(create_token(KEY, ARN, expires_in=60, allowed_origins=origins))
    assert str(claims["aws:access-control-allow-origin"]).count(",") == 7


@pytest.mark.parametrize("arn", ["", "arn:aws:ivs:us-west-2:123456789012:stream-key/abc", "channel/abc"])
def test_the_channel_arn_is_checked(arn: str) -> None:
    with pytest.raises(PlaybackTokenError, match="channel_arn"):
        create_token(KEY, arn, expires_in=60)


def test_only_p384_private_keys() -> None:
    p256 = ec.generate_private_key(ec.SECP256R1())
    with pytest.raises(PlaybackTokenError, match="P-384") as caught:
        create_token(p256, ARN, expires_in=60)
    assert caught.value.rule == "curve"
    rsa_pem = rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    with pytest.raises(PlaybackTokenError, match="EC private key"):
        create_token(rsa_pem, ARN, expires_in=60)
    secret_looking = "-----BEGIN PRIVATE KEY-----\nMIGkAgEBBDDsecretsecret\n-----END PRIVATE KEY-----\n"
    with pytest.raises(PlaybackTokenError) as bad:
        create_token(secret_looking, ARN, expires_in=60)
    assert "secret" not in str(bad.value) and bad.value.rule == "format"  # the key text is never echoed


def test_sec1_pem_keys_load_too() -> None:
    sec1 = KEY.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()
    )
    assert decode(create_token(sec1, ARN, expires_in=60))["aws:channel-arn"] == ARN


def test_the_signer_never_shows_its_key() -> None:
    signer = PlaybackSigner(PEM)
    assert repr(signer) == "PlaybackSigner(private_key='****')"
    assert PEM.splitlines()[1][:20] not in repr(signer)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://a.b/api/video/v1/x.m3u8", "https://a.b/api/video/v1/x.m3u8?token=T.K-_"),
        ("https://a.b/x.m3u8?player=web", "https://a.b/x.m3u8?player=web&token=T.K-_"),
        ("https://a.b/x.m3u8#t=5", "https://a.b/x.m3u8?token=T.K-_#t=5"),
    ],
)
def test_tokenized_url(url: str, expected: str) -> None:
    assert tokenized_url(url, "T.K-_") == expected


def test_claims_are_compact_json() -> None:
    token = create_token(KEY, ARN, expires_in=60, viewer_id="v")
    payload = base64.urlsafe_b64decode(token.split(".")[1] + "==")
    assert b" " not in payload and json.loads(payload)["aws:viewer-id"] == "v"

"""SigV4 against the AWS test vectors in tests/data/sigv4 (copied unchanged from ../shared)."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from aws_requests_auth import aws_auth
from hypothesis import given, settings
from hypothesis import strategies as st

from ivs_async._core.http import HttpRequest
from ivs_async._core.signing import SigV4Signer, amz_date, canonical_query, canonical_uri, derive_signing_key
from ivs_async.credentials import Credentials

DATA = Path(__file__).parent.parent / "data" / "sigv4"
AWS_C_AUTH = DATA / "aws-c-auth-v4"
BOTOCORE = DATA / "botocore-aws4_testsuite"
KEY_ID = "AKIDEXAMPLE"
SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
DATE = "20150830T123600Z"


def parse_request(raw: str) -> tuple[str, str, str, list[tuple[str, str]], bytes]:
    """(method, path, query, headers, body) of a raw vector request; folded header lines joined."""
    head, _, body = raw.partition("\n\n")
    lines = head.split("\n")
    method, rest = lines[0].split(" ", 1)
    target = rest.rsplit(" ", 1)[0]  # drop " HTTP/1.1"; the path itself may hold spaces
    path, _, query = target.partition("?")
    headers: list[tuple[str, str]] = []
    for line in lines[1:]:
        if line[:1] in (" ", "\t") and headers:
            name, value = headers[-1]
            headers[-1] = (name, value + "\n" + line)
        elif line:
            name, _, value = line.partition(":")
            headers.append((name, value))
    return method, path, query, headers, body.encode()


def sign_vector(raw: str, *, token: str | None, sign_token: bool, sign_body: bool, normalize: bool):
    method, path, query, headers, body = parse_request(raw)
    headers = [(n, v) for n, v in headers if n.lower() != "x-amz-date"]
    headers.append(("X-Amz-Date", DATE))
    payload = hashlib.sha256(body).hexdigest()
    if sign_body:
        headers.append(("x-amz-content-sha256", payload))
    if token and sign_token:
        headers.append(("X-Amz-Security-Token", token))
    signer = SigV4Signer("us-east-1", "service")
    return signer.sign(
        method=method,
        canonical_uri=canonical_uri(path, normalize=normalize),
        canonical_query=canonical_query(query),
        headers=headers,
        payload_hash=payload,
        credentials=Credentials(KEY_ID, SECRET, session_token=token),
        date=DATE,
    )


AWS_C_CASES = sorted(p.name for p in AWS_C_AUTH.iterdir() if p.is_dir())


def test_every_vector_folder_is_found() -> None:
    assert len(AWS_C_CASES) == 38
    assert len(BOTOCORE_CASES) == 34


@pytest.mark.parametrize("case", AWS_C_CASES)
def test_aws_c_auth_header_signing(case: str) -> None:
    folder = AWS_C_AUTH / case
    context = json.loads((folder / "context.json").read_text())
    assert context["timestamp"] == "2015-08-30T12:36:00Z"
    sig = sign_vector(
        (folder / "request.txt").read_text(),
        token=context["credentials"].get("token"),
        sign_token=not context.get("omit_session_token", False),
        sign_body=context["sign_body"],
        normalize=context["normalize"],
    )
    assert sig.canonical_request == (folder / "header-canonical-request.txt").read_text()
    assert sig.string_to_sign == (folder / "header-string-to-sign.txt").read_text()
    assert sig.signature == (folder / "header-signature.txt").read_text().strip()
    signed = (folder / "header-signed-request.txt").read_text()
    assert f"Authorization:{sig.authorization}" in signed or f"Authorization: {sig.authorization}" in signed


BOTOCORE_CASES = sorted(str(p.parent.relative_to(BOTOCORE)) for p in BOTOCORE.rglob("*.req"))
# The token of post-sts-header-after lives only in the suite's readme.
POST_STS_TOKEN = next(
    line.strip()
    for line in (BOTOCORE / "post-sts-token" / "readme.txt").read_text().splitlines()
    if line.startswith("AQoD")
)


@pytest.mark.parametrize("case", BOTOCORE_CASES)
def test_botocore_suite(case: str) -> None:
    folder = BOTOCORE / case
    name = Path(case).name
    raw = (folder / f"{name}.req").read_text()
    creq = (folder / f"{name}.creq").read_text()
    # The token is in the .req (header-before), only in the .creq (session-token case),
    # or added after signing and so in neither (header-after).
    token = None
    sign_token = True
    for line in creq.splitlines():
        if line.startswith("x-amz-security-token:"):
            token = line.partition(":")[2]
    if "x-amz-security-token" in raw.lower():
        token = None  # already among the request's headers
    if name == "post-sts-header-after":
        token, sign_token = POST_STS_TOKEN, False
    sig = sign_vector(raw, token=token, sign_token=sign_token, sign_body=False, normalize=True)
    assert sig.canonical_request == creq
    assert sig.string_to_sign == (folder / f"{name}.sts").read_text()
    # .authz is authoritative (the suite's .sreq of the session-token case is known to be wrong).
    assert sig.authorization == (folder / f"{name}.authz").read_text().strip()


def test_amz_date_formats_utc() -> None:
    assert amz_date(datetime(2015, 8, 30, 12, 36, tzinfo=UTC)) == DATE


def test_ivs_tag_path_is_encoded_twice() -> None:
    # The ARN is percent-encoded once on the wire; a non-S3 canonical URI encodes it again.
    wire = "/tags/arn%3Aaws%3Aivs%3Aus-west-2%3A123456789012%3Achannel%2FabcD"
    assert canonical_uri(wire) == "/tags/arn%253Aaws%253Aivs%253Aus-west-2%253A123456789012%253Achannel%252FabcD"


def test_query_values_use_percent_20_and_sort() -> None:
    assert canonical_query("tagKeys=b%20c&tagKeys=a+b&A=1") == "A=1&tagKeys=a%2Bb&tagKeys=b%20c"


@settings(max_examples=200)
@given(st.text(), st.text(max_size=12), st.text(max_size=20), st.text(max_size=12))
def test_the_client_derives_the_key_aws_requests_auth_derives(
    secret: str, datestamp: str, region: str, service: str
) -> None:
    # The emulator verifies with aws-requests-auth's derivation; the client signs with its own.
    try:
        expected = aws_auth.getSignatureKey(secret, datestamp, region, service)
    except UnicodeEncodeError:  # lone surrogates: neither side can encode them
        with pytest.raises(UnicodeEncodeError):
            derive_signing_key(secret, datestamp, region, service)
        return
    assert derive_signing_key(secret, datestamp, region, service) == expected


def test_signing_key_cache_is_per_signer() -> None:
    a, b = SigV4Signer("us-east-1", "service"), SigV4Signer("us-east-1", "service")
    creds = Credentials(KEY_ID, SECRET)

    def sign(signer: SigV4Signer) -> str:
        return signer.sign(
            method="GET",
            canonical_uri="/",
            canonical_query="",
            headers=[("Host", "h"), ("X-Amz-Date", DATE)],
            payload_hash=hashlib.sha256(b"").hexdigest(),
            credentials=creds,
            date=DATE,
        ).signature

    assert sign(a) == sign(b)
    assert a._keys and a._keys is not b._keys


_header_names = st.sampled_from(
    ["Host", "host", "HOST", "Content-Type", "X-Amz-Date", "x-amz-date", "User-Agent", "a", "B"]
)
_header_values = st.text(alphabet=" \t\nabc=;:,/-", max_size=12)


@settings(max_examples=300, deadline=None)
@given(
    first=st.dictionaries(_header_names, _header_values, max_size=6),
    second=st.dictionaries(_header_names, _header_values, max_size=6),
    path=st.sampled_from(["/GetChannel", "/tags/arn%3Aaws%3Aivs%3Ax", "/a/./b/../c", ""]),
    query=st.sampled_from(["", "tagKeys=b%20c&tagKeys=a+b&A=1"]),
    body=st.binary(max_size=8),
)
def test_authorization_matches_the_general_signature(
    first: dict[str, str], second: dict[str, str], path: str, query: str, body: bytes
) -> None:
    # authorization() reuses its plan per header-name set and its canonical paths: whatever the
    # names' case, repeats or values, it must sign exactly as sign() does from scratch.
    signer = SigV4Signer("us-west-2", "ivs")
    creds = Credentials(KEY_ID, SECRET)
    for headers in (first, second, {n: v + " x" for n, v in first.items()}):
        request = HttpRequest("POST", "http://h" + path, path, query, headers, body)
        expected = SigV4Signer("us-west-2", "ivs").sign(
            method="POST",
            canonical_uri=canonical_uri(path),
            canonical_query=canonical_query(query),
            headers=headers.items(),
            payload_hash=hashlib.sha256(body).hexdigest(),
            credentials=creds,
            date=DATE,
        )
        assert signer.authorization(request, headers, creds, DATE) == expected.authorization

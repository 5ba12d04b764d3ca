"""The emulator's SigV4 check: the signature, the key, the scope and the clock, as AWS checks them."""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import NamedTuple

from aws_requests_auth import aws_auth

from ivs_async._core.signing import ALGORITHM, SigV4Signer, amz_date, canonical_query, canonical_uri
from ivs_async.credentials import Credentials

_log = logging.getLogger("ivs_async.testing")
MAX_SKEW = timedelta(minutes=5)
_HINTED_KEYS = 100  # access keys the refusal hint is logged for, once each
_AUTHORIZATION = re.compile(
    ALGORITHM + r" Credential=([^/,\s]+)/(\d{8})/([^/,\s]+)/([^/,\s]+)/([^/,\s]+),\s*"
    r"SignedHeaders=([a-z0-9;!#$%&'*+.^_`|~-]+),\s*Signature=([0-9a-f]{64})"
)
_MISMATCH = (
    "The request signature we calculated does not match the signature you provided. Check your AWS Secret "
    "Access Key and signing method. Consult the service documentation for details."
)


class AuthError(Exception):
    """A rejected request: 403 with ``code`` in x-amzn-ErrorType and ``message`` in the body."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


class SignatureChecker:
    """Checks header-signed requests against the credentials the emulator accepts."""

    def __init__(
        self,
        credentials: Sequence[Credentials],
        region: str,
        clock: Callable[[], datetime],
        service: str = "ivs",
        *,
        any_credentials: Callable[[], bool] = lambda: False,
    ) -> None:
        self._by_key = {c.access_key_id: c for c in credentials}
        # Any access key passes (what moto and LocalStack do); the signature cannot be checked then,
        # since the emulator does not know the secret, but its form, scope and clock still are.
        self._any_credentials = any_credentials
        self._hinted: set[str] = set()
        self.region = region
        self.service = service
        self.clock = clock
        # Keys derived by aws-requests-auth, not by the client's code: a mistake there cannot
        # agree with itself here. One signer per service the emulator serves (ivs, ivschat).
        self._signers: dict[str, SigV4Signer] = {}

    def check(
        self,
        method: str,
        raw_path: str,
        headers: Mapping[str, str],
        all_headers: Iterable[tuple[str, str]],
        body: bytes,
    ) -> None:
        """Raise AuthError unless the request is signed as AWS requires."""
        self.check_signature(self.check_headers(headers, all_headers), method, raw_path, headers, body)

    def check_headers(
        self, headers: Mapping[str, str], all_headers: Iterable[tuple[str, str]], service: str | None = None
    ) -> _Signed:
        """What can be checked before the body is read: the key, the scope (for ``service``, the
        checker's own by default), the clock, the signed headers. Raises AuthError; a request that
        fails here is never read further."""
        expected_service = service or self.service
        authorization = headers.get("Authorization")
        if not authorization:
            raise AuthError("MissingAuthenticationTokenException", "Missing Authentication Token")
        match = _AUTHORIZATION.fullmatch(authorization.strip())
        if match is None:
            raise AuthError(
                "IncompleteSignatureException",
                "Authorization header requires 'Credential', 'SignedHeaders' and 'Signature' parameters "
                f"of the {ALGORITHM} algorithm",
            )
        key_id, datestamp, region, service, terminator, signed, signature = match.groups()
        credentials = self._by_key.get(key_id)
        if credentials is None and not self._any_credentials():
            self._hint(key_id)
            raise AuthError("UnrecognizedClientException", "The security token included in the request is invalid.")
        if region != self.region:
            raise AuthError(
                "InvalidSignatureException", f"Credential should be scoped to a valid region, not '{region}'."
            )
        if service != expected_service or terminator != "aws4_request":
            raise AuthError(
                "InvalidSignatureException", f"Credential should be scoped to correct service: '{expected_service}'."
            )
        date = headers.get("X-Amz-Date", "")
        sent = _read_amz_date(date)
        if sent is None:
            raise AuthError(
                "IncompleteSignatureException", "Authorization requires an X-Amz-Date header in ISO 8601 basic format."
            )
        if date[:8] != datestamp:
            raise AuthError(
                "InvalidSignatureException",
                f"Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: "
                f"'{datestamp}' != '{date[:8]}'",
            )
        now = self.clock().astimezone(UTC)
        if sent < now - MAX_SKEW:
            raise AuthError(
                "InvalidSignatureException",
                f"Signature expired: {date} is now earlier than {amz_date(now - MAX_SKEW)} ({amz_date(now)} - 5 min.)",
            )
        if sent > now + MAX_SKEW:
            raise AuthError(
                "InvalidSignatureException",
                f"Signature not yet current: {date} is still later than {amz_date(now + MAX_SKEW)} "
                f"({amz_date(now)} + 5 min.)",
            )
        token = headers.get("X-Amz-Security-Token")
        if credentials is not None and token != credentials.session_token:
            raise AuthError("UnrecognizedClientException", "The security token included in the request is invalid.")
        names = signed.split(";")
        if "host" not in names:
            raise AuthError("InvalidSignatureException", "'Host' must be a signed header.")
        wanted = set(names)
        pairs = [(name, value) for name, value in all_headers if name.lower() in wanted]
        missing = wanted - {name.lower() for name, _ in pairs}
        if missing:
            raise AuthError("InvalidSignatureException", f"Signed headers are missing: {', '.join(sorted(missing))}")
        return _Signed(credentials, date, pairs, signature, token, expected_service)

    def check_signature(
        self, signed: _Signed, method: str, raw_path: str, headers: Mapping[str, str], body: bytes
    ) -> None:
        """The signature itself, over the whole request."""
        credentials, date, pairs, signature, token, service = signed
        if credentials is None:
            return  # any credentials are accepted: there is no secret to check the signature with
        path, _, query = raw_path.partition("?")
        payload_hash = hashlib.sha256(body).hexdigest()
        sent_hash = headers.get("X-Amz-Content-Sha256")
        if sent_hash is not None and sent_hash != payload_hash:
            raise AuthError(
                "InvalidSignatureException", "The provided x-amz-content-sha256 header does not match the body."
            )
        signer = self._signers.get(service)
        if signer is None:
            signer = self._signers[service] = SigV4Signer(self.region, service, aws_auth.getSignatureKey)
        expected = signer.sign(
            method=method,
            canonical_uri=canonical_uri(path),
            canonical_query=canonical_query(query),
            headers=pairs,
            payload_hash=payload_hash,
            credentials=credentials,
            date=date,
            unsigned=frozenset(),
        )
        if not hmac.compare_digest(expected.signature, signature):
            shown = expected.canonical_request
            if token:
                shown = shown.replace(token, "****")
            raise AuthError(
                "InvalidSignatureException",
                f"{_MISMATCH}\n\nThe Canonical String for this request should have been\n'{shown}'\n",
            )

    def _hint(self, key_id: str) -> None:
        """Say once per key why it is refused: dummy keys that moto and LocalStack take are not taken here."""
        if key_id in self._hinted or len(self._hinted) >= _HINTED_KEYS:
            return
        self._hinted.add(key_id)
        shown = key_id[:4] + "..." + key_id[-4:] if len(key_id) > 12 else "****"
        _log.warning(
            "ivs-local refused access key %s: it accepts only the keys its banner prints "
            "(LocalIvs.credentials); accept_any_credentials=True or --accept-any-credentials takes any",
            shown,
        )


class _Signed(NamedTuple):
    credentials: Credentials | None
    date: str
    pairs: list[tuple[str, str]]
    signature: str
    token: str | None
    service: str


def _read_amz_date(value: str) -> datetime | None:
    try:
        return datetime.strptime(value, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    except ValueError:
        return None

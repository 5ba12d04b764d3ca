"""IAM Identity Center (SSO) profiles: the cached login token, then the portal's role credentials."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlencode

from ivs_async._core.files import read_bounded
from ivs_async.credentials._base import (
    MAX_DOCUMENT_BYTES,
    CredentialRefreshError,
    Credentials,
    credentials_from,
    json_document,
    parse_expiration,
)
from ivs_async.credentials._refresh import RefreshingCredentials
from ivs_async.credentials._web import http

_TIMEOUT = 10.0


class SsoCredentials(RefreshingCredentials):
    """Role credentials from the SSO portal, with the token ``aws sso login`` cached."""

    __module__ = "ivs_async.credentials"  # its public home, however it is loaded

    def __init__(
        self,
        *,
        start_url: str,
        sso_region: str,
        account_id: str,
        role_name: str,
        cache_dir: Path,
        portal: str,
        session_name: str | None = None,
        profile: str = "default",
    ) -> None:
        label = f"SSO profile {profile!r} ({account_id}/{role_name})"
        login = f"aws sso login --profile {profile}"
        cache_key = hashlib.sha1((session_name or start_url).encode(), usedforsecurity=False).hexdigest()
        token_file = cache_dir / f"{cache_key}.json"

        async def fetch() -> Credentials:
            try:
                cached = json_document(read_bounded(token_file, MAX_DOCUMENT_BYTES))
            except (OSError, ValueError):
                raise CredentialRefreshError(label, f"no cached SSO token ({token_file}); run '{login}'") from None
            try:
                token, expires = cached.get("accessToken"), parse_expiration(cached.get("expiresAt"))
            except ValueError:
                raise CredentialRefreshError(label, f"the cached SSO token has no expiry; run '{login}'") from None
            if not isinstance(token, str) or expires is None or expires <= datetime.now(UTC):
                raise CredentialRefreshError(label, f"the SSO token has expired; run '{login}'")
            query = urlencode({"account_id": account_id, "role_name": role_name})
            async with http(_TIMEOUT, trust_env=True) as send:
                response = await send(
                    "GET",
                    f"{portal.rstrip('/')}/federation/credentials?{query}",
                    headers={"x-amz-sso_bearer_token": token},
                )
            if response.status in (401, 403):
                raise CredentialRefreshError(
                    label, f"the SSO portal refused the token (HTTP {response.status}); run '{login}'"
                )
            if response.status != 200:
                raise CredentialRefreshError(label, f"the SSO portal answered HTTP {response.status}")
            try:
                data = json_document(response.body).get("roleCredentials")
                if not isinstance(data, dict):
                    raise ValueError("the answer has no roleCredentials object")
                return credentials_from(
                    data, key="accessKeyId", secret="secretAccessKey", token="sessionToken", expiration="expiration"
                )
            except (ValueError, KeyError, TypeError) as exc:
                raise CredentialRefreshError(label, f"unreadable answer from the SSO portal: {exc}") from None

        super().__init__(fetch, name=label)

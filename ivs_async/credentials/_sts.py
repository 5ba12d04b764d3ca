"""AWS STS (query protocol, XML answers): AssumeRole and AssumeRoleWithWebIdentity."""

from __future__ import annotations

import asyncio
import xml.etree.ElementTree as ElementTree
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from ivs_async._http import HttpRequest
from ivs_async._signing import SigV4Signer, amz_date, signed_headers
from ivs_async.credentials._base import CredentialRefreshError, Credentials, CredentialsProvider, parse_expiration
from ivs_async.credentials._refresh import RefreshingCredentials
from ivs_async.credentials._web import http

_VERSION = "2011-06-15"
_TIMEOUT = 10.0


def default_session_name() -> str:
    return f"ivs-async-{int(datetime.now(UTC).timestamp())}"


async def call_sts(
    action: str,
    params: dict[str, str],
    *,
    endpoint: str,
    region: str,
    credentials: Credentials | None,
    name: str,
) -> Credentials:
    """Call ``action``; signed with ``credentials``, or unsigned (AssumeRoleWithWebIdentity)."""
    parts = urlsplit(endpoint)
    path = (parts.path.rstrip("/") or "") + "/"
    url = f"{parts.scheme}://{parts.netloc}{path}"
    body = urlencode({"Action": action, "Version": _VERSION, **params}).encode()
    headers = {"Host": parts.netloc, "Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}
    request = HttpRequest("POST", url, path, "", headers, body)
    if credentials is not None:
        signer = SigV4Signer(region, "sts")
        headers = signed_headers(signer, request, credentials, amz_date(datetime.now(UTC)))
    async with http(_TIMEOUT, trust_env=True) as send:
        response = await send("POST", url, headers=headers, body=body)
    try:
        root = ElementTree.fromstring(response.body)
    except ElementTree.ParseError:
        raise CredentialRefreshError(name, f"STS {action}: HTTP {response.status}, the answer is not XML") from None
    if response.status != 200:
        code = _text(root, "Code") or f"HTTP {response.status}"
        raise CredentialRefreshError(name, f"STS {action} failed: {code}: {_text(root, 'Message')}")
    found = _find(root, "Credentials")
    if found is None:
        raise CredentialRefreshError(name, f"STS {action}: the answer has no Credentials")
    key, secret, token = _text(found, "AccessKeyId"), _text(found, "SecretAccessKey"), _text(found, "SessionToken")
    if not key or not secret:
        raise CredentialRefreshError(name, f"STS {action}: the answer has no access key")
    try:
        expiration = parse_expiration(_text(found, "Expiration"))
    except ValueError as exc:
        raise CredentialRefreshError(name, f"STS {action}: {exc}") from None
    return Credentials(key, secret, session_token=token or None, expiration=expiration)


def _find(root: ElementTree.Element, local: str) -> ElementTree.Element | None:
    for element in root.iter():
        if element.tag.rsplit("}", 1)[-1] == local:
            return element
    return None


def _text(root: ElementTree.Element, local: str) -> str:
    element = _find(root, local)
    return (element.text or "").strip() if element is not None else ""


class AssumeRoleCredentials(RefreshingCredentials):
    """Temporary credentials for ``role_arn``, assumed with ``source``'s credentials."""

    def __init__(
        self,
        *,
        role_arn: str,
        source: CredentialsProvider,
        region: str,
        endpoint: str,
        session_name: str | None = None,
        external_id: str | None = None,
        duration_seconds: int | None = None,
        name: str | None = None,
    ) -> None:
        self.role_arn = role_arn
        label = name or f"assume role {role_arn}"

        async def assume() -> Credentials:
            params = {"RoleArn": role_arn, "RoleSessionName": session_name or default_session_name()}
            if external_id:
                params["ExternalId"] = external_id
            if duration_seconds:
                params["DurationSeconds"] = str(duration_seconds)
            source_credentials = await source.resolve()
            return await call_sts(
                "AssumeRole", params, endpoint=endpoint, region=region, credentials=source_credentials, name=label
            )

        super().__init__(assume, name=label)


class WebIdentityCredentials(RefreshingCredentials):
    """Temporary credentials for ``role_arn`` in exchange for the OIDC token in ``token_file`` (EKS IRSA)."""

    def __init__(
        self,
        *,
        role_arn: str,
        token_file: str,
        region: str,
        endpoint: str,
        session_name: str | None = None,
        name: str | None = None,
    ) -> None:
        self.role_arn = role_arn
        label = name or f"web identity {role_arn}"

        async def exchange() -> Credentials:
            try:
                token = (await asyncio.to_thread(Path(token_file).read_text)).strip()  # re-read: it is rotated
            except OSError as exc:
                raise CredentialRefreshError(
                    label, f"cannot read the token file {token_file}: {exc.strerror}"
                ) from None
            params = {
                "RoleArn": role_arn,
                "RoleSessionName": session_name or default_session_name(),
                "WebIdentityToken": token,
            }
            return await call_sts(
                "AssumeRoleWithWebIdentity", params, endpoint=endpoint, region=region, credentials=None, name=label
            )

        super().__init__(exchange, name=label)

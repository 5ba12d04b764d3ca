"""AWS STS (query protocol, XML answers): AssumeRole and AssumeRoleWithWebIdentity."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlencode, urlsplit

from ivs_async._core.files import read_bounded
from ivs_async._core.http import HttpRequest
from ivs_async._core.signing import SigV4Signer, amz_date, signed_headers
from ivs_async._core.text import printable
from ivs_async.credentials._base import (
    MAX_DOCUMENT_BYTES,
    CredentialRefreshError,
    Credentials,
    CredentialsProvider,
    Provider,
    parse_expiration,
)
from ivs_async.credentials._refresh import RefreshingCredentials
from ivs_async.credentials._web import http

if TYPE_CHECKING:  # XML is parsed only when STS answers: loaded then
    import xml.etree.ElementTree as ElementTree

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
        root = parse_xml(response.body)
    except ValueError as exc:
        raise CredentialRefreshError(name, f"STS {action}: HTTP {response.status}, the answer is {exc}") from None
    if response.status != 200:
        code = printable(_text(root, "Code"), 128) or f"HTTP {response.status}"
        raise CredentialRefreshError(name, f"STS {action} failed: {code}: {printable(_text(root, 'Message'), 1024)}")
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


def parse_xml(body: bytes) -> ElementTree.Element:
    """STS's XML answer; ValueError for anything else. A DOCTYPE is refused before parsing: STS
    never sends one, and entity declarations are how XML documents blow up."""
    if len(body) > MAX_DOCUMENT_BYTES:
        raise ValueError(f"larger than {MAX_DOCUMENT_BYTES} bytes")
    if b"<!DOCTYPE" in body or b"<!ENTITY" in body:
        raise ValueError("XML with a DOCTYPE")
    import xml.etree.ElementTree as ElementTree

    try:
        root = ElementTree.fromstring(body)
    except (ElementTree.ParseError, RecursionError):
        raise ValueError("not XML") from None
    if _depth_exceeds(root, 32):
        raise ValueError("XML nested too deeply")
    return root


def _depth_exceeds(root: ElementTree.Element, limit: int) -> bool:
    stack = [(root, 1)]
    while stack:
        element, depth = stack.pop()
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in element)
    return False


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

    __module__ = "ivs_async.credentials"  # its public home, however it is loaded

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
        self._source = source
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

    def _inner(self) -> tuple[Provider, ...]:
        return (self._source,) if isinstance(self._source, Provider) else ()


class WebIdentityCredentials(RefreshingCredentials):
    """Temporary credentials for ``role_arn`` in exchange for the OIDC token in ``token_file`` (EKS IRSA)."""

    __module__ = "ivs_async.credentials"  # its public home, however it is loaded

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
                # Re-read each time: it is rotated.
                token = (await asyncio.to_thread(read_bounded, Path(token_file), MAX_DOCUMENT_BYTES)).strip()
            except OSError as exc:
                raise CredentialRefreshError(
                    label, f"cannot read the token file {token_file}: {exc.strerror}"
                ) from None
            except ValueError as exc:
                raise CredentialRefreshError(label, f"cannot read the token file {token_file}: {exc}") from None
            params = {
                "RoleArn": role_arn,
                "RoleSessionName": session_name or default_session_name(),
                "WebIdentityToken": token,
            }
            return await call_sts(
                "AssumeRoleWithWebIdentity", params, endpoint=endpoint, region=region, credentials=None, name=label
            )

        super().__init__(exchange, name=label)

"""Fuzz: what a credential source answers gives credentials or CredentialRefreshError, never
anything else, and never a message that quotes the secret.

Each source is driven through its public provider: container, instance metadata, the SSO portal
and STS against a loopback server whose answer each example sets, credential_process with a real
subprocess that prints the example.
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ivs_async.credentials import (
    AssumeRoleCredentials,
    ContainerCredentials,
    CredentialRefreshError,
    Credentials,
    InstanceMetadataCredentials,
    SsoCredentials,
    StaticCredentials,
)
from ivs_async.credentials._process import run_credential_process
from ivs_async.errors import IvsError
from tests.support.loopback import LoopbackServer, Received, Reply

SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYSECRETKEY"
FIXTURES = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow]

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=10,
)


def later() -> str:
    return (datetime.now(UTC) + timedelta(hours=1)).isoformat()


def documents(valid: dict[str, Any]) -> st.SearchStrategy[bytes]:
    """Bytes, JSON of any shape, and the valid document with values of any type swapped in."""
    swapped = st.fixed_dictionaries({k: st.just(v) | JSON for k, v in valid.items()})
    special = st.sampled_from(
        [
            b"[" * 50_000 + b"]" * 50_000,
            json.dumps({**valid, "Expiration": 1e300}).encode(),
            json.dumps({**valid, "Expiration": "9999999-01-01"}).encode(),
            json.dumps(valid).replace('"', "'").encode(),
            json.dumps(valid)[:-5].encode(),
        ]
    )
    return (
        st.binary(max_size=64)
        | JSON.map(lambda v: json.dumps(v).encode())
        | swapped.map(lambda d: json.dumps(d).encode())
        | special
    )


def check(outcome: Credentials | CredentialRefreshError | None) -> None:
    if isinstance(outcome, CredentialRefreshError):
        assert SECRET not in str(outcome)
        str(outcome).encode("utf-8")
    elif outcome is not None:
        assert isinstance(outcome.access_key_id, str) and isinstance(outcome.secret_access_key, str)


async def attempt(provider: Any) -> Credentials | CredentialRefreshError | None:
    try:
        found: Credentials | None = await provider.load()
    except CredentialRefreshError as exc:
        return exc
    except IvsError as exc:  # any other documented error is a failure of this test
        raise AssertionError(f"{type(exc).__name__}: {exc}") from exc
    return found


@pytest.fixture
async def server() -> Any:
    srv = LoopbackServer()
    await srv.start()
    yield srv
    await srv.close()


CONTAINER = {"AccessKeyId": "ASIA", "SecretAccessKey": SECRET, "Token": "t", "Expiration": later()}


@settings(max_examples=60, deadline=None, suppress_health_check=FIXTURES)
@given(body=documents(CONTAINER), status=st.sampled_from([200, 200, 400, 500]))
async def test_container_documents(server: LoopbackServer, body: bytes, status: int) -> None:
    server.default = Reply(status, body)
    provider = ContainerCredentials({"AWS_CONTAINER_CREDENTIALS_FULL_URI": server.endpoint + "/c"}, attempts=1)
    check(await attempt(provider))


@settings(max_examples=60, deadline=None, suppress_health_check=FIXTURES)
@given(body=documents({**CONTAINER, "Code": "Success"}), token=st.binary(max_size=20), roles=st.binary(max_size=20))
async def test_instance_metadata_documents(server: LoopbackServer, body: bytes, token: bytes, roles: bytes) -> None:
    async def answer(request: Received) -> Reply:
        if request.method == "PUT":
            return Reply(200, token or b"t")
        if request.raw_path.endswith("/security-credentials/"):
            return Reply(200, roles or b"role")
        return Reply(200, body)

    server.handler = answer
    environ = {
        "AWS_EC2_METADATA_SERVICE_ENDPOINT": server.endpoint,
        "AWS_METADATA_SERVICE_TIMEOUT": "2",
        "AWS_METADATA_SERVICE_NUM_ATTEMPTS": "1",
    }
    check(await attempt(InstanceMetadataCredentials(environ)))


@settings(max_examples=60, deadline=None, suppress_health_check=FIXTURES)
@given(
    body=documents({"roleCredentials": {"accessKeyId": "A", "secretAccessKey": SECRET, "expiration": 4102444800000}})
    | st.fixed_dictionaries(
        {"roleCredentials": st.fixed_dictionaries({"accessKeyId": JSON, "secretAccessKey": JSON, "expiration": JSON})}
    ).map(lambda d: json.dumps(d).encode()),
    cache=documents({"accessToken": "tok", "expiresAt": later()}),
)
async def test_sso_documents(
    server: LoopbackServer, tmp_path_factory: pytest.TempPathFactory, body: bytes, cache: bytes
) -> None:
    cache_dir = tmp_path_factory.mktemp("sso")
    server.default = Reply(200, body)
    provider = SsoCredentials(
        start_url="https://example.invalid/start",
        sso_region="us-east-1",
        account_id="123456789012",
        role_name="r",
        cache_dir=cache_dir,
        portal=server.endpoint,
    )
    import hashlib

    name = hashlib.sha1(b"https://example.invalid/start", usedforsecurity=False).hexdigest()
    (cache_dir / f"{name}.json").write_bytes(cache)
    check(await attempt(provider))


STS_OK = (
    '<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult><Credentials>'
    "<AccessKeyId>ASIA</AccessKeyId><SecretAccessKey>{secret}</SecretAccessKey><SessionToken>t</SessionToken>"
    "<Expiration>{expiration}</Expiration></Credentials></AssumeRoleResult></AssumeRoleResponse>"
)
XML_TEXT = st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=12).map(
    lambda s: s.replace("&", "&amp;").replace("<", "&lt;")
)


@settings(max_examples=60, deadline=None, suppress_health_check=FIXTURES)
@given(
    body=st.binary(max_size=64)
    | st.builds(lambda e: STS_OK.format(secret=SECRET, expiration=e).encode(), XML_TEXT)
    | st.sampled_from(
        [
            b"<a>" * 50_000 + b"</a>" * 50_000,
            b'<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]><x>&b;</x>',
            STS_OK.format(secret=SECRET, expiration="1e300").encode(),
            STS_OK.format(secret=SECRET, expiration=later())[:80].encode(),
        ]
    ),
    status=st.sampled_from([200, 200, 403, 500]),
)
async def test_sts_documents(server: LoopbackServer, body: bytes, status: int) -> None:
    server.default = Reply(status, body)
    provider = AssumeRoleCredentials(
        role_arn="arn:aws:iam::123456789012:role/r",
        source=StaticCredentials("AKIA", "x"),
        region="us-east-1",
        endpoint=server.endpoint,
    )
    check(await attempt(provider))


@settings(max_examples=25, deadline=None, suppress_health_check=FIXTURES)
@given(output=documents({"Version": 1, "AccessKeyId": "A", "SecretAccessKey": SECRET, "Expiration": later()}))
async def test_credential_process_output(tmp_path_factory: pytest.TempPathFactory, output: bytes) -> None:
    folder = tmp_path_factory.mktemp("process")
    printed = folder / "output"
    printed.write_bytes(output)
    script = folder / "print.py"
    script.write_text(f"import sys\nsys.stdout.buffer.write(open({str(printed)!r}, 'rb').read())\n")
    try:
        outcome: Credentials | CredentialRefreshError = await run_credential_process(
            f"{sys.executable} {script}", name="fuzz"
        )
    except CredentialRefreshError as exc:
        outcome = exc
    check(outcome)


def test_the_fuzzed_sources_accept_a_good_document(tmp_path: Path) -> None:
    # The strategies above include valid documents: make sure a valid one really passes, so
    # the fuzz is not only exercising the refusals.
    import asyncio

    async def main() -> None:
        server = LoopbackServer()
        await server.start()
        try:
            server.default = Reply(200, CONTAINER)
            found = await ContainerCredentials({"AWS_CONTAINER_CREDENTIALS_FULL_URI": server.endpoint + "/c"}).load()
            assert found is not None and found.secret_access_key == SECRET
        finally:
            await server.close()

    asyncio.run(main())

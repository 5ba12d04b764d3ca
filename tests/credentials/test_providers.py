"""Each credential source against a real counterpart on 127.0.0.1: moto's STS, loopback SSO portal,
container and IMDSv2 servers, temporary shared files and a real credential_process subprocess."""

from __future__ import annotations

import hashlib
import json
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from ivs_async import IvsClient
from ivs_async._exceptions import ConfigurationError, NoCredentialsError
from ivs_async.credentials import (
    ContainerCredentials,
    CredentialChain,
    CredentialRefreshError,
    Credentials,
    InstanceMetadataCredentials,
    _container,
)
from tests.support.loopback import LoopbackServer, Received, Reply

SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYSECRETKEY"
TOKEN = "session-token-never-shown"


def later(minutes: float = 60) -> str:
    return (datetime.now(UTC) + timedelta(minutes=minutes)).isoformat().replace("+00:00", "Z")


async def resolved(**client_options: Any) -> Credentials:
    client = IvsClient(region="us-west-2", **client_options)
    try:
        return await client.config.credentials.resolve()
    finally:
        await client.close()


# -- environment and static profiles ----------------------------------------------------------------


async def test_environment_then_profile(aws_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (aws_dir / "credentials").write_text(
        f"[default]\naws_access_key_id = AKIAPROFILE\naws_secret_access_key = {SECRET}\n"
    )
    (aws_dir / "config").write_text(
        "[profile other]\naws_access_key_id = AKIAOTHER\naws_secret_access_key = s\naws_session_token = t\n"
    )
    assert (await resolved()).access_key_id == "AKIAPROFILE"
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAENV")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "env-secret")
    assert (await resolved()).access_key_id == "AKIAENV"
    monkeypatch.setenv("AWS_PROFILE", "other")
    assert (await resolved()).access_key_id == "AKIAENV"  # AWS_PROFILE does not outrank the environment
    named = await resolved(profile="other")  # a profile named in code does
    assert (named.access_key_id, named.session_token) == ("AKIAOTHER", "t")


async def test_nothing_anywhere_lists_where_it_looked(aws_dir: Path) -> None:
    with pytest.raises(NoCredentialsError) as caught:
        await resolved()
    message = str(caught.value)
    for place in ("environment variables", "shared config files", "container", "instance metadata", str(aws_dir)):
        assert place in message
    # One place per line; the files are named once, in the shared config files' entry.
    entries = message.split("\n  - ")[1:]
    assert [e.split(" (")[0] for e in entries] == [
        "environment variables",
        "shared config files",
        "container credentials",
        "EC2 instance metadata",
    ]
    assert [e for e in entries if str(aws_dir) in e] == [entries[1]]
    assert message.count(str(aws_dir / "config")) == 1


async def test_a_named_profile_must_exist(aws_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (aws_dir / "config").write_text("[default]\nregion = us-west-2\n")
    monkeypatch.setenv("AWS_PROFILE", "ghost")
    with pytest.raises(ConfigurationError, match="profile 'ghost' is not in"):
        await resolved()


# -- credential_process -------------------------------------------------------------------------------


def process_script(tmp_path: Path, body: str) -> str:
    script = tmp_path / "creds.py"
    script.write_text(body)
    return f"{sys.executable} {script}"


async def test_credential_process(aws_dir: Path, tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    command = process_script(
        tmp_path,
        "import json, pathlib\n"
        f"p = pathlib.Path({str(runs)!r}); p.write_text(p.read_text() + 'x' if p.exists() else 'x')\n"
        f"print(json.dumps({{'Version': 1, 'AccessKeyId': 'AKIAPROC', 'SecretAccessKey': {SECRET!r}, "
        f"'SessionToken': {TOKEN!r}, 'Expiration': {later()!r}}}))\n",
    )
    (aws_dir / "config").write_text(f"[default]\ncredential_process = {command}\n")
    client = IvsClient(region="us-west-2")
    first = await client.config.credentials.resolve()
    second = await client.config.credentials.resolve()
    await client.close()
    assert (first.access_key_id, first.session_token) == ("AKIAPROC", TOKEN)
    assert first.expiration is not None and first.expiration > datetime.now(UTC)
    assert second == first
    assert runs.read_text() == "x"  # cached until it nears expiry


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ("import sys\nsys.stderr.write('token expired\\n')\nsys.exit(3)\n", "exited with status 3: token expired"),
        (f"print('AccessKeyId=AKIA SecretAccessKey={SECRET}')\n", "output: the document is not valid JSON"),
        (f"import json\nprint(json.dumps({{'Version': 2, 'SecretAccessKey': {SECRET!r}}}))\n", "Version"),
        (
            f"import json\nprint(json.dumps({{'Version': 1, 'AccessKeyId': 'A', 'SecretAccessKey': {SECRET!r},"
            " 'Expiration': '2001-01-01T00:00:00Z'}))\n",
            "expired",
        ),
    ],
)
async def test_credential_process_failures(aws_dir: Path, tmp_path: Path, body: str, reason: str) -> None:
    (aws_dir / "config").write_text(f"[default]\ncredential_process = {process_script(tmp_path, body)}\n")
    with pytest.raises(CredentialRefreshError) as caught:
        await resolved()
    assert reason in str(caught.value)
    assert "profile 'default'" in caught.value.provider
    assert SECRET not in str(caught.value)


# -- STS: assume role and web identity (moto server) ---------------------------------------------------


async def test_assume_role_chain(aws_dir: Path, moto_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL_STS", moto_endpoint)
    (aws_dir / "credentials").write_text(f"[base]\naws_access_key_id = AKIABASE\naws_secret_access_key = {SECRET}\n")
    (aws_dir / "config").write_text(
        "[profile admin]\nrole_arn = arn:aws:iam::123456789012:role/admin\nsource_profile = base\n"
        "role_session_name = ops\n\n"
        "[profile deploy]\nrole_arn = arn:aws:iam::123456789012:role/deploy\nsource_profile = admin\n"
        "external_id = x-1\nduration_seconds = 1800\n\n"
        "[profile from-env]\nrole_arn = arn:aws:iam::123456789012:role/env\ncredential_source = Environment\n"
    )
    admin = await resolved(profile="admin")
    assert admin.access_key_id.startswith("ASIA") and admin.session_token
    assert admin.expiration is not None and admin.expiration > datetime.now(UTC) + timedelta(minutes=30)
    deploy = await resolved(profile="deploy")
    assert deploy.access_key_id != admin.access_key_id and deploy.session_token
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAENV")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "env-secret")
    assert (await resolved(profile="from-env")).access_key_id.startswith("ASIA")


async def test_role_configuration_errors(aws_dir: Path) -> None:
    (aws_dir / "config").write_text(
        "[profile a]\nrole_arn = arn:aws:iam::123456789012:role/a\nsource_profile = b\n\n"
        "[profile b]\nrole_arn = arn:aws:iam::123456789012:role/b\nsource_profile = a\n\n"
        "[profile lost]\nrole_arn = arn:aws:iam::123456789012:role/c\n\n"
        "[profile weird]\nrole_arn = arn:aws:iam::123456789012:role/d\ncredential_source = Moon\n"
    )
    with pytest.raises(ConfigurationError, match="loop"):
        await resolved(profile="a")
    with pytest.raises(ConfigurationError, match="no source_profile or credential_source"):
        await resolved(profile="lost")
    with pytest.raises(ConfigurationError, match="credential_source must be"):
        await resolved(profile="weird")


async def test_sts_errors_name_the_provider(aws_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    async def deny(_: Received) -> Reply:
        body = (
            '<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type>'
            "<Code>AccessDenied</Code><Message>not allowed</Message></Error></ErrorResponse>"
        )
        return Reply(403, body.encode(), {"Content-Type": "text/xml"})

    server = LoopbackServer()
    server.handler = deny
    await server.start()
    try:
        monkeypatch.setenv("AWS_ENDPOINT_URL_STS", server.endpoint)
        (aws_dir / "config").write_text(
            f"[profile r]\nrole_arn = arn:aws:iam::123456789012:role/r\nsource_profile = r\n"
            f"aws_access_key_id = AKIAR\naws_secret_access_key = {SECRET}\n"
        )
        with pytest.raises(CredentialRefreshError) as caught:
            await resolved(profile="r")
        (request,) = server.received
    finally:
        await server.close()
    assert "AccessDenied: not allowed" in str(caught.value)
    assert "assume role arn:aws:iam::123456789012:role/r" in caught.value.provider
    assert SECRET not in str(caught.value)
    assert request.headers["Authorization"].startswith("AWS4-HMAC-SHA256 Credential=AKIAR/")
    assert "/us-west-2/sts/aws4_request" in request.headers["Authorization"]
    assert b"Action=AssumeRole" in request.body and b"RoleSessionName=ivs-async-" in request.body


async def test_web_identity_from_profile_and_environment(
    aws_dir: Path, tmp_path: Path, moto_endpoint: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL_STS", moto_endpoint)
    token_file = tmp_path / "token"
    token_file.write_text("eyJhbGciOiJSUzI1NiJ9.e30.sig")
    (aws_dir / "config").write_text(
        f"[profile irsa]\nrole_arn = arn:aws:iam::123456789012:role/web\nweb_identity_token_file = {token_file}\n"
    )
    from_profile = await resolved(profile="irsa")
    assert from_profile.access_key_id.startswith("ASIA") and from_profile.session_token
    monkeypatch.setenv("AWS_WEB_IDENTITY_TOKEN_FILE", str(token_file))
    monkeypatch.setenv("AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/pod")
    monkeypatch.setenv("AWS_ROLE_SESSION_NAME", "pod-1")
    from_env = await resolved()
    assert from_env.access_key_id.startswith("ASIA")
    token_file.unlink()
    with pytest.raises(CredentialRefreshError, match="cannot read the token file"):
        await resolved()


# -- SSO ------------------------------------------------------------------------------------------------


@pytest.fixture
async def sso_portal() -> Any:
    server = LoopbackServer()

    async def answer(request: Received) -> Reply:
        if "x-amz-sso_bearer_token" not in {k.lower() for k in request.headers}:
            return Reply(401, {"message": "no token"})
        if request.headers.get("x-amz-sso_bearer_token") != "good-token":
            return Reply(403, {"message": "bad token"})
        assert request.raw_path == "/federation/credentials?account_id=111122223333&role_name=Dev"
        expiration = int((datetime.now(UTC) + timedelta(hours=1)).timestamp() * 1000)
        creds = {"accessKeyId": "ASIASSO", "secretAccessKey": SECRET, "sessionToken": TOKEN, "expiration": expiration}
        return Reply(200, {"roleCredentials": creds})

    server.handler = answer
    await server.start()
    yield server
    await server.close()


def write_sso_token(aws_dir: Path, key: str, token: str, minutes: float) -> None:
    cache = aws_dir / "sso" / "cache"
    cache.mkdir(parents=True, exist_ok=True)
    name = hashlib.sha1(key.encode()).hexdigest()
    (cache / f"{name}.json").write_text(json.dumps({"accessToken": token, "expiresAt": later(minutes)}))


@pytest.mark.parametrize("style", ["sso-session", "legacy"])
async def test_sso_profiles(
    aws_dir: Path, sso_portal: LoopbackServer, monkeypatch: pytest.MonkeyPatch, style: str
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL_SSO", sso_portal.endpoint)
    start = "https://example.awsapps.com/start"
    if style == "sso-session":
        (aws_dir / "config").write_text(
            "[profile dev]\nsso_session = corp\nsso_account_id = 111122223333\nsso_role_name = Dev\n\n"
            f"[sso-session corp]\nsso_start_url = {start}\nsso_region = us-east-1\n"
        )
        key = "corp"
    else:
        (aws_dir / "config").write_text(
            f"[profile dev]\nsso_start_url = {start}\nsso_region = us-east-1\nsso_account_id = 111122223333\n"
            "sso_role_name = Dev\n"
        )
        key = start
    with pytest.raises(CredentialRefreshError, match="run 'aws sso login --profile dev'"):
        await resolved(profile="dev")  # no cached token yet
    write_sso_token(aws_dir, key, "good-token", 60)
    found = await resolved(profile="dev")
    assert (found.access_key_id, found.session_token) == ("ASIASSO", TOKEN)
    assert found.expiration is not None and found.expiration > datetime.now(UTC)
    write_sso_token(aws_dir, key, "good-token", -5)
    with pytest.raises(CredentialRefreshError, match="expired; run 'aws sso login --profile dev'"):
        await resolved(profile="dev")
    write_sso_token(aws_dir, key, "stale-token", 60)
    with pytest.raises(CredentialRefreshError, match="refused the token"):
        await resolved(profile="dev")


# -- containers -------------------------------------------------------------------------------------------


class CredentialsServer:
    """A container-credentials endpoint whose answers each test scripts."""

    def __init__(self) -> None:
        self.server = LoopbackServer()
        self.script: list[Reply] = []
        self.default = Reply(200, self.document())
        self.server.handler = self._answer

    @staticmethod
    def document(minutes: float = 60) -> dict[str, str]:
        return {"AccessKeyId": "ASIACONTAINER", "SecretAccessKey": SECRET, "Token": TOKEN, "Expiration": later(minutes)}

    async def _answer(self, request: Received) -> Reply:
        return self.script.pop(0) if self.script else self.default


@pytest.fixture
async def container() -> Any:
    server = CredentialsServer()
    await server.server.start()
    yield server
    await server.server.close()


async def test_container_full_uri_with_token_file(
    container: CredentialsServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = tmp_path / "eks-token"
    token.write_text("pod-identity-token\n")
    monkeypatch.setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", container.server.endpoint + "/v1/credentials")
    monkeypatch.setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", str(token))
    found = await resolved()
    assert (found.access_key_id, found.session_token) == ("ASIACONTAINER", TOKEN)
    (request,) = container.server.received
    assert request.raw_path == "/v1/credentials"
    assert request.headers["Authorization"] == "pod-identity-token"


async def test_container_relative_uri(container: CredentialsServer, monkeypatch: pytest.MonkeyPatch) -> None:
    # The ECS address is link-local; the test points the provider's base at the loopback server.
    monkeypatch.setattr(_container, "ECS_HOST", container.server.endpoint)
    provider = ContainerCredentials({"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": "/v2/credentials/abc"})
    found = await provider.resolve()
    assert found.access_key_id == "ASIACONTAINER"
    assert container.server.received[0].raw_path == "/v2/credentials/abc"


async def test_container_retries_500s_then_gives_up(container: CredentialsServer) -> None:
    env = {"AWS_CONTAINER_CREDENTIALS_FULL_URI": container.server.endpoint + "/creds"}
    container.script = [Reply(500, b"oops"), Reply(503, b"busy")]
    assert (await ContainerCredentials(env).resolve()).access_key_id == "ASIACONTAINER"
    assert len(container.server.received) == 3
    container.default = Reply(500, b"down")
    with pytest.raises(CredentialRefreshError, match=r"no answer after 3 attempts \(HTTP 500\)"):
        await ContainerCredentials(env).resolve()


async def test_container_slow_server_times_out(container: CredentialsServer) -> None:
    env = {"AWS_CONTAINER_CREDENTIALS_FULL_URI": container.server.endpoint + "/creds"}
    container.default = Reply(200, CredentialsServer.document(), delay=2.0)
    with pytest.raises(CredentialRefreshError, match="no answer after 2 attempts"):
        await ContainerCredentials(env, timeout=0.2, attempts=2).resolve()


async def test_container_expired_credentials_are_refused(container: CredentialsServer) -> None:
    env = {"AWS_CONTAINER_CREDENTIALS_FULL_URI": container.server.endpoint + "/creds"}
    container.default = Reply(200, CredentialsServer.document(minutes=-1))
    with pytest.raises(CredentialRefreshError, match="expired") as caught:
        await ContainerCredentials(env).resolve()
    assert "container credentials" in caught.value.provider


async def test_container_refuses_remote_plain_http() -> None:
    provider = ContainerCredentials({"AWS_CONTAINER_CREDENTIALS_FULL_URI": "http://198.51.100.7/creds"})
    with pytest.raises(CredentialRefreshError, match="https or a loopback"):
        await provider.resolve()


# -- EC2 instance metadata (IMDSv2) -----------------------------------------------------------------------


class Imds:
    def __init__(self) -> None:
        self.server = LoopbackServer()
        self.server.handler = self._answer
        self.token_status = 200
        self.failures = 0
        self.expiration = later()

    async def _answer(self, request: Received) -> Reply:
        if self.failures:
            self.failures -= 1
            return Reply(500, b"")
        if request.method == "PUT" and request.raw_path == "/latest/api/token":
            assert request.headers["X-aws-ec2-metadata-token-ttl-seconds"] == "21600"
            return Reply(self.token_status, b"imds-token" if self.token_status == 200 else b"")
        if request.headers.get("X-aws-ec2-metadata-token") != "imds-token":
            return Reply(401, b"")
        if request.raw_path == "/latest/meta-data/iam/security-credentials/":
            return Reply(200, b"web-role\n")
        if request.raw_path == "/latest/meta-data/iam/security-credentials/web-role":
            document = {
                "Code": "Success",
                "AccessKeyId": "ASIAIMDS",
                "SecretAccessKey": SECRET,
                "Token": TOKEN,
                "Expiration": self.expiration,
            }
            return Reply(200, document)
        return Reply(404, b"")


@pytest.fixture
async def imds(monkeypatch: pytest.MonkeyPatch) -> Any:
    fake = Imds()
    await fake.server.start()
    monkeypatch.delenv("AWS_EC2_METADATA_DISABLED")
    monkeypatch.setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", fake.server.endpoint)
    monkeypatch.setenv("AWS_METADATA_SERVICE_TIMEOUT", "0.5")
    yield fake
    await fake.server.close()


async def test_imds_v2(imds: Imds, aws_dir: Path) -> None:
    found = await resolved()
    assert (found.access_key_id, found.session_token) == ("ASIAIMDS", TOKEN)
    assert [r.method for r in imds.server.received] == ["PUT", "GET", "GET"]


async def test_imds_retries_a_500(imds: Imds) -> None:
    imds.failures = 1
    assert (await InstanceMetadataCredentials().resolve()).access_key_id == "ASIAIMDS"


async def test_imds_v1_only_is_not_used(imds: Imds) -> None:
    imds.token_status = 403
    provider = InstanceMetadataCredentials()
    assert await provider.load() is None
    assert all(r.method == "PUT" for r in imds.server.received)  # never fell back to IMDSv1


async def test_imds_expired_credentials(imds: Imds) -> None:
    imds.expiration = later(-1)
    with pytest.raises(CredentialRefreshError, match="expired"):
        await InstanceMetadataCredentials().resolve()


async def test_imds_nothing_listening(monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.conftest import free_port

    monkeypatch.delenv("AWS_EC2_METADATA_DISABLED")
    monkeypatch.setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", f"http://127.0.0.1:{free_port()}")
    assert await InstanceMetadataCredentials().load() is None
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    assert await InstanceMetadataCredentials().load() is None


async def test_chain_order(
    container: CredentialsServer, imds: Imds, aws_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", container.server.endpoint + "/creds")
    client = IvsClient(region="us-west-2")
    chain = client.config.credentials
    assert isinstance(chain, CredentialChain)
    assert (await chain.resolve()).access_key_id == "ASIACONTAINER"  # container before instance metadata
    assert chain.chosen is not None and "container" in chain.chosen.name
    assert imds.server.received == []
    await client.close()


async def test_environment_expiration_and_sts_endpoints(aws_dir: Path) -> None:
    from ivs_async._core.profiles import load_shared_config
    from ivs_async.credentials import EnvironmentCredentials
    from ivs_async.credentials._profile import sts_endpoint

    env = {"AWS_ACCESS_KEY_ID": "ASIAENV", "AWS_SECRET_ACCESS_KEY": "s", "AWS_CREDENTIAL_EXPIRATION": later(30)}
    found = await EnvironmentCredentials(env).resolve()
    assert found.expiration is not None and found.expiration > datetime.now(UTC)
    shared = load_shared_config({"AWS_CONFIG_FILE": str(aws_dir / "config"), "HOME": str(aws_dir.parent)})
    assert sts_endpoint({}, shared, "eu-west-1") == "https://sts.eu-west-1.amazonaws.com"
    assert sts_endpoint({}, shared, "cn-north-1") == "https://sts.cn-north-1.amazonaws.com.cn"
    assert sts_endpoint({"AWS_ENDPOINT_URL": "http://127.0.0.1:1"}, shared, "eu-west-1") == "http://127.0.0.1:1"
    override = {"AWS_ENDPOINT_URL": "http://127.0.0.1:1", "AWS_ENDPOINT_URL_STS": "http://127.0.0.1:2"}
    assert sts_endpoint(override, shared, "eu-west-1") == "http://127.0.0.1:2"


async def test_each_source_signs_from_what_it_holds_once_loaded(
    container: CredentialsServer, imds: Imds, aws_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # _cached() is what signing asks first at every call: nothing before the first load, then
    # exactly what resolve() returns, whichever source the chain chose.
    (aws_dir / "credentials").write_text("[default]\naws_access_key_id = AKIDPROFILE\naws_secret_access_key = s\n")
    for setup in ("profile", "imds", "container", "environment"):
        if setup == "container":
            monkeypatch.setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", container.server.endpoint + "/creds")
        elif setup == "environment":
            monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDENV")
            monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "s")
        elif setup == "imds":
            (aws_dir / "credentials").write_text("")
        client = IvsClient(region="us-west-2")
        chain = client.config.credentials
        assert isinstance(chain, CredentialChain)
        assert chain._cached() is None
        found = await chain.resolve()
        assert chain._cached() is found, setup
        expected = {
            "profile": "AKIDPROFILE",
            "imds": "ASIAIMDS",
            "container": "ASIACONTAINER",
            "environment": "AKIDENV",
        }
        assert found.access_key_id == expected[setup]
        assert chain.chosen is not None and chain.chosen._cached() is found
        await client.close()

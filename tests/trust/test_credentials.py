"""Identity and secrets: no silent change of identity, no quoted secret, every source bounded."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from ivs_async import IvsClient
from ivs_async.commands import GetChannelCommand
from ivs_async.credentials import ContainerCredentials, CredentialRefreshError, InstanceMetadataCredentials
from ivs_async.credentials._process import run_credential_process
from ivs_async.credentials._refresh import RefreshingCredentials
from ivs_async.errors import ConfigurationError, DeadlineExceededError, PartialCredentialsError
from tests.support.loopback import LoopbackServer
from tests.support.raw_server import RawServer, response

SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYSECRETKEY"
ARN = "arn:aws:ivs:us-west-2:123456789012:channel/abcdEFGH1234"


@pytest.fixture(autouse=True)
def other_identity(aws_dir: Path) -> None:
    """A [default] profile with keys of its own: what a wrong fall-through would sign with."""
    (aws_dir / "credentials").write_text(
        f"[default]\naws_access_key_id = AKIAOTHERACCOUNT\naws_secret_access_key = {SECRET}\n"
    )


# -- half a key pair ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("variable", "missing"),
    [("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"), ("AWS_SECRET_ACCESS_KEY", "AWS_ACCESS_KEY_ID")],
)
async def test_half_an_environment_pair_never_falls_through_to_the_profile(
    aws_dir: Path, server: LoopbackServer, monkeypatch: pytest.MonkeyPatch, variable: str, missing: str
) -> None:
    monkeypatch.setenv(variable, "AKIAHALF")
    async with IvsClient(region="us-west-2", endpoint=server.endpoint) as client:
        with pytest.raises(PartialCredentialsError) as info:
            await client.send(GetChannelCommand(arn=ARN))
    assert info.value.missing == missing and missing in str(info.value)
    assert isinstance(info.value, ConfigurationError)
    assert server.received == []  # nothing was signed as the profile's identity


@pytest.mark.parametrize("key", ["aws_access_key_id", "aws_secret_access_key"])
async def test_half_a_profile_pair_is_refused(aws_dir: Path, server: LoopbackServer, key: str) -> None:
    (aws_dir / "credentials").write_text(f"[default]\n{key} = {SECRET}\n")
    async with IvsClient(region="us-west-2", endpoint=server.endpoint) as client:
        with pytest.raises(PartialCredentialsError) as info:
            await client.send(GetChannelCommand(arn=ARN))
    other = "aws_secret_access_key" if key == "aws_access_key_id" else "aws_access_key_id"
    assert info.value.missing == other
    assert str(aws_dir / "credentials") in str(info.value) and SECRET not in str(info.value)
    assert server.received == []


# -- damaged files --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "line"),
    [
        (f"{SECRET}\n[default]\n", "line 1"),
        (f"[default]\naws_access_key_id = AKIA\n{SECRET}\n", "line 3"),
        (f"[default]\naws_secret_access_key = {SECRET}\n[default]\n", "line 3"),
    ],
)
def test_a_damaged_file_names_the_line_never_its_content(aws_dir: Path, text: str, line: str) -> None:
    (aws_dir / "credentials").write_text(text)
    with pytest.raises(ConfigurationError) as info:
        IvsClient(region="us-west-2")
    message = str(info.value)
    assert str(aws_dir / "credentials") in message and line in message
    assert SECRET not in message and "AKIA" not in message


def test_a_huge_or_binary_config_file_is_a_typed_error(aws_dir: Path) -> None:
    (aws_dir / "config").write_bytes(b"[default]\nregion = us-west-2\n" + b"#" * (5 * 1024 * 1024))
    with pytest.raises(ConfigurationError, match="larger than"):
        IvsClient()
    (aws_dir / "config").write_bytes(b"[default]\nregion = \xff\xfe\n")
    with pytest.raises(ConfigurationError, match="not UTF-8"):
        IvsClient()


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("AWS_REGION", SECRET),
        ("AWS_ENDPOINT_URL", f"https://user:{SECRET}@example.com"),
        ("AWS_ENDPOINT_URL", f"ftp://{SECRET}"),
        ("AWS_MAX_ATTEMPTS", SECRET),
        ("AWS_RETRY_MODE", SECRET),
        ("AWS_USE_FIPS_ENDPOINT", SECRET),
    ],
)
def test_setting_errors_name_the_source_never_the_value(
    aws_dir: Path, monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigurationError) as info:
        IvsClient(region="us-west-2" if variable != "AWS_REGION" else None)
    assert f"{variable} (environment variable)" in str(info.value)
    assert SECRET not in str(info.value)


def test_profile_setting_errors_name_the_profile(aws_dir: Path) -> None:
    (aws_dir / "config").write_text(f"[default]\nretry_mode = {SECRET}\n")
    with pytest.raises(ConfigurationError) as info:
        IvsClient(region="us-west-2")
    assert "'retry_mode' of profile 'default'" in str(info.value) and SECRET not in str(info.value)


# -- expirations ------------------------------------------------------------------------------------------


async def test_an_unreadable_environment_expiration_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIA")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
    for value in ("garbage", "1e300", "99999-01-01T00:00:00Z"):
        monkeypatch.setenv("AWS_CREDENTIAL_EXPIRATION", value)
        client = IvsClient(region="us-west-2")
        with pytest.raises(ConfigurationError, match=r"AWS_CREDENTIAL_EXPIRATION \(environment variable\)"):
            await client.config.credentials.resolve()
        await client.close()


def process_script(tmp_path: Path, body: str) -> str:
    script = tmp_path / "creds.py"
    script.write_text(body)
    return f"{sys.executable} {script}"


@pytest.mark.parametrize("expiration", ["1e300", '"garbage"', "NaN", '"' + "9" * 100 + '"', "-1e300"])
async def test_an_unreadable_document_expiration_names_the_source(
    aws_dir: Path, tmp_path: Path, expiration: str
) -> None:
    document = f'{{"Version": 1, "AccessKeyId": "A", "SecretAccessKey": "{SECRET}", "Expiration": {expiration}}}'
    (aws_dir / "credentials").write_text("")
    script = process_script(tmp_path, f"print({document!r})\n")
    (aws_dir / "config").write_text(f"[default]\ncredential_process = {script}\n")
    client = IvsClient(region="us-west-2")
    with pytest.raises(CredentialRefreshError) as info:
        await client.config.credentials.resolve()
    await client.close()
    assert "credential_process" in info.value.provider and SECRET not in str(info.value)
    assert "expiration" in str(info.value) or "NaN" in str(info.value)


# -- sources that drip, hang or flood --------------------------------------------------------------------


async def drip(writer: asyncio.StreamWriter) -> None:
    """Headers, then one byte of the body every 0.3 s: never silent long enough for a read timeout."""
    writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n")
    await writer.drain()
    for _ in range(1000):
        writer.write(b" ")
        await writer.drain()
        await asyncio.sleep(0.3)


async def test_a_dripping_metadata_service_cannot_hold_a_refresh(monkeypatch: pytest.MonkeyPatch) -> None:
    async with RawServer(drip) as raw:
        monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "false")
        monkeypatch.setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", raw.endpoint)
        monkeypatch.setenv("AWS_METADATA_SERVICE_TIMEOUT", "0.5")
        monkeypatch.setenv("AWS_METADATA_SERVICE_NUM_ATTEMPTS", "1")
        started = time.monotonic()
        assert await InstanceMetadataCredentials().load() is None  # no token: not usable here
        assert time.monotonic() - started < 2.0


async def test_a_dripping_container_endpoint_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    async with RawServer(drip) as raw:
        monkeypatch.setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", raw.endpoint + "/creds")
        started = time.monotonic()
        with pytest.raises(CredentialRefreshError, match="no answer after 2 attempts"):
            await ContainerCredentials(timeout=0.4, attempts=2).load()
        assert time.monotonic() - started < 3.0


@pytest.mark.parametrize(
    "body",
    [
        b"[" * 100_000 + b"]" * 100_000,
        b'{"AccessKeyId": "A", "SecretAccessKey": "S", "x": ' + b"[" * 200 + b"]" * 200 + b"}",
        b'{"AccessKeyId": "A", "SecretAccessKey": "S", "Expiration": NaN}',
        b'{"AccessKeyId": "A", "SecretAccessKey": "S", "Expiration": 1e300}',
        b'{"AccessKeyId": "\xff", "SecretAccessKey": "S"}',
        b'{"AccessKeyId": "A", "SecretAccessKey": "' + b"S" * 300_000 + b'"}',
    ],
)
async def test_hostile_container_documents_are_typed_errors(monkeypatch: pytest.MonkeyPatch, body: bytes) -> None:
    async def answer(writer: asyncio.StreamWriter) -> None:
        writer.write(response(200, body))

    async with RawServer(answer) as raw:
        monkeypatch.setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", raw.endpoint + "/creds")
        with pytest.raises(CredentialRefreshError) as info:
            await ContainerCredentials(timeout=2, attempts=1).load()
    assert "container credentials" in info.value.provider


async def test_a_stuck_refresh_is_abandoned_and_the_next_call_starts_anew() -> None:
    started: list[float] = []
    release = asyncio.Event()

    async def fetch() -> object:
        started.append(time.monotonic())
        if len(started) == 1:
            await asyncio.sleep(3600)  # stuck
        await release.wait()
        from ivs_async.credentials import Credentials

        return Credentials("AKIA", SECRET, expiration=datetime.now(UTC) + timedelta(hours=1))

    provider = RefreshingCredentials(fetch, name="test source")  # type: ignore[arg-type]
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0.1):
            await provider.load()
    await asyncio.sleep(0)  # the abandoned refresh is cancelled, not left running
    release.set()
    fresh = await provider.load()
    assert fresh.access_key_id == "AKIA" and len(started) == 2


async def test_a_refresh_has_a_deadline_of_its_own() -> None:
    async def never() -> object:
        await asyncio.sleep(3600)
        raise AssertionError

    provider = RefreshingCredentials(never, name="slow source", fetch_timeout=0.1)  # type: ignore[arg-type]
    with pytest.raises(CredentialRefreshError, match=r"no credentials within 0\.1 s"):
        await provider.load()


# -- credential_process lifetime ------------------------------------------------------------------------------


def hanging_process(tmp_path: Path) -> tuple[str, Path]:
    """A credential_process whose child holds stdout open and sleeps; both write their pids."""
    pids = tmp_path / "pids"
    body = (
        "import os, subprocess, sys, time\n"
        "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)'])\n"
        f"open({str(pids)!r}, 'w').write(f'{{os.getpid()}} {{child.pid}}')\n"
        "time.sleep(600)\n"
    )
    return process_script(tmp_path, body), pids


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie still answers kill(0); it is dead for our purpose once its parent reaps it.
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


def read_pids(pids: Path) -> list[int]:
    return [int(p) for p in pids.read_text().split()] if pids.exists() else []


async def wait_for_pids(pids: Path) -> list[int]:
    for _ in range(200):
        found = read_pids(pids)
        if found:
            return found
        await asyncio.sleep(0.05)
    raise AssertionError("the process never started")


async def test_the_call_deadline_kills_the_process_group(aws_dir: Path, tmp_path: Path, server: LoopbackServer) -> None:
    command, pids = hanging_process(tmp_path)
    (aws_dir / "credentials").write_text("")
    (aws_dir / "config").write_text(f"[default]\ncredential_process = {command}\n")
    async with IvsClient(region="us-west-2", endpoint=server.endpoint) as client:
        with pytest.raises(DeadlineExceededError):
            await client.send(GetChannelCommand(arn=ARN), timeout=1.5)
        found = await wait_for_pids(pids)
        for _ in range(40):
            if not any(alive(pid) for pid in found):
                break
            await asyncio.sleep(0.05)
        assert not any(alive(pid) for pid in found)


async def test_closing_the_client_kills_a_background_process(aws_dir: Path, tmp_path: Path) -> None:
    command, pids = hanging_process(tmp_path)
    (aws_dir / "credentials").write_text("")
    (aws_dir / "config").write_text(f"[default]\ncredential_process = {command}\n")
    client = IvsClient(region="us-west-2")
    waiter = asyncio.ensure_future(client.config.credentials.resolve())
    found = await wait_for_pids(pids)
    await client.close()
    waiter.cancel()
    for _ in range(40):
        if not any(alive(pid) for pid in found):
            break
        await asyncio.sleep(0.05)
    assert not any(alive(pid) for pid in found)


def test_the_loop_ending_kills_the_process_group(aws_dir: Path, tmp_path: Path) -> None:
    command, pids = hanging_process(tmp_path)
    (aws_dir / "credentials").write_text("")
    (aws_dir / "config").write_text(f"[default]\ncredential_process = {command}\n")

    async def main() -> list[int]:
        client = IvsClient(region="us-west-2")
        left = asyncio.ensure_future(client.config.credentials.resolve())  # still running when main returns
        found = await wait_for_pids(pids)
        assert not left.done()
        return found

    found = asyncio.run(main())
    time.sleep(0.2)
    assert not any(alive(pid) for pid in found)


def leaving_a_child(tmp_path: Path, output: str, *, status: int = 0, detach: bool = False) -> tuple[str, Path]:
    """A credential_process that starts a child holding its stdout and stderr (in its process group,
    or in a session of its own with ``detach``), prints ``output`` and exits with ``status`` at once."""
    pids = tmp_path / "pids"
    body = (
        "import os, subprocess, sys\n"
        "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)'],"
        f" start_new_session={detach!r})\n"
        f"open({str(pids)!r}, 'w').write(f'{{os.getpid()}} {{child.pid}}')\n"
        f"sys.stdout.write({output!r})\n"
        "sys.stderr.write('helper says no\\n')\n"
        f"sys.exit({status})\n"
    )
    return process_script(tmp_path, body), pids


async def gone(found: list[int]) -> bool:
    """True once none of ``found`` is alive (a few seconds at most: the kernel and init reap them)."""
    for _ in range(100):
        if not any(alive(pid) for pid in found):
            return True
        await asyncio.sleep(0.05)
    return False


CREDENTIALS = f'{{"Version": 1, "AccessKeyId": "AKIAPROC", "SecretAccessKey": "{SECRET}"}}\n'


async def test_a_helper_that_leaves_a_child_holding_stdout_is_read_at_once(aws_dir: Path, tmp_path: Path) -> None:
    command, pids = leaving_a_child(tmp_path, CREDENTIALS)
    (aws_dir / "credentials").write_text("")
    (aws_dir / "config").write_text(f"[default]\ncredential_process = {command}\n")
    client = IvsClient(region="us-west-2")
    started = time.monotonic()
    got = await client.config.credentials.resolve()
    elapsed = time.monotonic() - started
    await client.close()
    assert got.access_key_id == "AKIAPROC" and got.secret_access_key == SECRET
    assert elapsed < 10  # not the 60 s limit: the child's open stdout is not waited for
    found = read_pids(pids)
    assert len(found) == 2 and await gone(found)  # the child was killed with its group


@pytest.mark.parametrize(
    ("output", "status", "reason"),
    [
        (CREDENTIALS, 3, "exited with status 3: helper says no"),
        (f"AccessKeyId=AKIA SecretAccessKey={SECRET}\n", 0, "not valid JSON"),
        ('{"Version": 2}', 0, "Version"),
    ],
)
async def test_a_failing_helper_that_leaves_a_child_fails_at_once(
    aws_dir: Path, tmp_path: Path, output: str, status: int, reason: str
) -> None:
    command, pids = leaving_a_child(tmp_path, output, status=status)
    (aws_dir / "credentials").write_text("")
    (aws_dir / "config").write_text(f"[default]\ncredential_process = {command}\n")
    client = IvsClient(region="us-west-2")
    started = time.monotonic()
    with pytest.raises(CredentialRefreshError) as info:
        await client.config.credentials.resolve()
    elapsed = time.monotonic() - started
    await client.close()
    assert reason in str(info.value) and SECRET not in str(info.value)
    assert elapsed < 10
    found = read_pids(pids)
    assert len(found) == 2 and await gone(found)


async def test_a_child_that_left_the_group_is_not_waited_for(aws_dir: Path, tmp_path: Path) -> None:
    # A child in a session of its own is out of reach of the group kill; its copy of stdout must
    # not hold the fetch either.
    command, pids = leaving_a_child(tmp_path, CREDENTIALS, detach=True)
    (aws_dir / "credentials").write_text("")
    (aws_dir / "config").write_text(f"[default]\ncredential_process = {command}\n")
    client = IvsClient(region="us-west-2")
    try:
        started = time.monotonic()
        got = await client.config.credentials.resolve()
        assert got.access_key_id == "AKIAPROC" and time.monotonic() - started < 10
    finally:
        await client.close()
        for pid in read_pids(pids)[1:]:  # the test's own stray child
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


async def test_a_helper_that_floods_stdout_is_killed_with_its_group(tmp_path: Path) -> None:
    pids = tmp_path / "pids"
    command = process_script(
        tmp_path,
        "import os, subprocess, sys\n"
        "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)'])\n"
        f"open({str(pids)!r}, 'w').write(f'{{os.getpid()}} {{child.pid}}')\n"
        "while True:\n    sys.stdout.write('x' * 65536)\n",
    )
    with pytest.raises(CredentialRefreshError, match="printed more than 262144 bytes"):
        await run_credential_process(command, name="flood")
    found = read_pids(pids)
    assert len(found) == 2 and await gone(found)


async def test_a_helper_past_its_time_limit_is_killed_with_its_group(tmp_path: Path) -> None:
    command, pids = hanging_process(tmp_path)
    started = time.monotonic()
    with pytest.raises(CredentialRefreshError, match=r"did not finish within 0\.5 s"):
        await run_credential_process(command, name="slow", timeout=0.5)
    assert time.monotonic() - started < 5
    found = read_pids(pids)
    assert len(found) == 2 and await gone(found)


@pytest.mark.parametrize("variable", ["AWS_METADATA_SERVICE_TIMEOUT", "AWS_METADATA_SERVICE_NUM_ATTEMPTS"])
def test_metadata_settings_are_checked_and_named(monkeypatch: pytest.MonkeyPatch, variable: str) -> None:
    monkeypatch.setenv(variable, SECRET)
    with pytest.raises(ConfigurationError) as info:
        IvsClient(region="us-west-2")
    assert f"{variable} (environment variable)" in str(info.value) and SECRET not in str(info.value)

"""The pytest plugin: fixtures isolated from the developer's environment, and free when unused."""

from __future__ import annotations

import subprocess
import sys

import pytest

from ivs_async import Ivs, IvsClient
from ivs_async.commands import ListChannelsCommand
from ivs_async.testing import LocalIvs


async def test_the_fixtures_ignore_the_developers_environment(
    ivs_emulator: LocalIvs, monkeypatch: pytest.MonkeyPatch, tmp_path: object
) -> None:
    # Each of these alone broke every client made for the emulator.
    monkeypatch.setenv("AWS_USE_FIPS_ENDPOINT", "true")
    monkeypatch.setenv("AWS_USE_DUALSTACK_ENDPOINT", "true")
    monkeypatch.setenv("AWS_RETRY_MODE", "chaotic")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "0")
    monkeypatch.setenv("AWS_PROFILE", "does-not-exist")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAELSEWHERE")
    async with ivs_emulator.client() as client:
        assert client.config.max_attempts == 3 and client.config.retry_mode == "standard"
        assert (await client.send(ListChannelsCommand())).channels == []
    async with ivs_emulator.aggregated_client(max_attempts=1) as ivs:
        assert ivs.config.max_attempts == 1
        assert (await ivs.list_channels()).channels == []


async def test_ivs_client_and_ivs_fixtures(ivs_client: IvsClient, ivs: Ivs, ivs_emulator: LocalIvs) -> None:
    await ivs.create_channel(name="from-ivs")
    page = await ivs_client.send(ListChannelsCommand())
    assert [c.name for c in page.channels or []] == ["from-ivs"]
    assert type(ivs) is Ivs and ivs_emulator.requests("CreateChannel") == 1


def test_loading_the_plugin_imports_nothing_of_the_sdk() -> None:
    code = (
        "import sys, ivs_async.testing.pytest_plugin\n"
        "heavy = [m for m in ('aiohttp', 'ivs_async._core.client', 'ivs_async.testing._local', 'cattrs', 'attrs')"
        " if m in sys.modules]\n"
        "print(heavy)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"

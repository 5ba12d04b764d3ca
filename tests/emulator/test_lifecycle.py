"""How the emulator starts, stops, keeps and restores its state; its command line; the quickstart."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

import aiohttp
import pytest

from ivs_async import Ivs
from ivs_async.commands import CreateChannelCommand, ListChannelsCommand
from ivs_async.errors import ServiceQuotaExceededException
from ivs_async.testing import EmulatorError, LocalIvs, Quotas
from tests.emulator.viewer import Viewer

ROOT = Path(__file__).resolve().parents[2]


async def test_snapshot_and_load_into_another_emulator() -> None:
    async with LocalIvs() as first, first.client() as client:
        created = await client.send(CreateChannelCommand(name="kept", tags={"k": "v"}))
        assert created.channel is not None and created.channel.arn is not None
        first.start_stream(created.channel.arn)
        snapshot = first.snapshot()
    async with LocalIvs() as second, second.client() as client:
        second.load(snapshot)
        listed = await client.send(ListChannelsCommand())
        assert [(c.name, c.tags) for c in listed.channels or []] == [("kept", {"k": "v"})]
        assert second.is_live(created.channel.arn)
        second.reset()
        assert (await client.send(ListChannelsCommand())).channels == []
        assert not second.is_live(created.channel.arn)


def test_load_refuses_foreign_snapshots() -> None:
    snapshot = LocalIvs(region="eu-west-1").snapshot()
    with pytest.raises(EmulatorError, match="eu-west-1"):
        LocalIvs().load(snapshot)
    with pytest.raises(EmulatorError, match="not JSON"):
        LocalIvs().load("{")
    with pytest.raises(EmulatorError, match="not an emulator snapshot"):
        LocalIvs().load("{}")


async def test_same_seed_same_ids_but_never_the_same_secrets() -> None:
    made = []
    for _ in range(2):
        async with LocalIvs(seed=42) as emulator, emulator.client() as client:
            out = await client.send(CreateChannelCommand())
            assert out.channel is not None and out.stream_key is not None and out.channel.srt is not None
            made.append((out.channel.arn, out.stream_key.arn, out.stream_key.value, out.channel.srt.passphrase))
    assert made[0][:2] == made[1][:2]  # ids repeat
    assert made[0][2] != made[1][2] and made[0][3] != made[1][3]  # secrets do not: none is predictable


async def test_channel_quota() -> None:
    async with LocalIvs(quotas=Quotas(channels=2)) as emulator, emulator.client(max_attempts=1) as client:
        for _ in range(2):
            await client.send(CreateChannelCommand())
        with pytest.raises(ServiceQuotaExceededException, match="quota of 2 channels") as caught:
            await client.send(CreateChannelCommand())
    assert caught.value.metadata.http_status_code == 402


async def test_playback_url_answers_while_live(ivs: Ivs, ivs_emulator: LocalIvs) -> None:
    channel = (await ivs.create_channel()).channel
    assert channel is not None and channel.arn is not None and channel.playback_url is not None
    async with aiohttp.ClientSession() as http:
        async with http.get(channel.playback_url) as response:
            assert response.status == 404
        ivs_emulator.start_stream(channel.arn)
        answer = await Viewer(http).playable(channel.playback_url)  # the first stream of a process waits
        assert answer.status == 200 and answer.text.startswith("#EXTM3U")


def test_thread_mode_serves_synchronous_code_and_other_loops() -> None:
    with LocalIvs() as emulator:
        assert emulator.endpoint.startswith("http://127.0.0.1:")

        async def use() -> list[str]:
            async with emulator.client() as client:
                await client.send(CreateChannelCommand(name="threaded"))
                return [c.name or "" for c in (await client.send(ListChannelsCommand())).channels or []]

        assert asyncio.run(use()) == ["threaded"]
        assert asyncio.run(use()) == ["threaded", "threaded"]
    with pytest.raises(RuntimeError, match="not running"):
        _ = emulator.endpoint


def test_endpoint_before_start_is_a_clear_error() -> None:
    with pytest.raises(RuntimeError, match="not running"):
        LocalIvs().client()
    with pytest.raises(ValueError, match="12 digits"):
        LocalIvs(account_id="42")


def serve_from_command_line(*args: str) -> tuple[subprocess.Popen[str], str, list[str]]:
    """The CLI on a free port: the process, its endpoint and the settings lines it printed."""
    process = subprocess.Popen(
        [sys.executable, "-m", "ivs_async.testing", "--port", "0", "--rtmp-port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    assert process.stdout is not None
    lines = [process.stdout.readline() for _ in range(8)]
    endpoint = re.search(r"http://[^ ]+:\d+", lines[0])
    assert endpoint is not None, lines
    return process, endpoint.group(0), lines[1:]


def test_command_line_serves_until_interrupted(tmp_path: Path) -> None:
    saved = tmp_path / "state.json"
    process, endpoint, lines = serve_from_command_line("--seed", "1", "--save", str(saved))
    try:
        settings = dict(line.strip().split("=", 1) for line in lines)
        assert settings["AWS_ENDPOINT_URL_IVS"] == endpoint
        assert settings["AWS_ENDPOINT_URL_IVSCHAT"] == settings["AWS_ENDPOINT_URL_IVS_REALTIME"] == endpoint
        assert settings["AWS_DEFAULT_REGION"] == settings["AWS_REGION"]

        async def call() -> list[str]:
            from ivs_async import StaticCredentials

            credentials = StaticCredentials(settings["AWS_ACCESS_KEY_ID"], settings["AWS_SECRET_ACCESS_KEY"])
            async with Ivs(region=settings["AWS_REGION"], endpoint=endpoint, credentials=credentials) as client:
                await client.create_channel(name="cli")
                return [c.name or "" for c in (await client.list_channels()).channels or []]

        assert asyncio.run(call()) == ["cli"]
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=20)
    finally:
        process.kill()
    assert process.returncode == 0, err
    assert "LocalIvs stopped." in out
    assert '"name": "cli"' in saved.read_text()

    # --load starts a new emulator from the saved state.
    restarted, again, _ = serve_from_command_line("--load", str(saved), "--no-verify-signatures")
    try:
        with urllib.request.urlopen(
            urllib.request.Request(again + "/ListChannels", data=b"{}", method="POST"), timeout=10
        ) as response:
            assert [c["name"] for c in json.loads(response.read())["channels"]] == ["cli"]
    finally:
        restarted.terminate()
        restarted.wait(timeout=20)


def test_quickstart_runs_against_the_embedded_emulator() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    result = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "quickstart.py")],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    for step in ("recording configuration", "channel", "stream key", "metadata", "session", "tags", "key pair"):
        assert step in out
    assert "Done." in out
    assert "sk_" not in out  # the stream key value is never printed
    assert "value='****'" in out
    assert out.count("deleted ") == 3


async def test_unknown_paths_are_404(ivs_emulator: LocalIvs) -> None:
    async with aiohttp.ClientSession() as http, http.post(ivs_emulator.endpoint + "/NoSuchOperation") as response:
        assert response.status == 404
        assert response.headers["x-amzn-ErrorType"] == "UnknownOperationException"
        assert "NoSuchOperation" in (await response.json())["message"]


def test_quickstart_against_an_endpoint_with_credentials_from_the_environment() -> None:
    """The real-AWS path of the quickstart, pointed at an emulator it did not start."""
    with LocalIvs() as emulator:
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env.update(
            AWS_ACCESS_KEY_ID=emulator.credentials.access_key_id,
            AWS_SECRET_ACCESS_KEY=emulator.credentials.secret_access_key,
            AWS_EC2_METADATA_DISABLED="true",
            AWS_CONFIG_FILE=os.devnull,
            AWS_SHARED_CREDENTIALS_FILE=os.devnull,
        )
        endpoint = emulator.endpoint
        command = [sys.executable, str(ROOT / "examples" / "quickstart.py"), "--endpoint", endpoint]
        result = subprocess.run(
            [*command, "--region", emulator.region, "--no-broadcast"],
            capture_output=True,
            text=True,
            timeout=120,
            env=env,
            cwd=ROOT,
        )
    assert result.returncode == 0, result.stderr
    assert f"Using IVS at {endpoint}" in result.stdout
    assert "not live: skipping" in result.stdout
    assert result.stdout.count("deleted ") == 3

"""--state-dir: the emulator's state survives restarts, and a crash mid-write never loses the file."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from ivs_async import Ivs, StaticCredentials
from ivs_async.errors import InternalServerException
from ivs_async.testing import LocalIvs
from tests.emulator.test_lifecycle import serve_from_command_line


async def test_state_survives_a_restart(tmp_path: Path) -> None:
    async with LocalIvs(state_dir=tmp_path) as first, first.aggregated_client() as ivs:
        created = await ivs.create_channel(name="kept", tags={"team": "video"})
        assert created.channel is not None and created.channel.arn
        arn = created.channel.arn
        first.start_stream(arn, viewer_count=7)
        await ivs.put_metadata(channel_arn=arn, metadata="saved")
    async with LocalIvs(state_dir=tmp_path) as second, second.aggregated_client() as ivs:
        channels = (await ivs.list_channels()).channels or []
        assert [(c.name, c.tags) for c in channels] == [("kept", {"team": "video"})]
        stream = (await ivs.get_stream(channel_arn=arn)).stream
        assert stream is not None and stream.viewer_count == 7
        assert [m.payload for m in second.metadata(arn)] == ["saved"]
        second.reset()
    async with LocalIvs(state_dir=tmp_path) as third, third.aggregated_client() as ivs:
        assert (await ivs.list_channels()).channels == []


async def test_a_crash_mid_write_keeps_the_previous_state_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with LocalIvs(state_dir=tmp_path) as emulator, emulator.aggregated_client(max_attempts=1) as ivs:
        await ivs.create_channel(name="before")
        saved = (tmp_path / "state.json").read_text()

        def crash(src: object, dst: object) -> None:
            raise OSError("the machine lost power here")

        monkeypatch.setattr(os, "replace", crash)
        with pytest.raises(InternalServerException, match="could not save its state"):
            await ivs.create_channel(name="lost")
        monkeypatch.undo()
    assert (tmp_path / "state.json").read_text() == saved
    assert json.loads(saved)["format"]
    async with LocalIvs(state_dir=tmp_path) as again, again.aggregated_client() as ivs:
        assert [c.name for c in (await ivs.list_channels()).channels or []] == ["before"]


def test_the_command_line_keeps_state_and_reset_forgets_it(tmp_path: Path) -> None:
    state = tmp_path / "state"

    def run(*extra: str) -> list[str]:
        process, endpoint, lines = serve_from_command_line("--state-dir", str(state), *extra)
        try:
            settings = dict(line.strip().split("=", 1) for line in lines)

            async def names() -> list[str]:
                credentials = StaticCredentials(settings["AWS_ACCESS_KEY_ID"], settings["AWS_SECRET_ACCESS_KEY"])
                async with Ivs(region=settings["AWS_REGION"], endpoint=endpoint, credentials=credentials) as ivs:
                    found = [c.name or "" for c in (await ivs.list_channels()).channels or []]
                    await ivs.create_channel(name=f"run{len(found)}")
                    return found

            return asyncio.run(names())
        finally:
            process.send_signal(signal.SIGINT)
            process.communicate(timeout=20)

    assert run() == []
    assert run() == ["run0"]
    assert sorted(run()) == ["run0", "run1"]
    assert run("--reset") == []


def test_state_dir_of_another_account_is_refused(tmp_path: Path) -> None:
    LocalIvs(state_dir=tmp_path).reset()  # writes an empty state of 123456789012 in us-west-2
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "ivs_async.testing",
            "--port",
            "0",
            "--state-dir",
            str(tmp_path),
            "--region",
            "eu-west-1",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1 and "eu-west-1" in result.stderr

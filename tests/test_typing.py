"""The README's claim that keyword arguments are checked by a type checker (mypy here)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SNIPPET = """
from ivs_async import Ivs
from ivs_async.commands import CreateChannelCommand, GetChannelCommand
from ivs_async.models import ChannelLatencyMode
from ivs_async.playback import create_token


async def use(ivs: Ivs) -> None:
    GetChannelCommand(arn="arn")
    CreateChannelCommand(name="demo", latency_mode=ChannelLatencyMode.LOW)
    out = await ivs.get_channel(arn="arn")
    reveal_type(out)
    GetChannelCommand(arnn="arn")  # error: unknown member
    GetChannelCommand()  # error: required member missing
    CreateChannelCommand(insecure_ingest="yes")  # error: wrong type
    await ivs.list_channels(max_results="5")  # error: wrong type
    create_token("pem", "arn", expires_in=60, viewer_id="v", single_use=True)
    create_token("pem", "arn", expires_in=60, viewer="v")  # error: unknown option
    create_token("pem", "arn")  # error: expires_in missing
"""


def test_mypy_checks_command_and_method_keywords(tmp_path: Path) -> None:
    source = tmp_path / "use_ivs.py"
    source.write_text(SNIPPET)
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", str(source)],
        capture_output=True,
        text=True,
    )
    lines = [line for line in result.stdout.splitlines() if "use_ivs.py" in line]
    errors = {int(line.split(":")[1]) for line in lines if ": error:" in line}
    expected = {n for n, line in enumerate(SNIPPET.splitlines(), start=1) if "# error" in line}
    assert errors == expected, result.stdout
    assert any("GetChannelResponse" in line for line in lines if ": note:" in line), result.stdout

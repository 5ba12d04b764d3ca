"""The README's claim that keyword arguments are checked by a type checker (mypy here)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SNIPPET = """
from ivs_async import Ivs
from ivs_async.commands import CreateChannelCommand, GetChannelCommand
from ivs_async.models import ChannelLatencyMode


async def use(ivs: Ivs) -> None:
    GetChannelCommand(arn="arn")
    CreateChannelCommand(name="demo", latency_mode=ChannelLatencyMode.LOW)
    out = await ivs.get_channel(arn="arn")
    reveal_type(out)
    GetChannelCommand(arnn="arn")  # line 12: unknown member
    GetChannelCommand()  # line 13: required member missing
    CreateChannelCommand(insecure_ingest="yes")  # line 14: wrong type
    await ivs.list_channels(max_results="5")  # line 15: wrong type
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
    assert errors == {12, 13, 14, 15}, result.stdout
    assert any("GetChannelResponse" in line for line in lines if ": note:" in line), result.stdout

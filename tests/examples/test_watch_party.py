"""examples/watch_party.py runs offline against the embedded emulator: chat, moderation, a stage."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_watch_party_runs_against_the_embedded_emulator() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    result = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "watch_party.py")],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Ana sees ana: 'hello from Ana' {'emoji': 'wave'}" in out
    assert "Ana sees bo: 'hi Ana!'" in out
    assert "Bo sees event app:poll {'question': 'Tea?'}" in out
    assert "deleted (off topic)" in out and "Bo sees ana disconnected (time out)" in out
    assert out.count("token for host-") == 2 and "a viewer's token" in out
    assert out.count("deleted room") == 1 and out.count("deleted stage") == 1
    assert "eyJ" not in out  # no participant token (a JWT) is printed
    assert out.rstrip().endswith("Done.")


def test_the_watch_party_is_mypy_strict_clean() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", str(ROOT / "examples" / "watch_party.py")],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stdout

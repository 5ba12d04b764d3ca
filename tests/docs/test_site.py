"""The documentation site builds with `mkdocs build --strict` and shows every operation."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from ivs_async import commands, errors, waiters

ROOT = Path(__file__).resolve().parent.parent.parent


def test_the_site_builds_strictly_with_every_operation(tmp_path: Path) -> None:
    site = tmp_path / "site"
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    pages = {p: (site / "reference" / p / "index.html").read_text() for p in ("commands", "errors", "waiters")}
    for name in commands.__all__:
        if name.endswith("Command") and name != "Command":
            assert f'id="ivs_async.commands.{name}"' in pages["commands"], name
    for name in errors.__all__:
        assert f'id="ivs_async.errors.{name}"' in pages["errors"], name
    for name in waiters.__all__:
        assert f'id="ivs_async.waiters.{name}"' in pages["waiters"], name
    assert "Keyword arguments (the input" in pages["commands"]

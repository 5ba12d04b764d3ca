"""Packages from the npm registry for the tests that run real JavaScript clients (browser players,
the IVS Chat messaging client): installed once into a cache folder. Test-only."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

import pytest


def unavailable(tests: str, reason: str) -> NoReturn:
    """Skip (with the reason) outside CI; fail in CI, where ``tests`` must run."""
    if os.environ.get("CI"):
        pytest.fail(f"{tests} cannot run in CI: {reason}")
    pytest.skip(reason)


def npm_install(folder: Path, packages: Sequence[str], tests: str) -> bool:
    """``packages`` (exact versions) installed into ``folder``; True when installed just now (a
    marker file names what the folder holds, so a later run reuses it)."""
    marker = folder / "installed.json"
    try:
        if json.loads(marker.read_text()) == list(packages):
            return False
    except (OSError, ValueError):
        pass
    npm = shutil.which("npm")
    if npm is None:
        unavailable(tests, "npm is not installed: these tests take their clients from the npm registry")
    folder.mkdir(parents=True, exist_ok=True)
    installed = subprocess.run(
        [npm, "install", "--prefix", str(folder), "--no-audit", "--no-fund", "--loglevel=error", *packages],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if installed.returncode != 0:
        unavailable(tests, f"npm install failed: {installed.stderr[-500:]}")
    marker.write_text(json.dumps(list(packages)))
    return True

"""The documentation site builds with `mkdocs build --strict` and shows every public name."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from ivs_async import commands, credentials, errors, models, waiters

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
    pages = {
        p: (site / "reference" / p / "index.html").read_text()
        for p in ("commands", "credentials", "errors", "models", "waiters")
    }
    # Every command and Params alias, every model (those that load on first use too: the griffe
    # extension in docs/ makes them visible to the reference).
    for name in commands.__all__:
        assert f'id="ivs_async.commands.{name}"' in pages["commands"], name
    for name in models.__all__:
        assert f'id="ivs_async.models.{name}"' in pages["models"], name
    for name in errors.__all__:
        assert f'id="ivs_async.errors.{name}"' in pages["errors"], name
    for name in credentials.__all__:  # the providers load on first use too
        assert f'id="ivs_async.credentials.{name}"' in pages["credentials"], name
    for name in waiters.__all__:
        assert f'id="ivs_async.waiters.{name}"' in pages["waiters"], name
    assert "Keyword arguments (the input" in pages["commands"]

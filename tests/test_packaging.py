"""The wheel and the sdist build offline, pass `twine check`, carry the license and the notice,
and the sdist's own tests import and run from the unpacked sdist."""

from __future__ import annotations

import os
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def dists(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "build", "--no-isolation", "--sdist", "--wheel", "--outdir", str(out), str(ROOT)],
        check=True,
        capture_output=True,
        text=True,
    )
    (wheel,) = out.glob("*.whl")
    (sdist,) = out.glob("*.tar.gz")
    return {"wheel": wheel, "sdist": sdist}


def test_twine_check_passes(dists: dict[str, Path]) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "twine", "check", "--strict", *map(str, dists.values())], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_wheel_carries_the_license_and_notice(dists: dict[str, Path]) -> None:
    with zipfile.ZipFile(dists["wheel"]) as wheel:
        names = wheel.namelist()
        metadata = next(n for n in names if n.endswith(".dist-info/METADATA"))
        text = wheel.read(metadata).decode()
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)
    assert any(n.endswith(".dist-info/licenses/NOTICE") for n in names)
    assert "License-Expression: Apache-2.0" in text
    assert "Classifier: Programming Language :: Python :: 3 :: Only" in text
    assert "Project-URL: Documentation" in text
    assert "ivs_async/py.typed" in names and not any(n.startswith("tests/") for n in names)
    # The IVS Local dashboard's files, hls.js and its license among them.
    for name in ("index.html", "dashboard.js", "dashboard.css", "icon.svg", "hls.light.min.js", "hls.js.LICENSE"):
        assert f"ivs_async/testing/dashboard/{name}" in names, name


def test_the_sdist_tests_run_from_the_unpacked_sdist(dists: dict[str, Path], tmp_path: Path) -> None:
    with tarfile.open(dists["sdist"]) as sdist:
        sdist.extractall(tmp_path, filter="data")
    (root,) = tmp_path.iterdir()
    for required in ("LICENSE", "NOTICE", "pyproject.toml", "examples/fastapi_app/app.py", "tests/conftest.py"):
        assert (root / required).exists(), required
    env = {**os.environ, "PYTHONPATH": str(root)}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/examples", "tests/unit/test_models.py"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "passed" in result.stdout


def test_the_changelog_has_the_released_version_and_one_bullet_per_line() -> None:
    import re

    from ivs_async import __version__

    text = (ROOT / "CHANGELOG.md").read_text()
    assert f"## [{__version__}] - " in text
    glued = [line for line in text.splitlines() if re.search(r"[.)`]- [`A-Z]", line)]
    assert glued == []


@pytest.mark.parametrize("kind", ["wheel", "sdist"])
def test_both_install_and_carry_the_license(dists: dict[str, Path], tmp_path: Path, kind: str) -> None:
    target = tmp_path / "site"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--no-deps",
            "--no-build-isolation",
            "--no-index",
            "--quiet",
            "--target",
            str(target),
            str(dists[kind]),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    (info,) = target.glob("ivs_async-*.dist-info")
    assert (info / "licenses" / "LICENSE").read_text().startswith("\n                                 Apache License")
    assert (info / "licenses" / "NOTICE").exists()
    assert (target / "ivs_async" / "py.typed").exists()
    probe = subprocess.run(
        [
            sys.executable,
            "-c",
            "import ivs_async; print(ivs_async.__file__, ivs_async.__version__); "
            "from ivs_async.testing._dashboard import StaticFiles; "
            "print(len(StaticFiles()._read('hls.light.min.js')[0]))",
        ],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(target)},
        capture_output=True,
        text=True,
    )
    assert str(target) in probe.stdout, probe.stdout + probe.stderr
    assert int(probe.stdout.split()[-1]) > 100_000  # the dashboard's player, read from the installed package

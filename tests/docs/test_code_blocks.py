"""Every Python code block of README.md and docs/ is a program that passes mypy --strict and runs.

Each block runs as a script of its own against an emulator, with the environment a user would
have set (region, credentials, endpoint) and a playback key in its working directory. A block
that is not meant to run must say so with ``<!-- not tested: reason -->`` on the line before.
"""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from ivs_async.commands import ImportPlaybackKeyPairCommand
from ivs_async.testing import LocalIvs

ROOT = Path(__file__).resolve().parent.parent.parent
SOURCES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
_BLOCK = re.compile(r"(?P<before>[^\n]*)\n```python\n(?P<code>.*?)\n```", re.S)


def blocks() -> list[tuple[str, str]]:
    found = []
    for source in SOURCES:
        text = source.read_text()
        for match in _BLOCK.finditer(text):
            if "not tested:" in match.group("before"):
                continue
            line = text[: match.start("code")].count("\n") + 1
            found.append((f"{source.relative_to(ROOT)}:{line}", match.group("code")))
    return found


BLOCKS = blocks()


def test_there_are_blocks_to_check() -> None:
    assert len(BLOCKS) >= 6


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("blocks")
    paths = {}
    for n, (where, code) in enumerate(BLOCKS):
        path = folder / f"block_{n}.py"
        path.write_text(f"# {where}\n{code}\n")
        paths[where] = path
    return paths


def test_every_block_passes_mypy_strict(written: dict[str, Path]) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", *map(str, written.values())],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.fixture(scope="module")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LocalIvs, Path]]:
    workdir = tmp_path_factory.mktemp("run")
    key = ec.generate_private_key(ec.SECP384R1())
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    (workdir / "playback-key.pem").write_bytes(pem)
    with LocalIvs() as ivs:
        public = key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )

        async def import_key() -> None:
            async with ivs.client() as client:
                await client.send(ImportPlaybackKeyPairCommand(public_key_material=public.decode()))

        asyncio.run(import_key())
        yield ivs, workdir


@pytest.mark.parametrize("where", [w for w, _ in BLOCKS])
def test_every_block_runs(where: str, written: dict[str, Path], emulator: tuple[LocalIvs, Path]) -> None:
    ivs, workdir = emulator
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        AWS_REGION=ivs.region,
        AWS_ACCESS_KEY_ID=ivs.credentials.access_key_id,
        AWS_SECRET_ACCESS_KEY=ivs.credentials.secret_access_key,
        AWS_ENDPOINT_URL_IVS=ivs.endpoint,
        AWS_EC2_METADATA_DISABLED="true",
        AWS_CONFIG_FILE=str(workdir / "none"),
        AWS_SHARED_CREDENTIALS_FILE=str(workdir / "none"),
    )
    result = subprocess.run(
        [sys.executable, str(written[where])], capture_output=True, text=True, cwd=workdir, env=env, timeout=120
    )
    assert result.returncode == 0, f"{where}\n{result.stdout}\n{result.stderr}"

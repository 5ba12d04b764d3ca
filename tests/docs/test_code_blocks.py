"""Every Python code block of README.md and docs/ is a program that passes mypy --strict and runs,
and every shell block of docs/ runs.

Each block runs as a script of its own against an emulator, with the environment a user would
have set (region, credentials, and the endpoints of IVS, IVS Chat and IVS Real-Time, which the
emulator serves together). Python blocks share one emulator and one working directory, which holds
a playback key (`playback-key.pem`, its public half imported) and the public half of another
(`playback-public.pem`, not imported), as the guides' examples expect. Shell blocks (`sh`, run by
bash with -euo pipefail) get an emulator and an empty folder each. A block that is not meant to
run (a server that runs until Ctrl-C, an illustration, a file of another language) must say so
with `<!-- not tested: reason -->` on the line before: every block of docs/ either runs or says why
not.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from ivs_async.commands import ImportPlaybackKeyPairCommand
from ivs_async.testing import LocalIvs, Quotas

ROOT = Path(__file__).resolve().parent.parent.parent
DOCS = sorted((ROOT / "docs").rglob("*.md"))
SOURCES = [ROOT / "README.md", *DOCS]
_BLOCK = re.compile(r"(?P<before>[^\n]*)\n```python\n(?P<code>.*?)\n```", re.S)
# Any fenced block that starts a line: its language, and the line before (where a marker goes).
_FENCED = re.compile(r"(?P<before>[^\n]*)\n```(?P<language>[^\n`]*)\n(?P<code>.*?)\n```", re.S)
_NOT_TESTED = re.compile(r"<!-- not tested: \S[^>]*-->")
RUN = ("python", "sh")


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


def fenced(sources: list[Path]) -> list[tuple[str, str, str, bool]]:
    """(where, language, code, marked not tested) of every fenced block."""
    found = []
    for source in sources:
        text = source.read_text()
        for match in _FENCED.finditer(text):
            line = text[: match.start("code")].count("\n") + 1
            marked = _NOT_TESTED.search(match.group("before")) is not None
            found.append((f"{source.relative_to(ROOT)}:{line}", match.group("language"), match.group("code"), marked))
    return found


SHELL_BLOCKS = [(where, code) for where, language, code, marked in fenced(DOCS) if language == "sh" and not marked]


def test_there_are_blocks_to_check() -> None:
    assert len(BLOCKS) >= 6
    assert len(SHELL_BLOCKS) >= 2


def test_every_block_of_the_docs_runs_or_says_why_not() -> None:
    blocks = fenced(DOCS)
    assert len(blocks) >= 20
    unaccounted = [where for where, language, _, marked in blocks if language not in RUN and not marked]
    assert not unaccounted, f"run them (python, sh) or mark them <!-- not tested: reason -->: {unaccounted}"
    # A marker names its reason, and stands right before its block: one on any other line is a mistake.
    for source in DOCS:
        lines = source.read_text().splitlines()
        for n, line in enumerate(lines):
            if "not tested" in line:
                assert _NOT_TESTED.fullmatch(line.strip()), f"{source.name}:{n + 1}: {line}"
                assert n + 1 < len(lines) and lines[n + 1].startswith("```"), f"{source.name}:{n + 1}"


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
    other = ec.generate_private_key(ec.SECP384R1()).public_key()
    (workdir / "playback-public.pem").write_bytes(public_pem(other))
    # Guides import key pairs of their own: room for them beside this one.
    with LocalIvs(quotas=Quotas(playback_key_pairs=10)) as ivs:

        async def import_key() -> None:
            async with ivs.client() as client:
                await client.send(
                    ImportPlaybackKeyPairCommand(public_key_material=public_pem(key.public_key()).decode())
                )

        asyncio.run(import_key())
        yield ivs, workdir


def public_pem(key: ec.EllipticCurvePublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def environment(ivs: LocalIvs, workdir: Path) -> dict[str, str]:
    """What a user who configured a client for the emulator has: its endpoint, region and keys."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        AWS_REGION=ivs.region,
        AWS_DEFAULT_REGION=ivs.region,
        AWS_ACCESS_KEY_ID=ivs.credentials.access_key_id,
        AWS_SECRET_ACCESS_KEY=ivs.credentials.secret_access_key,
        AWS_ENDPOINT_URL_IVS=ivs.endpoint,
        AWS_ENDPOINT_URL_IVSCHAT=ivs.endpoint,
        AWS_ENDPOINT_URL_IVS_REALTIME=ivs.endpoint,
        AWS_EC2_METADATA_DISABLED="true",
        AWS_CONFIG_FILE=str(workdir / "none"),
        AWS_SHARED_CREDENTIALS_FILE=str(workdir / "none"),
    )
    return env


@pytest.mark.parametrize("where", [w for w, _ in BLOCKS])
def test_every_block_runs(where: str, written: dict[str, Path], emulator: tuple[LocalIvs, Path]) -> None:
    ivs, workdir = emulator
    result = subprocess.run(
        [sys.executable, str(written[where])],
        capture_output=True,
        text=True,
        cwd=workdir,
        env=environment(ivs, workdir),
        timeout=120,
    )
    assert result.returncode == 0, f"{where}\n{result.stdout}\n{result.stderr}"


def run_shell(code: str, workdir: Path) -> subprocess.CompletedProcess[str]:
    """A shell block as a user runs it, against an emulator of its own, in ``workdir``."""
    for tool in ("curl", "openssl", "aws", "ffmpeg", "docker"):
        if re.search(rf"(^|[\s(|$]){tool}\s", code, re.M) and shutil.which(tool) is None:
            pytest.skip(f"{tool} is not installed on this machine")
    with LocalIvs() as ivs:
        return subprocess.run(
            ["bash", "-euo", "pipefail", "-c", code],
            capture_output=True,
            text=True,
            cwd=workdir,
            env=environment(ivs, workdir),
            timeout=120,
        )


@pytest.mark.parametrize("where", [w for w, _ in SHELL_BLOCKS])
def test_every_shell_block_runs(where: str, tmp_path: Path) -> None:
    code = dict(SHELL_BLOCKS)[where]
    result = run_shell(code, tmp_path)
    assert result.returncode == 0, f"{where}\n{result.stdout}\n{result.stderr}"

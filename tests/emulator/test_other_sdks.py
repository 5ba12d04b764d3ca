"""The README's recipes for other clients, run as written against a standalone emulator: the AWS
CLI (v1, which reads AWS_DEFAULT_REGION) and the JavaScript SDK v3 (installed from npm)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from ivs_async.testing import LocalIvs

ROOT = Path(__file__).resolve().parent.parent.parent


def recipe(name: str, language: str) -> str:
    text = (ROOT / "README.md").read_text()
    match = re.search(rf"<!-- recipe: {re.escape(name)}.*?-->\s*```{language}\n(.*?)```", text, re.S)
    assert match is not None, f"no {name} recipe in the README"
    return "\n".join(line.removeprefix("  ") for line in match.group(1).splitlines())


@pytest.fixture(scope="module")
def emulator() -> Iterator[LocalIvs]:
    with LocalIvs() as ivs:
        yield ivs


def environment(ivs: LocalIvs, tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        AWS_ENDPOINT_URL_IVS=ivs.endpoint,
        AWS_REGION=ivs.region,
        AWS_DEFAULT_REGION=ivs.region,
        AWS_ACCESS_KEY_ID=ivs.credentials.access_key_id,
        AWS_SECRET_ACCESS_KEY=ivs.credentials.secret_access_key,
        AWS_CONFIG_FILE=str(tmp_path / "none"),
        AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "none"),
        AWS_EC2_METADATA_DISABLED="true",
    )
    return env


def test_the_aws_cli_recipe(emulator: LocalIvs, tmp_path: Path) -> None:
    if shutil.which("aws") is None:
        pytest.skip("the AWS CLI is not installed on this machine")
    result = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", recipe("aws-cli", "sh")],
        env=environment(emulator, tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    documents, text = [], result.stdout.strip()
    while text:  # each command prints one JSON document
        document, end = json.JSONDecoder().raw_decode(text)
        documents.append(document)
        text = text[end:].strip()
    created, names = documents
    assert created["channel"]["name"] == "from-cli" and names == ["from-cli"]


def test_the_js_sdk_v3_recipe(emulator: LocalIvs, tmp_path: Path) -> None:
    if shutil.which("node") is None or shutil.which("npm") is None:
        pytest.skip("Node.js and npm are not installed on this machine")
    install = subprocess.run(
        ["npm", "install", "--silent", "--no-audit", "--no-fund", "@aws-sdk/client-ivs@3"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert install.returncode == 0, install.stderr
    script = tmp_path / "recipe.mjs"
    script.write_text(recipe("js-sdk-v3", "js"))
    result = subprocess.run(
        ["node", str(script)], env=environment(emulator, tmp_path), capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["names"] == ["from-js"] and out["arn"].startswith("arn:aws:ivs:")

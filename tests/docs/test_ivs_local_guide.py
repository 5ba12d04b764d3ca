"""docs/guides/ivs-local.md describes the ivs-local that exists: every option and no other, every
control route and no other, its environment variables, the banner it prints, the Docker image's
ports; and the playback guide's openssl key pair imports and signs."""

from __future__ import annotations

import asyncio
import json
import re
import signal
import subprocess
import sys
from pathlib import Path

import jwt
import pytest

from ivs_async.commands import ImportPlaybackKeyPairCommand
from ivs_async.playback import PlaybackSigner
from ivs_async.testing import LocalIvs
from ivs_async.testing._cli import _parser
from ivs_async.testing._control import ControlApi
from tests.docs.test_code_blocks import DOCS, fenced, run_shell

ROOT = Path(__file__).resolve().parent.parent.parent
GUIDE = ROOT / "docs" / "guides" / "ivs-local.md"


def section(text: str, heading: str) -> str:
    match = re.search(rf"^## {re.escape(heading)}\n(.*?)(?=^## |\Z)", text, re.M | re.S)
    assert match is not None, heading
    return match.group(1)


def test_the_options_table_lists_every_option_and_no_other() -> None:
    table = section(GUIDE.read_text(), "Options")
    documented = set(re.findall(r"^\| `(--[a-z-]+)", table, re.M))
    options = {o for action in _parser()._actions for o in action.option_strings if o.startswith("--")}
    assert documented == options - {"--help"}


def test_every_option_the_guide_names_exists() -> None:
    options = {o for action in _parser()._actions for o in action.option_strings}
    text = GUIDE.read_text()
    named = set(re.findall(r"`(--[a-z-]+)", text)) | set(re.findall(r"ivs-local (--[a-z-]+)", text))
    assert named, "the guide names no option"
    assert named <= options, named - options


def test_the_control_api_table_lists_every_route_and_no_other() -> None:
    with LocalIvs() as ivs:
        routes = {f"{method} /_ivs_local/{path}" for method, path in ControlApi(ivs, body_timeout=10)._routes}
    documented = set(re.findall(r"^\| `((?:GET|POST|DELETE) /_ivs_local/[a-z/-]+)`", GUIDE.read_text(), re.M))
    assert documented == routes


def test_the_environment_variables_are_those_the_code_reads() -> None:
    code = "".join(p.read_text() for p in (ROOT / "ivs_async" / "testing").rglob("*.py"))
    documented = set(re.findall(r"IVS_LOCAL_[A-Z_]+", GUIDE.read_text()))
    assert documented == set(re.findall(r"IVS_LOCAL_[A-Z_]+", code))


def test_the_docker_run_line_publishes_every_port_the_image_exposes() -> None:
    expose = re.search(r"^EXPOSE (.+)$", (ROOT / "Dockerfile").read_text(), re.M)
    assert expose is not None
    exposed = set(expose.group(1).split())
    docker = section(GUIDE.read_text(), "Docker")
    published = set(re.findall(r"-p (\d+):\1", docker))
    assert published == exposed
    assert "-v ivs-state:/data" in docker
    # What the image runs, as the guide tells it: each option's value is named.
    entry = re.search(r"^ENTRYPOINT (.+)$", (ROOT / "Dockerfile").read_text(), re.M)
    assert entry is not None
    command = json.loads(entry.group(1))
    assert command[0] == "ivs-local"
    for option, value in zip(command[1::2], command[2::2], strict=True):
        assert value in docker, option
    assert "`--state-dir /data`" in docker


def test_the_banner_in_the_guide_is_what_ivs_local_prints(tmp_path: Path) -> None:
    shown = next(code for _, language, code, _ in fenced([GUIDE]) if language == "text" and "LocalIvs serving" in code)
    command = next(code for _, language, code, _ in fenced([GUIDE]) if language == "sh" and "ivs-local --" in code)
    arguments = re.search(r"ivs-local (.*)", command.replace("\\\n", " "), re.S)
    assert arguments is not None
    # The same command, on free ports and in a folder of its own.
    argv = [str(tmp_path / a[2:]) if a.startswith("./") else a for a in arguments.group(1).split()]
    process = subprocess.Popen(
        [sys.executable, "-m", "ivs_async.testing", *argv, "--port", "0", "--rtmp-port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    try:
        printed = []
        while not printed or printed[-1] != "Ctrl-C stops it.":
            line = process.stdout.readline()
            assert line, process.stderr.read() if process.stderr else ""
            printed.append(line.rstrip("\n"))
    finally:
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=30)

    def ports(lines: list[str]) -> list[str]:
        return [re.sub(r"(127\.0\.0\.1):\d+", r"\1:PORT", line) for line in lines]

    assert ports(printed) == ports(shown.splitlines())


def test_the_openssl_key_pair_of_the_playback_guide_imports_and_signs(tmp_path: Path) -> None:
    guide = ROOT / "docs" / "guides" / "playback.md"
    block = next(code for _, language, code, _ in fenced([guide]) if language == "sh" and "openssl" in code)
    result = run_shell(block, tmp_path)
    assert result.returncode == 0, result.stderr
    private, public = tmp_path / "playback-private.pem", tmp_path / "playback-public.pem"
    assert private.stat().st_mode & 0o077 == 0, oct(private.stat().st_mode)  # the private key is the owner's
    with LocalIvs() as ivs:

        async def import_key() -> str | None:
            async with ivs.client() as client:
                out = await client.send(ImportPlaybackKeyPairCommand(public_key_material=public.read_text()))
            return out.key_pair.fingerprint if out.key_pair else None

        assert asyncio.run(import_key())
    arn = "arn:aws:ivs:us-west-2:123456789012:channel/abcdEFGH1234"
    token = PlaybackSigner(private.read_text()).create_token(arn, expires_in=60)
    claims = jwt.decode(token, public.read_text(), algorithms=["ES384"])
    assert claims["aws:channel-arn"] == arn


def test_the_guides_code_blocks_are_found() -> None:
    assert GUIDE in DOCS
    languages = [language for _, language, _, _ in fenced([GUIDE])]
    assert languages.count("python") >= 3 and languages.count("sh") >= 3


@pytest.mark.parametrize("flag", ["--state-dir", "--recordings-dir", "--events-url", "--advertise-host"])
def test_the_guide_explains_the_main_options(flag: str) -> None:
    assert f"`{flag}" in GUIDE.read_text()

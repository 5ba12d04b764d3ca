"""``credential_process``: an external command that prints credentials as JSON (Version 1)."""

from __future__ import annotations

import asyncio
import json
import shlex

from ivs_async.credentials._base import CredentialRefreshError, Credentials, credentials_from

_TIMEOUT = 60.0


async def run_credential_process(command: str, *, name: str) -> Credentials:
    """Run ``command`` (without a shell) and read its JSON output."""
    try:
        argv = shlex.split(command)
    except ValueError as exc:
        raise CredentialRefreshError(name, f"cannot parse credential_process: {exc}") from None
    if not argv:
        raise CredentialRefreshError(name, "credential_process is empty")
    try:
        process = await asyncio.create_subprocess_exec(
            *argv, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, stdin=asyncio.subprocess.DEVNULL
        )
    except OSError as exc:
        raise CredentialRefreshError(name, f"cannot run {argv[0]!r}: {exc.strerror or exc}") from None
    try:
        out, err = await asyncio.wait_for(process.communicate(), _TIMEOUT)
    except TimeoutError:
        process.kill()
        await process.wait()
        raise CredentialRefreshError(name, f"{argv[0]!r} did not finish within {_TIMEOUT:.0f} s") from None
    if process.returncode != 0:
        # stderr is the command's own diagnostics; its output (which may hold keys) is never shown.
        first = err.decode("utf-8", "replace").strip().splitlines()[:1]
        detail = f": {first[0][:200]}" if first else ""
        raise CredentialRefreshError(name, f"{argv[0]!r} exited with status {process.returncode}{detail}")
    try:
        data = json.loads(out)
    except ValueError:
        raise CredentialRefreshError(name, f"{argv[0]!r} did not print JSON") from None
    if not isinstance(data, dict) or data.get("Version") != 1:
        raise CredentialRefreshError(name, f'{argv[0]!r} must print a JSON object with "Version": 1')
    try:
        return credentials_from(
            data, key="AccessKeyId", secret="SecretAccessKey", token="SessionToken", expiration="Expiration"
        )
    except ValueError as exc:
        raise CredentialRefreshError(name, f"{argv[0]!r} output: {exc}") from None

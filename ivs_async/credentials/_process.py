"""``credential_process``: an external command that prints credentials as JSON (Version 1).

The command runs in a process group of its own, so that when the fetch ends early (its time
limit, a cancelled refresh, a closed client, the event loop shutting down) the whole group is
killed, including children that still hold its stdout open.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shlex
import signal

from ivs_async.credentials._base import (
    MAX_DOCUMENT_BYTES,
    CredentialRefreshError,
    Credentials,
    credentials_from,
    json_document,
)

TIMEOUT = 60.0
_MAX_STDERR_BYTES = 64 * 1024  # only its first line is shown


async def run_credential_process(command: str, *, name: str, timeout: float = TIMEOUT) -> Credentials:  # noqa: ASYNC109
    """Run ``command`` (without a shell) and read its JSON output."""
    try:
        argv = shlex.split(command)
    except ValueError as exc:
        raise CredentialRefreshError(name, f"cannot parse credential_process: {exc}") from None
    if not argv:
        raise CredentialRefreshError(name, "credential_process is empty")
    program = os.path.basename(argv[0])
    try:
        process = await asyncio.create_subprocess_exec(
            *argv,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            stdin=asyncio.subprocess.DEVNULL,
            start_new_session=True,  # its own process group: killed whole
        )
    except OSError as exc:
        raise CredentialRefreshError(name, f"cannot run {program!r}: {exc.strerror or exc}") from None
    try:
        async with asyncio.timeout(timeout):
            out, err = await asyncio.gather(
                _read_bounded(process.stdout, MAX_DOCUMENT_BYTES), _read_head(process.stderr, _MAX_STDERR_BYTES)
            )
            if out is None:
                raise CredentialRefreshError(name, f"{program!r} printed more than {MAX_DOCUMENT_BYTES} bytes")
            await process.wait()
    except TimeoutError:
        raise CredentialRefreshError(name, f"{program!r} did not finish within {timeout:g} s") from None
    finally:
        if process.returncode is None:
            _kill_group(process)
            # Reap it; bounded, since this may run while the event loop shuts down.
            with contextlib.suppress(Exception, asyncio.CancelledError):
                await asyncio.wait_for(asyncio.shield(process.wait()), 1.0)
    if process.returncode != 0:
        # stderr is the command's own diagnostics; its output (which may hold keys) is never shown.
        first = (err or b"").decode("utf-8", "replace").strip().splitlines()[:1]
        detail = f": {first[0][:200]}" if first else ""
        raise CredentialRefreshError(name, f"{program!r} exited with status {process.returncode}{detail}")
    try:
        data = json_document(out)
    except ValueError as exc:
        raise CredentialRefreshError(name, f"{program!r} output: {exc}") from None
    if data.get("Version") != 1:
        raise CredentialRefreshError(name, f'{program!r} must print a JSON object with "Version": 1')
    try:
        return credentials_from(
            data, key="AccessKeyId", secret="SecretAccessKey", token="SessionToken", expiration="Expiration"
        )
    except ValueError as exc:
        raise CredentialRefreshError(name, f"{program!r} output: {exc}") from None


async def _read_bounded(stream: asyncio.StreamReader | None, limit: int) -> bytes | None:
    """Everything ``stream`` says up to EOF, or None once it passes ``limit`` bytes."""
    if stream is None:
        return b""
    chunks = []
    size = 0
    while chunk := await stream.read(65536):
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


async def _read_head(stream: asyncio.StreamReader | None, limit: int) -> bytes:
    """The first ``limit`` bytes of ``stream``; the rest is read and dropped, so the child never
    blocks on a full pipe."""
    head = b""
    if stream is not None:
        while chunk := await stream.read(65536):
            if len(head) < limit:
                head += chunk[: limit - len(head)]
    return head


def _kill_group(process: asyncio.subprocess.Process) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        with contextlib.suppress(ProcessLookupError):
            process.kill()

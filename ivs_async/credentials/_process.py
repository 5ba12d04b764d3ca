"""``credential_process``: an external command that prints credentials as JSON (Version 1).

The command runs in a process group of its own, killed whole once the fetch ends, however it
ends: success, its time limit, a failure, a cancelled refresh, a closed client, the event loop
shutting down. Its output is complete when the command (the group's leader) exits; a child it
left behind may hold stdout open for ever, so the fetch waits for the leader's exit, not for the
end of its pipes.

It is started with ``subprocess.Popen`` and its pipes are read with ``add_reader``, rather than
through asyncio's subprocess transport: that one is cancellable between the start and the pipes
being connected, and then kills the leader alone (and waits for pipes a child still holds), so
the group would survive a refresh cancelled at that moment.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shlex
import signal
import subprocess

from ivs_async.credentials._base import (
    MAX_DOCUMENT_BYTES,
    CredentialRefreshError,
    Credentials,
    credentials_from,
    json_document,
)

TIMEOUT = 60.0
_MAX_STDERR_BYTES = 64 * 1024  # only its first line is shown
# After the leader exits and its group is killed, the pipes close at once, unless a process that
# left the group (a daemon in a session of its own) still holds them: how long their end is awaited.
_PIPES_GRACE = 0.5
# Whether the leader has exited is asked at these intervals (1 ms, doubling to 100 ms): there is no
# portable way to be told, and asyncio's child watchers are on their way out.
_FIRST_POLL, _LAST_POLL = 0.001, 0.1
_REAP_WITHIN = 1.0


class _Output:
    """The command's stdout (up to ``MAX_DOCUMENT_BYTES``) and the head of its stderr, read as they
    come; what is over is read and dropped, so the command never blocks on a full pipe."""

    def __init__(self, loop: asyncio.AbstractEventLoop, stdout: int, stderr: int) -> None:
        self.stdout = bytearray()
        self.stderr = bytearray()
        self.too_much = loop.create_future()  # stdout passed MAX_DOCUMENT_BYTES
        self.closed = loop.create_future()  # both pipes reached their end
        self._loop = loop
        self._out = stdout
        self._open: set[int] = set()
        for fd in (stdout, stderr):
            os.set_blocking(fd, False)
            loop.add_reader(fd, self._readable, fd)
            self._open.add(fd)

    def _readable(self, fd: int) -> None:
        try:
            data = os.read(fd, 65536)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if not data:
            self._close(fd)
        elif fd == self._out:
            if self.too_much.done():
                return
            if len(self.stdout) + len(data) > MAX_DOCUMENT_BYTES:
                self.too_much.set_result(None)
            else:
                self.stdout += data
        elif len(self.stderr) < _MAX_STDERR_BYTES:
            self.stderr += data[: _MAX_STDERR_BYTES - len(self.stderr)]

    def _close(self, fd: int) -> None:
        self._loop.remove_reader(fd)
        os.close(fd)
        self._open.discard(fd)
        if not self._open and not self.closed.done():
            self.closed.set_result(None)

    def close(self) -> None:
        """Stop reading: our ends of the pipes, even while a process outside the group holds theirs."""
        for fd in list(self._open):
            self._close(fd)


async def run_credential_process(command: str, *, name: str, timeout: float = TIMEOUT) -> Credentials:  # noqa: ASYNC109
    """Run ``command`` (without a shell) and read its JSON output."""
    try:
        argv = shlex.split(command)
    except ValueError as exc:
        raise CredentialRefreshError(name, f"cannot parse credential_process: {exc}") from None
    if not argv:
        raise CredentialRefreshError(name, "credential_process is empty")
    program = os.path.basename(argv[0])
    loop = asyncio.get_running_loop()
    stdout, stdout_end = os.pipe()
    stderr, stderr_end = os.pipe()
    try:
        # Blocks for the fork and exec only, as asyncio's own subprocess_exec does.
        process = subprocess.Popen(  # noqa: ASYNC220
            argv,
            stdin=subprocess.DEVNULL,
            stdout=stdout_end,
            stderr=stderr_end,
            start_new_session=True,  # its own process group: killed whole
        )
    except OSError as exc:
        os.close(stdout)
        os.close(stderr)
        raise CredentialRefreshError(name, f"cannot run {program!r}: {exc.strerror or exc}") from None
    finally:
        os.close(stdout_end)  # the command holds these now
        os.close(stderr_end)
    # From here on there is no await outside this try: whatever ends the fetch, the group is killed.
    output = _Output(loop, stdout, stderr)
    too_much = f"{program!r} printed more than {MAX_DOCUMENT_BYTES} bytes"
    try:
        async with asyncio.timeout(timeout):
            await _leader_exit(process, output)
            if output.too_much.done():
                raise CredentialRefreshError(name, too_much)
            # The leader has exited, so all it printed is in the pipes. Kill what it left behind
            # (whose copies of the pipes keep them open), then take what is left in them.
            _kill_group(process)
            await asyncio.wait(
                (output.closed, output.too_much), timeout=_PIPES_GRACE, return_when=asyncio.FIRST_COMPLETED
            )
            if output.too_much.done():
                raise CredentialRefreshError(name, too_much)
    except TimeoutError:
        raise CredentialRefreshError(name, f"{program!r} did not finish within {timeout:g} s") from None
    finally:
        _kill_group(process)  # on every path; a group already gone is fine
        output.close()
        # Reap the leader; bounded, since this may run while the event loop shuts down.
        with contextlib.suppress(Exception, asyncio.CancelledError):
            await asyncio.wait_for(_leader_exit(process, None), _REAP_WITHIN)
    if process.returncode != 0:
        # stderr is the command's own diagnostics; its output (which may hold keys) is never shown.
        first = bytes(output.stderr).decode("utf-8", "replace").strip().splitlines()[:1]
        detail = f": {first[0][:200]}" if first else ""
        raise CredentialRefreshError(name, f"{program!r} exited with status {process.returncode}{detail}")
    try:
        data = json_document(bytes(output.stdout))
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


async def _leader_exit(process: subprocess.Popen[bytes], output: _Output | None) -> None:
    """Return once the leader has exited (and is reaped), or stdout has passed its bound."""
    delay = _FIRST_POLL
    while process.poll() is None:
        if output is not None and output.too_much.done():
            return
        if output is None or output.closed.done():
            await asyncio.sleep(delay)
        else:
            await asyncio.wait((output.closed, output.too_much), timeout=delay, return_when=asyncio.FIRST_COMPLETED)
            if output.closed.done() or output.too_much.done():  # the leader is exiting, or is to be killed
                delay = _FIRST_POLL
                continue
        delay = min(delay * 2, _LAST_POLL)


def _kill_group(process: subprocess.Popen[bytes]) -> None:
    # The group outlives its leader while any member lives, and its id stays the leader's pid.
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        if process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                process.kill()

"""The emulator's state on disk (``ivs-local --state-dir``): one JSON file, and the rules that keep
it whole, private and cheap.

- A change is written before it is acknowledged: an API request that changed the state is answered
  once the state that holds it is on disk. A burst of changes is one write.
- A write goes to a new temporary file (``O_EXCL | O_NOFOLLOW``, mode 0600), is flushed to disk and
  renamed over ``state.json``: a crash mid-write leaves the previous state whole.
- A write that fails (a full disk) puts the state back as it was last written, and every change
  since is answered as failed (a transient IVS error): a retry cannot apply it twice.
- The file is read within a size bound, and only if it is a regular file (no symlink, no device).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import stat
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

_log = logging.getLogger("ivs_async.testing")
STATE_FILE = "state.json"
_TEMPORARY = ".state-"  # the prefix of a write in progress (random names: nothing to predict)
_COALESCE = 0.05  # seconds a write waits for more changes


class StateTooLarge(Exception):
    """The state is larger than the emulator keeps."""


def read_bounded(file: Path, max_bytes: int, *, follow: bool = True) -> str:
    """The UTF-8 text of a regular ``file`` of at most ``max_bytes``: ValueError for anything else
    (a device, a FIFO, /dev/zero, a symlink unless ``follow``, too large, not UTF-8);
    FileNotFoundError when there is none."""
    flags = os.O_RDONLY | os.O_NONBLOCK | (0 if follow else getattr(os, "O_NOFOLLOW", 0))
    try:
        descriptor = os.open(file, flags)
    except FileNotFoundError:
        raise
    except OSError as exc:
        raise ValueError(f"{file} cannot be read as a state ({exc.strerror or exc})") from None
    with os.fdopen(descriptor, "rb") as source:
        if not stat.S_ISREG(os.fstat(source.fileno()).st_mode):
            raise ValueError(f"{file} is not a regular file")
        data = source.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise ValueError(f"{file} is larger than {max_bytes} bytes")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise ValueError(f"{file} is not UTF-8 text") from None


class StateDir:
    """Where one emulator keeps its state between runs."""

    def __init__(self, path: Path | str, *, max_bytes: int) -> None:
        self.path = Path(path)
        self.path.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.file = self.path / STATE_FILE
        self.max_bytes = max_bytes

    def read(self) -> str | None:
        """The saved state, or None when there is none yet. ValueError for a file that cannot be
        a state: a symlink, not a regular file, too large, not UTF-8."""
        try:
            return read_bounded(self.file, self.max_bytes, follow=False)
        except FileNotFoundError:
            return None

    def write(self, state: str) -> None:
        """Replace the saved state with ``state``, whole (OSError: it was not written)."""
        descriptor, temporary = tempfile.mkstemp(dir=self.path, prefix=_TEMPORARY, suffix=".tmp")  # 0600, O_EXCL
        try:
            with os.fdopen(descriptor, "w", encoding="utf-8") as out:
                out.write(state)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temporary, self.file)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            raise
        # The rename itself must reach the disk too (where the platform lets a folder be synced).
        with contextlib.suppress(OSError):
            folder = os.open(self.path, os.O_RDONLY)
            try:
                os.fsync(folder)
            finally:
                os.close(folder)

    def remove_leftovers(self) -> None:
        """Temporary files of writes a crash interrupted."""
        for leftover in self.path.glob(f"{_TEMPORARY}*.tmp"):
            with contextlib.suppress(OSError):
                leftover.unlink()

    def clear(self) -> None:
        self.file.unlink(missing_ok=True)


class Persister:
    """Writes the state after changes: coalesced, acknowledged once durable, rolled back on failure.

    ``changed()`` may be called from any thread; ``commit()`` is awaited on the emulator's loop by
    the API request that made the change.
    """

    def __init__(
        self,
        state_dir: StateDir,
        *,
        snapshot: Callable[[], str],
        restore: Callable[[str], None],
        written: str,
    ) -> None:
        self._dir = state_dir
        self._snapshot = snapshot
        self._restore = restore
        self._durable = written  # the state as it is on disk
        self._lock = threading.Lock()
        self._generation = 0  # changes made so far
        self._written = 0  # changes on disk (or rolled back)
        self._waiters: list[tuple[int, asyncio.Future[None]]] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[None] | None = None
        self._pause = _COALESCE
        self.failures = 0

    def start(self) -> None:
        """Writes happen on the running loop from now on (before, each change is written at once)."""
        self._loop = asyncio.get_running_loop()

    async def stop(self) -> None:
        """Write what is pending, then write at once again (the loop goes away)."""
        task = self._task
        if task is not None:
            with contextlib.suppress(Exception):
                await task
        if self._written < self._generation:
            await self._flush_once()
        self._loop = None

    def changed(self) -> int:
        """One more change to write (from any thread); its generation."""
        with self._lock:
            self._generation += 1
            generation = self._generation
        loop = self._loop
        if loop is None or loop.is_closed():
            self._write_now()
        else:
            loop.call_soon_threadsafe(self._schedule)
        return generation

    async def commit(self) -> None:
        """One more change (an API request's, on the loop), returning once it is on disk; raising
        (OSError, StateTooLarge) when the write that held it failed and the change was undone."""
        generation = self.changed()
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append((generation, future))
        self._schedule()
        await future

    def _schedule(self) -> None:
        if self._task is None and self._written < self._generation:
            self._task = asyncio.get_running_loop().create_task(self._flush())

    async def _flush(self) -> None:
        try:
            while self._written < self._generation:
                await asyncio.sleep(self._pause)
                started = time.monotonic()
                await self._flush_once()
                # A large state takes long to write: at most a third of the time goes to writing it.
                self._pause = max(_COALESCE, 2 * (time.monotonic() - started))
        finally:
            self._task = None

    async def _flush_once(self) -> None:
        with self._lock:
            target = self._generation
        try:
            text = await asyncio.to_thread(self._snapshot)
            if len(text.encode()) > self._dir.max_bytes:
                raise StateTooLarge(f"the emulator's state is limited to {self._dir.max_bytes} bytes")
            await asyncio.to_thread(self._dir.write, text)
        except (OSError, StateTooLarge) as exc:
            self._roll_back(exc)
            return
        self._durable = text
        self._settle(target, None)

    def _roll_back(self, exc: Exception) -> None:
        """The write failed: every change since the last write is undone, and told so."""
        try:
            self._restore(self._durable)
        except ValueError as problem:  # what it wrote itself: never expected
            _log.error("ivs-local could not undo the changes it could not save: %s", problem)
        with self._lock:
            through = self._generation  # changes made while writing are undone as well
        self.failures += 1
        _log.warning("ivs-local could not save its state (%s): the last changes were undone", _reason(exc))
        self._settle(through, exc)

    def _settle(self, through: int, exc: Exception | None) -> None:
        self._written = max(self._written, through)
        waiting, self._waiters = self._waiters, []
        for generation, future in waiting:
            if generation > through:
                self._waiters.append((generation, future))
            elif not future.done():
                if exc is None:
                    future.set_result(None)
                else:
                    future.set_exception(exc)

    def _write_now(self) -> None:
        """Not serving: the change is written at once (a failure raises to the caller)."""
        with self._lock:
            target = self._generation
        text = self._snapshot()
        if len(text.encode()) > self._dir.max_bytes:
            raise StateTooLarge(f"the emulator's state is limited to {self._dir.max_bytes} bytes")
        self._dir.write(text)
        self._durable = text
        self._written = max(self._written, target)


def _reason(exc: Exception) -> str:
    if isinstance(exc, OSError):
        return exc.strerror or type(exc).__name__
    return str(exc)

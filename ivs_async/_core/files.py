"""Reading files whose size nobody promised: shared config, token files, cached SSO logins."""

from __future__ import annotations

import os
import stat
from pathlib import Path

# Binary (no newline translation on Windows); not blocking on a FIFO found where a file was.
_READ = os.O_RDONLY | getattr(os, "O_BINARY", 0)
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)


def read_bounded(path: str | Path, limit: int) -> str:
    """A UTF-8 text file of at most ``limit`` bytes; ValueError (never quoting it) otherwise."""
    fd = os.open(path, _READ)
    try:
        data = _read(fd, os.fstat(fd).st_size, limit)
    finally:
        os.close(fd)
    return _text(data, limit)


def read_bounded_file(path: str, limit: int) -> str | None:
    """As read_bounded, when ``path`` is a regular file; None when it is not (missing, a
    directory, a FIFO): what the descriptor read from is, rather than a look-up before it."""
    if not os.access(path, os.F_OK):  # most often: no exception raised, unlike a failed open
        return None
    try:
        fd = os.open(path, _READ | _NONBLOCK)
    except (FileNotFoundError, NotADirectoryError):  # gone since
        return None
    except OSError:
        if not os.path.isfile(path):  # an unreadable directory, say: no file, no error
            return None
        raise
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            return None
        data = _read(fd, info.st_size, limit)
    finally:
        os.close(fd)
    return _text(data, limit)


def _read(fd: int, size: int, limit: int) -> bytes:
    # Asks for what the file holds and one byte more (to see it grew): asking for `limit + 1`
    # allocates that much up front, 4 MiB for a shared config file of a few hundred bytes. A
    # size of 0 is what /proc and the like report: up to the limit then.
    chunks = []
    total = 0
    want = size + 1 if 0 < size < limit else limit + 1
    while total <= limit:
        chunk = os.read(fd, min(want, limit + 1 - total))
        if not chunk:
            break
        chunks.append(chunk)
        total += len(chunk)
    return b"".join(chunks)


def _text(data: bytes, limit: int) -> str:
    if len(data) > limit:
        raise ValueError(f"larger than {limit} bytes")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError(f"not UTF-8 (byte {exc.start})") from None

"""Reading files whose size nobody promised: shared config, token files, cached SSO logins."""

from __future__ import annotations

import os
from pathlib import Path


def read_bounded(path: str | Path, limit: int) -> str:
    """A UTF-8 text file of at most ``limit`` bytes; ValueError (never quoting it) otherwise."""
    with open(path, "rb") as file:
        # Asked for what the file holds, plus one byte to see it grew: a read of `limit + 1`
        # allocates that much up front (4 MiB for a shared config file of a few hundred bytes).
        size = os.fstat(file.fileno()).st_size
        want = limit + 1 if size == 0 or size >= limit else size + 1
        data = file.read(want)
        if len(data) == want and want <= limit:  # grown since, or a size fstat does not know
            data += file.read(limit + 1 - want)
    if len(data) > limit:
        raise ValueError(f"larger than {limit} bytes")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError(f"not UTF-8 (byte {exc.start})") from None

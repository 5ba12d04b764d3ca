"""Reading files whose size nobody promised: shared config, token files, cached SSO logins."""

from __future__ import annotations

from pathlib import Path


def read_bounded(path: str | Path, limit: int) -> str:
    """A UTF-8 text file of at most ``limit`` bytes; ValueError (never quoting it) otherwise."""
    with open(path, "rb") as file:
        data = file.read(limit + 1)
    if len(data) > limit:
        raise ValueError(f"larger than {limit} bytes")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError(f"not UTF-8 (byte {exc.start})") from None

"""The emulator's state on disk (``ivs-local --state-dir``): one JSON file, replaced atomically.

Each change writes the whole state to a temporary file in the same folder, flushes it to disk
and renames it over ``state.json``: a crash mid-write leaves the previous state whole, so at most
the last change is lost, never the file.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

STATE_FILE = "state.json"


class StateDir:
    """Where one emulator keeps its state between runs."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.path.mkdir(parents=True, exist_ok=True)
        self.file = self.path / STATE_FILE

    def read(self) -> str | None:
        """The saved state, or None when there is none yet."""
        try:
            return self.file.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None

    def write(self, state: str) -> None:
        temporary = self.path / f".{STATE_FILE}.{os.getpid()}.tmp"
        with open(temporary, "w", encoding="utf-8") as out:
            out.write(state)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, self.file)
        # The rename itself must reach the disk too (where the platform lets a folder be synced).
        with contextlib.suppress(OSError):
            folder = os.open(self.path, os.O_RDONLY)
            try:
                os.fsync(folder)
            finally:
                os.close(folder)

    def clear(self) -> None:
        self.file.unlink(missing_ok=True)

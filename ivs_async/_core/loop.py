"""The running event loop, looked up without asyncio.get_running_loop()'s system call.

On Python 3.11 each get_running_loop() calls getpid() (a guard against a loop inherited through
fork), and the send path asked twice per call. asyncio's own loops record the thread running
them, which answers the same question exactly and without a system call; other loops (uvloop)
are asked as before.
"""

from __future__ import annotations

import asyncio
from threading import get_ident


def running_loop(known: asyncio.AbstractEventLoop | None) -> asyncio.AbstractEventLoop:
    """The loop running this code: ``known`` if that loop runs in this thread now."""
    if known is not None and getattr(known, "_thread_id", None) == get_ident():
        return known
    return asyncio.get_running_loop()

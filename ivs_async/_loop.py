"""The running event loop without a system call: asyncio.get_running_loop() makes one.

On Python 3.11 each get_running_loop() calls getpid() (a guard against a loop inherited through
fork). A system call costs far more than its own time on machines with speculative-execution
mitigations: what runs after it runs cold. asyncio's own loops record the thread running them,
which answers the same question exactly and for free; other loops (uvloop) are asked as before.
"""

from __future__ import annotations

import asyncio
from threading import get_ident


def running_loop(known: asyncio.AbstractEventLoop | None) -> asyncio.AbstractEventLoop:
    """The loop running this code: ``known`` if that loop runs in this thread now."""
    if known is not None and getattr(known, "_thread_id", None) == get_ident():
        return known
    return asyncio.get_running_loop()

"""Fault-injection helpers: run one call and measure it, check that nothing leaked, report timings."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import attrs
import pytest

from ivs_async import IvsClient, IvsError
from ivs_async._protocol.command import Command

# (test, attempts, outcome, elapsed ms) of every measured call, printed at the end of the run.
_MEASURED: list[tuple[str, int, str, float]] = []


@attrs.frozen
class Outcome:
    attempts: int
    error: IvsError | None
    elapsed: float
    result: Any = None

    @property
    def error_type(self) -> type[IvsError] | None:
        return type(self.error) if self.error is not None else None


async def measure(client: IvsClient, command: Command[Any, Any], label: str | None, **options: Any) -> Outcome:
    """Send ``command``; the attempts, the error (if any) and the elapsed seconds, reported as
    ``label`` in the run's summary (None: not reported)."""
    result: Any = None
    error: IvsError | None = None
    started = time.perf_counter()
    try:
        result = await client.send(command, **options)
    except IvsError as exc:
        error = exc
    elapsed = time.perf_counter() - started
    if error is None:
        outcome = Outcome(result.metadata.attempts, None, elapsed, result)
    else:
        assert error.metadata is not None, "every error after a send carries metadata"
        outcome = Outcome(error.metadata.attempts, error, elapsed)
    if label is not None:
        shown = outcome.error_type.__name__ if outcome.error_type else "ok"
        _MEASURED.append((label, outcome.attempts, shown, elapsed * 1000))
    return outcome


async def assert_nothing_leaked(client: IvsClient) -> None:
    """No connection still checked out, and after close no task left but the test's own."""
    in_use, _idle = client.transport.connections()  # type: ignore[attr-defined]
    assert in_use == 0, f"{in_use} connection(s) still in use"
    await client.close()
    await asyncio.sleep(0)
    others = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
    assert others == [], f"tasks left running: {others}"


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not _MEASURED:
        return
    terminalreporter.section("fault injection: measured calls")
    for test, attempts, shown, ms in _MEASURED:
        terminalreporter.write_line(f"{test:<48} attempts={attempts:<2} {shown:<28} {ms:9.1f} ms")


@pytest.fixture
def label(request: pytest.FixtureRequest) -> str:
    """The test's name, to label its measured calls."""
    return str(request.node.name)

"""A client first used on one event loop says so, in a typed error, when used on another."""

from __future__ import annotations

import asyncio
import logging
import threading

import pytest

from ivs_async.commands import ListChannelsCommand
from ivs_async.errors import ConnectionFailedError, WrongEventLoopError
from ivs_async.testing import LocalIvs


def test_a_second_event_loop_is_a_typed_error() -> None:
    with LocalIvs() as ivs:
        client = ivs.client()
        first = asyncio.new_event_loop()
        try:
            first.run_until_complete(client.send(ListChannelsCommand()))
            with pytest.raises(WrongEventLoopError, match="one client per event loop"):
                asyncio.run(client.send(ListChannelsCommand()))
            first.run_until_complete(client.close())  # on its own loop, the pool closes
        finally:
            first.close()


async def test_debug_logs_one_line_per_attempt(caplog: pytest.LogCaptureFixture) -> None:
    async with LocalIvs() as ivs, ivs.client(connect_timeout=0.2, endpoint="http://127.0.0.1:9") as client:
        client.retry_strategy.base_delay = 0.001  # type: ignore[attr-defined]
        with caplog.at_level(logging.DEBUG, logger="ivs_async"), pytest.raises(ConnectionFailedError):
            await client.send(ListChannelsCommand())
    lines = [r.getMessage() for r in caplog.records if r.name == "ivs_async"]
    retries = [line for line in lines if "retrying in" in line]
    assert len(retries) == 2, lines
    assert "attempt 1 failed: ConnectionFailedError (no response, transient); retrying in" in retries[0]
    assert lines[-1].startswith(
        "ivs ListChannels failed: ConnectionFailedError (no response, request id -, 3 attempts)"
    )
    assert not any("HTTP 0" in line or "1 attempts" in line for line in lines)


def test_the_known_loop_is_used_only_while_it_runs_in_this_thread() -> None:
    from ivs_async._core.loop import running_loop

    async def here(known: asyncio.AbstractEventLoop | None) -> tuple[asyncio.AbstractEventLoop, ...]:
        return running_loop(known), asyncio.get_running_loop()

    first = asyncio.new_event_loop()
    try:
        found, actual = first.run_until_complete(here(None))
        assert found is actual is first
        assert first.run_until_complete(here(first))[0] is first
        # `first` running in another thread at the same time: never the answer here.
        worker = threading.Thread(target=first.run_forever)
        worker.start()
        try:
            found, actual = asyncio.run(here(first))
            assert found is actual and found is not first
        finally:
            first.call_soon_threadsafe(first.stop)
            worker.join(10)
        found, actual = asyncio.run(here(first))  # stopped: not the answer either
        assert found is actual and found is not first
    finally:
        first.close()

"""A client first used on one event loop says so, in a typed error, when used on another."""

from __future__ import annotations

import asyncio
import logging

import pytest

from ivs_async.commands import ListChannelsCommand
from ivs_async.errors import ConnectionFailedError, WrongEventLoopError
from ivs_async.testing import LocalIvs


def test_a_second_event_loop_is_a_typed_error() -> None:
    with LocalIvs() as ivs:
        client = ivs.client()
        asyncio.run(client.send(ListChannelsCommand()))
        with pytest.raises(WrongEventLoopError, match="one client per event loop"):
            asyncio.run(client.send(ListChannelsCommand()))


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

"""A client left open is named in a ResourceWarning (with where it was made under -X dev)."""

from __future__ import annotations

import gc
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path

from ivs_async import IvsClient
from ivs_async.commands import ListChannelsCommand
from ivs_async.testing import LocalIvs


def _resource_warnings(caught: list[warnings.WarningMessage]) -> list[str]:
    return [str(w.message) for w in caught if issubclass(w.category, ResourceWarning)]


async def _collect(ivs: LocalIvs, *, close: bool, send: bool) -> list[str]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        client = IvsClient(region="us-west-2", endpoint=ivs.endpoint, credentials=ivs.credentials)
        if send:
            await client.send(ListChannelsCommand())
        if close:
            await client.close()
        del client
        gc.collect()
    return [m for m in _resource_warnings(caught) if "IvsClient" in m]


async def test_a_used_client_left_open_is_named() -> None:
    async with LocalIvs() as ivs:
        (message,) = await _collect(ivs, close=False, send=True)
        assert message.startswith(f"unclosed IvsClient(region='us-west-2', endpoint='{ivs.endpoint}')")
    assert "created at" not in message  # only under -X dev


async def test_closed_and_unused_clients_say_nothing() -> None:
    async with LocalIvs() as ivs:
        assert await _collect(ivs, close=True, send=True) == []
        assert await _collect(ivs, close=False, send=False) == []  # it holds no connection


def test_under_dev_mode_the_warning_says_where_the_client_was_made(tmp_path: Path) -> None:
    script = tmp_path / "forgets.py"
    script.write_text(
        textwrap.dedent(
            """
        import asyncio, gc
        from ivs_async import IvsClient
        from ivs_async.commands import ListChannelsCommand
        from ivs_async.testing import LocalIvs

        async def main():
            async with LocalIvs() as ivs:
                forgotten = IvsClient(region="us-west-2", endpoint=ivs.endpoint, credentials=ivs.credentials)
                await forgotten.send(ListChannelsCommand())
                del forgotten
                gc.collect()

        asyncio.run(main())
        """
        )
    )
    result = subprocess.run(
        [sys.executable, "-X", "dev", str(script)], capture_output=True, text=True, timeout=60, check=True
    )
    ours = result.stderr[result.stderr.index("ResourceWarning: unclosed IvsClient(") :]
    assert "created at (most recent call last)" in ours
    assert f'File "{script}", line 9, in main' in ours.split("Unclosed client session")[0]

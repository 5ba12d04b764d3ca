"""A client built before a fork works in the child: sessions open at the first send, per process."""

from __future__ import annotations

import asyncio
import multiprocessing
import os

from ivs_async import Ivs, StaticCredentials


def _child(ivs: Ivs, results: multiprocessing.queues.Queue) -> None:  # type: ignore[type-arg]
    async def main() -> None:
        out = await ivs.list_channels()
        results.put((os.getpid(), out.metadata.http_status_code, id(ivs.transport.connector)))  # type: ignore[attr-defined]
        await ivs.close()

    asyncio.run(main())


async def test_client_built_before_fork_is_usable_in_each_worker(moto_endpoint: str) -> None:
    ivs = Ivs(region="us-west-2", credentials=StaticCredentials("AKID", "SECRET"), endpoint=moto_endpoint)
    assert ivs.transport.connector is None  # type: ignore[attr-defined]  # nothing opened yet
    ctx = multiprocessing.get_context("fork")
    results = ctx.Queue()
    workers = [ctx.Process(target=_child, args=(ivs, results)) for _ in range(2)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=30)
        assert w.exitcode == 0
    seen = [results.get(timeout=5) for _ in workers]
    assert {status for _, status, _ in seen} == {200}
    assert len({pid for pid, _, _ in seen}) == 2
    # The parent still has no session of its own, and opens one when it sends.
    assert ivs.transport.connector is None  # type: ignore[attr-defined]
    out = await ivs.list_channels()
    assert out.metadata.http_status_code == 200
    await ivs.close()

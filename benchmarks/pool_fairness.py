"""How long calls wait when more coroutines share a client than it has connections.

    python benchmarks/pool_fairness.py [--workers 32] [--pool 4] [--calls 20]

Each worker sends again as soon as its call returns; a loopback server answers every call after
5 ms. Prints the median and the slowest call: with calls served in arrival order the slowest is
close to the median (every call waits about one round of the others); when new calls can take a
freed connection before the waiting ones, a few calls starve for seconds.
"""

from __future__ import annotations

import argparse
import asyncio
import time

from aiohttp import web

from ivs_async import IvsClient, StaticCredentials
from ivs_async.commands import GetChannelCommand

ARN = "arn:aws:ivs:us-west-2:123456789012:channel/abcdEFGH1234"


async def answer(request: web.Request) -> web.Response:
    await request.read()
    await asyncio.sleep(0.005)
    return web.json_response({"channel": {"arn": ARN}})


async def main(workers: int, pool: int, calls: int) -> None:
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", answer)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    latencies: list[float] = []
    async with IvsClient(
        region="us-west-2",
        credentials=StaticCredentials("AKIDBENCH", "bench/secret"),
        endpoint=f"http://127.0.0.1:{port}",
        max_connections=pool,
    ) as client:

        async def worker() -> None:
            for _ in range(calls):
                started = time.perf_counter()
                await client.send(GetChannelCommand(arn=ARN))
                latencies.append(time.perf_counter() - started)

        await asyncio.gather(*(worker() for _ in range(workers)))
    await runner.cleanup()
    latencies.sort()
    median, p99 = latencies[len(latencies) // 2], latencies[int(len(latencies) * 0.99)]
    print(
        f"{workers} workers, pool {pool}, {len(latencies)} calls: median {median * 1000:.1f} ms, "
        f"p99 {p99 * 1000:.1f} ms, slowest {latencies[-1] * 1000:.1f} ms"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workers", type=int, default=32)
    parser.add_argument("--pool", type=int, default=4)
    parser.add_argument("--calls", type=int, default=20)
    args = parser.parse_args()
    asyncio.run(main(args.workers, args.pool, args.calls))

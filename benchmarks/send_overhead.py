"""The SDK's own CPU per send(), without a network: an in-memory transport answers GetChannel.

    python benchmarks/send_overhead.py [--calls 20000] [--rounds 5]

Prints the best round's CPU microseconds per call. Compare commits with it: what it shows is
everything send() does around the transport (validation, serialization, signing, retries,
deadline, parsing), the part of a real call's cost that is ours.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from email.utils import formatdate

from multidict import CIMultiDict, CIMultiDictProxy

from ivs_async import IvsClient, StaticCredentials
from ivs_async._core.http import HttpRequest, HttpResponse
from ivs_async.commands import GetChannelCommand

ARN = "arn:aws:ivs:us-west-2:123456789012:channel/abcdEFGH1234"
BODY = b'{"channel":{"arn":"%s","name":"bench","latencyMode":"LOW"}}' % ARN.encode()


class InMemory:
    """Answers with one prepared response: its cost is not the SDK's (a Date a minute old is
    within any skew limit)."""

    def __init__(self) -> None:
        headers = CIMultiDict({"x-amzn-RequestId": "r", "Date": formatdate(usegmt=True)})
        headers["Content-Type"] = "application/json"
        self.response = HttpResponse(200, CIMultiDictProxy(headers), BODY)

    async def send(self, request: HttpRequest, **timeouts: float | None) -> HttpResponse:
        return self.response

    async def close(self) -> None:
        pass


async def main(calls: int, rounds: int) -> None:
    client = IvsClient(
        region="us-west-2",
        credentials=StaticCredentials("AKIDBENCH", "bench/secret"),
        endpoint="https://ivs.us-west-2.amazonaws.com",
        transport=InMemory(),
    )
    command = GetChannelCommand(arn=ARN)
    for _ in range(calls // 10):
        await client.send(command)
    best = float("inf")
    for _ in range(rounds):
        started = time.process_time()
        for _ in range(calls):
            await client.send(command)
        best = min(best, (time.process_time() - started) / calls)
    print(f"send() overhead: {best * 1e6:.1f} us CPU per call (best of {rounds} rounds of {calls})")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=20000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    asyncio.run(main(args.calls, args.rounds))

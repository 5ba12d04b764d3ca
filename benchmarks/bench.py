"""Client-side cost of IVS calls: ivs_async vs raw aiohttp + SigV4 vs aiobotocore, in one run.

    python benchmarks/bench.py [--calls 2000] [--rounds 9] [--uvloop] [--standard-json]

A fast loopback server runs in a separate process (benchmarks/server.py), so the CPU time
measured here (time.process_time) is the client's alone. Contenders alternate inside
each of ``--rounds`` rounds so that drift hits them alike; a ratio is taken inside each round
and the median reported. The baseline ("raw") is aiohttp plus a hand-written SigV4, the least
a client can do.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp

HERE = Path(__file__).resolve().parent
REGION, KEY, SECRET = "us-west-2", "AKIDBENCH", "bench/secret"
ARN = "arn:aws:ivs:us-west-2:123456789012:channel/abcdEFGH1234"
Call = Callable[[], Awaitable[Any]]
BASELINE = "raw aiohttp + SigV4"


def signing_key(day: str) -> bytes:
    """The SigV4 key derivation, by hand (aws-requests-auth's would import requests)."""
    key = ("AWS4" + SECRET).encode()
    for part in (day, REGION, "ivs", "aws4_request"):
        key = hmac.digest(key, part.encode(), "sha256")
    return key


class RawClient:
    """The floor: aiohttp, json, and SigV4 written by hand for these two POST operations."""

    def __init__(self, endpoint: str) -> None:
        self.endpoint = endpoint
        self.host = endpoint.split("://", 1)[1]
        self.session = aiohttp.ClientSession()
        self._keys: dict[str, bytes] = {}

    async def call(self, operation: str, payload: dict[str, Any]) -> Any:
        body = json.dumps(payload).encode()
        amz = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        day = amz[:8]
        payload_hash = hashlib.sha256(body).hexdigest()
        creq = (
            f"POST\n/{operation}\n\ncontent-type:application/json\nhost:{self.host}\nx-amz-date:{amz}\n\n"
            f"content-type;host;x-amz-date\n{payload_hash}"
        )
        scope = f"{day}/{REGION}/ivs/aws4_request"
        sts = f"AWS4-HMAC-SHA256\n{amz}\n{scope}\n{hashlib.sha256(creq.encode()).hexdigest()}"
        key = self._keys.get(day) or self._keys.setdefault(day, signing_key(day))
        signature = hmac.new(key, sts.encode(), hashlib.sha256).hexdigest()
        headers = {
            "Content-Type": "application/json",
            "Host": self.host,
            "X-Amz-Date": amz,
            "Authorization": f"AWS4-HMAC-SHA256 Credential={KEY}/{scope}, "
            f"SignedHeaders=content-type;host;x-amz-date, Signature={signature}",
        }
        async with self.session.post(f"{self.endpoint}/{operation}", data=body, headers=headers) as response:
            data = await response.read()
            if response.status != 200:
                raise RuntimeError(response.status)
        return json.loads(data)

    async def close(self) -> None:
        await self.session.close()


async def make_contenders(endpoint: str) -> tuple[dict[str, tuple[Call, Call]], Callable[[], Awaitable[None]]]:
    from aiobotocore.session import get_session

    from ivs_async import IvsClient, StaticCredentials
    from ivs_async.commands import GetChannelCommand, ListChannelsCommand

    raw = RawClient(endpoint)
    ours = IvsClient(region=REGION, credentials=StaticCredentials(KEY, SECRET), endpoint=endpoint)
    boto_cm = get_session().create_client(
        "ivs", region_name=REGION, endpoint_url=endpoint, aws_access_key_id=KEY, aws_secret_access_key=SECRET
    )
    boto = await boto_cm.__aenter__()

    contenders: dict[str, tuple[Call, Call]] = {
        BASELINE: (
            lambda: raw.call("GetChannel", {"arn": ARN}),
            lambda: raw.call("ListChannels", {"maxResults": 50}),
        ),
        "ivs_async": (
            lambda: ours.send(GetChannelCommand(arn=ARN)),
            lambda: ours.send(ListChannelsCommand(max_results=50)),
        ),
        "aiobotocore": (
            lambda: boto.get_channel(arn=ARN),
            lambda: boto.list_channels(maxResults=50),
        ),
    }

    async def close() -> None:
        await raw.close()
        await ours.close()
        await boto_cm.__aexit__(None, None, None)

    return contenders, close


async def cpu_per_call(call: Call, calls: int) -> float:
    start = time.process_time()
    for _ in range(calls):
        await call()
    return (time.process_time() - start) / calls


async def concurrent(call: Call, calls: int, workers: int = 64) -> dict[str, float]:
    latencies: list[float] = []

    async def worker(n: int) -> None:
        for _ in range(n):
            t = time.perf_counter()
            await call()
            latencies.append(time.perf_counter() - t)

    start, cpu = time.perf_counter(), time.process_time()
    await asyncio.gather(*(worker(calls // workers) for _ in range(workers)))
    wall = time.perf_counter() - start
    cpu = time.process_time() - cpu
    latencies.sort()
    return {
        "cpu": cpu / len(latencies),
        "per_s": len(latencies) / wall,
        "p50_ms": statistics.median(latencies) * 1000,
        "p99_ms": latencies[int(len(latencies) * 0.99) - 1] * 1000,
        "max_ms": latencies[-1] * 1000,
    }


def in_subprocess(code: str, runs: int = 5, standard_json: bool = False) -> list[float]:
    """Best of ``runs`` fresh interpreters, per number ``code`` prints on its last line (seconds).

    With ``standard_json``, as if the speedups extra were not installed: an import of orjson fails.
    """
    if standard_json:
        code = "import sys\nsys.modules['orjson'] = None\n" + code
    best: list[float] = []
    for _ in range(runs):
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
        values = [float(v) for v in out.stdout.strip().splitlines()[-1].split()]
        best = [min(a, b) for a, b in zip(best, values, strict=True)] if best else values
    return best


IMPORT = "import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"
CONSTRUCT = """
import asyncio, time
{setup}
async def main():
    t = time.perf_counter()
    {first}
    first = time.perf_counter() - t
    later = []
    for _ in range(20):  # the same construction again: what every later client costs
        t = time.perf_counter()
        {first}
        later.append(time.perf_counter() - t)
    print(first, sorted(later)[10])
asyncio.run(main())
"""


def construction_and_import(standard_json: bool) -> dict[str, dict[str, float]]:
    ivs_setup = "from ivs_async import IvsClient, StaticCredentials"
    ivs_first = (
        "c = IvsClient(region='us-west-2', credentials=StaticCredentials('AKID', 'SECRET'), "
        "endpoint='http://127.0.0.1:9')"
    )
    boto_setup = "from aiobotocore.session import get_session"
    boto_first = (
        "cm = get_session().create_client('ivs', region_name='us-west-2', endpoint_url='http://127.0.0.1:9', "
        "aws_access_key_id='AKID', aws_secret_access_key='SECRET'); c = await cm.__aenter__()"
    )
    raw_setup = "import aiohttp"
    raw_first = "s = aiohttp.ClientSession()"
    imports = {
        BASELINE: "aiohttp, hashlib, hmac, json",
        "ivs_async": "ivs_async._core.client, ivs_async.commands",
        "aiobotocore": "aiobotocore.session",
    }
    constructions = {
        BASELINE: (raw_setup, raw_first),
        "ivs_async": (ivs_setup, ivs_first),
        "aiobotocore": (boto_setup, boto_first),
    }
    built = {
        name: in_subprocess(CONSTRUCT.format(setup=s, first=f), standard_json=standard_json)
        for name, (s, f) in constructions.items()
    }
    return {
        "import": {
            name: in_subprocess(IMPORT.format(module=m), standard_json=standard_json)[0] for name, m in imports.items()
        },
        "first client": {name: times[0] for name, times in built.items()},
        "later client": {name: times[1] for name, times in built.items()},
    }


def start_server() -> tuple[subprocess.Popen[bytes], str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, str(HERE / "server.py"), str(port)])
    endpoint = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            urllib.request.urlopen(urllib.request.Request(f"{endpoint}/GetChannel", data=b"{}"), timeout=1).close()
            return proc, endpoint
        except OSError:
            time.sleep(0.05)
    proc.kill()
    raise RuntimeError("benchmark server did not start")


async def run(args: argparse.Namespace, endpoint: str) -> dict[str, Any]:
    contenders, close = await make_contenders(endpoint)
    results: dict[str, dict[str, Any]] = {name: {"get": [], "list": [], "concurrent": []} for name in contenders}
    try:
        for get, lst in contenders.values():  # warm up: connections, caches, lazy imports
            await cpu_per_call(get, 50)
            await cpu_per_call(lst, 50)
        for _ in range(args.rounds):
            for name, (get, lst) in contenders.items():
                results[name]["get"].append(await cpu_per_call(get, args.calls))
                results[name]["list"].append(await cpu_per_call(lst, args.calls // 2))
                results[name]["concurrent"].append(await concurrent(get, args.calls))
    finally:
        await close()
    summary: dict[str, Any] = {}
    base = results[BASELINE]
    for name, r in results.items():
        best_concurrent = max(r["concurrent"], key=lambda c: c["per_s"])
        summary[name] = {
            "get_us": statistics.median(r["get"]) * 1e6,
            "list_us": statistics.median(r["list"]) * 1e6,
            # Ratios are taken round by round (same minute, same machine state), then the median.
            "get_ratio": statistics.median(a / b for a, b in zip(r["get"], base["get"], strict=True)),
            "list_ratio": statistics.median(a / b for a, b in zip(r["list"], base["list"], strict=True)),
            "concurrent_us": statistics.median(c["cpu"] for c in r["concurrent"]) * 1e6,
            "concurrent_ratio": statistics.median(
                a["cpu"] / b["cpu"] for a, b in zip(r["concurrent"], base["concurrent"], strict=True)
            ),
            **best_concurrent,
        }
    return summary


def _decoder() -> str:
    from ivs_async._protocol import json as _json

    return "json" if _json._FAST is None else "orjson (the speedups extra)"


def report(summary: dict[str, Any], static: dict[str, dict[str, float]], args: argparse.Namespace) -> str:
    lines = [
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"aiohttp {aiohttp.__version__}, {'uvloop' if args.uvloop else 'asyncio'} loop, "
        f"ivs_async decoding with {_decoder()}; "
        f"{args.calls} calls x {args.rounds} rounds; CPU: median of rounds, "
        "ratio: median of per-round ratios (64 concurrent too); calls/s and latencies: best round.",
        "",
        "| client | GetChannel CPU/call | ratio | ListChannels(50) CPU/call | ratio | 64 concurrent: CPU/call "
        "| ratio | calls/s | p50 / p99 / max latency | import | first client | later clients |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    base_later = static["later client"][BASELINE]
    for name, s in summary.items():
        lines.append(
            f"| {name} | {s['get_us']:.0f} us | {s['get_ratio']:.2f}x | {s['list_us']:.0f} us "
            f"| {s['list_ratio']:.2f}x | {s['concurrent_us']:.0f} us | {s['concurrent_ratio']:.2f}x "
            f"| {s['per_s']:.0f} | {s['p50_ms']:.1f} / {s['p99_ms']:.1f} / "
            f"{s['max_ms']:.1f} ms | {static['import'][name] * 1000:.0f} ms "
            f"| {static['first client'][name] * 1000:.2f} ms "
            f"| {static['later client'][name] * 1e6:.0f} us ({static['later client'][name] / base_later:.1f}x) |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--uvloop", action="store_true", help="run the calls on uvloop (installed separately)")
    parser.add_argument(
        "--standard-json", action="store_true", help="decode with json even with orjson (speedups) installed"
    )
    args = parser.parse_args()
    if args.standard_json:
        from ivs_async._protocol import json as _json

        _json._FAST = None
    if args.uvloop:
        import uvloop

        asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    os.environ["AWS_EC2_METADATA_DISABLED"] = "true"
    proc, endpoint = start_server()
    try:
        summary = asyncio.run(run(args, endpoint))
    finally:
        proc.terminate()
        proc.wait()
    static = construction_and_import(args.standard_json)
    text = report(summary, static, args)
    print(text)
    out = HERE / "results"
    out.mkdir(exist_ok=True)
    (out / "latest.md").write_text(text + "\n")
    (out / "latest.json").write_text(json.dumps({"summary": summary, "static": static}, indent=2))


if __name__ == "__main__":
    main()

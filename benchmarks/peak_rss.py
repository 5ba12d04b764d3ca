"""Peak memory of a process that makes 10,000 concurrent GetChannel calls, in one run.

    python benchmarks/peak_rss.py [--calls 10000] [--runs 3] [--uvloop] [--standard-json]

Each sample is a fresh interpreter: one client, ``--calls`` GetChannel calls started at once
against the loopback stub of benchmarks/server.py (its pool queues them), then the process's peak
resident set (``ru_maxrss``). Contenders: raw aiohttp + SigV4 (the floor), ivs_async, aiobotocore.
Prints the median of ``--runs`` samples each and the ratio to the floor's.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench import ARN, start_server
from cold_start import CONTENDERS

TEMPLATE = """
import asyncio, json, resource
{imports}
{loop}

async def one():
{call}

async def main():
{construct}
    results = await asyncio.gather(*(one() for _ in range({calls})), return_exceptions=True)
    failed = [r for r in results if isinstance(r, BaseException)]
    if failed:
        raise failed[0]
{close}

asyncio.run(main())
print(json.dumps({{"peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}}))
"""


def script(name: str, endpoint: str, calls: int, uvloop: bool, standard_json: bool = False) -> str:
    parts = {
        key: value.format(endpoint=endpoint, arn=ARN, host=endpoint.split("://", 1)[1])
        for key, value in CONTENDERS[name].items()
    }
    # The call runs in a coroutine of its own: the client made in main() is shared through a global.
    construct = parts["construct"] + "\n    global shared\n    shared = " + _client_name(name)
    call = "    " + _shared(name) + "\n" + parts["call"]
    loop = "import uvloop\nasyncio.set_event_loop_policy(uvloop.EventLoopPolicy())" if uvloop else ""
    # As if the speedups extra were not installed: an import of orjson fails.
    hide = "import sys\nsys.modules['orjson'] = None\n" if standard_json else ""
    return hide + TEMPLATE.format(
        imports=parts["imports"], loop=loop, construct=construct, call=call, close=parts["close"], calls=calls
    )


def _client_name(name: str) -> str:
    return {"raw aiohttp + SigV4": "session", "ivs_async": "client", "aiobotocore": "client"}[name]


def _shared(name: str) -> str:
    return f"{_client_name(name)} = shared"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--uvloop", action="store_true")
    parser.add_argument("--standard-json", action="store_true", help="as without orjson (the speedups extra)")
    options = parser.parse_args()
    server, endpoint = start_server()
    samples: dict[str, list[float]] = {name: [] for name in CONTENDERS}
    try:
        for _ in range(options.runs):
            for name in CONTENDERS:
                code = script(name, endpoint, options.calls, options.uvloop, options.standard_json)
                env = {"AWS_EC2_METADATA_DISABLED": "true", "PATH": "/usr/bin:/bin", "HOME": "/nonexistent"}
                if "PYTHONPATH" in os.environ:  # a checkout run as PYTHONPATH=. measures itself
                    env["PYTHONPATH"] = os.environ["PYTHONPATH"]
                out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=False)
                if out.returncode != 0:
                    raise SystemExit(f"{name}: {out.stderr[-2000:]}")
                samples[name].append(json.loads(out.stdout.strip().splitlines()[-1])["peak_mib"])
    finally:
        server.kill()
        server.wait()
    loop = "uvloop" if options.uvloop else "asyncio"
    decoder = ", without orjson" if options.standard_json else ""
    print(
        f"peak RSS after {options.calls} concurrent GetChannel calls ({loop} loop{decoder}), median of {options.runs}:"
    )
    floor = statistics.median(samples["raw aiohttp + SigV4"])
    for name, values in samples.items():
        peak = statistics.median(values)
        print(f"  {name:<22} {peak:7.1f} MiB  {peak / floor:5.2f}x")


if __name__ == "__main__":
    main()

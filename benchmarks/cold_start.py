"""Cold start, as a CLI, a Lambda function or a freshly forked worker feels it, in one run.

    python benchmarks/cold_start.py [--runs 7] [--uvloop] [--standard-json]

Each sample is a fresh interpreter that imports what one GetChannel needs, builds its first
client, and makes that call to the loopback stub of benchmarks/server.py (another process).
Contenders: raw aiohttp + a hand-written SigV4 (the floor: aiohttp, json, hashlib and hmac),
ivs_async, aiobotocore. Prints the medians of ``--runs`` samples per contender,
taken in turn, and each one's ratio to the floor's median. ``--uvloop`` runs every contender on
uvloop (installed separately).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench import ARN, start_server

TEMPLATE = """
import time
started = time.perf_counter()
{imports}
imported = time.perf_counter()
import asyncio
{loop}

async def main():
    t = time.perf_counter()
{construct}
    built = time.perf_counter()
{call}
    called = time.perf_counter()
{close}
    return t, built, called

t, built, called = asyncio.run(main())
print(json.dumps({{"import": imported - started, "client": built - t, "call": called - built}}))
"""

CONTENDERS = {
    "raw aiohttp + SigV4": {
        "imports": "import hashlib, hmac, json\nfrom datetime import UTC, datetime\nimport aiohttp",
        "construct": "    session = aiohttp.ClientSession()",
        "call": """    body = json.dumps({{"arn": "{arn}"}}).encode()
    amz = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    host = "{host}"
    creq = (f"POST\\n/GetChannel\\n\\ncontent-type:application/json\\nhost:{{host}}\\nx-amz-date:{{amz}}\\n\\n"
            f"content-type;host;x-amz-date\\n{{hashlib.sha256(body).hexdigest()}}")
    scope = f"{{amz[:8]}}/us-west-2/ivs/aws4_request"
    sts = f"AWS4-HMAC-SHA256\\n{{amz}}\\n{{scope}}\\n{{hashlib.sha256(creq.encode()).hexdigest()}}"
    key = b"AWS4bench/secret"
    for part in (amz[:8], "us-west-2", "ivs", "aws4_request"):
        key = hmac.digest(key, part.encode(), "sha256")
    signature = hmac.new(key, sts.encode(), hashlib.sha256).hexdigest()
    headers = {{"Content-Type": "application/json", "Host": host, "X-Amz-Date": amz,
               "Authorization": f"AWS4-HMAC-SHA256 Credential=AKIDBENCH/{{scope}}, "
               f"SignedHeaders=content-type;host;x-amz-date, Signature={{signature}}"}}
    async with session.post("{endpoint}/GetChannel", data=body, headers=headers) as response:
        channel = json.loads(await response.read())["channel"]""",
        "close": "    await session.close()",
    },
    "ivs_async": {
        "imports": "from ivs_async import IvsClient, StaticCredentials\n"
        "from ivs_async.commands import GetChannelCommand",
        "construct": "    client = IvsClient(region='us-west-2', endpoint='{endpoint}', environ={{}}, "
        "credentials=StaticCredentials('AKIDBENCH', 'bench/secret'))",
        "call": "    channel = (await client.send(GetChannelCommand(arn='{arn}'))).channel",
        "close": "    await client.close()",
    },
    "aiobotocore": {
        "imports": "from aiobotocore.session import get_session",
        "construct": "    cm = get_session().create_client('ivs', region_name='us-west-2', endpoint_url='{endpoint}', "
        "aws_access_key_id='AKIDBENCH', aws_secret_access_key='bench/secret')\n    client = await cm.__aenter__()",
        "call": "    channel = (await client.get_channel(arn='{arn}'))['channel']",
        "close": "    await cm.__aexit__(None, None, None)",
    },
}


def script(name: str, endpoint: str, uvloop: bool, standard_json: bool) -> str:
    parts = {key: value.format(endpoint=endpoint, arn=ARN, host=endpoint.split("://", 1)[1]) for key, value in
             CONTENDERS[name].items()}  # fmt: skip
    loop = "import uvloop\nasyncio.set_event_loop_policy(uvloop.EventLoopPolicy())" if uvloop else ""
    # As if the speedups extra were not installed: an import of orjson fails.
    hide = "import sys\nsys.modules['orjson'] = None\n" if standard_json and name == "ivs_async" else ""
    return hide + "import json\n" + TEMPLATE.format(loop=loop, **parts)


def sample(code: str) -> dict[str, float]:
    env = {"AWS_EC2_METADATA_DISABLED": "true", "PATH": "/usr/bin:/bin", "HOME": "/nonexistent"}
    if "PYTHONPATH" in os.environ:  # a checkout run as PYTHONPATH=. measures itself, not the installed copy
        env["PYTHONPATH"] = os.environ["PYTHONPATH"]
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=False)
    if out.returncode != 0:
        raise SystemExit(out.stderr[-2000:])
    result: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--uvloop", action="store_true")
    parser.add_argument("--standard-json", action="store_true", help="ivs_async without orjson (the speedups extra)")
    options = parser.parse_args()
    server, endpoint = start_server()
    try:
        codes = {name: script(name, endpoint, options.uvloop, options.standard_json) for name in CONTENDERS}
        samples: dict[str, list[dict[str, float]]] = {name: [] for name in CONTENDERS}
        for _ in range(options.runs):
            for name, code in codes.items():  # in turn, so that drift hits all alike
                samples[name].append(sample(code))
    finally:
        server.kill()
        server.wait()
    print(
        f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"{'uvloop' if options.uvloop else 'asyncio'} loop, ivs_async "
        f"{'without' if options.standard_json else 'with any installed'} orjson; "
        f"median of {options.runs} fresh interpreters"
    )
    medians = {
        name: {part: statistics.median(s[part] for s in runs) * 1000 for part in ("import", "client", "call")}
        for name, runs in samples.items()
    }
    floor = medians["raw aiohttp + SigV4"]
    print(f"{'client':<22} {'import':>16} {'first client':>16} {'first call':>16} {'all three':>16}")
    for name, parts in medians.items():
        total, floor_total = sum(parts.values()), sum(floor.values())
        cells = [f"{parts[p]:8.2f} ms {parts[p] / floor[p]:5.2f}x" for p in ("import", "client", "call")]
        print(f"{name:<22} {' '.join(cells)} {total:8.1f} ms {total / floor_total:5.2f}x")


if __name__ == "__main__":
    main()

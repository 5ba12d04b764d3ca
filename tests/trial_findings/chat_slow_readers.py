"""Finding 1, at scale (run by hand): N chat clients, each alone in its room, flood maximum-size
messages and never read; prints the RSS of a separate ivs-local process.

    PYTHONPATH=$PWD .venv/bin/python -m ivs_async.testing --port 4599 --rtmp-port -1 &
    echo $! > /tmp/ivs-local.pid
    PYTHONPATH=$PWD .venv/bin/python tests/trial_findings/chat_slow_readers.py 64             # ~720 MB
    PYTHONPATH=$PWD .venv/bin/python tests/trial_findings/chat_slow_readers.py 256 \
        127.0.0.1,127.0.0.2,127.0.0.3,127.0.0.4                                             # ~2.46 GB
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from pathlib import Path

import aiohttp

from ivs_async.chat import IvsChat
from ivs_async.credentials import StaticCredentials

ENDPOINT = "http://127.0.0.1:4599"


def rss_mb(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS"):
                return int(line.split()[1]) // 1024
    return -1


async def main(count: int, addresses: list[str], pid: int) -> None:
    credentials = StaticCredentials("AKIALOCALIVSEXAMPLE0", "localIvsSecretKeyForTestsOnly/EXAMPLE000")
    tokens = []
    async with IvsChat(endpoint=ENDPOINT, region="us-west-2", credentials=credentials) as chat:
        for _ in range(count):
            room = await chat.create_room(maximum_message_rate_per_second=100)
            assert room.arn is not None
            made = await chat.create_chat_token(
                room_identifier=room.arn,
                user_id="u" * 128,
                capabilities=["SEND_MESSAGE"],
                attributes={f"k{j}": "v" * 90 for j in range(10)},
            )
            assert made.token is not None
            tokens.append(made.token)
    print("ivs-local RSS before:", rss_mb(pid), "MB")
    sessions, sockets = [], []
    for i, token in enumerate(tokens):
        session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(local_addr=(addresses[i % len(addresses)], 0)))
        sessions.append(session)
        sockets.append(await session.ws_connect(ENDPOINT.replace("http", "ws"), protocols=(token,), autoping=False))
    frame = json.dumps(
        {"Action": "SEND_MESSAGE", "Content": "\U0001f600" * 500, "Attributes": {f"a{j}": "b" * 95 for j in range(10)}}
    )

    async def flood(ws: aiohttp.ClientWebSocketResponse) -> None:
        for _ in range(5000):
            try:
                await ws.send_str(frame)
            except Exception:
                return
            await asyncio.sleep(0.0105)

    task = asyncio.gather(*(flood(ws) for ws in sockets))
    started, peak = time.monotonic(), 0
    while not task.done() and time.monotonic() - started < 120:
        await asyncio.sleep(2)
        peak = max(peak, rss_mb(pid))
        print(f"t={time.monotonic() - started:.0f}s ivs-local RSS {rss_mb(pid)} MB")
    task.cancel()
    for session in sessions:
        await session.close()
    await asyncio.sleep(3)
    print("peak", peak, "MB; after the clients left", rss_mb(pid), "MB")


if __name__ == "__main__":
    asyncio.run(
        main(
            int(sys.argv[1]),
            sys.argv[2].split(",") if len(sys.argv) > 2 else ["127.0.0.1"],
            int(Path("/tmp/ivs-local.pid").read_text()),
        )
    )

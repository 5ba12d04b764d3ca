"""A fast loopback IVS stand-in for the benchmarks: canned GetChannel and ListChannels answers.

Run by bench.py in its own process, so its CPU time never counts as the client's:

    python benchmarks/server.py PORT
"""

from __future__ import annotations

import json
import sys

from aiohttp import web

ARN = "arn:aws:ivs:us-west-2:123456789012:channel/abcdEFGH1234"


def channel(i: int) -> dict[str, object]:
    return {
        "arn": f"arn:aws:ivs:us-west-2:123456789012:channel/bench{i:07d}",
        "name": f"channel-{i}",
        "latencyMode": "LOW",
        "type": "STANDARD",
        "authorized": False,
        "insecureIngest": False,
        "preset": "",
        "recordingConfigurationArn": "",
        "playbackRestrictionPolicyArn": "",
        "tags": {"team": "video", "env": "bench"},
    }


GET_CHANNEL = json.dumps(
    {
        "channel": {
            **channel(0),
            "arn": ARN,
            "ingestEndpoint": "abcdef.global-contribute.live-video.net",
            "playbackUrl": "https://abcdef.us-west-2.playback.live-video.net/api/video/v1/x.m3u8",
            "srt": {"endpoint": "abcdef.srt.live-video.net", "passphrase": "bench-passphrase"},
            "containerFormat": "TS",
        }
    }
).encode()
LIST_CHANNELS = json.dumps({"channels": [channel(i) for i in range(50)], "nextToken": "next"}).encode()
HEADERS = {"Content-Type": "application/json", "x-amzn-RequestId": "bench-request-id"}


async def get_channel(request: web.Request) -> web.Response:
    await request.read()
    return web.Response(body=GET_CHANNEL, headers=HEADERS)


async def list_channels(request: web.Request) -> web.Response:
    await request.read()
    return web.Response(body=LIST_CHANNELS, headers=HEADERS)


def main() -> None:
    app = web.Application()
    app.router.add_post("/GetChannel", get_channel)
    app.router.add_post("/ListChannels", list_channels)
    web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), access_log=None, print=None)


if __name__ == "__main__":
    main()

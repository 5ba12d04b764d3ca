"""The held-out scenario of a standalone ivs-local: a separate process, another SDK (boto3), a real
RTMP encoder (ffmpeg), events to a webhook, HLS playback, and the state kept across a restart."""

from __future__ import annotations

import asyncio
import json
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import boto3
import imageio_ffmpeg

from tests.support.loopback import LoopbackServer

FFMPEG = imageio_ffmpeg.get_ffmpeg_exe()


def start(state: Path, events_url: str) -> tuple[subprocess.Popen[str], dict[str, str]]:
    process = subprocess.Popen(
        [sys.executable, "-m", "ivs_async.testing", "--port", "0", "--rtmp-port", "0",
         "--state-dir", str(state), "--events-url", events_url, "--events-secret", "hook-secret"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert process.stdout is not None
    banner = [process.stdout.readline() for _ in range(11)]
    settings = dict(line.strip().split("=", 1) for line in banner[1:8])
    rtmp = re.search(r"rtmp://\S+/app/", "".join(banner))
    assert rtmp is not None, banner
    settings["RTMP"] = rtmp.group(0)
    return process, settings


def boto(settings: dict[str, str]) -> Any:
    return boto3.client(
        "ivs",
        endpoint_url=settings["AWS_ENDPOINT_URL_IVS"],
        region_name=settings["AWS_REGION"],
        aws_access_key_id=settings["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=settings["AWS_SECRET_ACCESS_KEY"],
    )


def stop(process: subprocess.Popen[str]) -> None:
    process.send_signal(signal.SIGINT)
    try:
        process.communicate(timeout=20)
    finally:
        process.kill()


async def test_a_standalone_emulator_end_to_end(tmp_path: Path, server: LoopbackServer) -> None:
    state = tmp_path / "state"
    process, settings = start(state, server.endpoint + "/events")
    try:
        ivs = boto(settings)
        created = await asyncio.to_thread(ivs.create_channel, name="standalone")
        arn, key = created["channel"]["arn"], created["streamKey"]["value"]
        encoder = await asyncio.create_subprocess_exec(
            FFMPEG, "-hide_banner", "-loglevel", "error", "-re",
            "-f", "lavfi", "-i", "testsrc=size=320x240:rate=25", "-f", "lavfi", "-i", "sine",
            "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-g", "50", "-c:a", "aac",
            "-t", "30", "-f", "flv", settings["RTMP"] + key,
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
        )  # fmt: skip
        try:
            deadline = time.monotonic() + 20
            playlist = ""
            while time.monotonic() < deadline:
                streams = (await asyncio.to_thread(ivs.list_streams))["streams"]
                if streams:
                    url = (await asyncio.to_thread(ivs.get_channel, arn=arn))["channel"]["playbackUrl"]
                    master = await asyncio.to_thread(_get, url)
                    if "#EXT-X-STREAM-INF" in master:
                        playlist = settings["AWS_ENDPOINT_URL_IVS"] + master.strip().splitlines()[-1]
                        if ".ts" in await asyncio.to_thread(_get, playlist):
                            break
                await asyncio.sleep(0.2)
            assert [s["channelArn"] for s in streams] == [arn]
            session = (await asyncio.to_thread(ivs.get_stream_session, channelArn=arn))["streamSession"]
            assert session["ingestConfiguration"]["video"]["videoWidth"] == 320
            decoded = await asyncio.create_subprocess_exec(
                FFMPEG, "-loglevel", "error", "-i", playlist, "-t", "1", "-f", "null", "-",
                stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
            )  # fmt: skip
            assert await asyncio.wait_for(decoded.wait(), 30) == 0
        finally:
            encoder.kill()
            await encoder.wait()
        deadline = time.monotonic() + 20
        names: list[str] = []
        while time.monotonic() < deadline and "Stream End" not in names:
            await asyncio.sleep(0.1)
            names = [json.loads(r.body)["detail"].get("event_name") for r in server.received]
        assert names[:2] == ["Session Created", "Stream Start"] and "Stream End" in names
        assert all(r.headers.get("X-Webhook-Secret") == "hook-secret" for r in server.received)
    finally:
        stop(process)
    process, settings = start(state, server.endpoint + "/events")
    try:
        channels = (await asyncio.to_thread(boto(settings).list_channels))["channels"]
        assert [c["name"] for c in channels] == ["standalone"]
    finally:
        stop(process)


def _get(url: str) -> str:
    """The body, or "" for an HTTP error (a live stream answers 404 until it is playable)."""
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            text: str = response.read().decode()
            return text
    except urllib.error.HTTPError:
        return ""


def test_a_signal_ends_it_cleanly_with_an_encoder_connected(tmp_path: Path) -> None:
    import tempfile

    for signum in (signal.SIGTERM, signal.SIGHUP):
        process, settings = start(tmp_path / f"state-{signum}", "http://127.0.0.1:9/none")
        try:
            created = boto(settings).create_channel(name="signalled")
            encoder = subprocess.Popen(
                [FFMPEG, "-loglevel", "quiet", "-re", "-f", "lavfi", "-i", "testsrc=size=320x240:rate=25",
                 "-c:v", "libx264", "-preset", "ultrafast", "-g", "25", "-f", "flv",
                 settings["RTMP"] + created["streamKey"]["value"]],
            )  # fmt: skip
            deadline = time.monotonic() + 20
            while not boto(settings).list_streams()["streams"] and time.monotonic() < deadline:
                time.sleep(0.1)
            time.sleep(2)  # ffmpeg packages HLS meanwhile: a child process and a folder
            process.send_signal(signum)
            _, errors = process.communicate(timeout=20)
        finally:
            process.kill()
            encoder.kill()
            encoder.wait()
        assert process.returncode == 0, errors
        assert "Traceback" not in errors and "Exception" not in errors, errors
        # No ffmpeg folder of that process is left (they are named after it).
        assert list(Path(tempfile.gettempdir()).glob(f"ivs-local-*-{process.pid}-*")) == []

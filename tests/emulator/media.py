"""Real media for the emulator tests: an ffmpeg encoder (bundled by imageio-ffmpeg), and a
player's view of MPEG-TS segments."""

from __future__ import annotations

import asyncio
import subprocess
from pathlib import Path
from typing import Any

import aiohttp
import imageio_ffmpeg

from ivs_async import Ivs
from ivs_async.testing import LocalIvs
from tests.emulator.viewer import Variant, Viewer

FFMPEG = imageio_ffmpeg.get_ffmpeg_exe()


async def publish(
    url: str, *, seconds: float = 30, size: str = "640x360", rate: int = 25, options: tuple[str, ...] = ()
) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        FFMPEG, "-hide_banner", "-loglevel", "error", "-re",
        "-f", "lavfi", "-i", f"testsrc=size={size}:rate={rate}",
        "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000",
        "-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency", "-pix_fmt", "yuv420p",
        "-g", str(rate * 2), "-b:v", "800k", "-c:a", "aac", "-ac", "2", "-b:a", "128k",
        "-t", str(seconds), *options, "-f", "flv", url,
        stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip


async def until(predicate: Any, seconds: float = 15) -> None:
    for _ in range(int(seconds / 0.05)):
        if await predicate():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("not reached in time")


async def described(ivs: LocalIvs, client: Ivs, arn: str, *, width: int) -> bool:
    """The channel is live and its session describes the encoder's stream (its width)."""
    if not ivs.is_live(arn):
        return False
    session = (await client.get_stream_session(channel_arn=arn)).stream_session
    ingest = session.ingest_configuration if session else None
    return ingest is not None and ingest.video is not None and ingest.video.video_width == width


async def stop(process: asyncio.subprocess.Process) -> None:
    if process.returncode is None:
        process.kill()
    await process.wait()


def timed_id3_of(data: bytes, folder: Path) -> tuple[list[str], bytes]:
    """What a player sees: the segment's streams (ffmpeg's listing) and its timed ID3 payloads."""
    path = folder / "probe.ts"
    path.write_bytes(data)
    listing = subprocess.run([FFMPEG, "-hide_banner", "-i", str(path)], capture_output=True, text=True, timeout=30)
    streams = [line.strip() for line in listing.stderr.splitlines() if line.strip().startswith("Stream #")]
    extracted = subprocess.run(
        [
            FFMPEG,
            "-hide_banner",
            "-loglevel",
            "error",
            "-i",
            str(path),
            "-map",
            "0:d?",
            "-c",
            "copy",
            "-f",
            "data",
            "-",
        ],
        capture_output=True,
        timeout=30,
    )
    return streams, extracted.stdout


async def playable_variant(ivs: LocalIvs, client: Ivs, arn: str, http: aiohttp.ClientSession) -> tuple[Variant, str]:
    """The channel's best variant and its playlist, once its ingest is live and playable."""
    await until(lambda: asyncio.sleep(0, result=ivs.is_live(arn)), seconds=20)
    channel = (await client.get_channel(arn=arn)).channel
    assert channel is not None and channel.playback_url
    return await Viewer(http).first_variant(channel.playback_url)


async def decodes(url: str) -> list[str]:
    """What ffmpeg, as a player, finds in the stream at ``url``: its streams (it decodes a second)."""
    probe = await asyncio.create_subprocess_exec(
        FFMPEG, "-hide_banner", "-i", url, "-t", "1", "-f", "null", "-",
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    _, errors = await asyncio.wait_for(probe.communicate(), 30)
    text = errors.decode()
    assert probe.returncode == 0, text[-500:]
    return [line.strip() for line in text.splitlines() if line.strip().startswith("Stream #0:")]


def byte_ranges(playlist: str) -> list[tuple[str, int, int]]:
    """(file, offset, length) of each part of a byte-range playlist."""
    found, pending = [], None
    for line in playlist.splitlines():
        if line.startswith("#EXT-X-BYTERANGE:"):
            length, offset = line.split(":", 1)[1].split("@")
            pending = (int(offset), int(length))
        elif line and not line.startswith("#") and pending is not None:
            found.append((line, *pending))
            pending = None
    return found

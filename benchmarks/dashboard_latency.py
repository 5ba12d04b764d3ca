"""How fast the IVS Local dashboard follows an encoder, as a user watching it sees it.

    python benchmarks/dashboard_latency.py [--runs 5] [--chromium /usr/bin/chromium]

Starts ``ivs-local`` (another process), opens the Dashboard URL its banner prints in headless
Chromium (driven by Playwright), then ``--runs`` times: ffmpeg publishes to a channel, and the
script times how long until the page shows the channel LIVE, and until its player plays; then
ffmpeg stops, and until the page shows it OFFLINE. Prints the median and the slowest of each.
Needs the ``test`` extra (playwright, imageio-ffmpeg) and a Chromium.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import shutil
import statistics
import sys
import time
from typing import Any

import imageio_ffmpeg
from playwright.async_api import async_playwright

from ivs_async import Ivs, StaticCredentials

FFMPEG = imageio_ffmpeg.get_ffmpeg_exe()


async def start_emulator() -> tuple[asyncio.subprocess.Process, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "ivs_async.testing", "--port", "0", "--rtmp-port", "0",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    assert process.stdout is not None
    banner = ""
    while "Ctrl-C" not in banner:
        banner += (await process.stdout.readline()).decode()
    return process, banner


async def publish(url: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        FFMPEG, "-hide_banner", "-loglevel", "error", "-re",
        "-f", "lavfi", "-i", "testsrc=size=640x360:rate=25", "-f", "lavfi", "-i", "sine=frequency=440",
        "-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency", "-pix_fmt", "yuv420p", "-g", "50",
        "-c:a", "aac", "-t", "120", "-f", "flv", url,
        stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip


async def seconds_until(page: Any, selector: str, since: float) -> float:
    await page.wait_for_selector(selector, timeout=60_000)
    return time.monotonic() - since


async def main(runs: int, chromium: str) -> None:
    process, banner = await start_emulator()
    settings = dict(re.findall(r"^  (AWS_[A-Z_]+)=(\S+)$", banner, re.MULTILINE))
    found = re.search(r"^Dashboard: (\S+)$", banner, re.MULTILINE)
    rtmp = re.search(r"rtmp://\S+/app/", banner)
    assert found is not None and rtmp is not None, banner
    timings: dict[str, list[float]] = {"LIVE on the page": [], "playing": [], "OFFLINE on the page": []}
    try:
        credentials = StaticCredentials(settings["AWS_ACCESS_KEY_ID"], settings["AWS_SECRET_ACCESS_KEY"])
        async with Ivs(
            region=settings["AWS_REGION"], endpoint=settings["AWS_ENDPOINT_URL_IVS"], credentials=credentials
        ) as ivs:
            created = await ivs.create_channel(name="bench")
        assert created.channel and created.channel.arn and created.stream_key and created.stream_key.value
        row = f'#channels tr[data-arn="{created.channel.arn}"]'
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(
                executable_path=chromium, args=["--no-sandbox", "--autoplay-policy=no-user-gesture-required"]
            )
            page = await browser.new_page()
            await page.goto(found.group(1))
            await page.wait_for_selector(f'{row}[data-state="OFFLINE"]')
            for _ in range(runs):
                started = time.monotonic()
                encoder = await publish(rtmp.group(0) + created.stream_key.value)
                timings["LIVE on the page"].append(await seconds_until(page, f'{row}[data-state="LIVE"]', started))
                timings["playing"].append(await seconds_until(page, "#player-status[data-state=playing]", started))
                await asyncio.sleep(2)
                stopped = time.monotonic()
                encoder.kill()
                await encoder.wait()
                timings["OFFLINE on the page"].append(
                    await seconds_until(page, f'{row}[data-state="OFFLINE"]', stopped)
                )
            await browser.close()
    finally:
        process.terminate()
        await process.wait()
    for name, values in timings.items():
        print(f"{name:>22}: median {statistics.median(values):.2f} s, slowest {max(values):.2f} s ({runs} runs)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--chromium", default=shutil.which("chromium") or "/usr/bin/chromium")
    arguments = parser.parse_args()
    asyncio.run(main(arguments.runs, arguments.chromium))

"""Real players in a real browser: headless Chromium (Debian's ``chromium``, which ``.ci/run``
installs) driven by Playwright, playing IVS Local from a page of another origin with hls.js and
with the Amazon IVS Player Web SDK.

Both players come from the npm registry at the first run, into ``.cache/browser`` (never
committed; the IVS player is AWS's, under AWS's terms). Outside CI, a machine without Chromium or
npm skips these tests and says why; in CI (``CI`` set, as ``.ci/run`` sets it) that is a failure.
Chromium resolves no host name but 127.0.0.1: nothing leaves the machine (the IVS player tries
Amazon's telemetry hosts, and fails).
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, NoReturn
from urllib.parse import urlsplit

import pytest
from aiohttp import web

from tests.support.npm import npm_install
from tests.support.npm import unavailable as _unavailable

ROOT = Path(__file__).resolve().parents[2]
PAGES = Path(__file__).parent / "pages"
NPM_DIR = ROOT / ".cache" / "browser"
PACKAGES = ("hls.js@1.7.4", "amazon-ivs-player@1.56.1", "esbuild@0.28.2", "events@3.3.0")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-default-apps",
    "--disable-sync",
    "--no-first-run",
    "--autoplay-policy=no-user-gesture-required",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",  # nothing resolves but 127.0.0.1
]
# What the page server serves of the npm packages: the players and the IVS player's worker.
_SERVED = {
    "/npm/hls.js/dist/hls.min.js": "node_modules/hls.js/dist/hls.min.js",
    "/npm/amazon-ivs-player/dist/assets/amazon-ivs-wasmworker.min.js": (
        "node_modules/amazon-ivs-player/dist/assets/amazon-ivs-wasmworker.min.js"
    ),
    "/npm/amazon-ivs-player/dist/assets/amazon-ivs-wasmworker.min.wasm": (
        "node_modules/amazon-ivs-player/dist/assets/amazon-ivs-wasmworker.min.wasm"
    ),
    "/ivs/amazon-ivs-player.iife.js": "amazon-ivs-player.iife.js",
}
_TYPES = {".html": "text/html", ".js": "text/javascript", ".wasm": "application/wasm"}


def unavailable(reason: str) -> NoReturn:
    _unavailable("browser tests", reason)


@pytest.fixture(scope="session")
def chromium() -> str:
    found = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
    if found is None:
        unavailable("no chromium on this machine (Debian: apt-get install chromium; .ci/run does)")
    try:
        import playwright  # noqa: F401
    except ImportError:
        unavailable("playwright is not installed (the test extras have it)")
    return found


@pytest.fixture(scope="session")
def npm_packages() -> Path:
    """The players, installed from the npm registry once, and the IVS player bundled for a page."""
    bundle = NPM_DIR / "amazon-ivs-player.iife.js"
    if npm_install(NPM_DIR, PACKAGES, "browser tests") or not bundle.is_file():
        bundled = subprocess.run(
            [
                str(NPM_DIR / "node_modules" / ".bin" / "esbuild"),
                str(NPM_DIR / "node_modules" / "amazon-ivs-player" / "dist" / "index.js"),
                "--bundle", "--format=iife", "--global-name=IVSPlayer", "--platform=browser", "--log-level=error",
                f"--outfile={bundle}",
            ],
            capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip
        if bundled.returncode != 0:
            unavailable(f"esbuild could not bundle the IVS player: {bundled.stderr[-500:]}")
    return NPM_DIR


@pytest.fixture
async def pages(npm_packages: Path) -> AsyncIterator[str]:
    """The origin of the test pages (another port of 127.0.0.1 than the emulator's: another origin)."""

    async def serve(request: web.Request) -> web.StreamResponse:
        path = request.path
        source = npm_packages / _SERVED[path] if path in _SERVED else PAGES / path.lstrip("/")
        if (source.parent != PAGES and path not in _SERVED) or not source.is_file():
            return web.Response(status=404)
        return web.Response(body=source.read_bytes(), content_type=_TYPES.get(source.suffix, "text/plain"))

    app = web.Application()
    app.router.add_get("/{path:.*}", serve)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


class Tab:
    """One page in headless Chromium: its console errors, the hosts that answered it, its ``window.R``."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.console_errors: list[str] = []
        self.hosts: set[str] = set()  # host:port of every answer the page received
        self.requested: set[str] = set()  # host:port of every request the page made (aborted ones too)
        page.on("request", lambda request: self.requested.add(urlsplit(request.url).netloc or request.url[:5]))
        page.on("console", self._logged)
        page.on("pageerror", lambda error: self.console_errors.append(str(error)))
        self.failed: list[tuple[int, str]] = []  # (status, URL) of the answers of 400 or more
        page.on("response", self._answered)

    def _logged(self, message: Any) -> None:
        if message.type == "error":
            self.console_errors.append(message.text)

    def _answered(self, response: Any) -> None:
        self.hosts.add(response.url.split("/")[2])
        if response.status >= 400:
            self.failed.append((response.status, response.url))

    async def results(self) -> dict[str, Any]:
        found: dict[str, Any] = await self.page.evaluate("JSON.parse(JSON.stringify(window.R))")
        return found

    async def current_time(self) -> float:
        return float(await self.page.evaluate("document.getElementById('video').currentTime"))


@pytest.fixture
async def browser(chromium: str) -> AsyncIterator[Any]:
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            await launched.close()


@pytest.fixture
async def open_tab(browser: Any) -> AsyncIterator[Any]:
    """``await open_tab(url)``: a new page at ``url`` (in a context of its own), as a Tab."""
    contexts = []

    async def open_url(url: str) -> Tab:
        context = await browser.new_context()
        contexts.append(context)
        # What is not for 127.0.0.1 is never sent (the IVS player asks Amazon's hosts for its
        # configuration and telemetry, and plays without them).
        await context.route(lambda url: not url.startswith("http://127.0.0.1:"), lambda route: route.abort())
        page = await context.new_page()
        tab = Tab(page)
        await page.goto(url)
        return tab

    yield open_url
    for context in contexts:
        await context.close()

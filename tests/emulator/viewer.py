"""A player's view of the emulator's playback, for tests: the requests an HLS player makes, in order."""

from __future__ import annotations

import asyncio
import re
from urllib.parse import urljoin

import aiohttp
import attrs

_ATTRIBUTE = re.compile(r'([A-Z0-9-]+)=("[^"]*"|[^,]*)')


@attrs.frozen
class Answer:
    status: int
    body: bytes
    headers: dict[str, str]

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


@attrs.frozen
class Variant:
    url: str
    info: dict[str, str]  # the #EXT-X-STREAM-INF attributes (quotes removed)


class Viewer:
    """Fetches like a player: the same headers (``Origin``, the viewer's country) on every request."""

    def __init__(self, http: aiohttp.ClientSession, **headers: str) -> None:
        self.http = http
        self.headers = headers

    async def get(self, url: str) -> Answer:
        async with self.http.get(url, headers=self.headers) as response:
            return Answer(response.status, await response.read(), dict(response.headers))

    async def playable(self, url: str, seconds: float = 60) -> Answer:
        """The multivariant playlist, once the stream is playable (a live stream's first seconds
        answer 404, as IVS does); any other answer at once."""
        for _ in range(int(seconds / 0.1)):
            answer = await self.get(url)
            if answer.status != 404 or "not yet playable" not in answer.text:
                return answer
            await asyncio.sleep(0.1)
        raise AssertionError(f"{url} did not become playable in {seconds} s")

    @staticmethod
    def variants(url: str, multivariant: str) -> list[Variant]:
        found, info = [], None
        for line in multivariant.splitlines():
            if line.startswith("#EXT-X-STREAM-INF:"):
                info = {k: v.strip('"') for k, v in _ATTRIBUTE.findall(line.split(":", 1)[1])}
            elif line and not line.startswith("#") and info is not None:
                found.append(Variant(urljoin(url, line), info))
                info = None
        return found

    @staticmethod
    def segments(url: str, playlist: str) -> list[str]:
        return [urljoin(url, line) for line in playlist.splitlines() if line and not line.startswith("#")]

    @staticmethod
    def media_sequence(playlist: str) -> int:
        found = re.search(r"#EXT-X-MEDIA-SEQUENCE:(\d+)", playlist)
        assert found is not None, playlist
        return int(found.group(1))

    async def first_variant(self, url: str) -> tuple[Variant, str]:
        """The best variant of a playable stream, and its playlist's text."""
        multivariant = await self.playable(url)
        assert multivariant.status == 200, (multivariant.status, multivariant.text)
        variant = self.variants(url, multivariant.text)[0]
        playlist = await self.get(variant.url)
        assert playlist.status == 200, (playlist.status, playlist.text)
        return variant, playlist.text

"""What players fetch: a live channel's playback URL (its multivariant playlist), then variant
playlists and segments, each answered with the CORS headers browsers need.

The authorization a viewer showed on the multivariant playlist travels with every later request
the way IVS's does, in the URLs themselves: each variant playlist and segment URL carries a
signed ticket naming the viewing (channel, stream, rendition, viewer, and what the token demands
of later requests), which only this emulator can make and which is checked again, against the
state of the moment (the stream still live, revocations, policies), at every request.

A playlist never names something that is not served: until a live stream has a finished segment
its playback URL answers 404, as IVS answers for a channel that is not yet playable.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

import attrs
from aiohttp import web

from ivs_async._protocol.json import JsonError, loads
from ivs_async.testing._backend import CHANNEL, IvsBackend
from ivs_async.testing._playback import PlaybackRefused, Viewing

MULTIVARIANT = re.compile(r"/api/video/v1/([a-z0-9-]+)\.([0-9]+)\.channel\.([a-zA-Z0-9-]+)\.m3u8")
_VARIANT = re.compile(r"/v1/playlist/([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)\.m3u8")
_SEGMENT = re.compile(r"/v1/segment/([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)/([0-9]{1,12})\.ts")
_PREFIXES = ("/api/video/v1/", "/v1/playlist/", "/v1/segment/")
_MAX_TICKET = 2048
_PLAYLIST_TYPE = "application/vnd.apple.mpegurl"
_SEGMENT_TYPE = "video/mp2t"
# Renditions a token's aws:maximum-resolution allows, by their height.
_HEIGHTS = {"FULL_HD": 1080, "HD": 720, "SD": 480}
_REQUEST_HEADER = re.compile(r"[A-Za-z0-9!#$%&'*+.^_`|~-]+")
_NOT_YET = "the stream is live but not yet playable; try again in a few seconds"
_RANGE = re.compile(r"bytes=([0-9]{0,15})-([0-9]{0,15})")
_MAX_SEGMENT_LAG = 8  # how far behind the window a segment may still be fetched (a slow player)


@attrs.frozen
class Rendition:
    """One rendition of a live stream, as a multivariant playlist describes it."""

    name: str
    width: int | None
    height: int | None
    frame_rate: float | None
    bandwidth: int
    codecs: str | None


class LiveMedia(Protocol):
    """The media of one live stream: a real ingest's (``_hls``) or a simulated one's (``_pattern``)."""

    stream_id: str

    def renditions(self) -> tuple[Rendition, ...]:
        """Best first; empty until the stream has a finished segment."""

    @property
    def problem(self) -> str:
        """Why the stream will have no segments (ffmpeg failed), or ""."""

    def window(self) -> tuple[int, list[float]]:
        """The number of the first segment a playlist lists now, and the durations of those listed."""

    def segment(self, rendition: str, number: int) -> bytes | Path | None:
        """A finished segment (its bytes, or the file holding them), or None."""

    def timed_metadata(self, text: str) -> None:
        """A PutMetadata payload, placed where the live edge is now."""


class Delivery:
    """Answers a playback request (GET, HEAD, or a CORS preflight) on one of the emulator's paths."""

    def __init__(
        self, backend: IvsBackend, media_of: Callable[[str], LiveMedia | None], *, no_media_reason: str = ""
    ) -> None:
        self._backend = backend
        self._media_of = media_of
        self._key = os.urandom(32)  # tickets are this emulator's own: nobody else can make one
        self.no_media_reason = no_media_reason

    @staticmethod
    def serves(path: str) -> bool:
        return path.startswith(_PREFIXES)

    def handle(self, request: web.Request, path: str) -> web.StreamResponse:
        origin = request.headers.get("Origin")
        if request.method == "OPTIONS":
            response: web.StreamResponse = _preflight(request)
        elif request.method not in ("GET", "HEAD"):
            response = _text(405, "playback URLs take GET and HEAD")
            response.headers["Allow"] = "GET, HEAD, OPTIONS"
        else:
            try:
                response = self._answer(request, path, origin)
            except PlaybackRefused as exc:
                response = _text(403, f"playback refused: {exc}")
        # Every answer, refusals included, is readable by a page of any origin: a player must see a
        # 403 as a 403 (an authorization error), not as a network failure.
        response.headers["Access-Control-Allow-Origin"] = origin or "*"
        if origin:
            response.headers["Vary"] = "Origin"
        return response

    def _answer(self, request: web.Request, path: str, origin: str | None) -> web.StreamResponse:
        country = request.headers.get("X-IVS-Local-Viewer-Country")  # simulates where the viewer is
        match = MULTIVARIANT.fullmatch(path)
        if match is not None:
            region, account, channel_id = match.groups()
            arn = f"arn:aws:ivs:{region}:{account}:{CHANNEL}/{channel_id}"
            viewing = self._backend.authorize_playback(arn, request.query.get("token"), origin, country)
            if viewing is None:
                return _text(404, "channel is offline or does not exist")
            return self._multivariant(viewing)
        match = _VARIANT.fullmatch(path)
        if match is not None:
            viewing = self._read_ticket(match.group(1))
            media = self._continued(viewing, origin, country)
            if media is None or viewing.rendition not in {r.name for r in media.renditions()}:
                return _text(404, "the stream of this playlist has ended")
            return self._variant(viewing, media)
        match = _SEGMENT.fullmatch(path)
        if match is not None:
            viewing = self._read_ticket(match.group(1))
            media = self._continued(viewing, origin, country)
            number = int(match.group(2))
            first, durations = media.window() if media is not None else (0, [])
            if media is None or not first - _MAX_SEGMENT_LAG <= number < first + len(durations):
                return _text(404, "no such segment (the stream ended, or it left the playlist)")
            found = media.segment(viewing.rendition, number)
            if isinstance(found, Path):
                found = _read(found)
            if found is None:
                return _text(404, "no such segment (it left the playlist)")
            return _segment(found, request.headers.get("Range"))
        return _text(404, "no such playback resource")

    def _continued(self, viewing: Viewing, origin: str | None, country: str | None) -> LiveMedia | None:
        """The stream's media when ``viewing`` may go on; None when its stream has ended."""
        if not self._backend.authorize_viewing(viewing, origin, country):
            return None
        media = self._media_of(viewing.channel_arn)
        return media if media is not None and media.stream_id == viewing.stream_id else None

    def _multivariant(self, viewing: Viewing) -> web.Response:
        media = self._media_of(viewing.channel_arn)
        if media is None or media.stream_id != viewing.stream_id:
            return _text(404, self.no_media_reason or _NOT_YET)
        renditions = media.renditions()
        if not renditions:
            return _text(404, media.problem or _NOT_YET)
        cap = _HEIGHTS.get(viewing.maximum_resolution or "FULL_HD", 1080)
        allowed = [r for r in renditions if r.height is None or r.height <= cap] or [renditions[-1]]
        lines = ["#EXTM3U", "#EXT-X-INDEPENDENT-SEGMENTS"]
        for rendition in allowed:
            lines.append(
                f'#EXT-X-MEDIA:TYPE=VIDEO,GROUP-ID="{rendition.name}",NAME="{rendition.name}",'
                "AUTOSELECT=YES,DEFAULT=YES"
            )
            info = [f"BANDWIDTH={rendition.bandwidth}"]
            if rendition.width and rendition.height:
                info.append(f"RESOLUTION={rendition.width}x{rendition.height}")
            if rendition.codecs:
                info.append(f'CODECS="{rendition.codecs}"')
            if rendition.frame_rate:
                info.append(f"FRAME-RATE={rendition.frame_rate:.3f}")
            info.append(f'VIDEO="{rendition.name}"')
            lines.append("#EXT-X-STREAM-INF:" + ",".join(info))
            lines.append(f"/v1/playlist/{self._ticket(attrs.evolve(viewing, rendition=rendition.name))}.m3u8")
        return _playlist(lines)

    def _variant(self, viewing: Viewing, media: LiveMedia) -> web.Response:
        first, durations = media.window()
        ticket = self._ticket(viewing)
        lines = [
            "#EXTM3U",
            "#EXT-X-VERSION:3",
            f"#EXT-X-TARGETDURATION:{max([2, *(int(-(-d // 1)) for d in durations)])}",
            f"#EXT-X-MEDIA-SEQUENCE:{first}",
        ]
        for offset, duration in enumerate(durations):
            lines += [f"#EXTINF:{duration:.3f},", f"/v1/segment/{ticket}/{first + offset}.ts"]
        return _playlist(lines)

    # -- tickets --------------------------------------------------------------------------------

    def _ticket(self, viewing: Viewing) -> str:
        fields = [
            viewing.channel_arn,
            viewing.stream_id,
            viewing.rendition,
            viewing.viewer_id,
            viewing.session_version,
            list(viewing.origins),
            viewing.strict,
            viewing.maximum_resolution,
        ]
        body = _b64(json.dumps(fields, separators=(",", ":")).encode())
        return f"{body}.{_b64(self._sign(body))}"

    def _read_ticket(self, ticket: str) -> Viewing:
        body, _, signature = ticket.partition(".")
        try:
            valid = len(ticket) <= _MAX_TICKET and hmac.compare_digest(_unb64(signature), self._sign(body))
            fields = loads(_unb64(body), max_depth=3) if valid else None
        except (binascii.Error, ValueError, JsonError):
            fields = None
        if not isinstance(fields, list) or len(fields) != 8:
            raise PlaybackRefused("this playback URL was not issued by this emulator (or it restarted since)")
        arn, stream, rendition, viewer, version, origins, strict, maximum = fields
        return Viewing(arn, stream, rendition, viewer, version, tuple(origins), strict, maximum)

    def _sign(self, body: str) -> bytes:
        return hmac.new(self._key, body.encode(), hashlib.sha256).digest()[:16]


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _playlist(lines: list[str]) -> web.Response:
    response = web.Response(text="\n".join(lines) + "\n", content_type=_PLAYLIST_TYPE)
    response.headers["Cache-Control"] = "no-cache"  # a live playlist changes every segment
    return response


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes()  # a finished segment: a few MB at most
    except OSError:
        return None


def _segment(data: bytes, asked: str | None) -> web.Response:
    """A segment, or the one byte range ``asked`` (``bytes=first-last``, ``first-``, ``-suffix``)."""
    headers = {"Accept-Ranges": "bytes"}
    match = _RANGE.fullmatch(asked.strip()) if asked else None
    if match is None:  # no Range, or one this answer ignores (several ranges): the whole segment
        return web.Response(body=data, content_type=_SEGMENT_TYPE, headers=headers)
    first, last = match.groups()
    size = len(data)
    if first:
        start, end = int(first), min(int(last) if last else size - 1, size - 1)
    else:
        start, end = max(0, size - int(last or 0)), size - 1
    if start > end or start >= size:
        headers["Content-Range"] = f"bytes */{size}"
        return web.Response(status=416, headers=headers)
    headers["Content-Range"] = f"bytes {start}-{end}/{size}"
    return web.Response(status=206, body=data[start : end + 1], content_type=_SEGMENT_TYPE, headers=headers)


def _text(status: int, text: str) -> web.Response:
    return web.Response(status=status, text=text)


def _preflight(request: web.Request) -> web.Response:
    """A CORS preflight: GET and HEAD from any origin, with the headers the page asked for."""
    response = web.Response(status=204)
    response.headers["Access-Control-Allow-Methods"] = "GET, HEAD, OPTIONS"
    asked = request.headers.get("Access-Control-Request-Headers", "")[:1024]
    names = [name.strip() for name in asked.split(",") if _REQUEST_HEADER.fullmatch(name.strip())]
    if names:
        response.headers["Access-Control-Allow-Headers"] = ", ".join(names[:32])
    response.headers["Access-Control-Max-Age"] = "86400"
    return response

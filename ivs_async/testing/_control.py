"""The emulator's control API under ``/_ivs_local/``: what LocalIvs's Python methods do, over HTTP,
so tests in any language (and curl) can drive a standalone ``ivs-local``.

JSON in and out, camelCase keys, no signature. Bad input is a 400 with ``{"message": ...}``; an
unknown path a 404.

It has no credentials, so it answers only requests no web page can make for another site (403
otherwise): the ``Host`` must name the emulator (an IP address, ``localhost`` or its advertised
host: a page of a DNS-rebinding domain is refused), an ``Origin`` must be the emulator's own, a
browser's ``Sec-Fetch-Site`` must say the same, and a POST must be ``application/json``, which a page
of another origin cannot send without the preflight this API never grants. Bodies are bounded: a
snapshot's size for ``load``, 64 KiB otherwise.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

import attrs
from aiohttp import web

from ivs_async._generated.ivs.commands import OPERATIONS
from ivs_async._protocol.json import MAX_DEPTH, JsonError, loads
from ivs_async._protocol.validation import compile_wire_validator
from ivs_async.testing._backend import MAX_STATE_BYTES, EmulatorError, ServiceError, wire_time
from ivs_async.testing._dashboard import KEY_PAIR_NAME, StaticFiles
from ivs_async.testing._faults import KNOWN_OPERATIONS, Fault, FaultKind

if TYPE_CHECKING:
    from ivs_async.testing._local import LocalIvs

PREFIX = "/_ivs_local/"
_MAX_BODY = 64 * 1024  # any body but a snapshot's
_MAX_LISTED = 1000  # events and metadata records an answer lists at most
_PUT_METADATA = compile_wire_validator(OPERATIONS["PutMetadata"].input)


class ControlApi:
    """Routes ``/_ivs_local/...`` requests to a LocalIvs."""

    def __init__(self, local: LocalIvs, *, body_timeout: float) -> None:
        self._local = local
        self._body_timeout = body_timeout  # the IVS API's: a body must arrive within it
        self._loading = asyncio.Lock()
        self._routes: dict[tuple[str, str], Callable[[web.Request], Awaitable[web.StreamResponse]]] = {
            ("GET", "health"): self._health,
            ("POST", "reset"): self._reset,
            ("GET", "snapshot"): self._snapshot,
            ("POST", "load"): self._load,
            ("POST", "streams/start"): self._start,
            ("POST", "streams/end"): self._end,
            ("POST", "streams/update"): self._update,
            ("POST", "faults"): self._add_fault,
            ("DELETE", "faults"): self._clear_faults,
            ("GET", "events"): self._events,
            ("GET", "metadata"): self._metadata,
            ("GET", "ad-breaks"): self._ad_breaks,
            ("GET", "revocations"): self._revocations,
            ("GET", "requests"): self._requests,
            ("GET", "channels"): self._channels,
            ("GET", "recordings"): self._recordings,
            ("GET", "faults"): self._faults,
            ("POST", "metadata"): self._put_metadata,
            ("GET", "dashboard/key"): self._dashboard_key,
            ("POST", "dashboard/key"): self._import_dashboard_key,
            ("POST", "dashboard/token"): self._dashboard_token,
        }
        self._files = StaticFiles()

    async def handle(self, request: web.Request, path: str) -> web.StreamResponse:
        name = path[len(PREFIX) :]
        page = request.method in ("GET", "HEAD") and name.startswith("dashboard/") and self._files.serves(name[10:])
        refused = self._foreign(request, page=name == "dashboard/" and request.method in ("GET", "HEAD"))
        if refused:
            return _json({"message": f"refused: {refused}"}, 403)
        if page:
            return self._files.answer(request, name[10:])
        if name == "dashboard" and request.method in ("GET", "HEAD"):
            raise web.HTTPFound(PREFIX + "dashboard/")
        route = self._routes.get((request.method, name.rstrip("/")))
        if route is None:
            known = ", ".join(f"{m} {PREFIX}{p}" for m, p in self._routes)
            return _json({"message": f"no control route {request.method} {path[:100]}; routes: {known}"}, 404)
        try:
            return await route(request)
        except (EmulatorError, ValueError, TypeError) as exc:
            return _json({"message": str(exc)[:1000]}, 400)

    def _foreign(self, request: web.Request, *, page: bool = False) -> str:
        """Why a request may come from a web page of another site (DNS rebinding, cross-origin), or "".

        ``page``: the dashboard's HTML, which a link on another site may open in a tab of its own
        (not a frame: its policy forbids those); everything it then asks for is checked in full."""
        host = request.host
        name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
        name = name.strip("[]").lower()
        if not _names_this_emulator(name, self._local):
            return (
                f"the Host header names {name[:100]!r}, which is not this emulator (ivs-local --advertise-host "
                "names the host other machines reach it at)"
            )
        origin = request.headers.get("Origin")
        if origin is not None and origin != f"http://{host}":
            return f"a request from another origin ({origin[:100]!r})"
        navigation = page and (request.headers.get("Sec-Fetch-Mode"), request.headers.get("Sec-Fetch-Dest")) == (
            "navigate",
            "document",
        )
        if request.headers.get("Sec-Fetch-Site", "same-origin") not in ("same-origin", "none") and not navigation:
            return "a browser request from another site"
        if request.method == "POST" and request.content_type != "application/json":
            return "a request that changes the emulator must send JSON (Content-Type: application/json)"
        return ""

    async def _raw(self, request: web.Request, limit: int = _MAX_BODY) -> bytes:
        chunks, size = [], 0
        try:
            async with asyncio.timeout(self._body_timeout):
                while chunk := await request.content.read(65536):
                    size += len(chunk)
                    if size > limit:
                        raise ValueError(f"the body is larger than {limit} bytes")
                    chunks.append(chunk)
        except TimeoutError:
            raise ValueError("the body did not arrive in time") from None
        return b"".join(chunks)

    async def _body(self, request: web.Request) -> dict[str, Any]:
        raw = await self._raw(request)
        try:
            data = loads(raw, max_depth=MAX_DEPTH) if raw.strip() else {}
        except JsonError as exc:
            raise ValueError(f"the body is {exc.reason}") from None
        if not isinstance(data, dict):
            raise ValueError("the body must be a JSON object")
        return data

    async def _health(self, request: web.Request) -> web.StreamResponse:
        ivs = self._local
        return _json(
            {
                "status": "ok",
                "region": ivs.region,
                "accountId": ivs.account_id,
                "endpoint": ivs.endpoint,
                "rtmpUrl": ivs.rtmp_url if ivs.rtmp_port is not None and ivs._rtmp is not None else None,
                "rtmpsUrl": ivs.rtmps_url if ivs.rtmps_port is not None and ivs._rtmps is not None else None,
                "recordings": ivs._broadcasts.recordings_dir is not None,
            }
        )

    async def _reset(self, request: web.Request) -> web.StreamResponse:
        self._local.reset()
        return web.Response(status=204)

    async def _snapshot(self, request: web.Request) -> web.StreamResponse:
        return web.Response(text=self._local.snapshot(), content_type="application/json")

    async def _load(self, request: web.Request) -> web.StreamResponse:
        if request.content_length is not None and request.content_length > MAX_STATE_BYTES:
            refused = _json({"message": f"the body is larger than {MAX_STATE_BYTES} bytes"}, 400)
            refused.force_close()  # its body is not read: the connection cannot carry another request
            return refused
        if self._loading.locked():  # each load may hold a state's size in memory: one at a time
            return _json({"message": "another load is in progress; try again when it is done"}, 409)
        async with self._loading:
            return await self._load_one(request)

    async def _load_one(self, request: web.Request) -> web.StreamResponse:
        raw = await self._raw(request, MAX_STATE_BYTES)
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise ValueError("the body is not UTF-8") from None
        await asyncio.to_thread(self._local.load, text)  # checked and taken off the event loop
        return web.Response(status=204)

    async def _start(self, request: web.Request) -> web.StreamResponse:
        body = await self._body(request)
        stream_id = self._local.start_stream(
            _text(body, "channelArn"),
            health=_text(body, "health", "HEALTHY"),
            viewer_count=_int(body, "viewerCount", 0),
        )
        return _json({"streamId": stream_id})

    async def _end(self, request: web.Request) -> web.StreamResponse:
        body = await self._body(request)
        failure = body.get("failure")
        if failure is not None and not isinstance(failure, str):
            raise ValueError("failure must be an error code (a string)")
        self._local.end_stream(_text(body, "channelArn"), failure=failure)
        return web.Response(status=204)

    async def _update(self, request: web.Request) -> web.StreamResponse:
        body = await self._body(request)
        health = body.get("health")
        viewers = body.get("viewerCount")
        if health is not None and not isinstance(health, str):
            raise ValueError("health must be a string")
        if viewers is not None and (isinstance(viewers, bool) or not isinstance(viewers, int)):
            raise ValueError("viewerCount must be an integer")
        self._local.update_stream(_text(body, "channelArn"), health=health, viewer_count=viewers)
        return web.Response(status=204)

    async def _add_fault(self, request: web.Request) -> web.StreamResponse:
        body = await self._body(request)
        names = {
            "kind": "kind",
            "operation": "operation",
            "times": "times",
            "status": "status",
            "errorCode": "error_code",
            "message": "message",
            "headers": "headers",
            "delay": "delay",
            "probability": "probability",
        }
        unknown = sorted(set(body) - set(names))
        if unknown:
            raise ValueError(f"unknown fault fields {unknown}; known: {sorted(names)}")
        options = {names[k]: v for k, v in body.items()}
        kind = options.pop("kind", "ERROR")
        if kind not in FaultKind.__members__:
            raise ValueError(f"kind must be one of {', '.join(FaultKind.__members__)}")
        self._local.faults.add(Fault(kind=FaultKind[kind], **options))
        return web.Response(status=204)

    async def _clear_faults(self, request: web.Request) -> web.StreamResponse:
        self._local.faults.clear()
        return web.Response(status=204)

    async def _events(self, request: web.Request) -> web.StreamResponse:
        return _json({"events": _latest(self._local.recent_events(), request)})

    async def _metadata(self, request: web.Request) -> web.StreamResponse:
        return _json({"metadata": _records(_latest(self._local.metadata(request.query.get("channelArn")), request))})

    async def _put_metadata(self, request: web.Request) -> web.StreamResponse:
        """What PutMetadata does, unsigned: the same checks and rates, and the payload reaches the
        live stream's segments."""
        body = await self._body(request)
        unknown = sorted(set(body) - {"channelArn", "metadata"})
        if unknown:
            raise ValueError(f"unknown fields {unknown}; known: ['channelArn', 'metadata']")
        violations = _PUT_METADATA(body)
        if violations:
            raise ValueError("; ".join(f"{v.path} {v.message}" for v in violations))
        try:
            self._local._backend.handle("PutMetadata", body)
        except ServiceError as exc:
            return _json({"message": exc.message, "code": exc.code}, 400)
        self._local._persist()
        return web.Response(status=204)

    async def _channels(self, request: web.Request) -> web.StreamResponse:
        channels = self._local._backend.channel_overview()
        for channel in channels:
            stream = channel["stream"]
            playable, problem = (
                self._local._broadcasts.playable(channel["arn"], stream["streamId"])
                if stream
                else (
                    False,
                    "",
                )
            )
            channel.update(playable=playable, problem=problem)
        return _json({"channels": channels})

    async def _recordings(self, request: web.Request) -> web.StreamResponse:
        recordings = self._local._backend.recording_overview()
        broadcasts = self._local._broadcasts

        def list_files() -> None:  # file I/O, off the event loop
            for recording in recordings:
                files = broadcasts.recording_files(recording["bucket"], recording["prefix"])
                recording["files"] = None if files is None else [{"path": p, "bytes": n} for p, n in files]

        await asyncio.to_thread(list_files)
        return _json({"recordingsDir": broadcasts.recordings_dir is not None, "recordings": recordings})

    async def _faults(self, request: web.Request) -> web.StreamResponse:
        armed = [
            {
                "kind": fault.kind.name,
                "operation": fault.operation,
                "remaining": remaining,
                "status": fault.status,
                "errorCode": fault.error_code,
                "message": fault.message,
                "headers": dict(fault.headers),
                "delay": fault.delay,
                "probability": fault.probability,
            }
            for fault, remaining in self._local.faults.armed()
        ]
        return _json({"faults": armed, "kinds": list(FaultKind.__members__), "operations": sorted(KNOWN_OPERATIONS)})

    async def _dashboard_key(self, request: web.Request) -> web.StreamResponse:
        key = self._local._dashboard_key
        found = key.describe()
        found["keyPairArn"] = (
            self._local._backend.key_pair_with_fingerprint(found["fingerprint"]) if found["available"] else None
        )
        return _json(found)

    async def _import_dashboard_key(self, request: web.Request) -> web.StreamResponse:
        """ImportPlaybackKeyPair of the dashboard key's public half, as a user would do on IVS."""
        await self._body(request)
        key = self._local._dashboard_key
        try:
            answer = self._local._backend.handle(
                "ImportPlaybackKeyPair", {"publicKeyMaterial": key.public_pem, "name": KEY_PAIR_NAME}
            )
        except ServiceError as exc:
            return _json({"message": exc.message, "code": exc.code}, 400)
        self._local._persist()
        return _json({"keyPairArn": answer["keyPair"]["arn"]})

    async def _dashboard_token(self, request: web.Request) -> web.StreamResponse:
        """A viewer token for a channel, signed with the dashboard's key once its public half is imported."""
        body = await self._body(request)
        arn = _text(body, "channelArn")
        key = self._local._dashboard_key
        if self._local._backend.key_pair_with_fingerprint(key.fingerprint) is None:
            raise ValueError("the dashboard's key pair is not imported: import it first (POST dashboard/key)")
        return _json({"token": key.token(arn, self._local._clock().timestamp())})

    async def _ad_breaks(self, request: web.Request) -> web.StreamResponse:
        return _json({"adBreaks": _records(self._local.ad_breaks(request.query.get("channelArn")))})

    async def _revocations(self, request: web.Request) -> web.StreamResponse:
        return _json({"revocations": _records(self._local.revocations(request.query.get("channelArn")))})

    async def _requests(self, request: web.Request) -> web.StreamResponse:
        server = self._local._server
        return _json({"requests": dict(server.requests), "throttled": dict(server.throttled)})


def _names_this_emulator(name: str, local: LocalIvs) -> bool:
    """An IP address, localhost, or the host the emulator advertises or listens on."""
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return name in ("localhost", local.advertise_host.lower(), local.host.lower())
    return True


def _latest(items: list[Any], request: web.Request) -> list[Any]:
    """The newest ``?limit=`` of ``items`` (all by default), oldest first."""
    limit = request.query.get("limit")
    if limit is None:
        return items
    if not limit.isdigit() or not 1 <= int(limit) <= _MAX_LISTED:
        raise ValueError(f"limit must be an integer from 1 to {_MAX_LISTED}")
    return items[-int(limit) :]


def _records(records: list[Any]) -> list[dict[str, Any]]:
    """attrs records in the wire style: camelCase keys, times as ISO 8601."""
    found = []
    for record in records:
        item = {}
        for name, value in attrs.asdict(record).items():
            head, *rest = name.split("_")
            key = head + "".join(part.title() for part in rest)
            item[key] = wire_time(value) if isinstance(value, datetime) else value
        found.append(item)
    return found


def _json(data: object, status: int = 200) -> web.Response:
    return web.Response(status=status, text=json.dumps(data), content_type="application/json")


def _text(body: dict[str, Any], key: str, default: str | None = None) -> str:
    value = body.get(key, default)
    if not isinstance(value, str) or not value:
        raise ValueError(f"{key} must be a non-empty string")
    return value


def _int(body: dict[str, Any], key: str, default: int) -> int:
    value = body.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{key} must be a non-negative integer")
    return value

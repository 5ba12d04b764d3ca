"""The emulated IVS account: resources, live streams and the behaviour of every operation.

Handlers take and return wire JSON (camelCase dicts) that the server has already checked
against the model, so the whole state is plain JSON: snapshots are a ``json.dumps`` away.
Nothing here does I/O; the server in ``_server.py`` owns HTTP, signatures and faults.
"""

from __future__ import annotations

import base64
import binascii
import copy
import json
import random
import re
import string
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

import attrs

from ivs_async._generated.commands import OPERATIONS
from ivs_async._json import MAX_DEPTH, JsonError, loads
from ivs_async._schema import Kind, Shape
from ivs_async.testing._events import EventHub, envelope
from ivs_async.testing._keys import InvalidPublicKey, fingerprint, read_p384_public_key
from ivs_async.testing._playback import check_restriction_policy, verify_token

Json = dict[str, Any]

CHANNEL = "channel"
STREAM_KEY = "stream-key"
KEY_PAIR = "playback-key"
RECORDING = "recording-configuration"
POLICY = "playback-restriction-policy"
AD_CONFIGURATION = "ad-configuration"
FAILOVER_SLATE = "failover-slate-configuration"
RESOURCE_TYPES = (CHANNEL, STREAM_KEY, KEY_PAIR, RECORDING, POLICY, AD_CONFIGURATION, FAILOVER_SLATE)
_LABELS = {
    CHANNEL: "Channel",
    STREAM_KEY: "Stream key",
    KEY_PAIR: "Playback key pair",
    RECORDING: "Recording configuration",
    POLICY: "Playback restriction policy",
    AD_CONFIGURATION: "Ad configuration",
    FAILOVER_SLATE: "Failover slate configuration",
}
# Channel members that point at other resources; "" means none, as IVS returns them.
_CHANNEL_REFS = {
    "recordingConfigurationArn": RECORDING,
    "playbackRestrictionPolicyArn": POLICY,
    "adConfigurationArn": AD_CONFIGURATION,
    "failoverSlateConfigurationArn": FAILOVER_SLATE,
}
_CHANNEL_SETTINGS = (
    "name",
    "latencyMode",
    "type",
    "authorized",
    "insecureIngest",
    "preset",
    "containerFormat",
    "multitrackInputConfiguration",
    *_CHANNEL_REFS,
)
_ADVANCED = ("ADVANCED_SD", "ADVANCED_HD")
MAX_TAGS = 50
MAX_METADATA_BYTES = 1024
_SNAPSHOT_FORMAT = "ivs_async.testing/1"
_ALNUM = string.ascii_letters + string.digits
_ARN = re.compile(r"arn:aws:ivs:([a-z0-9-]+):([0-9]+):([a-z-]+)/([a-zA-Z0-9-]+)")


class ServiceError(Exception):
    """An IVS error answer: the server turns it into the real wire form."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


class EmulatorError(ValueError):
    """A simulation call that makes no sense in the current state (a test's mistake)."""


@attrs.frozen(kw_only=True)
class Quotas:
    """Service quotas the emulator enforces (ServiceQuotaExceededException, ThrottlingException).

    Channels, stream keys per channel, recording configurations, playback key pairs and the
    PutMetadata rates default to IVS's published default quotas; the other counts default to
    100. Lower them to test what happens at a limit.
    """

    channels: int = 5000
    stream_keys_per_channel: int = 1
    recording_configurations: int = 20
    playback_key_pairs: int = 3
    playback_restriction_policies: int = 100
    ad_configurations: int = 100
    failover_slate_configurations: int = 100
    metadata_per_second_per_channel: int = 5
    metadata_per_second_per_account: int = 155


_QUOTA_OF = {
    CHANNEL: "channels",
    RECORDING: "recording_configurations",
    KEY_PAIR: "playback_key_pairs",
    POLICY: "playback_restriction_policies",
    AD_CONFIGURATION: "ad_configurations",
    FAILOVER_SLATE: "failover_slate_configurations",
}


@attrs.frozen(kw_only=True)
class MetadataRecord:
    """One accepted PutMetadata call."""

    channel_arn: str
    stream_id: str
    payload: str
    received_at: datetime


@attrs.frozen(kw_only=True)
class AdBreakRecord:
    """One accepted InsertAdBreak call."""

    channel_arn: str
    stream_id: str
    ad_break_id: str
    duration_seconds: int
    target_start_at: datetime


@attrs.frozen(kw_only=True)
class Revocation:
    """One viewer-session revocation: sessions of ``viewer_id`` up to ``max_version`` are revoked."""

    channel_arn: str
    viewer_id: str
    max_version: int
    requested_at: datetime


def wire_time(value: datetime) -> str:
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _parse_time(value: str | float) -> datetime:
    if isinstance(value, int | float):
        return datetime.fromtimestamp(value, UTC)
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)


def project(shape: Shape, data: Any) -> Any:
    """``data`` cut down to what ``shape`` declares: a Channel read as a ChannelSummary, say."""
    if shape.kind is Kind.STRUCTURE:
        return {m.wire: project(m.shape, data[m.wire]) for m in shape.members if data.get(m.wire) is not None}
    if shape.kind is Kind.LIST:
        assert shape.member is not None
        return [project(shape.member, item) for item in data]
    if shape.kind is Kind.MAP:
        assert shape.value is not None
        return {k: project(shape.value, v) for k, v in data.items()}
    return data


class IvsBackend:
    """One account in one region. Thread-safe: every entry point takes the backend's lock."""

    def __init__(
        self,
        *,
        region: str,
        account_id: str,
        quotas: Quotas,
        clock: Callable[[], datetime],
        seed: int | None,
    ) -> None:
        self.region = region
        self.account_id = account_id
        self.quotas = quotas
        self.clock = clock
        # Where playback URLs point; the server sets its own origin once it listens.
        self.playback_origin = "http://127.0.0.1"
        self.lock = threading.RLock()
        self._random = random.Random(seed)
        self._handlers: dict[str, Callable[[Json], Json]] = {
            name: getattr(self, "_" + re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()) for name in OPERATIONS
        }
        self._metadata_times: dict[str, deque[float]] = {}
        self._account_metadata_times: deque[float] = deque()
        self._used_single_use: set[str] = set()  # single-use playback tokens already played
        # How new recording configurations come up: CREATING for a while, then this outcome.
        self.recording_creating_for = 0.0
        self.recording_outcome = "ACTIVE"
        self.events = EventHub()
        self._outbox: list[Json] = []  # events emitted under the lock, published after it
        self._state: Json = {}
        self.reset()

    # -- entry points -------------------------------------------------------------------------

    def handle(self, operation: str, request: Json) -> Json:
        """Run ``operation`` on a validated wire request; raises ServiceError for IVS errors."""
        try:
            with self.lock:
                return self._handlers[operation](request)
        finally:
            self._publish()

    def _emit(self, detail_type: str, channel: Json, at: datetime, **detail: Any) -> None:
        self._outbox.append(
            envelope(
                detail_type,
                account=self.account_id,
                region=self.region,
                at=at,
                resources=[channel["arn"]],
                detail={"channel_name": channel["name"], **detail},
            )
        )

    def _publish(self) -> None:
        """Hand the emitted events to subscribers outside the lock: a subscriber may call us back."""
        with self.lock:
            pending, self._outbox = self._outbox, []
        if pending:
            self.events.publish(pending)

    def reset(self) -> None:
        """Forget every resource, stream and record."""
        with self.lock:
            self.recording_creating_for, self.recording_outcome = 0.0, "ACTIVE"
            self._state = {
                "resources": {kind: {} for kind in RESOURCE_TYPES},
                "keyMaterial": {},
                "live": {},
                "sessions": {},
                "metadata": [],
                "adBreaks": [],
                "revocations": [],
            }
            self._metadata_times.clear()
            self._account_metadata_times.clear()
            self._used_single_use.clear()

    def snapshot(self) -> str:
        """The whole state as JSON text (secrets included: it is test data)."""
        with self.lock:
            return json.dumps(
                {"format": _SNAPSHOT_FORMAT, "region": self.region, "accountId": self.account_id, **self._state}
            )

    def load(self, snapshot: str) -> None:
        """Replace the state with one from :meth:`snapshot`."""
        try:
            data = loads(snapshot)
        except JsonError as exc:
            raise EmulatorError(f"snapshot is not JSON: {exc.reason}") from None
        if not isinstance(data, dict) or data.get("format") != _SNAPSHOT_FORMAT:
            raise EmulatorError(f"not an emulator snapshot (expected format {_SNAPSHOT_FORMAT!r})")
        if (data.get("region"), data.get("accountId")) != (self.region, self.account_id):
            raise EmulatorError(
                f"snapshot is of {data.get('accountId')} in {data.get('region')}, "
                f"this emulator is {self.account_id} in {self.region}"
            )
        with self.lock:
            self.reset()
            for key in self._state:
                if key not in data:
                    raise EmulatorError(f"snapshot has no {key!r}")
                self._state[key] = data[key]

    # -- simulation -----------------------------------------------------------------------------

    def start_stream(
        self, channel_arn: str, *, health: str = "HEALTHY", viewer_count: int = 0, ingest: Json | None = None
    ) -> str:
        try:
            return self._start_stream(channel_arn, health, viewer_count, ingest)
        finally:
            self._publish()

    def channel_for_stream_key(self, value: str) -> str | None:
        """The channel a stream key value belongs to (what an encoder publishes with), if any."""
        with self.lock:
            for key in self._resources(STREAM_KEY).values():
                if key.get("value") == value:
                    found: str = key["channelArn"]
                    return found
        return None

    def set_ingest(self, channel_arn: str, stream_id: str, ingest: Json) -> None:
        """The ingest configuration of a live session, as its encoder describes it."""
        with self.lock:
            for session in self._state["sessions"].get(channel_arn, []):
                if session["streamId"] == stream_id:
                    session["ingestConfiguration"] = ingest

    def live_stream_id(self, channel_arn: str) -> str | None:
        with self.lock:
            live = self._state["live"].get(channel_arn)
            return live["streamId"] if live else None

    def _start_stream(self, channel_arn: str, health: str, viewer_count: int, ingest: Json | None = None) -> str:
        with self.lock:
            channel = self._simulated_channel(channel_arn)
            if channel_arn in self._state["live"]:
                raise EmulatorError(f"{channel_arn} is already live")
            now = self.clock()
            stream_id = "st-" + self._token(23)
            self._state["live"][channel_arn] = {
                "channelArn": channel_arn,
                "streamId": stream_id,
                "state": "LIVE",
                "health": health,
                "viewerCount": viewer_count,
                "startTime": wire_time(now),
                "playbackUrl": channel["playbackUrl"],
            }
            session: Json = {
                "streamId": stream_id,
                "startTime": wire_time(now),
                "channel": copy.deepcopy(channel),
                "ingestConfiguration": ingest or _ingest_configuration(),
                "truncatedEvents": [
                    _event("Session Created", "IVS Stream State Change", now),
                    _event("Stream Start", "IVS Stream State Change", now),
                ],
            }
            if channel["multitrackInputConfiguration"].get("enabled"):
                session["ingestConfigurations"] = _multitrack_ingest()
            for member, key in (
                ("recordingConfigurationArn", "recordingConfiguration"),
                ("failoverSlateConfigurationArn", "failoverSlateConfiguration"),
            ):
                ref = channel.get(member)
                if ref:
                    session[key] = copy.deepcopy(self._resources(_CHANNEL_REFS[member])[ref])
            for name in ("Session Created", "Stream Start"):
                self._emit("IVS Stream State Change", channel, now, event_name=name, stream_id=stream_id)
            if "recordingConfiguration" in session:
                session["truncatedEvents"].append(_event("Recording Start", "IVS Recording State Change", now))
                self._emit_recording(channel, session, "Recording Start", now)
            self._state["sessions"].setdefault(channel_arn, []).append(session)
            return stream_id

    def end_stream(self, channel_arn: str, *, failure: str | None = None) -> None:
        try:
            with self.lock:
                self._simulated_channel(channel_arn)
                if channel_arn not in self._state["live"]:
                    raise EmulatorError(f"{channel_arn} is not live")
                self._end(channel_arn, failure)
        finally:
            self._publish()

    def update_stream(self, channel_arn: str, *, health: str | None = None, viewer_count: int | None = None) -> None:
        try:
            self._update_stream(channel_arn, health, viewer_count)
        finally:
            self._publish()

    def _update_stream(self, channel_arn: str, health: str | None, viewer_count: int | None) -> None:
        with self.lock:
            live = self._state["live"].get(channel_arn)
            if live is None:
                raise EmulatorError(f"{channel_arn} is not live")
            if health is not None and health != live["health"] and "STARVING" in (health, live["health"]):
                name = "Starvation Start" if health == "STARVING" else "Starvation End"
                channel = self._simulated_channel(channel_arn)
                self._emit(
                    "IVS Stream Health Change", channel, self.clock(), event_name=name, stream_id=live["streamId"]
                )
            if health is not None:
                live["health"] = health
            if viewer_count is not None:
                live["viewerCount"] = viewer_count

    def metadata(self, channel_arn: str | None = None) -> list[MetadataRecord]:
        with self.lock:
            return [
                MetadataRecord(
                    channel_arn=r["channelArn"],
                    stream_id=r["streamId"],
                    payload=r["payload"],
                    received_at=_parse_time(r["receivedAt"]),
                )
                for r in self._state["metadata"]
                if channel_arn is None or r["channelArn"] == channel_arn
            ]

    def ad_breaks(self, channel_arn: str | None = None) -> list[AdBreakRecord]:
        with self.lock:
            return [
                AdBreakRecord(
                    channel_arn=r["channelArn"],
                    stream_id=r["streamId"],
                    ad_break_id=r["adBreakId"],
                    duration_seconds=r["durationSeconds"],
                    target_start_at=_parse_time(r["targetStartAt"]),
                )
                for r in self._state["adBreaks"]
                if channel_arn is None or r["channelArn"] == channel_arn
            ]

    def revocations(self, channel_arn: str | None = None) -> list[Revocation]:
        with self.lock:
            return [
                Revocation(
                    channel_arn=r["channelArn"],
                    viewer_id=r["viewerId"],
                    max_version=r["maxVersion"],
                    requested_at=_parse_time(r["requestedAt"]),
                )
                for r in self._state["revocations"]
                if channel_arn is None or r["channelArn"] == channel_arn
            ]

    def is_live(self, channel_arn: str) -> bool:
        with self.lock:
            return channel_arn in self._state["live"]

    def authorize_playback(
        self, channel_arn: str, token: str | None, origin: str | None, country: str | None = None
    ) -> Json | None:
        """The token's claims for a private channel, None for a public one (or an unknown one:
        its playback URL then answers 404); PlaybackRefused when the channel's playback
        restriction policy or the token does not allow it. ``country`` is the viewer's (ISO 3166
        alpha-2, from the ``X-IVS-Local-Viewer-Country`` header); None skips the country check."""
        with self.lock:
            channel = self._resources(CHANNEL).get(channel_arn)
            if channel is None:
                return None
            policy_arn = channel.get("playbackRestrictionPolicyArn")
            if policy_arn:
                check_restriction_policy(self._resources(POLICY).get(policy_arn) or {}, origin, country)
            if not channel.get("authorized"):
                return None
            return dict(
                verify_token(
                    token,
                    channel_arn=channel_arn,
                    origin=origin,
                    public_keys=self._state["keyMaterial"].values(),
                    now=self.clock().timestamp(),
                    used_single_use=self._used_single_use,
                    revocations=[r for r in self._state["revocations"] if r["channelArn"] == channel_arn],
                )
            )

    # -- helpers ----------------------------------------------------------------------------------

    def _token(self, length: int, alphabet: str = _ALNUM) -> str:
        return "".join(self._random.choice(alphabet) for _ in range(length))

    def _arn(self, kind: str, resource_id: str) -> str:
        return f"arn:aws:ivs:{self.region}:{self.account_id}:{kind}/{resource_id}"

    def _resources(self, kind: str) -> dict[str, Json]:
        found: dict[str, Json] = self._state["resources"][kind]
        return found

    def _get(self, kind: str, arn: str) -> Json:
        found = self._resources(kind).get(arn)
        if found is None:
            raise ServiceError("ResourceNotFoundException", f"{_LABELS[kind]} not found: {arn}")
        return found

    def _simulated_channel(self, channel_arn: str) -> Json:
        channel = self._resources(CHANNEL).get(channel_arn)
        if channel is None:
            raise EmulatorError(f"no channel {channel_arn} in this emulator")
        return channel

    def _live(self, channel_arn: str) -> Json:
        self._get(CHANNEL, channel_arn)
        live = self._state["live"].get(channel_arn)
        if live is None:
            raise ServiceError("ChannelNotBroadcasting", f"Channel is not broadcasting: {channel_arn}")
        stream: Json = live
        return stream

    def _check_quota(self, kind: str) -> None:
        name = _QUOTA_OF[kind]
        limit: int = getattr(self.quotas, name)
        if len(self._resources(kind)) >= limit:
            raise ServiceError(
                "ServiceQuotaExceededException",
                f"Request would exceed the quota of {limit} {name.replace('_', ' ')} in {self.region}",
            )

    def _add(self, kind: str, resource: Json) -> Json:
        self._resources(kind)[resource["arn"]] = resource
        return resource

    def _find(self, arn: str) -> Json:
        """Any resource by ARN, for the tag operations."""
        match = _ARN.fullmatch(arn)
        kind = match.group(3) if match else ""
        if kind not in _LABELS:
            raise ServiceError("ResourceNotFoundException", f"Resource not found: {arn}")
        return self._get(kind, arn)

    def _new_tags(self, tags: dict[str, str] | None, existing: dict[str, str] | None = None) -> dict[str, str]:
        merged = dict(existing or {})
        for key, value in (tags or {}).items():
            if key.lower().startswith("aws:"):
                raise ServiceError("ValidationException", f"Tag keys starting with 'aws:' are reserved: {key}")
            merged[key] = value
        if len(merged) > MAX_TAGS:
            raise ServiceError(
                "ValidationException", f"A resource can have at most {MAX_TAGS} tags; this would give it {len(merged)}"
            )
        return merged

    def _page(self, operation: str, request: Json, items: Iterable[tuple[str, Json]]) -> tuple[list[Json], str | None]:
        """One page of ``items`` (ordered by key) after the request's nextToken."""
        size = request.get("maxResults") or _default_page_size(operation)
        after = _read_token(operation, request.get("nextToken"))
        ordered = sorted(items, key=_first)
        start = next((i for i, (key, _) in enumerate(ordered) if key > after), len(ordered)) if after else 0
        chosen = ordered[start : start + size]
        more = start + size < len(ordered)
        return [item for _, item in chosen], (_make_token(operation, chosen[-1][0]) if more and chosen else None)

    def _listing(self, operation: str, request: Json, key: str, resources: Iterable[tuple[str, Json]]) -> Json:
        """One page of ``resources`` (key, resource) as the operation's ``key`` list of summaries."""
        shape = _item_shape(operation, key)
        page, token = self._page(operation, request, [(k, project(shape, r)) for k, r in resources])
        return _with_token({key: page}, token)

    def _end(self, channel_arn: str, failure: str | None) -> None:
        now = self.clock()
        live = self._state["live"].pop(channel_arn)
        session = self._state["sessions"][channel_arn][-1]
        events = session["truncatedEvents"]
        channel = self._resources(CHANNEL)[channel_arn]
        stream_id = live["streamId"]
        if failure is not None:
            events.append(_event("Stream Failure", "IVS Stream State Change", now, code=failure))
            self._emit(
                "IVS Stream State Change",
                channel,
                now,
                event_name="Stream Failure",
                stream_id=stream_id,
                code=failure,
                reason=f"the stream ended with {failure}",
            )
        events.append(_event("Stream End", "IVS Stream State Change", now))
        self._emit("IVS Stream State Change", channel, now, event_name="Stream End", stream_id=stream_id)
        if "recordingConfiguration" in session:
            events.append(_event("Recording End", "IVS Recording State Change", now))
            self._emit_recording(channel, session, "Recording End", now)
        events.append(_event("Session Ended", "IVS Stream State Change", now))
        self._emit("IVS Stream State Change", channel, now, event_name="Session Ended", stream_id=stream_id)
        session["endTime"] = wire_time(now)
        self._metadata_times.pop(live["channelArn"], None)

    def _recording_location(self, channel: Json, session: Json) -> tuple[str, str]:
        """(bucket, key prefix) of a session's recording, laid out as IVS lays recordings out."""
        s3 = session["recordingConfiguration"]["destinationConfiguration"]["s3"]
        started = _parse_time(session["startTime"])
        channel_id = channel["arn"].rsplit("/", 1)[1]
        prefix = (
            f"ivs/v1/{self.account_id}/{channel_id}/{started.year}/{started.month}/"
            f"{started.day}/{started.hour}/{started.minute}/{session['streamId']}"
        )
        return s3["bucketName"], prefix

    def recording_location(self, channel_arn: str) -> tuple[str, str] | None:
        """Where the live session of ``channel_arn`` records, if its channel records."""
        with self.lock:
            live = self._state["live"].get(channel_arn)
            for session in self._state["sessions"].get(channel_arn, []):
                if live and session["streamId"] == live["streamId"] and "recordingConfiguration" in session:
                    return self._recording_location(self._resources(CHANNEL)[channel_arn], session)
        return None

    def _emit_recording(self, channel: Json, session: Json, status: str, now: datetime) -> None:
        started = _parse_time(session["startTime"])
        bucket, prefix = self._recording_location(channel, session)
        detail: Json = {
            "stream_id": session["streamId"],
            "recording_status": status,
            "recording_status_reason": "",
            "recording_s3_bucket_name": bucket,
            "recording_s3_key_prefix": prefix,
            "recording_session_id": session["streamId"],
            "recording_session_stream_ids": [session["streamId"]],
        }
        if status == "Recording End":
            detail["recording_duration_ms"] = int((now - started).total_seconds() * 1000)
        self._emit("IVS Recording State Change", channel, now, **detail)

    # -- channels -------------------------------------------------------------------------------

    def _apply_channel_settings(self, channel: Json, request: Json) -> None:
        for member in _CHANNEL_SETTINGS:
            if member in request:
                channel[member] = copy.deepcopy(request[member])
        for member, kind in _CHANNEL_REFS.items():
            ref = channel.get(member) or ""
            channel[member] = ref
            if ref:
                self._get(kind, ref)
        if channel["type"] in _ADVANCED:
            channel["preset"] = channel.get("preset") or "HIGHER_BANDWIDTH_DELIVERY"
        elif request.get("preset"):
            raise ServiceError(
                "ValidationException", "preset can be set only for ADVANCED_SD and ADVANCED_HD channel types"
            )
        else:
            channel["preset"] = ""
        multitrack = {"enabled": False, "maximumResolution": "FULL_HD", "policy": "ALLOW"}
        multitrack.update(channel.get("multitrackInputConfiguration") or {})
        channel["multitrackInputConfiguration"] = multitrack
        if multitrack["enabled"]:
            if channel["type"] != "STANDARD":
                raise ServiceError("ValidationException", "multitrack input is available only on STANDARD channels")
            if channel["containerFormat"] != "FRAGMENTED_MP4":
                raise ServiceError("ValidationException", "multitrack input requires containerFormat FRAGMENTED_MP4")

    def _create_channel(self, request: Json) -> Json:
        self._check_quota(CHANNEL)
        channel_id = self._token(12)
        ingest = self._token(12, "0123456789abcdef")
        channel: Json = {
            "arn": self._arn(CHANNEL, channel_id),
            "name": "",
            "latencyMode": "LOW",
            "type": "STANDARD",
            "authorized": False,
            "insecureIngest": False,
            "containerFormat": "TS",
            "ingestEndpoint": f"{ingest}.global-contribute.live-video.net",
            "playbackUrl": (
                f"{self.playback_origin}/api/video/v1/{self.region}.{self.account_id}.channel.{channel_id}.m3u8"
            ),
            "srt": {"endpoint": f"{ingest}.srt.live-video.net", "passphrase": self._token(32)},
        }
        self._apply_channel_settings(channel, request)
        channel["tags"] = self._new_tags(request.get("tags"))
        self._add(CHANNEL, channel)
        stream_key = self._new_stream_key(channel["arn"], {})
        return {"channel": channel, "streamKey": stream_key}

    def _get_channel(self, request: Json) -> Json:
        return {"channel": self._get(CHANNEL, request["arn"])}

    def _batch_get_channel(self, request: Json) -> Json:
        return self._batch(CHANNEL, request["arns"], "channels")

    def _batch(self, kind: str, arns: list[str], key: str) -> Json:
        found, errors = [], []
        for arn in dict.fromkeys(arns):
            resource = self._resources(kind).get(arn)
            if resource is None:
                errors.append(
                    {"arn": arn, "code": "ResourceNotFoundException", "message": f"{_LABELS[kind]} not found"}
                )
            else:
                found.append(resource)
        return {key: found, "errors": errors}

    def _update_channel(self, request: Json) -> Json:
        arn = request["arn"]
        channel = copy.deepcopy(self._get(CHANNEL, arn))
        if arn in self._state["live"]:
            raise ServiceError("ConflictException", f"Channel is live and cannot be updated: {arn}")
        self._apply_channel_settings(channel, request)
        return {"channel": self._add(CHANNEL, channel)}

    def _delete_channel(self, request: Json) -> Json:
        arn = request["arn"]
        self._get(CHANNEL, arn)
        if arn in self._state["live"]:
            raise ServiceError("ConflictException", f"Channel is live and cannot be deleted: {arn}")
        del self._resources(CHANNEL)[arn]
        for key_arn, key in list(self._resources(STREAM_KEY).items()):
            if key["channelArn"] == arn:
                del self._resources(STREAM_KEY)[key_arn]
        self._state["sessions"].pop(arn, None)
        return {}

    def _list_channels(self, request: Json) -> Json:
        filters = {
            name: request[name]
            for name in (
                "filterByName",
                "filterByRecordingConfigurationArn",
                "filterByPlaybackRestrictionPolicyArn",
                "filterByAdConfigurationArn",
                "filterByFailoverSlateConfigurationArn",
            )
            if request.get(name)
        }
        if len(filters) > 1:
            raise ServiceError(
                "ConflictException", f"Only one filter can be used at a time, got {', '.join(sorted(filters))}"
            )
        member = {
            "filterByName": "name",
            "filterByRecordingConfigurationArn": "recordingConfigurationArn",
            "filterByPlaybackRestrictionPolicyArn": "playbackRestrictionPolicyArn",
            "filterByAdConfigurationArn": "adConfigurationArn",
            "filterByFailoverSlateConfigurationArn": "failoverSlateConfigurationArn",
        }
        channels = self._resources(CHANNEL).items()
        chosen = [(arn, c) for arn, c in channels if all(c.get(member[f]) == v for f, v in filters.items())]
        return self._listing("ListChannels", request, "channels", chosen)

    # -- stream keys ----------------------------------------------------------------------------

    def _new_stream_key(self, channel_arn: str, tags: dict[str, str] | None) -> Json:
        key_id = self._token(12)
        key = {
            "arn": self._arn(STREAM_KEY, key_id),
            "channelArn": channel_arn,
            "value": f"sk_{self.region}_{self._token(12)}_{self._token(24)}",
            "tags": self._new_tags(tags),
        }
        return self._add(STREAM_KEY, key)

    def _create_stream_key(self, request: Json) -> Json:
        channel_arn = request["channelArn"]
        self._get(CHANNEL, channel_arn)
        count = sum(1 for key in self._resources(STREAM_KEY).values() if key["channelArn"] == channel_arn)
        if count >= self.quotas.stream_keys_per_channel:
            raise ServiceError(
                "ServiceQuotaExceededException",
                f"Request would exceed the quota of {self.quotas.stream_keys_per_channel} stream keys per channel",
            )
        return {"streamKey": self._new_stream_key(channel_arn, request.get("tags"))}

    def _get_stream_key(self, request: Json) -> Json:
        return {"streamKey": self._get(STREAM_KEY, request["arn"])}

    def _batch_get_stream_key(self, request: Json) -> Json:
        return self._batch(STREAM_KEY, request["arns"], "streamKeys")

    def _delete_stream_key(self, request: Json) -> Json:
        self._get(STREAM_KEY, request["arn"])
        del self._resources(STREAM_KEY)[request["arn"]]
        return {}

    def _list_stream_keys(self, request: Json) -> Json:
        channel_arn = request["channelArn"]
        self._get(CHANNEL, channel_arn)
        keys = [(arn, key) for arn, key in self._resources(STREAM_KEY).items() if key["channelArn"] == channel_arn]
        return self._listing("ListStreamKeys", request, "streamKeys", keys)

    # -- playback key pairs ---------------------------------------------------------------------

    def _import_playback_key_pair(self, request: Json) -> Json:
        try:
            der = read_p384_public_key(request["publicKeyMaterial"])
        except InvalidPublicKey as exc:
            raise ServiceError("ValidationException", str(exc)) from None
        key_fingerprint = fingerprint(der)
        for existing in self._resources(KEY_PAIR).values():
            if existing["fingerprint"] == key_fingerprint:
                raise ServiceError("ConflictException", f"This public key is already imported as {existing['arn']}")
        self._check_quota(KEY_PAIR)
        pair = {
            "arn": self._arn(KEY_PAIR, self._token(12)),
            "name": request.get("name", ""),
            "fingerprint": key_fingerprint,
            "tags": self._new_tags(request.get("tags")),
        }
        self._state["keyMaterial"][pair["arn"]] = request["publicKeyMaterial"]
        return {"keyPair": self._add(KEY_PAIR, pair)}

    def _get_playback_key_pair(self, request: Json) -> Json:
        return {"keyPair": self._get(KEY_PAIR, request["arn"])}

    def _delete_playback_key_pair(self, request: Json) -> Json:
        self._get(KEY_PAIR, request["arn"])
        del self._resources(KEY_PAIR)[request["arn"]]
        self._state["keyMaterial"].pop(request["arn"], None)
        return {}

    def _list_playback_key_pairs(self, request: Json) -> Json:
        return self._listing("ListPlaybackKeyPairs", request, "keyPairs", self._resources(KEY_PAIR).items())

    # -- recording configurations ---------------------------------------------------------------

    def _create_recording_configuration(self, request: Json) -> Json:
        self._check_quota(RECORDING)
        rendition = {"renditionSelection": "ALL", "renditions": [], **request.get("renditionConfiguration", {})}
        if rendition["renditionSelection"] == "CUSTOM" and not rendition["renditions"]:
            raise ServiceError(
                "ValidationException", "renditionConfiguration.renditions must list renditions when selection is CUSTOM"
            )
        thumbnails = {
            "recordingMode": "INTERVAL",
            "targetIntervalSeconds": 60,
            "storage": ["SEQUENTIAL"],
            **request.get("thumbnailConfiguration", {}),
        }
        configuration = {
            "arn": self._arn(RECORDING, self._token(12)),
            "name": request.get("name", ""),
            "destinationConfiguration": request["destinationConfiguration"],
            "recordingReconnectWindowSeconds": request.get("recordingReconnectWindowSeconds", 0),
            "renditionConfiguration": rendition,
            "thumbnailConfiguration": thumbnails,
            "state": "ACTIVE",
            "tags": self._new_tags(request.get("tags")),
        }
        if self.recording_creating_for > 0 or self.recording_outcome != "ACTIVE":
            configuration["state"] = "CREATING"
            ready = self.clock().timestamp() + self.recording_creating_for
            configuration["_settles"] = {"at": ready, "state": self.recording_outcome}
        if not configuration["destinationConfiguration"].get("s3"):
            raise ServiceError("ValidationException", "destinationConfiguration must name an s3 destination")
        return {"recordingConfiguration": self._add(RECORDING, configuration)}

    def _get_recording_configuration(self, request: Json) -> Json:
        return {"recordingConfiguration": self._settled(self._get(RECORDING, request["arn"]))}

    def _settled(self, configuration: Json) -> Json:
        """A CREATING configuration takes its outcome once its time has come (emulator clock)."""
        settles = configuration.get("_settles")
        if settles is not None and self.clock().timestamp() >= settles["at"]:
            configuration["state"] = settles["state"]
            del configuration["_settles"]
        return configuration

    def _delete_recording_configuration(self, request: Json) -> Json:
        return self._delete_referenced(RECORDING, "recordingConfigurationArn", request["arn"])

    def _delete_referenced(self, kind: str, member: str, arn: str) -> Json:
        self._get(kind, arn)
        users = [c["arn"] for c in self._resources(CHANNEL).values() if c.get(member) == arn]
        if users:
            raise ServiceError("ConflictException", f"{_LABELS[kind]} is still used by channel {users[0]}")
        del self._resources(kind)[arn]
        return {}

    def _list_recording_configurations(self, request: Json) -> Json:
        configurations = [(arn, self._settled(c)) for arn, c in self._resources(RECORDING).items()]
        return self._listing("ListRecordingConfigurations", request, "recordingConfigurations", configurations)

    # -- playback restriction policies ----------------------------------------------------------

    def _create_playback_restriction_policy(self, request: Json) -> Json:
        self._check_quota(POLICY)
        policy = {
            "arn": self._arn(POLICY, self._token(12)),
            "name": request.get("name", ""),
            "allowedCountries": request.get("allowedCountries", []),
            "allowedOrigins": request.get("allowedOrigins", []),
            "enableStrictOriginEnforcement": request.get("enableStrictOriginEnforcement", False),
            "tags": self._new_tags(request.get("tags")),
        }
        return {"playbackRestrictionPolicy": self._add(POLICY, policy)}

    def _get_playback_restriction_policy(self, request: Json) -> Json:
        return {"playbackRestrictionPolicy": self._get(POLICY, request["arn"])}

    def _update_playback_restriction_policy(self, request: Json) -> Json:
        policy = copy.deepcopy(self._get(POLICY, request["arn"]))
        for member in ("name", "allowedCountries", "allowedOrigins", "enableStrictOriginEnforcement"):
            if member in request:
                policy[member] = request[member]
        return {"playbackRestrictionPolicy": self._add(POLICY, policy)}

    def _delete_playback_restriction_policy(self, request: Json) -> Json:
        return self._delete_referenced(POLICY, "playbackRestrictionPolicyArn", request["arn"])

    def _list_playback_restriction_policies(self, request: Json) -> Json:
        return self._listing(
            "ListPlaybackRestrictionPolicies", request, "playbackRestrictionPolicies", self._resources(POLICY).items()
        )

    # -- ad configurations ------------------------------------------------------------------------

    def _create_ad_configuration(self, request: Json) -> Json:
        self._check_quota(AD_CONFIGURATION)
        configuration = {
            "arn": self._arn(AD_CONFIGURATION, self._token(12)),
            "name": request.get("name", ""),
            "mediaTailorPlaybackConfigurations": request["mediaTailorPlaybackConfigurations"],
            "tags": self._new_tags(request.get("tags")),
        }
        if "postRollConfiguration" in request:
            configuration["postRollConfiguration"] = request["postRollConfiguration"]
        return {"adConfiguration": self._add(AD_CONFIGURATION, configuration)}

    def _get_ad_configuration(self, request: Json) -> Json:
        return {"adConfiguration": self._get(AD_CONFIGURATION, request["arn"])}

    def _update_ad_configuration(self, request: Json) -> Json:
        configuration = copy.deepcopy(self._get(AD_CONFIGURATION, request["arn"]))
        for member in ("name", "mediaTailorPlaybackConfigurations", "postRollConfiguration"):
            if member in request:
                configuration[member] = request[member]
        return {"adConfiguration": self._add(AD_CONFIGURATION, configuration)}

    def _delete_ad_configuration(self, request: Json) -> Json:
        return self._delete_referenced(AD_CONFIGURATION, "adConfigurationArn", request["arn"])

    def _list_ad_configurations(self, request: Json) -> Json:
        return self._listing(
            "ListAdConfigurations", request, "adConfigurations", self._resources(AD_CONFIGURATION).items()
        )

    def _insert_ad_break(self, request: Json) -> Json:
        channel_arn = request["channelArn"]
        live = self._live(channel_arn)
        if not self._resources(CHANNEL)[channel_arn]["adConfigurationArn"]:
            raise ServiceError("ConflictException", f"Channel has no ad configuration: {channel_arn}")
        ad_break_id = request.get("adBreakId") or self._token(12)
        start = request.get("targetStartAt")
        target = wire_time(_parse_time(start) if start is not None else self.clock())
        self._state["adBreaks"].append(
            {
                "channelArn": channel_arn,
                "streamId": live["streamId"],
                "adBreakId": ad_break_id,
                "durationSeconds": request["durationSeconds"],
                "targetStartAt": target,
            }
        )
        return {"adBreakId": ad_break_id, "targetStartAt": target}

    # -- failover slate configurations ----------------------------------------------------------

    _SLATE_SETTINGS = ("name", "activationThresholdSeconds", "minSlateDisplaySeconds", "maxSlateDisplaySeconds")

    def _create_failover_slate_configuration(self, request: Json) -> Json:
        self._check_quota(FAILOVER_SLATE)
        configuration: Json = {
            "arn": self._arn(FAILOVER_SLATE, self._token(12)),
            "name": "",
            "state": "CREATED",
            "tags": self._new_tags(request.get("tags")),
        }
        configuration.update({m: request[m] for m in self._SLATE_SETTINGS if m in request})
        return {"failoverSlateConfiguration": self._add(FAILOVER_SLATE, configuration)}

    def _get_failover_slate_configuration(self, request: Json) -> Json:
        return {"failoverSlateConfiguration": self._get(FAILOVER_SLATE, request["arn"])}

    def _update_failover_slate_configuration(self, request: Json) -> Json:
        configuration = copy.deepcopy(self._get(FAILOVER_SLATE, request["arn"]))
        configuration.update({m: request[m] for m in self._SLATE_SETTINGS if m in request})
        return {"failoverSlateConfiguration": self._add(FAILOVER_SLATE, configuration)}

    def _delete_failover_slate_configuration(self, request: Json) -> Json:
        return self._delete_referenced(FAILOVER_SLATE, "failoverSlateConfigurationArn", request["arn"])

    def _list_failover_slate_configurations(self, request: Json) -> Json:
        return self._listing(
            "ListFailoverSlateConfigurations",
            request,
            "failoverSlateConfigurations",
            self._resources(FAILOVER_SLATE).items(),
        )

    # -- streams --------------------------------------------------------------------------------

    def _get_stream(self, request: Json) -> Json:
        return {"stream": self._live(request["channelArn"])}

    def _list_streams(self, request: Json) -> Json:
        health = (request.get("filterBy") or {}).get("health")
        live = [(arn, s) for arn, s in self._state["live"].items() if health is None or s["health"] == health]
        return self._listing("ListStreams", request, "streams", live)

    def _stop_stream(self, request: Json) -> Json:
        self._live(request["channelArn"])
        self._end(request["channelArn"], None)
        return {}

    def _list_stream_sessions(self, request: Json) -> Json:
        channel_arn = request["channelArn"]
        self._get(CHANNEL, channel_arn)
        sessions = self._state["sessions"].get(channel_arn, [])
        # Newest first: keys count down from the latest session.
        items = [(f"{len(sessions) - i:09d}", _session_summary(s)) for i, s in enumerate(sessions)]
        return self._listing("ListStreamSessions", request, "streamSessions", items)

    def _get_stream_session(self, request: Json) -> Json:
        channel_arn = request["channelArn"]
        self._get(CHANNEL, channel_arn)
        sessions = self._state["sessions"].get(channel_arn, [])
        stream_id = request.get("streamId")
        if stream_id is None:
            if not sessions:
                raise ServiceError("ResourceNotFoundException", f"Channel has no stream sessions: {channel_arn}")
            return {"streamSession": sessions[-1]}
        for session in sessions:
            if session["streamId"] == stream_id:
                return {"streamSession": session}
        raise ServiceError("ResourceNotFoundException", f"Stream session not found: {stream_id}")

    def _put_metadata(self, request: Json) -> Json:
        channel_arn = request["channelArn"]
        live = self._live(channel_arn)
        payload: str = request["metadata"]
        size = len(payload.encode())
        if size > MAX_METADATA_BYTES:
            raise ServiceError(
                "ValidationException", f"metadata must be at most {MAX_METADATA_BYTES} bytes, got {size} bytes"
            )
        now = time.monotonic()
        channel_times = self._metadata_times.setdefault(channel_arn, deque())
        for times in (channel_times, self._account_metadata_times):
            while times and now - times[0] >= 1.0:
                times.popleft()
        if len(channel_times) >= self.quotas.metadata_per_second_per_channel:
            raise ServiceError(
                "ThrottlingException",
                f"PutMetadata is limited to {self.quotas.metadata_per_second_per_channel} requests per second "
                "per channel",
            )
        if len(self._account_metadata_times) >= self.quotas.metadata_per_second_per_account:
            raise ServiceError(
                "ThrottlingException",
                f"PutMetadata is limited to {self.quotas.metadata_per_second_per_account} requests per second "
                "per account",
            )
        channel_times.append(now)
        self._account_metadata_times.append(now)
        self._state["metadata"].append(
            {
                "channelArn": channel_arn,
                "streamId": live["streamId"],
                "payload": payload,
                "receivedAt": wire_time(self.clock()),
            }
        )
        return {}

    # -- viewer sessions --------------------------------------------------------------------------

    def _revoke(self, session: Json) -> None:
        self._state["revocations"].append(
            {
                "channelArn": session["channelArn"],
                "viewerId": session["viewerId"],
                "maxVersion": session.get("viewerSessionVersionsLessThanOrEqualTo", 0),
                "requestedAt": wire_time(self.clock()),
            }
        )

    def _start_viewer_session_revocation(self, request: Json) -> Json:
        self._get(CHANNEL, request["channelArn"])
        self._revoke(request)
        return {}

    def _batch_start_viewer_session_revocation(self, request: Json) -> Json:
        errors = []
        for session in request["viewerSessions"]:
            if session["channelArn"] in self._resources(CHANNEL):
                self._revoke(session)
            else:
                errors.append(
                    {
                        "channelArn": session["channelArn"],
                        "viewerId": session["viewerId"],
                        "code": "ResourceNotFoundException",
                        "message": "Channel not found",
                    }
                )
        return {"errors": errors}

    # -- tags -------------------------------------------------------------------------------------

    def _tag_resource(self, request: Json) -> Json:
        resource = self._find(request["resourceArn"])
        resource["tags"] = self._new_tags(request["tags"], resource.get("tags"))
        return {}

    def _untag_resource(self, request: Json) -> Json:
        resource = self._find(request["resourceArn"])
        for key in request["tagKeys"]:
            resource.get("tags", {}).pop(key, None)
        return {}

    def _list_tags_for_resource(self, request: Json) -> Json:
        return {"tags": self._find(request["resourceArn"]).get("tags", {})}


def _first(pair: tuple[str, Json]) -> str:
    return pair[0]


def _with_token(body: Json, token: str | None) -> Json:
    if token is not None:
        body["nextToken"] = token
    return body


def _item_shape(operation: str, key: str) -> Shape:
    member = next(m for m in OPERATIONS[operation].output.members if m.wire == key)
    assert member.shape.member is not None
    return member.shape.member


def _default_page_size(operation: str) -> int:
    """The largest page the model allows: IVS's default when maxResults is not given."""
    member = next(m for m in OPERATIONS[operation].input.members if m.wire == "maxResults")
    assert member.shape.max is not None
    return member.shape.max


def _make_token(operation: str, after: str) -> str:
    raw = json.dumps({"op": operation, "after": after}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode()


def _read_token(operation: str, token: str | None) -> str:
    if not token:
        return ""
    try:
        data = loads(base64.urlsafe_b64decode(token.encode()), max_depth=MAX_DEPTH)
    except (ValueError, binascii.Error):  # JsonError is a ValueError
        data = None
    if not isinstance(data, dict) or data.get("op") != operation or not isinstance(data.get("after"), str):
        raise ServiceError("ValidationException", f"nextToken is not a token {operation} returned")
    after: str = data["after"]
    return after


def _event(name: str, kind: str, at: datetime, *, code: str | None = None) -> Json:
    event = {"name": name, "type": kind, "eventTime": wire_time(at)}
    if code is not None:
        event["code"] = code
    return event


def _session_summary(session: Json) -> Json:
    summary = {
        "streamId": session["streamId"],
        "startTime": session["startTime"],
        "hasErrorEvent": any("code" in e for e in session["truncatedEvents"]),
    }
    if "endTime" in session:
        summary["endTime"] = session["endTime"]
    return summary


def default_ingest_configuration() -> Json:
    """What a simulated stream reports as its ingest (an RTMP encoder's own metadata replaces it)."""
    return _ingest_configuration()


def _ingest_configuration() -> Json:
    return {
        "video": {
            "avcProfile": "Main",
            "avcLevel": "4.1",
            "codec": "avc1.4D4029",
            "encoder": "ivs_async.testing",
            "targetBitrate": 6000000,
            "targetFramerate": 30,
            "videoHeight": 1080,
            "videoWidth": 1920,
        },
        "audio": {"codec": "mp4a.40.2", "targetBitrate": 160000, "sampleRate": 48000, "channels": 2},
    }


def _multitrack_ingest() -> Json:
    heights = ((1080, 1920, 6000000, "Track0"), (720, 1280, 3000000, "Track1"), (480, 852, 1200000, "Track2"))
    return {
        "videoConfigurations": [
            {
                "codec": "avc1.4D4029",
                "encoder": "ivs_async.testing",
                "videoHeight": h,
                "videoWidth": w,
                "targetBitrate": bitrate,
                "targetFramerate": 30,
                "track": track,
            }
            for h, w, bitrate, track in heights
        ],
        "audioConfigurations": [
            {"codec": "mp4a.40.2", "targetBitrate": 160000, "sampleRate": 48000, "channels": 2, "track": "Track0"}
        ],
    }

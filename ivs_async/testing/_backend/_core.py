"""What every part of the emulated account shares: its state, entry points, helpers and records.

Handlers take and return wire JSON (camelCase dicts) that the server has already checked
against the model, so the whole state is plain JSON: snapshots are a ``json.dumps`` away.
Nothing here does I/O; the server in ``_server.py`` owns HTTP, signatures and faults.
"""

from __future__ import annotations

import base64
import binascii
import json
import random
import re
import secrets
import string
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

import attrs

from ivs_async._exceptions import EmulatorError as EmulatorError
from ivs_async._fleet.api_rates import API_RATES
from ivs_async._generated.ivs.commands import OPERATIONS
from ivs_async._protocol.json import MAX_DEPTH, JsonError, loads
from ivs_async._protocol.schema import Kind, Shape
from ivs_async.testing._events import EventHub, envelope

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
_ADDED_LATER = {"recordings"}  # state parts a snapshot of an earlier version does not have
# The largest state kept, saved or loaded (a snapshot's JSON text).
MAX_STATE_BYTES = 32 * 1024 * 1024
# Records kept, newest first: stream sessions (of each channel, and in all; ended ones also no
# longer than SESSION_DAYS), PutMetadata payloads, ad breaks and viewer-session revocations.
RECORD_LIMITS = {
    "sessionsPerChannel": 100,
    "sessions": 1000,
    "metadata": 1000,
    "adBreaks": 1000,
    "revocations": 10_000,
}
SESSION_DAYS = 30
_ALNUM = string.ascii_letters + string.digits
_ARN = re.compile(r"arn:aws:ivs:([a-z0-9-]+):([0-9]+):([a-z-]+)/([a-zA-Z0-9-]+)")


class ServiceError(Exception):
    """An error answer: the server turns it into the real wire form. ``fields``: the error's
    other modeled members (IVS Chat's ``reason``, ``resourceId``...), as the service sends them."""

    def __init__(self, code: str, message: str, fields: Json | None = None) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.fields: Json = fields or {}


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
    # IVS's per-account API call rates (ivs_async.limits.API_RATES), answered with
    # ThrottlingException beyond them. Off by default: test suites create resources faster.
    enforce_api_rates: bool = False


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


def merged_tags(tags: dict[str, str] | None, existing: dict[str, str] | None = None) -> dict[str, str]:
    """``existing`` with ``tags`` added, as IVS and IVS Real-Time keep a resource's tags:
    ValidationException for a reserved key or too many."""
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


def wire_time(value: datetime) -> str:
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_time(value: str | float) -> datetime:
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


class BackendCore:
    """The account's state, the entry points and the helpers every resource family uses."""

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
        # Where clients reach the emulator, as its answers name it (playback URLs, ingest endpoints):
        # set by LocalIvs once it listens. Kept out of the state: a restart on another port moves them.
        self.origin = "http://127.0.0.1"
        self.ingest_host = "127.0.0.1"
        self.lock = threading.RLock()
        self._random = random.Random(seed)
        self._handlers: dict[str, Callable[[Json], Json]] = {
            name: getattr(self, "_" + re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()) for name in OPERATIONS
        }
        self._metadata_times: dict[str, deque[float]] = {}
        self._account_metadata_times: deque[float] = deque()
        self._api_times: dict[str, deque[float]] = {}
        # Told of every accepted PutMetadata (channel ARN, stream id, payload): the live media.
        self.metadata_listener: Callable[[str, str, str], None] | None = None
        self._used_single_use: set[str] = set()  # single-use playback tokens already played
        # How new recording configurations come up: CREATING for a while, then this outcome.
        self.recording_creating_for = 0.0
        self.recording_outcome = "ACTIVE"
        self.events = EventHub()
        self._outbox: list[Json] = []  # events emitted under the lock, published after it
        # Told when a recording ends (channel ARN, the recording), after the lock: LocalIvs finishes its files.
        self.recording_listener: Callable[[str, Json], None] | None = None
        self._ended_recordings: list[tuple[str, Json]] = []
        self._state: Json = {}
        self.reset()

    # -- entry points -------------------------------------------------------------------------

    def handle(self, operation: str, request: Json) -> Json:
        """Run ``operation`` on a validated wire request; raises ServiceError for IVS errors."""
        try:
            with self.lock:
                self._settle()
                if self.quotas.enforce_api_rates:
                    self._check_api_rate(operation)
                return self._handlers[operation](request)
        finally:
            self._publish()

    def _settle(self) -> None:
        """Let the time that passed act (a recording's reconnect window); the lock is held."""

    def _check_api_rate(self, operation: str) -> None:
        rate = API_RATES.get(operation)
        if rate is None:
            return  # PutMetadata: its own per-channel and per-account limits
        now = time.monotonic()
        times = self._api_times.setdefault(operation, deque())
        while times and now - times[0] >= 1.0:
            times.popleft()
        if len(times) >= rate:
            raise ServiceError("ThrottlingException", f"{operation} is limited to {rate} requests per second")
        times.append(now)

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
            ended, self._ended_recordings = self._ended_recordings, []
        if pending:
            self.events.publish(pending)
        listener = self.recording_listener
        for channel_arn, recording in ended:
            if listener is not None:
                listener(channel_arn, recording)

    def reset(self) -> None:
        """Forget every resource, stream and record."""
        with self.lock:
            self.recording_creating_for, self.recording_outcome = 0.0, "ACTIVE"
            self._state = {
                "resources": {kind: {} for kind in RESOURCE_TYPES},
                "keyMaterial": {},
                "live": {},
                "sessions": {},
                "recordings": {},  # channel ARN -> its open recording
                "metadata": [],
                "adBreaks": [],
                "revocations": [],
            }
            self._metadata_times.clear()
            self._account_metadata_times.clear()
            self._api_times.clear()
            self._used_single_use.clear()

    def snapshot(self) -> str:
        """The whole state as JSON text (secrets included: it is test data)."""
        with self.lock:
            return json.dumps(
                {"format": _SNAPSHOT_FORMAT, "region": self.region, "accountId": self.account_id, **self._state}
            )

    def load(self, snapshot: str) -> None:
        """Replace the state with one from `snapshot()`, checked first as strictly as the API
        checks the same values (EmulatorError naming the first problem; the state is unchanged)."""
        self.replace(self.checked(self.parse_snapshot(snapshot)))

    def parse_snapshot(self, snapshot: str) -> Json:
        """The decoded ``snapshot``, once it is JSON of the snapshot format, of this region and
        account, within MAX_STATE_BYTES (EmulatorError otherwise). LocalIvs reads the other
        services' parts of it; ``checked`` the rest."""
        if len(snapshot) > MAX_STATE_BYTES:
            raise EmulatorError(f"snapshot is larger than {MAX_STATE_BYTES} bytes")
        try:
            data = loads(snapshot, max_depth=MAX_DEPTH)
        except JsonError as exc:
            raise EmulatorError(f"snapshot is not JSON: {exc.reason}") from None
        if not isinstance(data, dict) or data.get("format") != _SNAPSHOT_FORMAT:
            raise EmulatorError(f"not an emulator snapshot (expected format {_SNAPSHOT_FORMAT!r})")
        if (data.get("region"), data.get("accountId")) != (self.region, self.account_id):
            raise EmulatorError(
                f"snapshot is of {data.get('accountId')} in {data.get('region')}, "
                f"this emulator is {self.account_id} in {self.region}"
            )
        return data

    def checked(self, data: Json) -> Json:
        """``data`` (a parsed snapshot) once checked to be a state this backend can serve; the
        state is not touched (EmulatorError naming the first problem)."""
        from ivs_async.testing._backend.state import check_state  # it checks what this module makes

        for key in self._state:
            if key not in data and key not in _ADDED_LATER:
                raise EmulatorError(f"snapshot has no {key!r}")
        check_state(data, region=self.region, account_id=self.account_id, limits=RECORD_LIMITS)
        return data

    def replace(self, data: Json) -> None:
        """Take a state ``checked`` returned, whole."""
        with self.lock:
            self.reset()
            for key in self._state:
                if key in data:
                    self._state[key] = data[key]

    # -- helpers ----------------------------------------------------------------------------------

    def _token(self, length: int, alphabet: str = _ALNUM) -> str:
        """An id: repeatable with ``seed=``."""
        return "".join(self._random.choice(alphabet) for _ in range(length))

    @staticmethod
    def _secret(length: int, alphabet: str = _ALNUM) -> str:
        """A secret (stream key, SRT passphrase): from the OS's generator, seed or not; one
        drawn from ``random`` could be predicted from the ids a client sees."""
        return "".join(secrets.choice(alphabet) for _ in range(length))

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

    def _keep(self, part: str) -> None:
        """Drop the oldest records of ``part`` beyond its bound (RECORD_LIMITS)."""
        records = self._state[part]
        del records[: max(0, len(records) - RECORD_LIMITS[part])]

    def _keep_sessions(self) -> None:
        """Stream sessions within their bounds: the newest of each channel, the newest in all, and
        none ended more than SESSION_DAYS ago (a live session is always kept)."""
        sessions: dict[str, list[Json]] = self._state["sessions"]
        oldest = wire_time(self.clock() - timedelta(days=SESSION_DAYS))
        for arn in list(sessions):
            kept = [s for s in sessions[arn] if "endTime" not in s or s["endTime"] >= oldest]
            sessions[arn] = kept[-RECORD_LIMITS["sessionsPerChannel"] :]
        ended = sorted(
            ((s["endTime"], arn, id(s)) for arn, listed in sessions.items() for s in listed if "endTime" in s),
            reverse=True,
        )
        live = sum(1 for listed in sessions.values() for s in listed if "endTime" not in s)
        dropped = {key for _, _, key in ended[max(0, RECORD_LIMITS["sessions"] - live) :]}
        if dropped:
            for arn in list(sessions):
                sessions[arn] = [s for s in sessions[arn] if id(s) not in dropped]
        for arn in [arn for arn, listed in sessions.items() if not listed]:
            del sessions[arn]

    def _check_quota(self, kind: str) -> None:
        name = _QUOTA_OF[kind]
        limit: int = getattr(self.quotas, name)
        if len(self._resources(kind)) >= limit:
            raise ServiceError(
                "ServiceQuotaExceededException",
                f"Request would exceed the quota of {limit} {name.replace('_', ' ')} in {self.region}",
            )

    def _public_channel(self, channel: Json) -> Json:
        """A channel as answers show it: its URLs name the emulator where clients reach it now."""
        shown = dict(channel)
        shown["ingestEndpoint"] = self.ingest_host
        shown["playbackUrl"] = self.playback_url(channel["arn"])
        shown["srt"] = {"endpoint": self.ingest_host, "passphrase": channel["srt"]["passphrase"]}
        return shown

    def playback_url(self, channel_arn: str) -> str:
        channel_id = channel_arn.rsplit("/", 1)[1]
        return f"{self.origin}/api/video/v1/{self.region}.{self.account_id}.channel.{channel_id}.m3u8"

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
        return merged_tags(tags, existing)

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

    def _delete_referenced(self, kind: str, member: str, arn: str) -> Json:
        self._get(kind, arn)
        users = [c["arn"] for c in self._resources(CHANNEL).values() if c.get(member) == arn]
        if users:
            raise ServiceError("ConflictException", f"{_LABELS[kind]} is still used by channel {users[0]}")
        del self._resources(kind)[arn]
        return {}

    _SLATE_SETTINGS = ("name", "activationThresholdSeconds", "minSlateDisplaySeconds", "maxSlateDisplaySeconds")


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
            "level": "4.1",
            "profile": "Main",
            "targetBitrate": 6000000,
            "targetFramerate": 30,
            "track": "Track0",
            "videoHeight": 1080,
            "videoWidth": 1920,
        },
        "audio": {"codec": "mp4a.40.2", "targetBitrate": 160000, "sampleRate": 48000, "channels": 2, "track": "Track0"},
    }


def ingest_forms(ingest: Json) -> Json:
    """A session's two descriptions of one ingest: ``ingestConfiguration`` (deprecated: one video,
    one audio, each present only when the stream carries it) and ``ingestConfigurations`` (lists;
    the video entries without the deprecated avcProfile and avcLevel)."""
    videos = (
        [{k: v for k, v in ingest["video"].items() if k not in ("avcProfile", "avcLevel")}] if "video" in ingest else []
    )
    audios = [dict(ingest["audio"])] if "audio" in ingest else []
    return {
        "ingestConfiguration": ingest,
        "ingestConfigurations": {"videoConfigurations": videos, "audioConfigurations": audios},
    }


def _multitrack_ingest() -> Json:
    heights = ((1080, 1920, 6000000, "Track0"), (720, 1280, 3000000, "Track1"), (480, 852, 1200000, "Track2"))
    return {
        "videoConfigurations": [
            {
                "codec": "avc1.4D4029",
                "encoder": "ivs_async.testing",
                "level": "4.1",
                "profile": "Main",
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

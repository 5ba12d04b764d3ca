"""What a saved state must be before the emulator takes it (a state file, ``--load``, ``POST
/_ivs_local/load``): every resource checked by the model's own rules, as the API checks the same
values, its ARN matching its place, every reference and record of the right form. The first
problem found is an EmulatorError naming its place (``resources.channel[...].name``) and the rule.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from ivs_async._generated.ivs import schema
from ivs_async._protocol.schema import Kind, Shape
from ivs_async._protocol.validation import compile_wire_validator
from ivs_async.testing._backend._core import (
    _CHANNEL_REFS,
    CHANNEL,
    KEY_PAIR,
    RECORDING,
    RESOURCE_TYPES,
    EmulatorError,
    Json,
    parse_time,
)

# What each kind of resource is, on the wire, and the members the emulator keeps of its own.
_SHAPES = {
    "channel": "Channel",
    "stream-key": "StreamKey",
    "playback-key": "PlaybackKeyPair",
    "recording-configuration": "RecordingConfiguration",
    "playback-restriction-policy": "PlaybackRestrictionPolicy",
    "ad-configuration": "AdConfiguration",
    "failover-slate-configuration": "FailoverSlateConfiguration",
}
_OWN = {"recording-configuration": {"_settles"}}
# Members earlier versions saved and this one works out at each answer: dropped on load.
_DERIVED = {"channel": ("playbackUrl", "ingestEndpoint")}
_RESOURCE_ID = re.compile(r"[a-zA-Z0-9-]{1,64}")
_BUCKET = re.compile(r"[a-z0-9-.]{3,63}")  # the model's S3 bucket name
_WIRE_TIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z")
_STREAM_ID = re.compile(r"st-[a-zA-Z0-9]{1,64}")
_PREFIX = re.compile(r"ivs/v1/[0-9]{12}/[a-zA-Z0-9-]{1,64}(/[0-9]{1,4}){5}/[a-zA-Z0-9]{1,64}")
_RECORD_FIELDS: dict[str, dict[str, type | tuple[type, ...]]] = {
    "metadata": {"channelArn": str, "streamId": str, "payload": str, "receivedAt": str},
    "adBreaks": {"channelArn": str, "streamId": str, "adBreakId": str, "durationSeconds": int, "targetStartAt": str},
    "revocations": {"channelArn": str, "viewerId": str, "maxVersion": int, "requestedAt": str},
}
_PARTS = ("resources", "keyMaterial", "live", "sessions", "recordings", "metadata", "adBreaks", "revocations")
_validators: dict[str, Callable[[Any], list[Any]]] = {}
_CONTAINERS = (Kind.STRUCTURE, Kind.LIST, Kind.MAP)
_wire_validators: dict[int, Callable[[Any], list[Any]]] = {}  # by id(shape): names repeat across services


def check_state(data: Json, *, region: str, account_id: str, limits: dict[str, int]) -> None:
    """EmulatorError unless ``data`` (a decoded snapshot) is a state this emulator can serve.
    ``limits`` bounds the records (``sessions``, ``metadata``, ``adBreaks``, ``revocations``)."""
    unknown = sorted(set(data) - {"format", "region", "accountId", *_PARTS})
    _require(not unknown, "state", f"has unknown parts {unknown}")
    resources: Any = data.get("resources")
    _require(isinstance(resources, dict) and set(resources) == set(RESOURCE_TYPES), "resources",
             f"must hold exactly {', '.join(RESOURCE_TYPES)}")  # fmt: skip
    arn_of = re.compile(rf"arn:aws:ivs:{re.escape(region)}:{account_id}:([a-z-]+)/([a-zA-Z0-9-]{{1,64}})")
    for kind in RESOURCE_TYPES:
        found = resources[kind]
        _require(isinstance(found, dict), f"resources.{kind}", "must be an object of resources by ARN")
        for arn, resource in found.items():
            place = f"resources.{kind}[{arn[:100]!r}]"
            match = arn_of.fullmatch(arn) if isinstance(arn, str) else None
            _require(match is not None and match.group(1) == kind, place, f"is not an ARN of a {kind} of this account")
            _require(isinstance(resource, dict) and resource.get("arn") == arn, place, "must hold its own ARN")
            for derived in _DERIVED.get(kind, ()):
                resource.pop(derived, None)
            _check_shape(kind, resource, place)
    channels = resources[CHANNEL]
    for arn, channel in channels.items():
        place = f"resources.channel[{arn[:100]!r}]"
        srt = channel.get("srt")
        _require(isinstance(srt, dict) and isinstance(srt.get("passphrase"), str), f"{place}.srt", "needs a passphrase")
        srt.pop("endpoint", None)
        for member, kind in _CHANNEL_REFS.items():
            ref = channel.get(member)
            _require(isinstance(ref, str), f"{place}.{member}", "must be an ARN or empty")
            _require(not ref or ref in resources[kind], f"{place}.{member}", f"names no {kind} of this state")
        _require(isinstance(channel.get("tags"), dict), f"{place}.tags", "must be an object")
    for arn, key in resources["stream-key"].items():
        _require(key.get("channelArn") in channels, f"resources.stream-key[{arn[:100]!r}].channelArn",
                 "names no channel of this state")  # fmt: skip
    material: Any = data.get("keyMaterial")
    _require(isinstance(material, dict) and set(material) == set(resources[KEY_PAIR]), "keyMaterial",
             "must hold the public key of each playback key pair, and nothing else")  # fmt: skip
    _require(all(isinstance(pem, str) and len(pem) <= 8192 for pem in material.values()), "keyMaterial",
             "must be PEM texts")  # fmt: skip
    _check_live(data.get("live"), channels)
    _check_sessions(data.get("sessions"), channels, limits)
    _check_recordings(data.get("recordings", {}), channels, resources[RECORDING])
    for part, fields in _RECORD_FIELDS.items():
        _check_records(part, data.get(part), fields, limits[part])


def require(condition: object, place: str, rule: str) -> None:
    """EmulatorError naming ``place`` and ``rule`` unless ``condition`` (IVS Chat's and IVS
    Real-Time's state checks say their problems the same way)."""
    if not condition:
        raise EmulatorError(f"the state is not one this emulator can take: {place} {rule}")


_require = require


def check_wire(shape: Shape, value: Any, place: str) -> None:
    """EmulatorError unless ``value`` keeps ``shape``'s rules (types, lengths, ranges, patterns,
    enums, unions) and has no member the shape lacks, at any depth."""
    check = _wire_validators.get(id(shape))
    if check is None:
        check = _wire_validators[id(shape)] = compile_wire_validator(shape)
    violations = check(value)
    if violations:
        first = violations[0]
        require(False, f"{place}.{first.path}", f"failed to satisfy constraint ({first.rule}): {first.message}")
    _check_members(shape, value, place)


def check_wire_time(value: Any, place: str) -> None:
    """EmulatorError unless ``value`` is a time as ``wire_time`` writes it (YYYY-MM-DDTHH:MM:SS.mmmZ):
    lists order resources by comparing these texts."""
    ok = isinstance(value, str) and _WIRE_TIME.fullmatch(value) is not None
    if ok:
        try:
            parse_time(value)
        except ValueError:
            ok = False
    require(ok, place, "must be a time as YYYY-MM-DDTHH:MM:SS.mmmZ")


def _check_members(shape: Shape, value: Any, place: str) -> None:
    # Runs once the validator passed: every value has its shape's type. Scalars hold no members.
    if shape.kind is Kind.STRUCTURE:
        known = {m.wire: m.shape for m in shape.members}
        unknown = sorted(str(name)[:100] for name in set(value) - set(known))
        require(not unknown, place, f"has members {unknown[:5]} that a {shape.name} does not have")
        for name, member in value.items():
            require(member is not None, f"{place}.{name}", "must not be null")
            if known[name].kind in _CONTAINERS:
                _check_members(known[name], member, f"{place}.{name}")
    elif shape.kind is Kind.LIST and shape.member is not None and shape.member.kind in _CONTAINERS:
        for n, item in enumerate(value):
            _check_members(shape.member, item, f"{place}[{n}]")
    elif shape.kind is Kind.MAP and shape.value is not None and shape.value.kind in _CONTAINERS:
        for key, item in value.items():
            _check_members(shape.value, item, f"{place}[{str(key)[:100]!r}]")


def _validator(shape_name: str) -> Callable[[Any], list[Any]]:
    found = _validators.get(shape_name)
    if found is None:
        shape: Shape = getattr(schema, shape_name)
        found = _validators[shape_name] = compile_wire_validator(shape)
    return found


def _check_shape(kind: str, resource: Json, place: str) -> None:
    shape: Shape = getattr(schema, _SHAPES[kind])
    allowed = {m.wire for m in shape.members} | _OWN.get(kind, set())
    unknown = sorted(set(resource) - allowed)
    _require(not unknown, place, f"has members {unknown[:5]} that a {shape.name} does not have")
    _check_shape_named(shape.name, resource, place)


def _check_live(live: Any, channels: Json) -> None:
    _require(isinstance(live, dict), "live", "must be an object of streams by channel ARN")
    for arn, stream in live.items():
        place = f"live[{str(arn)[:100]!r}]"
        _require(arn in channels, place, "names no channel of this state")
        _require(isinstance(stream, dict), place, "must be a stream")
        stream.pop("playbackUrl", None)
        source = stream.pop("source", None)
        _require(source in (None, "ingest", "simulated"), f"{place}.source", "must be ingest or simulated")
        _check_shape_named("Stream", stream, place)
        _require(stream.get("channelArn") == arn and _STREAM_ID.fullmatch(str(stream.get("streamId"))) is not None,
                 place, "must be a stream of its channel")  # fmt: skip
        if source is not None:
            stream["source"] = source


def _check_sessions(sessions: Any, channels: Json, limits: dict[str, int]) -> None:
    _require(isinstance(sessions, dict), "sessions", "must be an object of stream sessions by channel ARN")
    total = 0
    for arn, listed in sessions.items():
        place = f"sessions[{str(arn)[:100]!r}]"
        _require(arn in channels, place, "names no channel of this state")
        _require(isinstance(listed, list) and len(listed) <= limits["sessionsPerChannel"], place,
                 f"must be a list of at most {limits['sessionsPerChannel']} stream sessions")  # fmt: skip
        total += len(listed)
        for n, session in enumerate(listed):
            _require(isinstance(session, dict) and isinstance(session.get("channel"), dict), f"{place}[{n}]",
                     "must be a stream session with its channel")  # fmt: skip
            for derived in _DERIVED["channel"]:
                session["channel"].pop(derived, None)
            if isinstance(session["channel"].get("srt"), dict):
                session["channel"]["srt"].pop("endpoint", None)
            _check_shape_named("StreamSession", session, f"{place}[{n}]")
            _require(_STREAM_ID.fullmatch(str(session.get("streamId"))) is not None and "startTime" in session,
                     f"{place}[{n}]", "must have a stream id and a start time")  # fmt: skip
    _require(total <= limits["sessions"], "sessions", f"must hold at most {limits['sessions']} stream sessions")


def _check_shape_named(shape_name: str, value: Json, place: str) -> None:
    # IVS answers "" for an enum it has no value for (a channel's preset): not a violation here.
    violations = [v for v in _validator(shape_name)(value) if not (v.rule == "enum" and v.message.endswith("got ''"))]
    if violations:
        first = violations[0]
        _require(False, f"{place}.{first.path}", f"failed to satisfy constraint ({first.rule}): {first.message}")


def _check_recordings(recordings: Any, channels: Json, configurations: Json) -> None:
    _require(isinstance(recordings, dict), "recordings", "must be an object of recordings by channel ARN")
    for arn, recording in recordings.items():
        place = f"recordings[{str(arn)[:100]!r}]"
        _require(arn in channels and isinstance(recording, dict), place, "must be a recording of a channel")
        _require(isinstance(recording.get("recordingId"), str) and _RESOURCE_ID.fullmatch(recording["recordingId"]),
                 f"{place}.recordingId", "must be an id")  # fmt: skip
        _require(isinstance(recording.get("sessionId"), str) and _RESOURCE_ID.fullmatch(recording["sessionId"]),
                 f"{place}.sessionId", "must be an id")  # fmt: skip
        _require(isinstance(recording.get("bucket"), str) and _BUCKET.fullmatch(recording["bucket"]) is not None,
                 f"{place}.bucket", "must be an S3 bucket name ([a-z0-9-.], 3 to 63 characters)")  # fmt: skip
        prefix = recording.get("prefix")
        _require(isinstance(prefix, str) and _PREFIX.fullmatch(prefix) is not None, f"{place}.prefix",
                 "must be ivs/v1/<account>/<channel id>/<y>/<m>/<d>/<h>/<min>/<recording id>")  # fmt: skip
        configuration = recording.get("configuration")
        _require(isinstance(configuration, dict), f"{place}.configuration", "must be a recording configuration")
        _check_shape("recording-configuration", configuration, f"{place}.configuration")
        ids = recording.get("streamIds")
        _require(isinstance(ids, list) and 0 < len(ids) <= 20 and all(
            isinstance(i, str) and _STREAM_ID.fullmatch(i) for i in ids), f"{place}.streamIds",
            "must list 1 to 20 stream ids")  # fmt: skip
        _require(isinstance(recording.get("durationMs"), int) and recording["durationMs"] >= 0, f"{place}.durationMs",
                 "must be a number of milliseconds")  # fmt: skip
        closes = recording.get("closesAt")
        _require(closes is None or (isinstance(closes, int | float) and not isinstance(closes, bool)),
                 f"{place}.closesAt", "must be a time or null")  # fmt: skip
        _check_time(recording.get("startedAt"), f"{place}.startedAt")
        _require(recording.get("failed") in (None, True), f"{place}.failed", "must be true or absent")


def _check_records(part: str, records: Any, fields: dict[str, type | tuple[type, ...]], most: int) -> None:
    _require(isinstance(records, list) and len(records) <= most, part, f"must be a list of at most {most} records")
    for n, record in enumerate(records):
        _require(isinstance(record, dict) and set(record) == set(fields), f"{part}[{n}]",
                 f"must have exactly {', '.join(fields)}")  # fmt: skip
        for name, kind in fields.items():
            value = record[name]
            _require(isinstance(value, kind) and not isinstance(value, bool), f"{part}[{n}].{name}",
                     f"must be {getattr(kind, '__name__', kind)}")  # fmt: skip
            if name.endswith("At"):
                _check_time(value, f"{part}[{n}].{name}")


def _check_time(value: Any, place: str) -> None:
    try:
        parse_time(value)
    except (TypeError, ValueError, OverflowError, OSError):
        _require(False, place, "must be an ISO 8601 time")

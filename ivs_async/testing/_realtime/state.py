"""IVS Real-Time's part of a saved state (``LocalIvs.snapshot()``'s ``"realtime"``), checked before
the backend takes it as the API checks the same values: the model's shapes, ARNs of this region
and account, the quotas, references between resources, each composition's timeline agreeing
with its state, the records within their bounds.

The key participant tokens are signed with is part of it: a token lives up to 14 days, and one
issued before a restart still joins its stage after it (revocations and disconnections are kept
too). Like the stream keys in the state, it is test data.
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import TYPE_CHECKING, Any

import attrs

from ivs_async._generated.ivs_realtime import schema
from ivs_async.testing._backend._core import MAX_TAGS, Json
from ivs_async.testing._backend.state import check_wire, check_wire_time, require
from ivs_async.testing._keys import InvalidPublicKey, fingerprint, read_p384_public_key
from ivs_async.testing._realtime._core import (
    _QUOTA_OF,
    COMPOSITION,
    ENCODER,
    INGEST,
    MAX_ATTRIBUTE_BYTES,
    PUBLIC_KEY,
    RECORD_LIMITS,
    RESOURCE_TYPES,
    STAGE,
    STORAGE,
)
from ivs_async.testing._realtime.configurations import _MAX_PIXELS, bucket_name_problem
from ivs_async.testing._realtime.stages import default_recording_configuration

if TYPE_CHECKING:
    from ivs_async.testing._realtime._core import RealTimeQuotas

PARTS = ("resources", "lifecycles", "idempotency", "revokedTokens", "disconnected", "tokenKey")
TOKEN_KEY_BYTES = 48
_SHAPES = {
    STAGE: schema.Stage,
    COMPOSITION: schema.Composition,
    ENCODER: schema.EncoderConfiguration,
    STORAGE: schema.StorageConfiguration,
    INGEST: schema.IngestConfiguration,
    PUBLIC_KEY: schema.PublicKey,
}
# The members each kind of resource has here: (always, sometimes).
_MEMBERS: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    STAGE: (frozenset({"arn", "name", "tags", "autoParticipantRecordingConfiguration"}), frozenset()),
    COMPOSITION: (
        frozenset({"arn", "stageArn", "state", "layout", "destinations", "tags", "startTime"}),
        frozenset({"endTime"}),
    ),
    ENCODER: (frozenset({"arn", "name", "video", "tags"}), frozenset()),
    STORAGE: (frozenset({"arn", "name", "s3", "tags"}), frozenset()),
    INGEST: (
        frozenset({"arn", "name", "ingestProtocol", "streamKey", "stageArn", "participantId", "state"})
        | {"redundantIngest", "attributes", "tags"},
        frozenset({"userId", "redundantIngestCredentials"}),
    ),
    PUBLIC_KEY: (frozenset({"arn", "name", "publicKeyMaterial", "fingerprint", "tags"}), frozenset()),
}
_RUNNING = ("STARTING", "ACTIVE", "STOPPING")
_TIMELINE = ("activeAt", "stopsAt", "stoppedAt", "endedAt")
_LATEST = 253_000_000_000  # seconds since 1970: times beyond year 9987 are no times of ours
_TOKEN_ID = re.compile(r"[a-zA-Z0-9-_]{1,64}")  # ConnectionTokenId, CompositionClientToken
_PARTICIPANT_ID = re.compile(r"[a-zA-Z0-9-_]{0,64}")
_DESTINATION_ID = re.compile(r"[a-zA-Z0-9-]{1,64}")
_MAX_REQUEST = 1024 * 1024  # a StartComposition request remembered for its idempotency token
_MAX_KEY_MATERIAL = 8192


@attrs.frozen
class RealTimeState:
    """A checked IVS Real-Time state, ready to be taken whole (``token_key`` None: keep the key)."""

    resources: dict[str, dict[str, Json]]
    lifecycles: dict[str, Json]
    idempotency: dict[str, Json]
    revoked_tokens: list[str]
    disconnected: list[tuple[str, str]]
    token_key: bytes | None

    @classmethod
    def empty(cls) -> RealTimeState:
        return cls({kind: {} for kind in RESOURCE_TYPES}, {}, {}, [], [], None)


def check_realtime_state(data: Any, *, region: str, account_id: str, quotas: RealTimeQuotas) -> RealTimeState:
    """The state ``data`` (a snapshot's ``"realtime"``) holds, or EmulatorError naming its first problem."""
    require(isinstance(data, dict) and set(data) == set(PARTS), "realtime", f"must hold exactly {', '.join(PARTS)}")
    resources = data["resources"]
    require(isinstance(resources, dict) and set(resources) == set(RESOURCE_TYPES), "realtime.resources",
            f"must hold exactly {', '.join(RESOURCE_TYPES)}")  # fmt: skip
    arn_of = re.compile(rf"arn:aws:ivs:{re.escape(region)}:{account_id}:([a-z-]+)/([a-zA-Z0-9-]{{1,64}})")
    for kind in RESOURCE_TYPES:
        _check_kind(kind, resources[kind], arn_of, quotas)
    for arn, stage in resources[STAGE].items():
        _check_stage(stage, f"realtime.resources.stage[{arn[:100]!r}]", resources)
    for arn, configuration in resources[ENCODER].items():
        _check_encoder(configuration, f"realtime.resources.encoder-configuration[{arn[:100]!r}]")
    for arn, configuration in resources[STORAGE].items():
        problem = bucket_name_problem(configuration["s3"]["bucketName"])
        require(problem is None, f"realtime.resources.storage-configuration[{arn[:100]!r}].s3.bucketName", str(problem))
    for arn, configuration in resources[INGEST].items():
        _check_ingest(configuration, f"realtime.resources.ingest-configuration[{arn[:100]!r}]", arn_of, region,
                      account_id)  # fmt: skip
    _check_public_keys(resources[PUBLIC_KEY])
    lifecycles = data["lifecycles"]
    require(isinstance(lifecycles, dict) and set(lifecycles) == set(resources[COMPOSITION]), "realtime.lifecycles",
            "must hold the timeline of each composition, and nothing else")  # fmt: skip
    for arn, composition in resources[COMPOSITION].items():
        _check_composition(composition, lifecycles[arn], f"realtime.resources.composition[{arn[:100]!r}]", resources,
                           arn_of)  # fmt: skip
    _check_composition_counts(resources[COMPOSITION], quotas)
    _check_idempotency(data["idempotency"], resources[COMPOSITION])
    revoked = data["revokedTokens"]
    limit = RECORD_LIMITS["revokedTokens"]
    require(isinstance(revoked, list) and len(revoked) <= limit, "realtime.revokedTokens",
            f"must be a list of at most {limit} token ids")  # fmt: skip
    for n, token_id in enumerate(revoked):
        require(isinstance(token_id, str) and _TOKEN_ID.fullmatch(token_id), f"realtime.revokedTokens[{n}]",
                "must be a token id (1 to 64 letters, digits, '-' and '_')")  # fmt: skip
    require(len(set(revoked)) == len(revoked), "realtime.revokedTokens", "must not list a token twice")
    disconnected = _check_disconnected(data["disconnected"], resources[STAGE])
    key = data["tokenKey"]
    try:
        token_key = base64.b64decode(key, validate=True) if isinstance(key, str) else b""
    except (binascii.Error, ValueError):
        token_key = b""
    require(len(token_key) == TOKEN_KEY_BYTES, "realtime.tokenKey", f"must be {TOKEN_KEY_BYTES} bytes in base64")
    return RealTimeState(
        resources=resources,
        lifecycles=lifecycles,
        idempotency=data["idempotency"],
        revoked_tokens=revoked,
        disconnected=disconnected,
        token_key=token_key,
    )


def _check_kind(kind: str, found: Any, arn_of: re.Pattern[str], quotas: RealTimeQuotas) -> None:
    require(isinstance(found, dict), f"realtime.resources.{kind}", "must be an object of resources by ARN")
    if kind in _QUOTA_OF:
        limit = getattr(quotas, _QUOTA_OF[kind])
        require(len(found) <= limit, f"realtime.resources.{kind}", f"must hold at most {limit} (the quota)")
    always, sometimes = _MEMBERS[kind]
    for arn, resource in found.items():
        place = f"realtime.resources.{kind}[{arn[:100]!r}]"
        match = arn_of.fullmatch(arn)
        require(match is not None and match.group(1) == kind, place, f"is not an ARN of a {kind} of this account")
        require(isinstance(resource, dict) and resource.get("arn") == arn, place, "must hold its own ARN")
        missing = sorted(always - set(resource))
        unknown = sorted(str(m)[:100] for m in set(resource) - always - sometimes)
        require(not missing, place, f"lacks members {missing}")
        require(not unknown, place, f"has members {unknown[:5]} that it does not have")
        check_wire(_SHAPES[kind], resource, place)
        reserved = [key for key in resource["tags"] if key.lower().startswith("aws:")]
        require(not reserved and len(resource["tags"]) <= MAX_TAGS, f"{place}.tags",
                f"must be at most {MAX_TAGS} tags, no key starting with 'aws:'")  # fmt: skip


def _check_stage(stage: Json, place: str, resources: Json) -> None:
    configuration = stage["autoParticipantRecordingConfiguration"]
    place = f"{place}.autoParticipantRecordingConfiguration"
    default = default_recording_configuration()
    require(set(configuration) == set(default), place, f"must have exactly {', '.join(default)}")
    for member in ("thumbnailConfiguration", "hlsConfiguration"):
        require(set(configuration[member]) == set(default[member]), f"{place}.{member}",
                f"must have exactly {', '.join(default[member])}")  # fmt: skip
    storage = configuration["storageConfigurationArn"]
    require(not storage or storage in resources[STORAGE], f"{place}.storageConfigurationArn",
            "must be empty or name a storage configuration of this state")  # fmt: skip


def _check_encoder(configuration: Json, place: str) -> None:
    video = configuration["video"]
    require(set(video) == {"width", "height", "framerate", "bitrate"}, f"{place}.video",
            "must have width, height, framerate and bitrate")  # fmt: skip
    width, height = video["width"], video["height"]
    require(width % 2 == 0 and height % 2 == 0 and width * height <= _MAX_PIXELS, f"{place}.video",
            f"must have an even width and height, of at most {_MAX_PIXELS} pixels")  # fmt: skip


def _check_ingest(configuration: Json, place: str, arn_of: re.Pattern[str], region: str, account_id: str) -> None:
    require(configuration["state"] == "INACTIVE", f"{place}.state", "must be INACTIVE (no encoder publishes here)")
    configuration_id = configuration["arn"].rsplit("/", 1)[1]
    key = re.compile(rf"rt_{account_id}_{re.escape(region)}_{re.escape(configuration_id)}_[a-zA-Z0-9]{{24}}")
    require(key.fullmatch(configuration["streamKey"]), f"{place}.streamKey", "must be a stream key of this resource")
    stage = configuration["stageArn"]
    match = arn_of.fullmatch(stage)
    require(not stage or (match is not None and match.group(1) == STAGE), f"{place}.stageArn",
            "must be empty or a stage ARN of this account")  # fmt: skip
    credentials = configuration.get("redundantIngestCredentials")
    if configuration["redundantIngest"]:
        require(isinstance(credentials, list) and len(credentials) == 1
                and set(credentials[0]) == {"participantId", "streamKey"}
                and key.fullmatch(credentials[0]["streamKey"]), f"{place}.redundantIngestCredentials",
                "must be one participant id and stream key of this resource")  # fmt: skip
    else:
        require(credentials is None, f"{place}.redundantIngestCredentials", "must be absent without redundantIngest")
    attributes = configuration["attributes"]
    size = sum(len(k.encode("utf-8", "surrogatepass")) + len(v.encode("utf-8", "surrogatepass"))
               for k, v in attributes.items())  # fmt: skip
    require(size <= MAX_ATTRIBUTE_BYTES, f"{place}.attributes", f"must be at most {MAX_ATTRIBUTE_BYTES} bytes in all")


def _check_public_keys(keys: dict[str, Json]) -> None:
    seen: set[str] = set()
    for arn, key in keys.items():
        place = f"realtime.resources.public-key[{arn[:100]!r}]"
        material = key["publicKeyMaterial"]
        require(len(material) <= _MAX_KEY_MATERIAL, f"{place}.publicKeyMaterial", "must be a PEM text")
        try:
            der = read_p384_public_key(material)
        except (InvalidPublicKey, ValueError) as exc:
            require(False, f"{place}.publicKeyMaterial", f"must be a P-384 public key ({exc})")
        require(key["fingerprint"] == fingerprint(der), f"{place}.fingerprint", "must be the key's fingerprint")
        require(key["fingerprint"] not in seen, place, "must not import a key twice")
        seen.add(key["fingerprint"])


def _check_composition(composition: Json, timeline: Any, place: str, resources: Json, arn_of: re.Pattern[str]) -> None:
    stage = arn_of.fullmatch(composition["stageArn"])
    require(stage is not None and stage.group(1) == STAGE, f"{place}.stageArn", "must be a stage ARN of this account")
    state = composition["state"]
    running = state in _RUNNING
    if running:  # deleting a stage, or a configuration a composition uses, ends it or is refused
        require(composition["stageArn"] in resources[STAGE], f"{place}.stageArn", "must name a stage of this state")
    check_wire_time(composition["startTime"], f"{place}.startTime")
    require(("endTime" in composition) != running, f"{place}.endTime", "must be there once it ended, only then")
    if not running:
        check_wire_time(composition["endTime"], f"{place}.endTime")
    layout = composition["layout"]
    require(len(layout) == 1, f"{place}.layout", "must be one of grid and pip")
    kinds = []
    for n, destination in enumerate(composition["destinations"]):
        where = f"{place}.destinations[{n}]"
        require(_DESTINATION_ID.fullmatch(destination["id"]), f"{where}.id", "must be an id")
        for member in ("startTime", "endTime"):
            if member in destination:
                check_wire_time(destination[member], f"{where}.{member}")
        configuration = destination["configuration"]
        channel, s3 = configuration.get("channel"), configuration.get("s3")
        require((channel is None) != (s3 is None), f"{where}.configuration", "must name exactly one of channel and s3")
        kinds.append("channel" if channel is not None else "s3")
        encoders = [channel["encoderConfigurationArn"]] if channel and "encoderConfigurationArn" in channel else []
        if channel is not None:
            found = arn_of.fullmatch(channel["channelArn"])
            require(found is not None and found.group(1) == "channel", f"{where}.configuration.channel.channelArn",
                    "must be a channel ARN of this account")  # fmt: skip
        else:
            encoders = list(s3["encoderConfigurationArns"])
            if running:
                require(s3["storageConfigurationArn"] in resources[STORAGE],
                        f"{where}.configuration.s3.storageConfigurationArn",
                        "must name a storage configuration of this state")  # fmt: skip
        if running:
            require(all(arn in resources[ENCODER] for arn in encoders), f"{where}.configuration",
                    "must name encoder configurations of this state")  # fmt: skip
    require(len(set(kinds)) == len(kinds), f"{place}.destinations", "must be at most one channel and one s3")
    _check_timeline(timeline, state, f"realtime.lifecycles[{composition['arn'][:100]!r}]")


def _check_timeline(timeline: Any, state: str, place: str) -> None:
    require(isinstance(timeline, dict) and set(timeline) == set(_TIMELINE), place,
            f"must have exactly {', '.join(_TIMELINE)}")  # fmt: skip
    for name in _TIMELINE:
        at = timeline[name]
        require((at is None and name in ("stoppedAt", "endedAt"))
                or (isinstance(at, int | float) and not isinstance(at, bool) and 0 <= at <= _LATEST),
                f"{place}.{name}", "must be a time in seconds since 1970 (or null, once it stops or ends)")  # fmt: skip
    ended = timeline["endedAt"] is not None
    require(ended == (state not in _RUNNING), f"{place}.endedAt", "must be set once the composition ended, only then")
    require(ended or (timeline["stoppedAt"] is not None) == (state == "STOPPING"), f"{place}.stoppedAt",
            "must be set while the composition stops, only then")  # fmt: skip


def _check_composition_counts(compositions: dict[str, Json], quotas: RealTimeQuotas) -> None:
    running = [c for c in compositions.values() if c["state"] in _RUNNING]
    require(len(running) <= quotas.compositions, "realtime.resources.composition",
            f"must have at most {quotas.compositions} running (the quota)")  # fmt: skip
    per_stage: dict[str, int] = {}
    for composition in running:
        per_stage[composition["stageArn"]] = per_stage.get(composition["stageArn"], 0) + 1
    require(max(per_stage.values(), default=0) <= quotas.compositions_per_stage, "realtime.resources.composition",
            f"must have at most {quotas.compositions_per_stage} running per stage (the quota)")  # fmt: skip
    ended = len(compositions) - len(running)
    require(ended <= RECORD_LIMITS["endedCompositions"], "realtime.resources.composition",
            f"must have at most {RECORD_LIMITS['endedCompositions']} ended")  # fmt: skip


def _check_idempotency(tokens: Any, compositions: dict[str, Json]) -> None:
    require(isinstance(tokens, dict), "realtime.idempotency", "must be an object of StartComposition requests by token")
    for token, entry in tokens.items():
        place = f"realtime.idempotency[{token[:100]!r}]"
        require(_TOKEN_ID.fullmatch(token), place, "is not an idempotency token (1 to 64 letters, digits, '-', '_')")
        require(isinstance(entry, dict) and set(entry) == {"request", "arn"}, place, "must have exactly request, arn")
        require(isinstance(entry["request"], str) and len(entry["request"]) <= _MAX_REQUEST, f"{place}.request",
                "must be the request's text")  # fmt: skip
        arn = entry["arn"]
        require(isinstance(arn, str) and arn in compositions, f"{place}.arn", "must name a composition of this state")


def _check_disconnected(pairs: Any, stages: dict[str, Json]) -> list[tuple[str, str]]:
    limit = RECORD_LIMITS["disconnected"]
    require(isinstance(pairs, list) and len(pairs) <= limit, "realtime.disconnected",
            f"must be a list of at most {limit} [stage ARN, participant id] pairs")  # fmt: skip
    kept: list[tuple[str, str]] = []
    for n, pair in enumerate(pairs):
        require(isinstance(pair, list) and len(pair) == 2 and all(isinstance(part, str) for part in pair)
                and pair[0] in stages and _PARTICIPANT_ID.fullmatch(pair[1]), f"realtime.disconnected[{n}]",
                "must be a stage of this state and a participant id")  # fmt: skip
        kept.append((pair[0], pair[1]))
    require(len(set(kept)) == len(kept), "realtime.disconnected", "must not list a participant twice")
    return kept

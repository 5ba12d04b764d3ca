"""What every part of the emulated IVS Real-Time account shares: its state, the entry point,
quotas, pagination, tags and the helpers each resource family uses.

Handlers take and return wire JSON (camelCase dicts), so the resources are plain JSON (the
records of revocations are bounded deques of it). Nothing here does I/O; the server owns HTTP,
signatures and faults.
"""

from __future__ import annotations

import base64
import copy
import json
import random
import re
import secrets
import string
import threading
from collections import deque
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any

import attrs

from ivs_async._exceptions import Violation
from ivs_async._generated.ivs_realtime.commands import OPERATIONS
from ivs_async._protocol.validation import compile_wire_validator
from ivs_async.testing._backend._core import (
    Json,
    ServiceError,
    _make_token,
    _read_token,
    merged_tags,
    project,
    wire_time,
)

if TYPE_CHECKING:
    from ivs_async.testing._realtime.state import RealTimeState

STAGE = "stage"
COMPOSITION = "composition"
ENCODER = "encoder-configuration"
STORAGE = "storage-configuration"
INGEST = "ingest-configuration"
PUBLIC_KEY = "public-key"
# The ARN resource types this backend owns (the server routes /tags/{arn} by them).
RESOURCE_TYPES = (STAGE, COMPOSITION, ENCODER, STORAGE, INGEST, PUBLIC_KEY)
_LABELS = {
    STAGE: "Stage",
    COMPOSITION: "Composition",
    ENCODER: "Encoder configuration",
    STORAGE: "Storage configuration",
    INGEST: "Ingest configuration",
    PUBLIC_KEY: "Public key",
}


# maxResults when a list request gives none: IVS Real-Time's documented defaults.
DEFAULT_PAGE_SIZES = {
    "ListStages": 50,
    "ListStageSessions": 50,
    "ListParticipants": 50,
    "ListParticipantEvents": 50,
    "ListParticipantReplicas": 50,
    "ListPublicKeys": 50,
    "ListIngestConfigurations": 50,
    "ListCompositions": 100,
    "ListEncoderConfigurations": 100,
    "ListStorageConfigurations": 100,
}
MAX_ATTRIBUTE_BYTES = 1024  # participant and ingest attributes, keys and values together
# Records kept beyond the resources themselves (the resources are bounded by the quotas).
RECORD_LIMITS = {"revokedTokens": 10_000, "disconnected": 10_000, "endedCompositions": 1000}
_ALNUM = string.ascii_letters + string.digits
_ARN = re.compile(r"arn:aws:ivs:([a-z0-9-]+):([0-9]+):([a-z-]+)/([a-zA-Z0-9-]+)")


@attrs.frozen(kw_only=True)
class RealTimeQuotas:
    """IVS Real-Time's service quotas the emulator enforces (ServiceQuotaExceededException).

    The defaults are the published ones (IVS Real-Time Streaming User Guide, "Service Quotas").
    Lower them to test what happens at a limit.
    """

    stages: int = 1000
    encoder_configurations: int = 20
    storage_configurations: int = 5
    ingest_configurations: int = 100
    public_keys: int = 3
    compositions: int = 20  # running (not STOPPED or FAILED) per account
    compositions_per_stage: int = 5  # running per stage
    replications_per_participant: int = 5  # concurrent, across all stages


_QUOTA_OF = {
    STAGE: "stages",
    ENCODER: "encoder_configurations",
    STORAGE: "storage_configurations",
    INGEST: "ingest_configurations",
    PUBLIC_KEY: "public_keys",
}


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def canonical(value: Any) -> str:
    """One text per JSON value, whatever its keys' order (idempotency checks compare these)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def without_nulls(value: Any) -> Any:
    """``value`` without the object members that are null: a member sent as null is a member not
    sent, as the model's validator reads it."""
    if isinstance(value, dict):
        return {k: without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [without_nulls(item) for item in value]
    return value


def pick(data: Json, members: Iterable[str]) -> Json:
    """The ``members`` of ``data`` that it has (a resource read as its summary)."""
    return {m: data[m] for m in members if m in data}


class RealTimeCore:
    """The account's state, the entry point and the helpers every resource family uses."""

    def __init__(
        self,
        *,
        region: str,
        account_id: str,
        clock: Callable[[], datetime],
        seed: int | None = None,
        quotas: RealTimeQuotas | None = None,
    ) -> None:
        self.region = region
        self.account_id = account_id
        self.clock = clock
        self.quotas = quotas or RealTimeQuotas()
        self.lock = threading.RLock()
        self._random = random.Random(seed)
        # Signs the participant tokens this account issues (HMAC-SHA384); never leaves the backend.
        self._token_key = secrets.token_bytes(48)  # seed or not: tokens must not be forgeable
        # Where clients reach the emulator, as stage endpoints name it: set by LocalIvs once it
        # listens. Kept out of the state: a restart on another port moves them.
        self.origin = "http://127.0.0.1"
        self.rtmp_url = "rtmp://127.0.0.1:1935/app/"
        self.rtmps_url = "rtmps://127.0.0.1:443/app/"
        # Told "LIVE", "OFFLINE" or None (no such channel) for a composition's channel destination;
        # None here: channels are not checked (LocalIvs wires its IVS backend).
        self.channel_status: Callable[[str], str | None] | None = None
        self._handlers: dict[str, Callable[[Json], Json]] = {
            name: getattr(self, "_" + _snake(name)) for name in OPERATIONS
        }
        self._validators: dict[str, Callable[[Any], list[Violation]]] = {}  # compiled on first use
        self._state: Json = {}
        self.reset()

    # -- entry points -------------------------------------------------------------------------

    def handle(self, operation: str, request: Json) -> Json:
        """Run ``operation`` on a wire request; raises ServiceError for IVS Real-Time's errors."""
        handler = self._handlers.get(operation)
        if handler is None:
            raise ServiceError("ValidationException", f"Unknown operation {operation!r}")
        with self.lock:
            self._check_request(operation, request)
            self._settle()
            # Members the model does not know are ignored, as by IVS: never kept, never answered.
            return handler(project(OPERATIONS[operation].input, without_nulls(request)))

    def settle(self) -> None:
        """Let the time that passed act (compositions start, stop and expire by the clock)."""
        with self.lock:
            self._settle()

    def reset(self) -> None:
        """Forget every resource and record."""
        with self.lock:
            self._state = {
                "resources": {kind: {} for kind in RESOURCE_TYPES},
                "lifecycles": {},  # composition ARN -> its timeline
                "idempotency": {},  # StartComposition token -> {"request": ..., "arn": ...}
                "revokedTokens": deque(maxlen=RECORD_LIMITS["revokedTokens"]),
                "disconnected": deque(maxlen=RECORD_LIMITS["disconnected"]),
            }
            self._reset_timing()

    # -- the saved state ----------------------------------------------------------------------

    def snapshot(self) -> Json:
        """The resources, the compositions' timelines, the records and the token signing key, as
        plain JSON (the simulation knobs are configuration, not state)."""
        snapshot: Json = json.loads(self.snapshot_text())
        return snapshot

    def snapshot_text(self) -> str:
        """``snapshot()`` as JSON text, written under the lock with nothing copied first."""
        with self.lock:
            state = self._state
            return json.dumps(
                {
                    "resources": state["resources"],
                    "lifecycles": state["lifecycles"],
                    "idempotency": state["idempotency"],
                    "revokedTokens": list(state["revokedTokens"]),
                    "disconnected": [list(pair) for pair in state["disconnected"]],
                    "tokenKey": base64.b64encode(self._token_key).decode("ascii"),
                }
            )

    def load(self, data: Json) -> None:
        """Replace the state with one from ``snapshot()``, checked first as strictly as the API
        checks the same values (EmulatorError naming the first problem; the state is unchanged)."""
        self.replace(self.checked(copy.deepcopy(data)))

    def checked(self, data: Any) -> RealTimeState:
        """``data`` checked to be a state this backend can serve (EmulatorError naming the first
        problem); nothing is changed yet. ``data`` becomes the state's."""
        from ivs_async.testing._realtime.state import check_realtime_state  # it imports this module

        return check_realtime_state(data, region=self.region, account_id=self.account_id, quotas=self.quotas)

    def replace(self, state: RealTimeState) -> None:
        """Take a checked state whole."""
        with self.lock:
            self._state = {
                "resources": state.resources,
                "lifecycles": state.lifecycles,
                "idempotency": state.idempotency,
                "revokedTokens": deque(state.revoked_tokens, maxlen=RECORD_LIMITS["revokedTokens"]),
                "disconnected": deque(state.disconnected, maxlen=RECORD_LIMITS["disconnected"]),
            }
            if state.token_key is not None:
                self._token_key = state.token_key

    # -- hooks the resource families fill in ------------------------------------------------

    def _check_request(self, operation: str, request: Json) -> None:
        """ValidationException unless ``request`` keeps the model's rules. The server checks them
        first; checking again here makes ``handle`` safe on any input (only ServiceError leaves)."""
        if not isinstance(request, dict):
            raise ServiceError("ValidationException", "The request body must be a JSON object")
        check = self._validators.get(operation)
        if check is None:
            check = self._validators[operation] = compile_wire_validator(OPERATIONS[operation].input)
        violations = check(request)
        if violations:
            count = len(violations)
            detail = "; ".join(
                f"Value at '{v.path}' failed to satisfy constraint ({v.rule}): {v.message}" for v in violations
            )
            raise ServiceError(
                "ValidationException", f"{count} validation error{'s' if count > 1 else ''} detected: {detail}"
            )

    def _settle(self) -> None:
        """Advance what the clock drives; the lock is held."""

    def _reset_timing(self) -> None:
        """Put the simulation knobs back to their defaults."""

    def _stage_deleted(self, arn: str) -> None:
        """End what a deleted stage ends (compositions, replications, disconnections)."""

    # -- helpers ----------------------------------------------------------------------------------

    def _id(self, length: int = 12) -> str:
        return "".join(self._random.choice(_ALNUM) for _ in range(length))

    def _arn(self, kind: str, resource_id: str) -> str:
        return f"arn:aws:ivs:{self.region}:{self.account_id}:{kind}/{resource_id}"

    def _now(self) -> str:
        return wire_time(self.clock())

    def _resources(self, kind: str) -> dict[str, Json]:
        found: dict[str, Json] = self._state["resources"][kind]
        return found

    def _get(self, kind: str, arn: str) -> Json:
        found = self._resources(kind).get(arn)
        if found is None:
            raise ServiceError("ResourceNotFoundException", f"{_LABELS[kind]} not found: {arn}")
        return found

    def _add(self, kind: str, resource: Json) -> Json:
        self._resources(kind)[resource["arn"]] = resource
        return resource

    def _check_quota(self, kind: str) -> None:
        name = _QUOTA_OF[kind]
        limit: int = getattr(self.quotas, name)
        if len(self._resources(kind)) >= limit:
            raise ServiceError(
                "ServiceQuotaExceededException",
                f"Request would exceed the quota of {limit} {name.replace('_', ' ')} in {self.region}",
            )

    def _find(self, arn: str) -> Json:
        """Any taggable resource by ARN."""
        match = _ARN.fullmatch(arn)
        kind = match.group(3) if match else ""
        if kind not in _LABELS:
            raise ServiceError("ResourceNotFoundException", f"Resource not found: {arn}")
        return self._get(kind, arn)

    def _new_tags(self, tags: dict[str, str] | None, existing: dict[str, str] | None = None) -> dict[str, str]:
        return merged_tags(tags, existing)

    def _check_attributes(self, attributes: dict[str, str] | None, member: str) -> dict[str, str]:
        """``attributes`` (a copy), refused when keys and values exceed IVS's 1 KB in all."""
        attributes = dict(attributes or {})
        size = sum(len(k.encode("utf-8", "surrogatepass")) + len(v.encode("utf-8", "surrogatepass"))
                   for k, v in attributes.items())  # fmt: skip
        if size > MAX_ATTRIBUTE_BYTES:
            raise ServiceError(
                "ValidationException", f"{member} must be at most {MAX_ATTRIBUTE_BYTES} bytes in all, got {size}"
            )
        return attributes

    def _page(self, operation: str, request: Json, items: Iterable[tuple[str, Json]]) -> tuple[list[Json], str | None]:
        """One page of ``items`` (ordered by key) after the request's nextToken."""
        size = request.get("maxResults") or DEFAULT_PAGE_SIZES[operation]
        after = _read_token(operation, request.get("nextToken"))
        ordered = sorted(items, key=lambda pair: pair[0])
        start = next((i for i, (key, _) in enumerate(ordered) if key > after), len(ordered)) if after else 0
        chosen = ordered[start : start + size]
        more = start + size < len(ordered)
        return [item for _, item in chosen], (_make_token(operation, chosen[-1][0]) if more and chosen else None)

    def _listing(self, operation: str, request: Json, key: str, items: Iterable[tuple[str, Json]]) -> Json:
        page, token = self._page(operation, request, items)
        body: Json = {key: page}
        if token is not None:
            body["nextToken"] = token
        return body

"""Programmable faults: what the emulator does instead of (or to) its normal answer."""

from __future__ import annotations

import enum
import math
import random
import re
import threading
from collections.abc import Mapping

import attrs

from ivs_async._generated.ivs.commands import OPERATIONS
from ivs_async._generated.ivs_realtime.commands import OPERATIONS as REALTIME_OPERATIONS
from ivs_async._generated.ivschat.commands import OPERATIONS as CHAT_OPERATIONS

# Every operation IVS Local serves, of the three services, by name (a fault names one).
KNOWN_OPERATIONS = frozenset({*OPERATIONS, *CHAT_OPERATIONS, *REALTIME_OPERATIONS})


class FaultKind(enum.Enum):
    """What a fault does. The first four replace the operation, which does not run."""

    ERROR = "error"  # an error answer: status and error code, in the real wire form
    RESET = "reset"  # the connection is closed before any answer
    HANG = "hang"  # the request is read and never answered (for ``delay`` seconds, then closed)
    NON_JSON = "non_json"  # an HTML page, as a proxy or load balancer sends
    DELAY = "delay"  # the operation runs and answers normally, ``delay`` seconds late
    TRUNCATED_JSON = "truncated_json"  # the operation runs; its JSON body is cut in half (length matches)
    RESET_MID_BODY = "reset_mid_body"  # the operation runs; half its body is sent, then the connection closes
    SLOW_BODY = "slow_body"  # the operation runs; its body trickles out over ``delay`` seconds


@attrs.frozen(kw_only=True)
class Fault:
    """One rule: for ``operation`` (None: any), the next ``times`` calls (None: every call) get ``kind``.

    ``status``/``error_code``/``message`` shape ERROR and NON_JSON answers (an ERROR with only a
    status has no error code, as a load balancer's answer); ``headers`` are added to the answer
    (``Retry-After``, say); ``delay`` is added latency; ``probability`` makes a rule fire at random.
    """

    kind: FaultKind = FaultKind.ERROR
    operation: str | None = None
    times: int | None = 1
    status: int | None = None
    error_code: str | None = None
    message: str = "injected fault"
    headers: Mapping[str, str] = attrs.field(factory=dict)
    delay: float = 0.0
    probability: float = 1.0

    def __attrs_post_init__(self) -> None:
        """Checked when armed: a rule that cannot shape an answer is a ValueError, not a broken connection."""
        if not isinstance(self.kind, FaultKind):
            raise ValueError(f"kind must be a FaultKind, got {self.kind!r}")
        if self.operation is not None and (
            not isinstance(self.operation, str) or self.operation not in KNOWN_OPERATIONS
        ):
            raise ValueError(f"unknown operation {self.operation!r}")
        if self.times is not None and (not _is_int(self.times) or self.times < 1):
            raise ValueError("times must be an integer of at least 1 (or None for every call)")
        if self.status is not None and (not _is_int(self.status) or not 200 <= self.status <= 599):
            raise ValueError(f"status must be an HTTP status from 200 to 599, got {self.status!r}")
        if self.error_code is not None and (
            not isinstance(self.error_code, str) or not _CODE.fullmatch(self.error_code)
        ):
            raise ValueError(
                "error_code must be an error name: letters, digits, '.', ':', '_' or '-', 1 to 128 of them"
            )
        if not isinstance(self.message, str) or len(self.message) > 1024:
            raise ValueError("message must be a string of at most 1024 characters")
        if not isinstance(self.headers, Mapping) or len(self.headers) > 32:
            raise ValueError("headers must map at most 32 names to values")
        for name, value in self.headers.items():
            if not isinstance(name, str) or not _HEADER_NAME.fullmatch(name) or name.lower() in _FRAMING:
                raise ValueError(
                    f"header name {str(name)[:64]!r} cannot be sent (a token, and not one that frames the answer)"
                )
            if not isinstance(value, str) or not _HEADER_VALUE.fullmatch(value):
                raise ValueError(
                    f"header {name} must be printable text of at most 1024 characters, without line breaks"
                )
        if not _is_number(self.probability) or not 0.0 < self.probability <= 1.0:
            raise ValueError("probability must be a number in (0, 1]")
        if not _is_number(self.delay) or not 0 <= self.delay <= 3600:
            raise ValueError("delay must be a number of seconds from 0 to 3600")


_CODE = re.compile(r"[A-Za-z0-9._:-]{1,128}")
_HEADER_NAME = re.compile(r"[A-Za-z0-9!#$%&'*+.^_`|~-]{1,64}")
_HEADER_VALUE = re.compile(r"[\x20-\x7e\t]{0,1024}")
# Headers that frame an answer (its length, its encoding, the connection): a rule cannot set them.
_FRAMING = {"content-length", "transfer-encoding", "connection", "upgrade", "keep-alive", "te", "trailer", "host"}


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


@attrs.define
class _Armed:
    fault: Fault
    remaining: int | None


MAX_RULES = 256  # armed at once: a test needs a few; a loop arming them must not fill the memory


class FaultPlan:
    """The emulator's fault rules, matched in the order they were added. Thread-safe."""

    def __init__(self, seed: int | None = None) -> None:
        self._rules: list[_Armed] = []
        self._lock = threading.Lock()
        self._random = random.Random(seed)
        self.fired: dict[str, int] = {}

    def add(self, *faults: Fault) -> None:
        """Arm ``faults``, after the rules already armed (ValueError past MAX_RULES in all)."""
        with self._lock:
            if len(self._rules) + len(faults) > MAX_RULES:
                raise ValueError(f"at most {MAX_RULES} fault rules can be armed at once: clear some first")
            self._rules.extend(_Armed(rule, rule.times) for rule in faults)

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()
            self.fired.clear()

    @property
    def pending(self) -> list[Fault]:
        """The rules that can still fire."""
        with self._lock:
            return [armed.fault for armed in self._rules]

    def armed(self) -> list[tuple[Fault, int | None]]:
        """The rules that can still fire, each with the calls it has left (None: every call)."""
        with self._lock:
            return [(armed.fault, armed.remaining) for armed in self._rules]

    def take(self, operation: str) -> Fault | None:
        """The fault for this call of ``operation``, if a rule fires (and counts it)."""
        with self._lock:
            for armed in self._rules:
                rule = armed.fault
                if rule.operation not in (None, operation):
                    continue
                if rule.probability < 1.0 and self._random.random() >= rule.probability:
                    continue
                if armed.remaining is not None:
                    armed.remaining -= 1
                    if armed.remaining == 0:
                        self._rules.remove(armed)
                self.fired[operation] = self.fired.get(operation, 0) + 1
                return rule
        return None

"""Programmable faults: what the emulator does instead of (or to) its normal answer."""

from __future__ import annotations

import enum
import random
import threading
from collections.abc import Mapping

import attrs

from ivs_async._generated.commands import OPERATIONS


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
        if self.operation is not None and self.operation not in OPERATIONS:
            raise ValueError(f"unknown IVS operation {self.operation!r}")
        if self.times is not None and self.times < 1:
            raise ValueError("times must be at least 1 (or None for every call)")
        if not 0.0 < self.probability <= 1.0:
            raise ValueError("probability must be in (0, 1]")
        if self.delay < 0:
            raise ValueError("delay must not be negative")


@attrs.define
class _Armed:
    fault: Fault
    remaining: int | None


class FaultPlan:
    """The emulator's fault rules, matched in the order they were added. Thread-safe."""

    def __init__(self, seed: int | None = None) -> None:
        self._rules: list[_Armed] = []
        self._lock = threading.Lock()
        self._random = random.Random(seed)
        self.fired: dict[str, int] = {}

    def add(self, *faults: Fault) -> None:
        """Arm ``faults``, after the rules already armed."""
        with self._lock:
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

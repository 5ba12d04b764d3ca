"""Traces and metrics for every call: a small provider protocol, and OpenTelemetry behind it.

    from ivs_async.telemetry import OpenTelemetry      # pip install 'ivs-async[otel]'
    client = IvsClient(telemetry=OpenTelemetry())       # the global tracer and meter providers

Each call is one CLIENT span named ``IVS.<Operation>``, child of the caller's current span, with
the attributes of OpenTelemetry's AWS SDK conventions (``rpc.system`` = ``aws-api``,
``rpc.service`` = ``IVS``, ``rpc.method``, ``cloud.region``, ``server.address``, ``server.port``,
``aws.request_id``, ``http.response.status_code``, ``error.type``), ``ivs_async.attempts``, an event
per retry (its reason and delay) and, on failure, the exception with an error status. Metrics use
the Smithy AWS SDKs' names where they exist (``smithy.client.call.duration``, ``.attempts``,
``.errors``, ``.attempt_duration``, ``smithy.client.http.connections.usage``) and ours otherwise
(``ivs_async.client.call.throttles``, ``ivs_async.client.call.retry_delay``). Nothing secret is
ever an attribute: no bodies, no headers, no members of the input. Log records of ivs_async made
during a call carry ``otelTraceID`` and ``otelSpanID``.

Without ``telemetry=`` the client installs nothing: telemetry off costs nothing per call.
"""

from __future__ import annotations

import time
import weakref
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    from opentelemetry.metrics import MeterProvider
    from opentelemetry.trace import TracerProvider

SCOPE = "ivs_async"
SERVICE = "IVS"


@runtime_checkable
class CallTelemetry(Protocol):
    """What one call reports. Made by [Telemetry.start_call][ivs_async.telemetry.Telemetry.start_call], ended once."""

    log_extra: Mapping[str, str]  # added to the call's log records (trace and span ids)

    def attempt(self, duration: float, error: BaseException | None, throttled: bool) -> None:
        """One attempt ended, after ``duration`` seconds, with ``error`` or None."""

    def retry(self, attempt: int, reason: str, delay: float) -> None:
        """Attempt number ``attempt`` failed for ``reason``; the next starts after ``delay`` s."""

    def end(self, *, status: int, request_id: str | None, attempts: int, error: BaseException | None) -> None:
        """The call ended: ``status`` is the last HTTP status (0 for none)."""


@runtime_checkable
class Telemetry(Protocol):
    """A telemetry provider for a client: ``IvsClient(telemetry=...)``."""

    def start_call(self, operation: str, *, region: str, host: str, port: int, service: str = SERVICE) -> CallTelemetry:
        """Begin one call of ``operation`` of ``service`` (``IVS``, ``IVSChat``, ``IVSRealTime``);
        the returned object hears of its attempts and end. (A provider without the ``service``
        keyword still works: it is then not told.)"""

    def observe_connections(self, connections: Callable[[], tuple[int, int]]) -> None:
        """Report the client's pool: ``connections()`` gives (in use, idle)."""


class _NoCall:
    __slots__ = ()
    log_extra: Mapping[str, str] = {}

    def attempt(self, duration: float, error: BaseException | None, throttled: bool) -> None:
        pass

    def retry(self, attempt: int, reason: str, delay: float) -> None:
        pass

    def end(self, *, status: int, request_id: str | None, attempts: int, error: BaseException | None) -> None:
        pass


_NO_CALL = _NoCall()


class NoTelemetry:
    """A provider that records nothing (what the client's hooks cost, for benchmarks and tests)."""

    def start_call(self, operation: str, *, region: str, host: str, port: int, service: str = SERVICE) -> CallTelemetry:
        return _NO_CALL

    def observe_connections(self, connections: Callable[[], tuple[int, int]]) -> None:
        pass


class OpenTelemetry:
    """Spans and metrics through OpenTelemetry; ``None`` providers mean the global ones.

    Needs ``opentelemetry-api`` (the ``otel`` extra); the instruments are made once, here.
    """

    def __init__(
        self, *, tracer_provider: TracerProvider | None = None, meter_provider: MeterProvider | None = None
    ) -> None:
        try:
            from opentelemetry import metrics, trace
        except ImportError:  # pragma: no cover - exercised only without the extra
            raise ImportError("OpenTelemetry needs opentelemetry-api: pip install 'ivs-async[otel]'") from None
        from opentelemetry import context
        from opentelemetry.trace import SpanKind, Status, StatusCode

        from ivs_async._version import __version__

        # Looked up once: the per-call code below uses these without importing.
        self._trace, self._context, self._client_kind = trace, context, SpanKind.CLIENT
        self._status, self._error_code = Status, StatusCode.ERROR
        self._operation_attributes: dict[str, dict[str, str]] = {}
        self._tracer = (tracer_provider or trace.get_tracer_provider()).get_tracer(SCOPE, __version__)
        meter = (meter_provider or metrics.get_meter_provider()).get_meter(SCOPE, __version__)
        self._meter = meter
        self.duration = meter.create_histogram(
            "smithy.client.call.duration", unit="s", description="Overall call duration, retries included"
        )
        self.attempts = meter.create_counter(
            "smithy.client.call.attempts", unit="{attempt}", description="The number of attempts for an operation"
        )
        self.errors = meter.create_counter(
            "smithy.client.call.errors", unit="{error}", description="The number of errors for an operation"
        )
        self.attempt_duration = meter.create_histogram(
            "smithy.client.call.attempt_duration", unit="s", description="The time one attempt takes"
        )
        self.throttles = meter.create_counter(
            "ivs_async.client.call.throttles", unit="{attempt}", description="Attempts that IVS throttled"
        )
        self.retry_delay = meter.create_histogram(
            "ivs_async.client.call.retry_delay", unit="s", description="Backoff before a retry"
        )
        self._pools: list[Callable[[], tuple[int, int] | None]] = []
        meter.create_observable_up_down_counter(
            "smithy.client.http.connections.usage",
            callbacks=[self._observe_pools],
            unit="{connection}",
            description="Connections of the clients' pools, by state",
        )

    def start_call(self, operation: str, *, region: str, host: str, port: int, service: str = SERVICE) -> CallTelemetry:
        return _OtelCall(self, operation, region, host, port, service)

    def metric_attributes(self, operation: str, service: str = SERVICE) -> dict[str, str]:
        """The metrics' attributes of ``operation`` of ``service``, built once (the SDK only reads them)."""
        key = f"{service}.{operation}"
        found = self._operation_attributes.get(key)
        if found is None:
            found = self._operation_attributes[key] = {"rpc.service": service, "rpc.method": operation}
        return found

    def observe_connections(self, connections: Callable[[], tuple[int, int]]) -> None:
        # Weakly: a closed and dropped client must not be kept alive by its telemetry.
        owner = getattr(connections, "__self__", None)
        if owner is not None:
            ref = weakref.WeakMethod(connections)
            self._pools.append(lambda: (lambda m: m() if m is not None else None)(ref()))
        else:
            self._pools.append(connections)

    def _observe_pools(self, options: Any) -> Iterator[Any]:
        from opentelemetry.metrics import Observation

        acquired = idle = 0
        for pool in self._pools:
            counts = pool()
            if counts is not None:
                acquired += counts[0]
                idle += counts[1]
        yield Observation(acquired, {"state": "acquired"})
        yield Observation(idle, {"state": "idle"})


class _OtelCall:
    """One call's span and measurements."""

    __slots__ = ("_attrs", "_owner", "_span", "_start", "_token", "log_extra")

    def __init__(
        self, owner: OpenTelemetry, operation: str, region: str, host: str, port: int, service: str = SERVICE
    ) -> None:
        self._owner = owner
        self._attrs = owner.metric_attributes(operation, service)
        self._span = owner._tracer.start_span(
            f"{service}.{operation}",
            kind=owner._client_kind,
            attributes={
                "rpc.system": "aws-api",
                "rpc.service": service,
                "rpc.method": operation,
                "cloud.region": region,
                "server.address": host,
                "server.port": port,
            },
        )
        # Current while the call runs: its log records (and any span a middleware makes) see it.
        self._token = owner._context.attach(owner._trace.set_span_in_context(self._span))
        span_context = self._span.get_span_context()
        self.log_extra: Mapping[str, str] = {
            "otelTraceID": f"{span_context.trace_id:032x}",
            "otelSpanID": f"{span_context.span_id:016x}",
        }
        self._start = time.perf_counter()

    def attempt(self, duration: float, error: BaseException | None, throttled: bool) -> None:
        self._owner.attempt_duration.record(duration, self._attrs)
        if throttled:
            self._owner.throttles.add(1, self._attrs)

    def retry(self, attempt: int, reason: str, delay: float) -> None:
        event: dict[str, str | int | float] = {
            "ivs_async.attempt": attempt,
            "ivs_async.retry.reason": reason,
            "ivs_async.retry.delay": delay,
        }
        self._span.add_event("retry", event)
        self._owner.retry_delay.record(delay, self._attrs)

    def end(self, *, status: int, request_id: str | None, attempts: int, error: BaseException | None) -> None:
        owner, span = self._owner, self._span
        owner.duration.record(time.perf_counter() - self._start, self._attrs)
        owner.attempts.add(attempts, self._attrs)
        attributes: dict[str, str | int] = {"ivs_async.attempts": attempts}
        if status:
            attributes["http.response.status_code"] = status
        if request_id:
            attributes["aws.request_id"] = request_id
        if error is not None:
            kind = type(error).__name__
            attributes["error.type"] = kind
            span.record_exception(error)
            span.set_status(owner._status(owner._error_code, kind))
            owner.errors.add(1, {**self._attrs, "exception.type": kind})
        span.set_attributes(attributes)
        owner._context.detach(self._token)
        span.end()

"""Spans, metrics and log correlation through the OpenTelemetry SDK's in-memory exporter and reader."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from ivs_async import IvsClient, StaticCredentials
from ivs_async._core.retries import StandardRetryStrategy
from ivs_async.commands import CreateChannelCommand, GetChannelCommand, GetStreamKeyCommand
from ivs_async.errors import ConfigurationError, RequestTimeoutError, ResourceNotFoundException
from ivs_async.telemetry import NoTelemetry, OpenTelemetry
from tests.conftest import KEY, REGION, SECRET
from tests.support.loopback import LoopbackServer, Reply

ARN = "arn:aws:ivs:us-west-2:123456789012:channel/abcdEFGH1234"


class Otel:
    def __init__(self) -> None:
        self.spans = InMemorySpanExporter()
        self.tracer_provider = TracerProvider()
        self.tracer_provider.add_span_processor(SimpleSpanProcessor(self.spans))
        self.reader = InMemoryMetricReader()
        self.meter_provider = MeterProvider(metric_readers=[self.reader])
        self.telemetry = OpenTelemetry(tracer_provider=self.tracer_provider, meter_provider=self.meter_provider)

    def finished(self) -> list[ReadableSpan]:
        return list(self.spans.get_finished_spans())

    def metrics(self) -> dict[str, list[Any]]:
        data = self.reader.get_metrics_data()
        found: dict[str, list[Any]] = {}
        for resource in data.resource_metrics if data else []:
            for scope in resource.scope_metrics:
                for metric in scope.metrics:
                    found[metric.name] = list(metric.data.data_points)
        return found


@pytest.fixture
def otel() -> Iterator[Otel]:
    found = Otel()
    yield found
    found.tracer_provider.shutdown()
    found.meter_provider.shutdown()


@pytest.fixture
async def client(server: LoopbackServer, otel: Otel) -> AsyncIterator[IvsClient]:
    async with IvsClient(
        region=REGION,
        credentials=StaticCredentials(KEY, SECRET),
        endpoint=server.endpoint,
        telemetry=otel.telemetry,
        retry_strategy=StandardRetryStrategy(base_delay=0.001, throttling_base_delay=0.001),
    ) as c:
        yield c


async def test_a_success_is_one_client_span_under_the_callers_span(
    server: LoopbackServer, client: IvsClient, otel: Otel
) -> None:
    server.queue(Reply(200, {"channel": {"arn": ARN}}, {"x-amzn-RequestId": "req-1"}))
    tracer = otel.tracer_provider.get_tracer("app")
    with tracer.start_as_current_span("request handler") as parent:
        await client.send(GetChannelCommand(arn=ARN))
    ivs_span, _app_span = otel.finished()
    assert ivs_span.name == "IVS.GetChannel" and ivs_span.kind is SpanKind.CLIENT
    assert ivs_span.parent is not None and ivs_span.parent.span_id == parent.get_span_context().span_id
    attributes = dict(ivs_span.attributes or {})
    port = int(server.endpoint.rsplit(":", 1)[1])
    assert attributes == {
        "rpc.system": "aws-api",
        "rpc.service": "IVS",
        "rpc.method": "GetChannel",
        "cloud.region": REGION,
        "server.address": "127.0.0.1",
        "server.port": port,
        "http.response.status_code": 200,
        "aws.request_id": "req-1",
        "ivs_async.attempts": 1,
    }
    assert ivs_span.status.status_code is StatusCode.UNSET
    metrics = otel.metrics()
    assert metrics["smithy.client.call.duration"][0].count == 1
    assert metrics["smithy.client.call.attempts"][0].value == 1
    assert dict(metrics["smithy.client.call.attempts"][0].attributes) == {
        "rpc.service": "IVS",
        "rpc.method": "GetChannel",
    }
    assert metrics["smithy.client.call.attempt_duration"][0].count == 1
    assert "smithy.client.call.errors" not in metrics
    usage = {dict(p.attributes)["state"]: p.value for p in metrics["smithy.client.http.connections.usage"]}
    assert usage == {"acquired": 0, "idle": 1}


async def test_a_modeled_error_is_recorded_with_an_error_status(
    server: LoopbackServer, client: IvsClient, otel: Otel
) -> None:
    server.queue(Reply(404, {"exceptionMessage": "gone"}, {"x-amzn-ErrorType": "ResourceNotFoundException"}))
    with pytest.raises(ResourceNotFoundException):
        await client.send(GetChannelCommand(arn=ARN))
    (span,) = otel.finished()
    assert span.status.status_code is StatusCode.ERROR
    assert span.attributes is not None and span.attributes["error.type"] == "ResourceNotFoundException"
    assert span.attributes["http.response.status_code"] == 404
    assert [e.name for e in span.events] == ["exception"]
    errors = otel.metrics()["smithy.client.call.errors"]
    assert errors[0].value == 1 and dict(errors[0].attributes)["exception.type"] == "ResourceNotFoundException"


async def test_a_retried_throttle_has_one_event_per_retry(
    server: LoopbackServer, client: IvsClient, otel: Otel
) -> None:
    throttle = Reply(429, {"exceptionMessage": "slow"}, {"x-amzn-ErrorType": "ThrottlingException"})
    server.queue(throttle, throttle, Reply(200, {"channel": {"arn": ARN}}))
    await client.send(GetChannelCommand(arn=ARN))
    (span,) = otel.finished()
    retries = [e for e in span.events if e.name == "retry"]
    assert [e.attributes["ivs_async.attempt"] for e in retries] == [1, 2]  # type: ignore[index]
    assert all(e.attributes["ivs_async.retry.reason"] == "throttling" for e in retries)  # type: ignore[index]
    assert span.attributes is not None and span.attributes["ivs_async.attempts"] == 3
    metrics = otel.metrics()
    assert metrics["smithy.client.call.attempts"][0].value == 3
    assert metrics["ivs_async.client.call.throttles"][0].value == 2
    assert metrics["ivs_async.client.call.retry_delay"][0].count == 2
    assert metrics["smithy.client.call.attempt_duration"][0].count == 3


async def test_a_timeout(server: LoopbackServer, otel: Otel) -> None:
    server.default = Reply(200, {}, delay=1.0)
    async with IvsClient(
        region=REGION,
        credentials=StaticCredentials(KEY, SECRET),
        endpoint=server.endpoint,
        telemetry=otel.telemetry,
        max_attempts=1,
        read_timeout=0.05,
    ) as client:
        with pytest.raises(RequestTimeoutError):
            await client.send(GetChannelCommand(arn=ARN))
    (span,) = otel.finished()
    assert span.attributes is not None and span.attributes["error.type"] == "RequestTimeoutError"
    assert "http.response.status_code" not in span.attributes


async def test_a_cancelled_call_ends_its_span(server: LoopbackServer, client: IvsClient, otel: Otel) -> None:
    server.default = Reply(200, {}, delay=5.0)
    task = asyncio.ensure_future(client.send(GetChannelCommand(arn=ARN)))
    await asyncio.sleep(0.1)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    (span,) = otel.finished()
    assert span.attributes is not None and span.attributes["error.type"] == "CancelledError"
    assert span.status.status_code is StatusCode.ERROR


async def test_no_secret_reaches_a_span(server: LoopbackServer, client: IvsClient, otel: Otel) -> None:
    server.queue(Reply(200, {"streamKey": {"arn": "k", "value": "sk_live_secret"}}))
    await client.send(GetStreamKeyCommand(arn="arn:aws:ivs:us-west-2:123456789012:stream-key/abcd1234"))
    server.queue(Reply(500, {"exceptionMessage": "x"}, {"x-amzn-ErrorType": "InternalServerException"}))
    server.queue(Reply(200, {"channel": {"arn": ARN}, "streamKey": {"value": "sk_live_secret"}}))
    await client.send(CreateChannelCommand(name="secret-test"))
    for span in otel.finished():
        shown = repr(dict(span.attributes or {})) + repr([dict(e.attributes or {}) for e in span.events])
        assert "sk_live_secret" not in shown and SECRET not in shown


async def test_log_records_carry_the_trace_and_span_ids(
    server: LoopbackServer, client: IvsClient, otel: Otel, caplog: pytest.LogCaptureFixture
) -> None:
    server.queue(Reply(200, {"channel": {"arn": ARN}}))
    with caplog.at_level(logging.DEBUG, logger="ivs_async"):
        await client.send(GetChannelCommand(arn=ARN))
    (span,) = otel.finished()
    (record,) = [r for r in caplog.records if r.name == "ivs_async"]
    assert record.otelTraceID == f"{span.context.trace_id:032x}"  # type: ignore[attr-defined]
    assert record.otelSpanID == f"{span.context.span_id:016x}"  # type: ignore[attr-defined]


async def test_without_telemetry_nothing_is_installed(server: LoopbackServer) -> None:
    plain = IvsClient(region=REGION, credentials=StaticCredentials(KEY, SECRET), endpoint=server.endpoint)
    noop = IvsClient(
        region=REGION, credentials=StaticCredentials(KEY, SECRET), endpoint=server.endpoint, telemetry=NoTelemetry()
    )
    from types import SimpleNamespace

    from ivs_async.middleware.telemetry import telemetry_middleware

    async def handler(call: Any) -> object:
        return None

    # Telemetry off: the entry returns the next handler itself, adding no call to the hot path.
    assert telemetry_middleware(handler, SimpleNamespace(telemetry=None)) is handler  # type: ignore[arg-type]
    server.queue(Reply(200, {"channel": {"arn": ARN}}))
    assert (await noop.send(GetChannelCommand(arn=ARN))).channel is not None
    await plain.close()
    await noop.close()
    with pytest.raises(ConfigurationError):
        IvsClient(region=REGION, telemetry=object())  # type: ignore[arg-type]


async def test_each_service_names_its_spans_and_metrics(server: LoopbackServer, otel: Otel) -> None:
    from ivs_async.chat import IvsChatClient
    from ivs_async.chat.commands import GetRoomCommand
    from ivs_async.realtime import IvsRealTimeClient
    from ivs_async.realtime.commands import GetStageCommand

    options: dict[str, Any] = {
        "region": REGION,
        "credentials": StaticCredentials(KEY, SECRET),
        "endpoint": server.endpoint,
        "telemetry": otel.telemetry,
    }
    server.queue(Reply(200, {"arn": "arn:aws:ivschat:us-west-2:123456789012:room/abcdEFGH1234"}))
    server.queue(Reply(200, {"stage": {"arn": "arn:aws:ivs:us-west-2:123456789012:stage/abcdEFGH1234"}}))
    async with IvsChatClient(**options) as chat, IvsRealTimeClient(**options) as realtime:
        await chat.send(GetRoomCommand(identifier="arn:aws:ivschat:us-west-2:123456789012:room/abcdEFGH1234"))
        await realtime.send(GetStageCommand(arn="arn:aws:ivs:us-west-2:123456789012:stage/abcdEFGH1234"))
    spans = {span.name: dict(span.attributes or {}) for span in otel.finished()}
    assert spans.keys() == {"IVSChat.GetRoom", "IVSRealTime.GetStage"}
    assert spans["IVSChat.GetRoom"]["rpc.service"] == "IVSChat"
    assert spans["IVSRealTime.GetStage"]["rpc.service"] == "IVSRealTime"
    services = {dict(p.attributes)["rpc.service"] for p in otel.metrics()["smithy.client.call.attempts"]}
    assert services == {"IVSChat", "IVSRealTime"}


async def test_a_provider_written_before_services_were_named_still_works(server: LoopbackServer) -> None:
    from ivs_async.telemetry import CallTelemetry

    calls: list[str] = []

    class Older:
        def start_call(self, operation: str, *, region: str, host: str, port: int) -> CallTelemetry:
            calls.append(operation)
            return NoTelemetry().start_call(operation, region=region, host=host, port=port)

        def observe_connections(self, connections: Any) -> None:
            pass

    server.queue(Reply(200, {"channel": {"arn": ARN}}))
    async with IvsClient(
        region=REGION, credentials=StaticCredentials(KEY, SECRET), endpoint=server.endpoint, telemetry=Older()
    ) as client:
        await client.send(GetChannelCommand(arn=ARN))
    assert calls == ["GetChannel"]

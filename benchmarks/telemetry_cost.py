"""What telemetry costs per send(): off, the no-op provider, and the OpenTelemetry SDK recording.

    python benchmarks/telemetry_cost.py [--calls 20000] [--rounds 5]

The three clients answer GetChannel from the in-memory transport of send_overhead.py and are
measured in the same run, interleaved round by round (CPU time, best round of each). The
OpenTelemetry SDK exports spans to a processor that drops them, so what is measured is making
them, not shipping them.
"""

from __future__ import annotations

import argparse
import asyncio
import time

from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExporter, SpanExportResult
from send_overhead import ARN, InMemory

from ivs_async import IvsClient, StaticCredentials
from ivs_async.commands import GetChannelCommand
from ivs_async.telemetry import NoTelemetry, OpenTelemetry, Telemetry


class Drop(SpanExporter):
    def export(self, spans: object) -> SpanExportResult:
        return SpanExportResult.SUCCESS


def client(telemetry: Telemetry | None) -> IvsClient:
    return IvsClient(
        region="us-west-2",
        credentials=StaticCredentials("AKIDBENCH", "bench/secret"),
        endpoint="https://ivs.us-west-2.amazonaws.com",
        transport=InMemory(),
        telemetry=telemetry,
    )


async def main(calls: int, rounds: int) -> None:
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(SimpleSpanProcessor(Drop()))
    meter_provider = MeterProvider(metric_readers=[InMemoryMetricReader()])
    clients = {
        "telemetry off": client(None),
        "no-op provider": client(NoTelemetry()),
        "OpenTelemetry SDK": client(OpenTelemetry(tracer_provider=tracer_provider, meter_provider=meter_provider)),
    }
    command = GetChannelCommand(arn=ARN)
    for c in clients.values():
        for _ in range(calls // 10):
            await c.send(command)
    best = dict.fromkeys(clients, float("inf"))
    for _ in range(rounds):
        for name, c in clients.items():
            started = time.process_time()
            for _ in range(calls):
                await c.send(command)
            best[name] = min(best[name], (time.process_time() - started) / calls)
    base = best["telemetry off"]
    for name, seconds in best.items():
        print(f"{name:20} {seconds * 1e6:6.1f} us CPU per call  ({seconds / base:.2f}x)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=20000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    asyncio.run(main(args.calls, args.rounds))

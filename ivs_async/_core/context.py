"""What travels through the middleware: the per-call state and the per-handler context."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ivs_async._core.clock import SkewedClock
    from ivs_async._core.config import ClientConfig
    from ivs_async._core.http import HttpRequest, HttpResponse
    from ivs_async._core.retries import RetryStrategy
    from ivs_async._core.signing import SigV4Signer
    from ivs_async._core.transport import Transport
    from ivs_async._protocol.command import Command, Operation
    from ivs_async.telemetry import CallTelemetry, Telemetry


# Plain slotted classes, not attrs: they load with every client, and building an attrs class
# costs the import about 0.3 ms. Read-only by convention.
class HandlerContext:
    """Everything fixed for one client and one command class, given to each middleware once."""

    __slots__ = ("clock", "config", "logger", "operation", "retry_strategy", "signer", "telemetry", "transport")

    def __init__(
        self,
        *,
        operation: Operation,
        config: ClientConfig,
        transport: Transport,
        signer: SigV4Signer,
        retry_strategy: RetryStrategy,
        logger: logging.Logger,
        clock: SkewedClock,
        telemetry: Telemetry | None = None,
    ) -> None:
        self.operation = operation
        self.config = config
        self.transport = transport
        self.signer = signer
        self.retry_strategy = retry_strategy
        self.logger = logger
        self.clock = clock
        self.telemetry = telemetry

    def __repr__(self) -> str:
        return f"HandlerContext({self.operation.name})"


class CallOptions:
    """Per-call settings; None means the client's own. Seconds throughout."""

    __slots__ = ("connect_timeout", "read_timeout", "timeout")

    def __init__(
        self, timeout: float | None = None, connect_timeout: float | None = None, read_timeout: float | None = None
    ) -> None:
        self.timeout = timeout  # the whole call: every attempt and every wait between them
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout

    def __repr__(self) -> str:
        return f"CallOptions({self.timeout}, {self.connect_timeout}, {self.read_timeout})"


class Call:
    """The state of one send(): the command, then the request, then the response."""

    __slots__ = ("attempt", "command", "input", "options", "properties", "request", "response", "telemetry")

    def __init__(self, command: Command[Any, Any], options: CallOptions) -> None:
        self.command = command
        self.options = options
        self.input: Any = command.input
        self.request: HttpRequest | None = None
        self.response: HttpResponse | None = None
        self.attempt = 0
        self.telemetry: CallTelemetry | None = None  # set when the client has a telemetry provider
        self.properties: dict[str, Any] = {}  # free space for users' middleware

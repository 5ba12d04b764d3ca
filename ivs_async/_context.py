"""What travels through the middleware: the per-call state and the per-handler context."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import attrs

if TYPE_CHECKING:
    from ivs_async._clock import SkewedClock
    from ivs_async._command import Command, Operation
    from ivs_async._config import ClientConfig
    from ivs_async._http import HttpRequest, HttpResponse
    from ivs_async._retries import RetryStrategy
    from ivs_async._signing import SigV4Signer
    from ivs_async._transport import Transport
    from ivs_async.telemetry import CallTelemetry, Telemetry


@attrs.frozen(slots=True, eq=False)
class HandlerContext:
    """Everything fixed for one client and one command class, given to each middleware once."""

    operation: Operation
    config: ClientConfig
    transport: Transport
    signer: SigV4Signer
    retry_strategy: RetryStrategy
    logger: logging.Logger
    clock: SkewedClock
    telemetry: Telemetry | None = None


@attrs.frozen(slots=True)
class CallOptions:
    """Per-call settings; None means the client's own. Seconds throughout."""

    timeout: float | None = None  # the whole call: every attempt and every wait between them
    connect_timeout: float | None = None
    read_timeout: float | None = None


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

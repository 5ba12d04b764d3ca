"""The client core every service shares (configuration, the middleware stack, a handler per
command class, send()), and IvsClient, IVS's client."""

from __future__ import annotations

import logging
import sys
import traceback
import warnings
from collections.abc import Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Any, ClassVar, Self, TypeVar

from ivs_async._core.clock import SkewedClock
from ivs_async._core.config import ClientConfig, check_seconds, resolve_config
from ivs_async._core.context import Call, CallOptions, HandlerContext
from ivs_async._core.retries import AdaptiveRetryStrategy, RetryStrategy, StandardRetryStrategy
from ivs_async._core.service import Service
from ivs_async._core.signing import SigV4Signer
from ivs_async._core.stack import Handler, MiddlewareStack
from ivs_async._core.transport import AiohttpTransport, Transport
from ivs_async._exceptions import ClientClosedError, ConfigurationError, ParamValidationError, Violation
from ivs_async._generated.ivs import SERVICE as IVS
from ivs_async._protocol.command import Command
from ivs_async.credentials import CredentialsProvider, Provider
from ivs_async.middleware import PutMetadataPacer, default_stack, signing
from ivs_async.telemetry import Telemetry

if TYPE_CHECKING:
    from ivs_async._fleet.limiter import RateLimiter

OutputT = TypeVar("OutputT")
_DEFAULT_OPTIONS = CallOptions()


class ServiceClient:
    """What the clients of IVS, IVS Chat and IVS Real-Time share; each names its ``service``."""

    __module__ = "ivs_async"
    service: ClassVar[Service]
    # Where the rate limiter keeps this service's operations: "api:<endpoint key>:" unless set
    # (its operation names repeat other services').
    _rate_keys: ClassVar[str | None] = None

    def __init__(
        self,
        *,
        region: str | None = None,
        credentials: CredentialsProvider | None = None,
        endpoint: str | None = None,
        profile: str | None = None,
        max_attempts: int | None = None,
        retry_mode: str | None = None,
        retry_strategy: RetryStrategy | None = None,
        timeout: float | None = None,
        connect_timeout: float | None = None,
        read_timeout: float | None = None,
        max_connections: int | None = None,
        keepalive_timeout: float | None = None,
        max_response_bytes: int | None = None,
        transport: Transport | None = None,
        user_agent_extra: str | None = None,
        use_fips_endpoint: bool | None = None,
        use_dualstack_endpoint: bool | None = None,
        logger: logging.Logger | None = None,
        environ: Mapping[str, str] | None = None,
        telemetry: Telemetry | None = None,
        rate_limiter: RateLimiter | None = None,
    ) -> None:
        self.config: ClientConfig = resolve_config(
            region=region,
            endpoint=endpoint,
            credentials=credentials,
            profile=profile,
            max_attempts=max_attempts,
            retry_mode=retry_mode,
            use_fips_endpoint=use_fips_endpoint,
            use_dualstack_endpoint=use_dualstack_endpoint,
            timeout=timeout,
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
            max_connections=max_connections,
            keepalive_timeout=keepalive_timeout,
            user_agent_extra=user_agent_extra,
            max_response_bytes=max_response_bytes,
            environ=environ,
            service=self.service,
        )
        if telemetry is not None and not isinstance(telemetry, Telemetry):
            raise ConfigurationError("telemetry must implement ivs_async.telemetry.Telemetry")
        self._telemetry = telemetry
        if retry_strategy is not None and not isinstance(retry_strategy, RetryStrategy):
            raise ConfigurationError("retry_strategy must implement RetryStrategy")
        self._retry_strategy = retry_strategy or _builtin_strategy(self.config)
        # The default chain is this client's own: closing the client stops its refreshes. A
        # provider passed in may serve other clients and is left alone.
        self._owned_credentials = self.config.credentials if credentials is None else None
        self._clock = SkewedClock()
        self._transport: Transport = transport or AiohttpTransport(
            connect_timeout=self.config.connect_timeout,
            read_timeout=self.config.read_timeout,
            max_connections=self.config.max_connections,
            keepalive_timeout=self.config.keepalive_timeout,
            max_response_bytes=self.config.max_response_bytes,
            proxies=self.config.proxies,
        )
        self._signer: SigV4Signer | None = None  # needs the region, checked at the first send
        self._logger = logger or logging.getLogger("ivs_async")
        self._handlers: dict[type[Command[Any, Any]], Handler] = {}
        self._closed = False
        # Where it was made, for the unclosed-client warning: only under -X dev (a stack costs).
        self._created_at = traceback.extract_stack(limit=16)[:-1] if sys.flags.dev_mode else None
        self.middleware_stack: MiddlewareStack = default_stack()
        connections = getattr(self._transport, "connections", None)
        if telemetry is not None and connections is not None:
            telemetry.observe_connections(connections)
        if rate_limiter is not None:
            from ivs_async._fleet.limiter import RateLimiter  # loaded when a limiter is used

            if not isinstance(rate_limiter, RateLimiter):
                raise ConfigurationError("rate_limiter must implement ivs_async.limits.RateLimiter")
            self._install_rate_limiter(rate_limiter)
        self.middleware_stack.on_change(self._handlers.clear)

    def _install_rate_limiter(self, limiter: RateLimiter) -> None:
        """Every operation paced to the service's per-account API rates."""
        from ivs_async._fleet.api_rates import RATES_BY_SERVICE  # loaded when a limiter is used
        from ivs_async.middleware.rate_limit import NAME as RATE_LIMIT
        from ivs_async.middleware.rate_limit import ApiRatePacer

        key = self.service.endpoint_key
        prefix = self._rate_keys if self._rate_keys is not None else f"api:{key}:"
        pacer = ApiRatePacer(limiter, rates=RATES_BY_SERVICE[key], key_prefix=prefix)
        self.middleware_stack.add_relative_to(pacer, relation="before", to_name=signing.NAME, name=RATE_LIMIT)

    @property
    def transport(self) -> Transport:
        return self._transport

    @property
    def retry_strategy(self) -> RetryStrategy:
        return self._retry_strategy

    @property
    def clock_offset(self) -> float:
        """Seconds added to the local clock when signing, learnt from IVS's ``Date`` headers."""
        return self._clock.offset

    async def send(
        self,
        command: Command[Any, OutputT],
        *,
        # A deadline that spans retries and backoff; asyncio.timeout() around send() would cut a
        # call without the typed error and the attempt count.
        timeout: float | None = None,  # noqa: ASYNC109
        connect_timeout: float | None = None,
        read_timeout: float | None = None,
    ) -> OutputT:
        """Run ``command`` through the middleware stack and return its output.

        ``timeout`` bounds the whole call (every attempt and wait); ``connect_timeout`` and
        ``read_timeout`` bound each attempt. Each overrides the client's setting for this call.
        """
        if self._closed:
            raise ClientClosedError(f"this {type(self).__name__} is closed; create a new one")
        handler = self._handlers.get(type(command))
        if handler is None:
            handler = self._compose(type(command))
        if timeout is None and connect_timeout is None and read_timeout is None:
            options = _DEFAULT_OPTIONS
        else:
            options = CallOptions(
                check_seconds("timeout", timeout),
                check_seconds("connect_timeout", connect_timeout),
                check_seconds("read_timeout", read_timeout),
            )
        result: OutputT = await handler(Call(command, options))
        return result

    def _compose(self, command_cls: type[Command[Any, Any]]) -> Handler:
        operation = getattr(command_cls, "operation", None)
        service = getattr(operation, "service", None)
        if service is not self.service:
            # Another service's command would be signed and sent here as if it were this one's.
            what = f"an {service.name} command" if service is not None else "not a command"
            raise ParamValidationError(
                getattr(operation, "name", command_cls.__name__),
                [
                    Violation(
                        "<command>",
                        "service",
                        f"{command_cls.__name__} is {what}; a {type(self).__name__} sends {self.service.name} commands",
                    )
                ],
            )
        region, _ = self.config.require_region()
        if self._signer is None:
            self._signer = SigV4Signer(region, self.service.signing_name)  # one per client: it caches signing keys
        context = HandlerContext(
            operation=command_cls.operation,
            config=self.config,
            transport=self._transport,
            signer=self._signer,
            retry_strategy=self._retry_strategy,
            logger=self._logger,
            clock=self._clock,
            telemetry=self._telemetry,
        )
        # Our own transport is the terminal handler itself; another goes through _send_request.
        own = self._transport if type(self._transport) is AiohttpTransport else None
        handler = self.middleware_stack.resolve(own.handle if own is not None else self._send_request, context)
        self._handlers[command_cls] = handler
        return handler

    async def _send_request(self, call: Call) -> None:
        assert call.request is not None
        options = call.options
        if options.connect_timeout is None and options.read_timeout is None:
            # Without overrides: custom transports need not accept the timeout keywords.
            call.response = await self._transport.send(call.request)
        else:
            call.response = await self._transport.send(
                call.request, connect_timeout=options.connect_timeout, read_timeout=options.read_timeout
            )

    async def close(self) -> None:
        """Close the connection pool. Later send() calls raise ClientClosedError."""
        self._closed = True
        try:
            await self._transport.close()
        finally:
            if isinstance(self._owned_credentials, Provider):
                await self._owned_credentials.aclose()

    @property
    def closed(self) -> bool:
        return self._closed

    def __del__(self, _warn: Any = warnings.warn) -> None:
        # Garbage collected with its connection pool open: name this client (aiohttp's own
        # "Unclosed connector" that follows does not say whose it was).
        try:
            if self._closed or getattr(self._transport, "connector", None) is None:
                return
            where = ""
            if self._created_at is not None:
                where = "; created at (most recent call last):\n" + "".join(traceback.format_list(self._created_at))
            _warn(f"unclosed {self!r}: use 'async with' or await close(){where}", ResourceWarning, source=self)
        except Exception:  # at interpreter exit the modules may be gone
            pass

    async def __aenter__(self) -> Self:
        if self._closed:
            raise ClientClosedError(f"this {type(self).__name__} is closed; create a new one")
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    def __repr__(self) -> str:
        endpoint = self.config.endpoint.url if self.config.endpoint else None
        return f"{type(self).__name__}(region={self.config.region!r}, endpoint={endpoint!r})"


class IvsClient(ServiceClient):
    """An asyncio client for Amazon IVS: ``await client.send(GetChannelCommand(arn=...))``.

    Use it with ``async with`` or call [close()][ivs_async.IvsClient.close]. One client can serve any number of
    concurrent calls; its connection pool, credentials and retry quota are its own.

    Settings not passed come from ``environ`` (``os.environ`` by default) and the shared config
    files it names, as boto3 reads them; ``environ={}`` reads no variables.

    ``rate_limiter`` (``ivs_async.limits``) paces every attempt to IVS's per-account API rates,
    PutMetadata per channel and per account too; a RedisRateLimiter shares them across workers.
    """

    __module__ = "ivs_async"
    service = IVS
    _rate_keys = "api:"  # IVS's keys as they were before the other services came (shared fleets)

    def _install_rate_limiter(self, limiter: RateLimiter) -> None:
        """Every operation paced to IVS's per-account API rates, PutMetadata per channel too."""
        super()._install_rate_limiter(limiter)
        PutMetadataPacer(limiter=limiter).install(self)


def _builtin_strategy(config: ClientConfig) -> RetryStrategy:
    if config.retry_mode == "adaptive":
        return AdaptiveRetryStrategy(config.max_attempts, new_retries=config.new_retries)
    return StandardRetryStrategy(config.max_attempts, new_retries=config.new_retries)

"""IvsClient: configuration, the middleware stack, a handler per command class, send()."""

from __future__ import annotations

import logging
from types import TracebackType
from typing import Any, Self, TypeVar

from ivs_async._command import Command
from ivs_async._config import SERVICE, ClientConfig, resolve_config
from ivs_async._context import Call, HandlerContext
from ivs_async._exceptions import ClientClosedError, ConfigurationError
from ivs_async._retries import RetryStrategy, StandardRetryStrategy
from ivs_async._signing import SigV4Signer
from ivs_async._stack import Handler, MiddlewareStack
from ivs_async._transport import AiohttpTransport, Transport
from ivs_async.credentials import CredentialsProvider
from ivs_async.middleware import default_stack

OutputT = TypeVar("OutputT")


class IvsClient:
    """An asyncio client for Amazon IVS: ``await client.send(GetChannelCommand(arn=...))``.

    Use it with ``async with`` or call :meth:`close`. One client can serve any number of
    concurrent calls; its connection pool, credentials and retry quota are its own.
    """

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
        connect_timeout: float | None = None,
        read_timeout: float | None = None,
        max_connections: int | None = None,
        transport: Transport | None = None,
        user_agent_extra: str | None = None,
        use_fips_endpoint: bool | None = None,
        use_dualstack_endpoint: bool | None = None,
        logger: logging.Logger | None = None,
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
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
            max_connections=max_connections,
            user_agent_extra=user_agent_extra,
        )
        if retry_strategy is not None and not isinstance(retry_strategy, RetryStrategy):
            raise ConfigurationError("retry_strategy must implement RetryStrategy")
        self._retry_strategy = retry_strategy or StandardRetryStrategy(self.config.max_attempts)
        endpoint_info = self.config.endpoint
        self._transport: Transport = transport or AiohttpTransport(
            connect_timeout=self.config.connect_timeout,
            read_timeout=self.config.read_timeout,
            max_connections=self.config.max_connections,
            keepalive_timeout=self.config.keepalive_timeout,
            # A proxy from the environment can never reach a loopback endpoint.
            trust_env=not (endpoint_info is not None and endpoint_info.is_loopback),
        )
        self._signer: SigV4Signer | None = None  # needs the region, checked at the first send
        self._logger = logger or logging.getLogger("ivs_async")
        self._handlers: dict[type[Command[Any, Any]], Handler] = {}
        self._closed = False
        self.middleware_stack: MiddlewareStack = default_stack()
        self.middleware_stack.on_change(self._handlers.clear)

    @property
    def transport(self) -> Transport:
        return self._transport

    async def send(self, command: Command[Any, OutputT]) -> OutputT:
        """Run ``command`` through the middleware stack and return its output."""
        if self._closed:
            raise ClientClosedError("this IvsClient is closed; create a new one")
        handler = self._handlers.get(type(command))
        if handler is None:
            handler = self._compose(type(command))
        result: OutputT = await handler(Call(command))
        return result

    def _compose(self, command_cls: type[Command[Any, Any]]) -> Handler:
        region, _ = self.config.require_region()
        if self._signer is None:
            self._signer = SigV4Signer(region, SERVICE)  # one per client: it caches signing keys
        context = HandlerContext(
            operation=command_cls.operation,
            config=self.config,
            transport=self._transport,
            signer=self._signer,
            retry_strategy=self._retry_strategy,
            logger=self._logger,
        )
        handler = self.middleware_stack.resolve(self._send_request, context)
        self._handlers[command_cls] = handler
        return handler

    async def _send_request(self, call: Call) -> None:
        assert call.request is not None
        call.response = await self._transport.send(call.request)

    async def close(self) -> None:
        """Close the connection pool. Later send() calls raise ClientClosedError."""
        self._closed = True
        await self._transport.close()

    @property
    def closed(self) -> bool:
        return self._closed

    async def __aenter__(self) -> Self:
        if self._closed:
            raise ClientClosedError("this IvsClient is closed; create a new one")
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    def __repr__(self) -> str:
        endpoint = self.config.endpoint.url if self.config.endpoint else None
        return f"{type(self).__name__}(region={self.config.region!r}, endpoint={endpoint!r})"

"""The hand-written roots of every error ivs_async raises.

IvsError
├── IvsServiceException        IVS answered with an error (modeled subclasses are generated)
│   ├── IvsChatServiceException      IVS Chat's (ivs_async.chat.errors)
│   └── IvsRealTimeServiceException  IVS Real-Time's (ivs_async.realtime.errors)
└── IvsSdkError                the SDK failed on its side of the wire
    ├── ParamValidationError   input broke a model rule; nothing was sent
    ├── ConfigurationError     MissingRegionError, NoCredentialsError, bad endpoint ...
    ├── ClientClosedError
    ├── WrongEventLoopError    a client used on a second event loop
    ├── TransportError         ConnectionFailedError, RequestTimeoutError (DeadlineExceededError)
    ├── ResponseParseError     the response was not what IVS sends (HTML page, cut JSON)
    ├── ResponseTooLargeError  the response body passed max_response_bytes
    ├── PaginationError
    ├── PlaybackTokenError     EventParseError: bad input to ivs_async.playback / .events
    └── PacingTimeoutError     PutMetadata pacing would wait too long
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import attrs

from ivs_async._protocol.model import ResponseMetadata


class IvsError(Exception):
    """Root of every error ivs_async raises. ``metadata`` is set once a request was attempted."""

    retryable: bool = False
    metadata: ResponseMetadata | None = None


class IvsSdkError(IvsError):
    """The SDK failed on its side: no error code from IVS."""


@attrs.frozen(slots=True)
class Violation:
    """One broken rule: ``path`` is the member's Python path, e.g. ``destination_configuration.s3``."""

    path: str
    rule: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message} [{self.rule}]"


class ParamValidationError(IvsSdkError, ValueError):
    """The input breaks the model's rules; nothing was sent. Every violation is listed."""

    def __init__(self, operation: str, violations: Sequence[Violation]) -> None:
        self.operation = operation
        self.violations = tuple(violations)
        lines = "; ".join(str(v) for v in self.violations)
        super().__init__(f"invalid {operation} input: {lines}")

    @property
    def field(self) -> str:
        """Path of the first violation."""
        return self.violations[0].path

    @property
    def rule(self) -> str:
        """Rule of the first violation: required, type, enum, length, range, pattern or unknown."""
        return self.violations[0].rule

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.operation, self.violations))


class ConfigurationError(IvsSdkError, ValueError):
    """The client's configuration cannot work (bad endpoint, missing region or credentials)."""


class MissingRegionError(ConfigurationError):
    """No region was given and none was found in the environment."""


class NoCredentialsError(ConfigurationError):
    """No credentials were given and none were found in the environment."""


class PartialCredentialsError(ConfigurationError):
    """A source holds half a key pair (an access key id without its secret, or the reverse).

    Never skipped: the next source in the chain could be another identity. ``source`` names
    where, ``missing`` what is missing.
    """

    def __init__(self, source: str, missing: str) -> None:
        self.source = source
        self.missing = missing
        super().__init__(f"partial credentials in {source}: {missing} is missing")

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.source, self.missing))


class ClientClosedError(IvsSdkError, RuntimeError):
    """send() was called on a closed client."""


class WrongEventLoopError(IvsSdkError, RuntimeError):
    """The client was first used on another event loop: its connections belong to that loop.
    Make one client per event loop (per thread, per ``asyncio.run``)."""


class TransportError(IvsSdkError):
    """The HTTP exchange failed below the protocol: connection or timeout."""

    retryable = True


class ConnectionFailedError(TransportError):
    """Connecting failed, or the connection broke before the whole response was read."""


class RequestTimeoutError(TransportError):
    """Connecting or reading the response took longer than the configured timeout."""


class DeadlineExceededError(RequestTimeoutError):
    """The call's overall deadline passed (all attempts and waits included); not retried."""

    retryable = False


class ResponseParseError(IvsSdkError):
    """The response could not be read as IVS's JSON (an HTML error page, a cut body ...)."""

    def __init__(self, reason: str, *, status: int, snippet: str, metadata: ResponseMetadata) -> None:
        self.reason = reason
        self.http_status_code = status
        self.snippet = snippet
        self.metadata = metadata
        self.retryable = status == 429 or status >= 500
        super().__init__(f"{reason} (HTTP {status}, request id {metadata.request_id}): {snippet!r}")

    def __reduce__(self) -> tuple[Any, ...]:
        kwargs = {"status": self.http_status_code, "snippet": self.snippet, "metadata": self.metadata}
        return (_rebuild, (type(self), (self.reason,), kwargs))


class ResponseTooLargeError(IvsSdkError):
    """The response body was larger than ``limit`` bytes; it was not read further and its
    connection was closed. Not retried: the same request would get the same answer."""

    def __init__(self, limit: int, *, status: int, url: str) -> None:
        self.limit = limit
        self.http_status_code = status
        self.url = url
        super().__init__(f"the response to {url} (HTTP {status}) is larger than max_response_bytes={limit}")

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (type(self), (self.limit,), {"status": self.http_status_code, "url": self.url}))


class PaginationError(IvsSdkError):
    """The service sent a page token it had already sent: paginating further would loop."""


class _FieldError(IvsSdkError, ValueError):
    """``field`` names where the input is wrong, ``rule`` what it breaks."""

    def __init__(self, field: str, rule: str, message: str) -> None:
        self.field = field
        self.rule = rule
        self.message = message
        super().__init__(f"{field}: {message} [{rule}]")

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.field, self.rule, self.message))


class PlaybackTokenError(_FieldError):
    """A playback token cannot be made as asked (ivs_async.playback)."""


class EventParseError(_FieldError):
    """The input is not an IVS EventBridge event (ivs_async.events)."""


class PacingTimeoutError(IvsSdkError):
    """A paced call would have had to wait longer than its ``max_wait``; nothing was sent."""

    def __init__(
        self, channel_arn: str | None, limit: str, wait: float, max_wait: float, operation: str = "PutMetadata"
    ) -> None:
        self.channel_arn = channel_arn
        self.limit = limit
        self.wait = wait
        self.max_wait = max_wait
        self.operation = operation
        target = f"{operation} for {channel_arn}" if channel_arn else operation
        super().__init__(f"{target} would wait {wait:.2f} s for the {limit} limit, more than max_wait={max_wait:g} s")

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.channel_arn, self.limit, self.wait, self.max_wait, self.operation))


class RedisUnavailableError(IvsSdkError):
    """Redis did not answer in time (or refused) and the shared limiter or ledger is set to fail
    closed (``on_failure="closed"``): nothing was sent or recorded. ``where`` is host:port only."""

    def __init__(self, where: str, reason: str) -> None:
        self.where = where
        self.reason = reason
        super().__init__(f"Redis at {where} is unavailable ({reason}); failing closed as configured")

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.where, self.reason))


class EmulatorError(IvsSdkError, ValueError):
    """A LocalIvs simulation call that makes no sense in the current state (a test's mistake)."""


class StackError(ConfigurationError):
    """A middleware stack operation named an unknown entry, or reused a name."""


class CredentialRefreshError(IvsSdkError):
    """A provider that applies could not produce credentials: ``provider`` names it, the message says why."""

    def __init__(self, provider: str, reason: str) -> None:
        self.provider = provider
        self.reason = reason
        super().__init__(f"{provider}: {reason}")

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.provider, self.reason))


class WaiterError(IvsSdkError):
    """A waiter ended without the state it waited for. ``last_output`` is the last answer
    (None when the last poll answered with an error the waiter accepts), ``attempts`` the polls."""

    def __init__(self, message: str, *, waiter: str, last_output: object, attempts: int) -> None:
        self.waiter = waiter
        self.last_output = last_output
        self.attempts = attempts
        super().__init__(message)

    def __reduce__(self) -> tuple[Any, ...]:
        kwargs = {"waiter": self.waiter, "last_output": self.last_output, "attempts": self.attempts}
        return (_rebuild, (type(self), (str(self),), kwargs))


class WaiterTimeoutError(WaiterError):
    """``max_wait`` passed before the resource reached the state."""


class WaiterFailedError(WaiterError):
    """The resource reached a state from which the one waited for cannot come (CREATE_FAILED)."""


class IvsServiceException(IvsError):
    """IVS answered with an error. Modeled codes raise the generated subclasses; others raise this.

    ``code`` is the error code, ``message`` the service's text, ``fault`` "client" or "server",
    ``retryable`` whether the retry policy treats it as transient.
    """

    code: str = ""
    fault: str = "client"
    metadata: ResponseMetadata  # always set: the error came in a response
    # (attribute, wire name, Python type) of the error's members beyond its message, which the
    # service sends in its body (IVS Chat's ``reason``, ``resource_id``...); set when present.
    members: tuple[tuple[str, str, str], ...] = ()

    def __init__(
        self,
        message: str = "",
        *,
        code: str | None = None,
        fault: str | None = None,
        retryable: bool = False,
        metadata: ResponseMetadata | None = None,
    ) -> None:
        self.message = message
        # Subclasses carry their code and fault as class attributes; the base needs them per error.
        if code is not None:
            self.code = code
        if fault is not None:
            self.fault = fault
        self.retryable = retryable
        self.metadata = metadata if metadata is not None else ResponseMetadata()
        super().__init__(message)

    @property
    def http_status_code(self) -> int:
        return self.metadata.http_status_code if self.metadata else 0

    def __str__(self) -> str:
        md = self.metadata
        where = f"HTTP {md.http_status_code}, request id {md.request_id}" if md else "no response"
        return f"{self.code}: {self.message} ({where})"

    def __reduce__(self) -> tuple[Any, ...]:
        kwargs = {"code": self.code, "fault": self.fault, "retryable": self.retryable, "metadata": self.metadata}
        members = {name: self.__dict__[name] for name, _, _ in self.members if name in self.__dict__}
        return (_rebuild, (type(self), (self.message,), kwargs), members or None)


def _rebuild(cls: type[Exception], args: tuple[Any, ...], kwargs: dict[str, Any]) -> Exception:
    return cls(*args, **kwargs)


# Their public home, wherever they are raised from (ivs_async.errors re-exports them all).
for _public in (*(v for v in tuple(globals().values()) if isinstance(v, type) and issubclass(v, Exception)), Violation):
    if not _public.__name__.startswith("_"):
        _public.__module__ = "ivs_async.errors"


# -- the other services' roots: modeled errors of IVS Chat and IVS Real-Time subclass these ----


class IvsChatServiceException(IvsServiceException):
    """IVS Chat answered with an error; its modeled codes raise the subclasses in ivs_async.chat.errors."""

    __module__ = "ivs_async.chat.errors"


class IvsRealTimeServiceException(IvsServiceException):
    """IVS Real-Time answered with an error; its modeled codes raise the subclasses in
    ivs_async.realtime.errors."""

    __module__ = "ivs_async.realtime.errors"


# -- chat messaging (ivs_async.chat) ------------------------------------------------------------


class ChatError(IvsError):
    """An ERROR frame: IVS refused a request (``request_id`` names it) or the connection.

    ``code`` is the numeric ``ErrorCode`` (``ivs_async.chat.ChatErrorCode`` names IVS's); each
    documented code has its subclass. Errors that answer one of this room's requests are raised
    by that request; others are delivered by the iteration."""

    code: int = 0  # the class's own code; an instance has the frame's

    def __init__(self, code: int, message: str, *, id: str, request_id: str | None = None) -> None:
        self.code = code
        self.message = message
        self.id = id
        self.request_id = request_id
        self.retryable = code in (429, 500)  # throttled, or the service's own failure
        super().__init__(f"{code}: {message}")

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild_error, (type(self), self.code, self.message, self.id, self.request_id))

    @classmethod
    def from_frame(cls, code: int, message: str, *, id: str, request_id: str | None = None) -> ChatError:
        """The error of this code's class (ChatError itself for an undocumented code)."""
        return _BY_CODE.get(code, ChatError)(code, message, id=id, request_id=request_id)


def _rebuild_error(kind: type[ChatError], code: int, message: str, id: str, request_id: str | None) -> ChatError:
    return kind(code, message, id=id, request_id=request_id)


class ChatBadRequestError(ChatError):
    """400: the request is malformed or invalid."""

    code = 400


class ChatUnauthorizedError(ChatError):
    """401: the connection's session expired (the room reconnects with a new token)."""

    code = 401


class ChatForbiddenError(ChatError):
    """403: the chat token's capabilities do not allow this action."""

    code = 403


class ChatRoomNotFoundError(ChatError):
    """404: the room does not exist (any more)."""

    code = 404


class ChatMessageRejectedError(ChatError):
    """406: the room's message review handler refused the message."""

    code = 406


class ChatPayloadTooLargeError(ChatError):
    """413: a field of the request is too large (a message longer than the room allows ...)."""

    code = 413


class ChatThrottledError(ChatError):
    """429: a rate limit was exceeded (the room's messages per second ...)."""

    code = 429


class ChatInternalError(ChatError):
    """500: IVS failed on its side."""

    code = 500


_BY_CODE: dict[int, type[ChatError]] = {
    cls.code: cls
    for cls in (
        ChatBadRequestError,
        ChatUnauthorizedError,
        ChatForbiddenError,
        ChatRoomNotFoundError,
        ChatMessageRejectedError,
        ChatPayloadTooLargeError,
        ChatThrottledError,
        ChatInternalError,
    )
}


class ChatConnectionError(IvsSdkError):
    """The room could not connect (or reconnect) to the chat service, or a connection broke while a
    request waited for its answer (which may or may not have reached the room). ``status`` is the
    handshake's HTTP status, when the service answered one."""

    def __init__(self, message: str, *, status: int | None = None, permanent: bool = False) -> None:
        self.status = status
        self.permanent = permanent  # trying again with a new token cannot help
        self.retryable = not permanent
        super().__init__(message)

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild_connection, (type(self), str(self), self.status, self.permanent))


def _rebuild_connection(
    kind: type[ChatConnectionError], message: str, status: int | None, permanent: bool
) -> ChatConnectionError:
    return kind(message, status=status, permanent=permanent)


class ChatClosedError(ChatConnectionError):
    """The room is closed: by ``close()``, or by the service for good (``code`` and ``reason`` of
    its close frame: a disconnect of this user, a deleted room, an expired session ...)."""

    def __init__(self, reason: str, *, code: int | None = None) -> None:
        self.code = code
        self.reason = reason
        super().__init__(
            f"the chat room is closed: {reason}" + (f" (close code {code})" if code else ""), permanent=True
        )

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild_closed, (self.reason, self.code))


def _rebuild_closed(reason: str, code: int | None) -> ChatClosedError:
    return ChatClosedError(reason, code=code)


class ChatTimeoutError(IvsSdkError, TimeoutError):
    """A request's answer did not come within its timeout (it may still reach the room)."""


class ChatTokenError(_FieldError):
    """The token provider's answer cannot be used (``field`` names what is wrong); the token
    itself is never in the message."""


class ChatFrameError(_FieldError):
    """A frame from the service is not one the Chat Messaging API sends (``field`` names where);
    the room drops it and goes on."""

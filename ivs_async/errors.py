"""Every error ivs_async raises: the hand-written roots and one class per modeled IVS error."""

from ivs_async._exceptions import (
    ClientClosedError,
    ConfigurationError,
    ConnectionFailedError,
    CredentialRefreshError,
    DeadlineExceededError,
    EmulatorError,
    EventParseError,
    IvsError,
    IvsSdkError,
    IvsServiceException,
    MissingRegionError,
    NoCredentialsError,
    PacingTimeoutError,
    PaginationError,
    ParamValidationError,
    PartialCredentialsError,
    PlaybackTokenError,
    RedisUnavailableError,
    RequestTimeoutError,
    ResponseParseError,
    ResponseTooLargeError,
    StackError,
    TransportError,
    Violation,
    WaiterError,
    WaiterFailedError,
    WaiterTimeoutError,
    WrongEventLoopError,
)
from ivs_async._generated.errors import *  # noqa: F403
from ivs_async._generated.errors import __all__ as _modeled
from ivs_async._public import rehome as _rehome

__all__ = [
    "ClientClosedError",
    "ConfigurationError",
    "ConnectionFailedError",
    "CredentialRefreshError",
    "DeadlineExceededError",
    "EmulatorError",
    "EventParseError",
    "IvsError",
    "IvsSdkError",
    "IvsServiceException",
    "MissingRegionError",
    "NoCredentialsError",
    "PacingTimeoutError",
    "PaginationError",
    "ParamValidationError",
    "PartialCredentialsError",
    "PlaybackTokenError",
    "RedisUnavailableError",
    "RequestTimeoutError",
    "ResponseParseError",
    "ResponseTooLargeError",
    "StackError",
    "TransportError",
    "Violation",
    "WaiterError",
    "WaiterFailedError",
    "WaiterTimeoutError",
    "WrongEventLoopError",
]
__all__ += _modeled

_rehome(__name__, globals(), __all__)

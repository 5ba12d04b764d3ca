"""Which errors are retried, how long to wait, and the retry quota: the "standard" and "adaptive" modes.

Standard mode, as in the AWS SDKs: at most ``max_attempts`` attempts; full-jitter exponential
backoff ``random() * min(max_backoff, base * 2 ** (attempt - 1))`` with a base of 0.1 s, 0.5 s
after throttling; a server's ``Retry-After`` is honoured within [backoff, backoff + 5 s]; a quota of
500 tokens per client, 5 spent per retry (10 after a timeout); a call that succeeds after retrying
gives back what its last retry took, one that succeeds at once adds 1. An empty quota stops
retries until calls succeed. An error caused by a skewed clock, once the skew is corrected, is
retried at once and free. Adaptive mode adds the client-side rate limiter of ``_rate_limit``.

``new_retries=True`` (``AWS_NEW_RETRIES_2026=true``) is the AWS SDKs' 2026 revision of standard
retries ("retries 2.1"), as botocore, JS v3, Java v2 and the C++ SDK ship it behind that switch:
a base of 0.05 s (1 s after throttling), a retry after throttling costs 5 tokens and any other
retry (timeouts included) 14, and only ``x-amz-retry-after`` is honoured as the server's hint,
within [backoff, backoff + 5 s]. A success gives back what its last retry cost, as before.
"""

from __future__ import annotations

import enum
import random
from typing import Any, Protocol, runtime_checkable

from ivs_async._exceptions import (
    ConnectionFailedError,
    DeadlineExceededError,
    IvsError,
    IvsServiceException,
    RequestTimeoutError,
    ResponseParseError,
)
from ivs_async._fleet.rate_limit import ClientRateLimiter

THROTTLING_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestThrottledException",
        "TooManyRequestsException",
        "ProvisionedThroughputExceededException",
        "TransactionInProgressException",
        "RequestLimitExceeded",
        "BandwidthLimitExceeded",
        "LimitExceededException",
        "RequestThrottled",
        "SlowDown",
        "PriorRequestNotComplete",
        "EC2ThrottledException",
    }
)
TRANSIENT_CODES = frozenset({"RequestTimeout", "RequestTimeoutException", "PriorRequestNotComplete"})
TRANSIENT_STATUS = frozenset({500, 502, 503, 504})
# Errors a wrong local clock causes; retried only once the response's Date corrected the clock.
CLOCK_SKEW_CODES = frozenset(
    {
        "AuthFailure",
        "InvalidSignatureException",
        "RequestExpired",
        "RequestInTheFuture",
        "RequestTimeTooSkewed",
        "SignatureDoesNotMatch",
    }
)
MAX_RETRY_AFTER_EXTRA = 5.0  # a Retry-After may stretch the backoff by at most this many seconds


class ErrorKind(enum.Enum):
    THROTTLING = "throttling"
    TRANSIENT = "transient"
    TIMEOUT = "timeout"
    CLOCK_SKEW = "clock_skew"


def classify(error: BaseException) -> ErrorKind | None:
    """The kind of a retryable error, or None for one that must not be retried."""
    if isinstance(error, IvsServiceException):
        status = error.http_status_code
        if error.code in CLOCK_SKEW_CODES and error.metadata is not None and error.metadata.clock_skew_corrected:
            return ErrorKind.CLOCK_SKEW
        if error.code in THROTTLING_CODES or status == 429:
            return ErrorKind.THROTTLING
        if error.code in TRANSIENT_CODES or status in TRANSIENT_STATUS:
            return ErrorKind.TRANSIENT
        return None
    if isinstance(error, ResponseParseError):
        if error.http_status_code == 429:
            return ErrorKind.THROTTLING
        return ErrorKind.TRANSIENT if error.http_status_code in TRANSIENT_STATUS else None
    if isinstance(error, DeadlineExceededError):
        return None  # the call's whole time is spent
    if isinstance(error, RequestTimeoutError):
        return ErrorKind.TIMEOUT
    if isinstance(error, ConnectionFailedError):
        return ErrorKind.TRANSIENT
    return None


class RetryToken:
    """One call's retry bookkeeping."""

    __slots__ = ("attempts", "last_cost", "total_delay")

    def __init__(self) -> None:
        self.attempts = 1
        self.last_cost = 0  # quota taken by the latest retry; refunded if the call then succeeds
        self.total_delay = 0.0


@runtime_checkable
class RetryStrategy(Protocol):
    """Decides, per failed attempt, whether and after how long to retry.

    A strategy may also define ``async before_attempt()`` and ``after_attempt(error)`` (see
    `RateLimitingStrategy`); the client calls them around every attempt.
    """

    max_attempts: int

    def acquire_token(self) -> RetryToken:
        """Called once when a call starts."""
        ...

    def retry_delay(self, token: RetryToken, error: IvsError) -> float | None:
        """Seconds to wait before the next attempt, or None to give up and raise ``error``."""
        ...

    def record_success(self, token: RetryToken) -> None:
        """Called once when a call succeeds."""
        ...


@runtime_checkable
class RateLimitingStrategy(Protocol):
    """The optional hooks of a strategy that paces attempts (the adaptive mode)."""

    async def before_attempt(self) -> None:
        """Awaited before every attempt; may wait for send capacity."""
        ...

    def after_attempt(self, error: IvsError | None) -> None:
        """Called after every attempt with its error, or None when it succeeded."""
        ...


class StandardRetryStrategy:
    """The AWS SDKs' standard retry mode. One instance per client: the quota is the client's."""

    __slots__ = (
        "_random",
        "available",
        "base_delay",
        "max_attempts",
        "max_backoff",
        "new_retries",
        "quota_capacity",
        "retry_cost",
        "success_increment",
        "throttling_base_delay",
        "throttling_cost",
        "timeout_cost",
    )

    def __init__(
        self,
        max_attempts: int = 3,
        *,
        new_retries: bool = False,
        base_delay: float | None = None,
        throttling_base_delay: float | None = None,
        max_backoff: float = 20.0,
        quota_capacity: int = 500,
        retry_cost: int | None = None,
        timeout_cost: int | None = None,
        throttling_cost: int = 5,
        success_increment: int = 1,
    ) -> None:
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        self.max_attempts = max_attempts
        self.new_retries = new_retries
        self.base_delay = base_delay if base_delay is not None else (0.05 if new_retries else 0.1)
        self.throttling_base_delay = (
            throttling_base_delay if throttling_base_delay is not None else (1.0 if new_retries else 0.5)
        )
        self.max_backoff = max_backoff
        self.quota_capacity = quota_capacity
        self.retry_cost = retry_cost if retry_cost is not None else (14 if new_retries else 5)
        self.timeout_cost = timeout_cost if timeout_cost is not None else (14 if new_retries else 10)
        self.throttling_cost = throttling_cost
        self.success_increment = success_increment
        self.available = quota_capacity
        # OS entropy, no shared state: forked workers never back off in lockstep.
        self._random = random.SystemRandom()

    def acquire_token(self) -> RetryToken:
        return RetryToken()

    def backoff(self, attempt: int, *, throttled: bool = False) -> float:
        """Full-jitter delay after failed attempt number ``attempt`` (1-based)."""
        base = self.throttling_base_delay if throttled else self.base_delay
        return self._random.random() * min(self.max_backoff, base * 2.0 ** (attempt - 1))

    def retry_delay(self, token: RetryToken, error: IvsError) -> float | None:
        kind = classify(error)
        if kind is None or token.attempts >= self.max_attempts:
            return None
        if kind is ErrorKind.CLOCK_SKEW:
            token.attempts += 1  # the clock is corrected now: the same request will pass
            return 0.0
        if kind is ErrorKind.THROTTLING:
            cost = self.throttling_cost
        elif kind is ErrorKind.TIMEOUT:
            cost = self.timeout_cost
        else:
            cost = self.retry_cost
        if self.available < cost:
            return None
        self.available -= cost
        token.last_cost = cost
        delay = self.backoff(token.attempts, throttled=kind is ErrorKind.THROTTLING)
        md = error.metadata
        hint = md.retry_after if md is not None else None
        if hint is not None and self.new_retries and md is not None and md.retry_after_header != "x-amz-retry-after":
            hint = None  # the 2026 revision reads x-amz-retry-after only
        if hint is not None:
            delay = min(max(hint, delay), delay + MAX_RETRY_AFTER_EXTRA)
        token.attempts += 1
        return delay

    def record_success(self, token: RetryToken) -> None:
        refund = token.last_cost or self.success_increment
        self.available = min(self.quota_capacity, self.available + refund)


class AdaptiveRetryStrategy(StandardRetryStrategy):
    """Standard mode plus a client-side rate limiter that starts after the first throttle."""

    __slots__ = ("rate_limiter",)

    def __init__(self, max_attempts: int = 3, *, rate_limiter: ClientRateLimiter | None = None, **options: Any) -> None:
        super().__init__(max_attempts, **options)
        self.rate_limiter = rate_limiter or ClientRateLimiter()

    async def before_attempt(self) -> None:
        await self.rate_limiter.acquire()

    def after_attempt(self, error: IvsError | None) -> None:
        if error is None or (error.metadata is not None and error.metadata.http_status_code):
            # Only answers count: a connection that failed says nothing about the service's rate.
            self.rate_limiter.record(error is not None and classify(error) is ErrorKind.THROTTLING)

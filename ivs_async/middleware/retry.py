"""finalize (high): the call's deadline, its attempt headers and its retries, per the strategy.
Each attempt starts from the request as it reached this entry, so the entries after it (signing)
work on it afresh."""

from __future__ import annotations

import asyncio
import logging
import random

import attrs

from ivs_async._core.context import Call, HandlerContext
from ivs_async._core.deadline import DeadlineKeeper
from ivs_async._core.loop import running_loop
from ivs_async._core.retries import (
    AdaptiveRetryStrategy,
    ErrorKind,
    RateLimitingStrategy,
    RetryStrategy,
    StandardRetryStrategy,
    classify,
)
from ivs_async._core.stack import Handler
from ivs_async._exceptions import DeadlineExceededError, IvsError
from ivs_async._protocol.model import ResponseMetadata
from ivs_async.middleware.logger import answer

NAME = "retry"


def _limiter_of(strategy: RetryStrategy) -> RateLimitingStrategy | None:
    """The strategy itself when it paces attempts. The built-in ones are known by their class:
    a check against the runtime Protocol inspects the class every time (about 50 us the first)."""
    if type(strategy) is StandardRetryStrategy:
        return None
    if isinstance(strategy, AdaptiveRetryStrategy):
        return strategy
    return strategy if isinstance(strategy, RateLimitingStrategy) else None


def retry_middleware(next_handler: Handler, context: HandlerContext) -> Handler:
    strategy = context.retry_strategy
    limiter = _limiter_of(strategy)
    default_timeout = context.config.timeout
    operation = context.operation.name
    logger = context.logger
    deadlines = DeadlineKeeper()
    known_loop: asyncio.AbstractEventLoop | None = None

    async def retry(call: Call) -> object:
        nonlocal known_loop
        timeout = call.options.timeout or default_timeout
        loop = known_loop = running_loop(known_loop)
        deadline = loop.time() + timeout
        token = strategy.acquire_token()
        request = call.request
        assert request is not None
        headers = request.headers
        headers["amz-sdk-invocation-id"] = invocation_id()
        last_error: IvsError | None = None
        recorder = call.telemetry  # set by the telemetry entry, before this one
        started = 0.0
        call.attempt = 0  # attempts made; the token's count is the strategy's own bookkeeping
        watch = deadlines.watch(loop, deadline)
        try:
            while True:
                call.attempt += 1
                call.request = request  # each attempt is signed afresh, from the request as it came
                headers["amz-sdk-request"] = f"attempt={call.attempt}; max={strategy.max_attempts}"
                if limiter is not None:
                    await limiter.before_attempt()
                if recorder is not None:
                    started = loop.time()
                try:
                    result = await next_handler(call)
                except IvsError as exc:
                    last_error = exc
                    if limiter is not None:
                        limiter.after_attempt(exc)
                    if recorder is not None:
                        throttled = classify(exc) is ErrorKind.THROTTLING
                        recorder.attempt(loop.time() - started, exc, throttled)
                    delay = strategy.retry_delay(token, exc)
                    if delay is None or loop.time() + delay >= deadline:
                        _final(exc, call.attempt, token.total_delay)
                        raise
                    if recorder is not None:
                        recorder.retry(call.attempt, _reason(exc), delay)
                    if logger.isEnabledFor(logging.DEBUG):
                        logger.debug(
                            "ivs %s attempt %d failed: %s (%s, %s); retrying in %.3f s",
                            operation,
                            call.attempt,
                            type(exc).__name__,
                            answer(exc.metadata),
                            _reason(exc),
                            delay,
                            extra=recorder.log_extra if recorder is not None else None,
                        )
                    token.total_delay += delay
                    await asyncio.sleep(delay)
                    continue
                if recorder is not None:
                    recorder.attempt(loop.time() - started, None, False)
                if limiter is not None:
                    limiter.after_attempt(None)
                strategy.record_success(token)
                md = result.metadata
                md.attempts = call.attempt
                md.total_retry_delay = token.total_delay
                return result
        except asyncio.CancelledError:
            if not deadlines.release(watch):
                raise  # the caller cancelled us
            error = DeadlineExceededError(
                f"{operation} did not finish within its {timeout:g} s deadline ({call.attempt} attempt(s))"
            )
            error.metadata = attrs.evolve(last_error.metadata) if last_error and last_error.metadata else None
            raise _final(error, call.attempt, token.total_delay) from last_error
        finally:
            deadlines.release(watch)
            call.request = request

    return retry


def _reason(error: IvsError) -> str:
    """Why the error is retried, as the logs say it: throttling, transient, timeout, clock skew."""
    kind = classify(error)
    return kind.value.replace("_", " ") if kind is not None else "retryable by the strategy"


def _final(error: IvsError, attempts: int, total_delay: float) -> IvsError:
    """``error`` with the call's attempts and total delay in its metadata."""
    if error.metadata is None:
        error.metadata = ResponseMetadata()
    error.metadata.attempts = attempts
    error.metadata.total_retry_delay = total_delay
    return error


def invocation_id() -> str:
    """A random (version 4) UUID for ``amz-sdk-invocation-id``. From the random module's own
    generator, which a forked child reseeds: no system call per call, as os.urandom would make,
    and forked workers never repeat each other's ids."""
    h = (_random_bits(128) & _UUID4_MASK | _UUID4_BITS).to_bytes(16).hex()  # faster than f"{:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


_random_bits = random.getrandbits
_UUID4_MASK = ~((0xF000 << 64) | (0xC000 << 48)) & ((1 << 128) - 1)  # version and variant bits cleared
_UUID4_BITS = (0x4000 << 64) | (0x8000 << 48)  # version 4, RFC 4122 variant

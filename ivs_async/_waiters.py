"""Waiters: poll an operation until a resource reaches a state, as the AWS SDKs' waiters do.

Each poll goes through the client's ``send()`` (with its retries). Between polls the waiter
sleeps ``uniform(min_delay, min(max_delay, min_delay * 2 ** (attempt - 1)))`` seconds, never
past ``max_wait``: the exponential backoff with jitter of the Smithy waiters the AWS SDKs share.
``max_wait`` bounds the whole wait: a poll still in flight at the deadline is cancelled.
"""

from __future__ import annotations

import asyncio
import math
import random
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar

from ivs_async._exceptions import WaiterFailedError, WaiterTimeoutError
from ivs_async._generated.ivs.commands import GetRecordingConfigurationCommand, GetStreamCommand
from ivs_async._generated.ivs.errors import ChannelNotBroadcasting
from ivs_async._generated.ivs.models import GetRecordingConfigurationResponse, GetStreamResponse

if TYPE_CHECKING:
    from ivs_async._core.client import IvsClient

T = TypeVar("T")
DEFAULT_MIN_DELAY = 2.0
DEFAULT_MAX_DELAY = 30.0
_random = random.SystemRandom()  # OS entropy: waiters in forked workers never poll in lockstep


# What a poll says: keep waiting, done, or failed (with why).
_WAIT, _DONE, _FAILED = "wait", "done", "failed"


async def _wait(
    name: str,
    poll: Callable[[], Awaitable[tuple[str, T, str]]],
    *,
    max_wait: float,
    min_delay: float,
    max_delay: float,
) -> T:
    if not max_wait > 0 or not 0 < min_delay <= max_delay:
        raise ValueError("need max_wait > 0 and 0 < min_delay <= max_delay")
    loop = asyncio.get_running_loop()
    deadline = loop.time() + max_wait
    attempt = 0
    output: object = None
    why = ""

    def timed_out(cut: bool) -> WaiterTimeoutError:
        state = f"still {why}" if why else "no answer"
        polls = f"{attempt} poll" if attempt == 1 else f"{attempt} polls"
        if cut:
            polls += "; the last, unanswered at the deadline, was cancelled"
        return WaiterTimeoutError(
            f"{name}: {state} after {max_wait:g} s ({polls})", waiter=name, last_output=output, attempts=attempt
        )

    while True:
        attempt += 1
        # max_wait bounds each poll too: one that hangs (or retries for the client's whole
        # timeout) is cancelled at the deadline, which releases its connection.
        bound = asyncio.timeout_at(deadline if math.isfinite(deadline) else None)
        try:
            async with bound:
                verdict, answer, what = await poll()
        except TimeoutError as exc:
            if not bound.expired():
                raise
            raise timed_out(cut=True) from exc
        if verdict == _DONE:
            return answer
        output = answer
        if verdict == _FAILED:
            raise WaiterFailedError(f"{name}: {what}", waiter=name, last_output=output, attempts=attempt)
        why = what
        remaining = deadline - loop.time()
        if remaining <= 0:
            raise timed_out(cut=False)
        # The exponent is capped: 2.0 ** 1024 overflows, and a long wait with short delays gets there.
        ceiling = max(min_delay, min(max_delay, min_delay * 2.0 ** min(attempt - 1, 64)))
        await asyncio.sleep(min(_random.uniform(min_delay, ceiling), remaining))
        if loop.time() >= deadline:  # a poll started now would be cancelled at once
            raise timed_out(cut=False)


async def wait_until_stream_live(
    client: IvsClient,
    *,
    channel_arn: str,
    max_wait: float = 300.0,
    min_delay: float = DEFAULT_MIN_DELAY,
    max_delay: float = DEFAULT_MAX_DELAY,
) -> GetStreamResponse:
    """Poll GetStream until the channel's stream is LIVE; returns that answer."""

    async def poll() -> tuple[str, Any, str]:
        try:
            out = await client.send(GetStreamCommand(channel_arn=channel_arn))
        except ChannelNotBroadcasting:
            return _WAIT, None, "not broadcasting"
        state = out.stream.state if out.stream is not None else None
        return (_DONE if state == "LIVE" else _WAIT), out, f"in state {state}"

    result: GetStreamResponse = await _wait(
        "wait_until_stream_live", poll, max_wait=max_wait, min_delay=min_delay, max_delay=max_delay
    )
    return result


async def wait_until_stream_offline(
    client: IvsClient,
    *,
    channel_arn: str,
    max_wait: float = 300.0,
    min_delay: float = DEFAULT_MIN_DELAY,
    max_delay: float = DEFAULT_MAX_DELAY,
) -> GetStreamResponse | None:
    """Poll GetStream until the channel is not broadcasting (None) or its stream is OFFLINE."""

    async def poll() -> tuple[str, Any, str]:
        try:
            out = await client.send(GetStreamCommand(channel_arn=channel_arn))
        except ChannelNotBroadcasting:
            return _DONE, None, ""
        state = out.stream.state if out.stream is not None else None
        return (_DONE if state == "OFFLINE" else _WAIT), out, f"in state {state}"

    result: GetStreamResponse | None = await _wait(
        "wait_until_stream_offline", poll, max_wait=max_wait, min_delay=min_delay, max_delay=max_delay
    )
    return result


async def wait_until_recording_configuration_active(
    client: IvsClient,
    *,
    arn: str,
    max_wait: float = 300.0,
    min_delay: float = DEFAULT_MIN_DELAY,
    max_delay: float = DEFAULT_MAX_DELAY,
) -> GetRecordingConfigurationResponse:
    """Poll GetRecordingConfiguration until it is ACTIVE; CREATE_FAILED ends the wait at once
    with [WaiterFailedError][ivs_async.waiters.WaiterFailedError]."""

    async def poll() -> tuple[str, Any, str]:
        out = await client.send(GetRecordingConfigurationCommand(arn=arn))
        state = out.recording_configuration.state if out.recording_configuration is not None else None
        if state == "ACTIVE":
            return _DONE, out, ""
        if state == "CREATE_FAILED":
            return _FAILED, out, f"the recording configuration {arn} is CREATE_FAILED"
        return _WAIT, out, f"in state {state}"

    result: GetRecordingConfigurationResponse = await _wait(
        "wait_until_recording_configuration_active", poll, max_wait=max_wait, min_delay=min_delay, max_delay=max_delay
    )
    return result


class WaiterMethods:
    """The waiters as methods of the aggregated client: ``await ivs.wait_until_stream_live(...)``."""

    __slots__ = ()

    async def wait_until_stream_live(
        self, *, channel_arn: str, max_wait: float = 300.0, min_delay: float = 2.0, max_delay: float = 30.0
    ) -> GetStreamResponse:
        """See [wait_until_stream_live][ivs_async.waiters.wait_until_stream_live]."""
        return await wait_until_stream_live(
            self._client(), channel_arn=channel_arn, max_wait=max_wait, min_delay=min_delay, max_delay=max_delay
        )

    async def wait_until_stream_offline(
        self, *, channel_arn: str, max_wait: float = 300.0, min_delay: float = 2.0, max_delay: float = 30.0
    ) -> GetStreamResponse | None:
        """See [wait_until_stream_offline][ivs_async.waiters.wait_until_stream_offline]."""
        return await wait_until_stream_offline(
            self._client(), channel_arn=channel_arn, max_wait=max_wait, min_delay=min_delay, max_delay=max_delay
        )

    async def wait_until_recording_configuration_active(
        self, *, arn: str, max_wait: float = 300.0, min_delay: float = 2.0, max_delay: float = 30.0
    ) -> GetRecordingConfigurationResponse:
        """See
        [wait_until_recording_configuration_active][ivs_async.waiters.wait_until_recording_configuration_active]."""
        return await wait_until_recording_configuration_active(
            self._client(), arn=arn, max_wait=max_wait, min_delay=min_delay, max_delay=max_delay
        )

    def _client(self) -> IvsClient:
        from ivs_async._core.client import IvsClient

        assert isinstance(self, IvsClient)
        return self

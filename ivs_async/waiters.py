"""Waiters: wait for a stream to go live or offline, or a recording configuration to be active.

    out = await wait_until_stream_live(client, channel_arn=arn, max_wait=60)

Each polls the matching Get operation with exponential backoff and jitter (2 s, doubling, at
most 30 s between polls by default) until the state is reached (it returns the last answer),
``max_wait`` passes ([WaiterTimeoutError][ivs_async.errors.WaiterTimeoutError]; a poll in flight then is
cancelled) or the state can no longer be reached ([WaiterFailedError][ivs_async.errors.WaiterFailedError]).
The aggregated client has them as methods.
"""

from ivs_async._core.public import rehome as _rehome
from ivs_async._exceptions import WaiterError, WaiterFailedError, WaiterTimeoutError
from ivs_async._waiters import (
    wait_until_recording_configuration_active,
    wait_until_stream_live,
    wait_until_stream_offline,
)

__all__ = [
    "WaiterError",
    "WaiterFailedError",
    "WaiterTimeoutError",
    "wait_until_recording_configuration_active",
    "wait_until_stream_live",
    "wait_until_stream_offline",
]

_rehome(__name__, globals(), __all__)

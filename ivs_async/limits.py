"""Rate limiters: pace calls to IVS's per-account limits, in one process or across a fleet.

    limiter = RedisRateLimiter("redis://127.0.0.1:6379/0", account_id="123456789012")
    client = IvsClient(region="us-west-2", rate_limiter=limiter)  # every operation, every worker

Both limiters run one algorithm, GCRA in its virtual-scheduling form without a burst: each key
holds the earliest time its next call may be sent; an acquisition sends at the latest of those
times (or now) and moves each key on by ``cost`` intervals, where an interval is
``(period + margin) / rate``. Calls of one key are then at least an interval apart, so no window
of ``period`` seconds ever holds more than ``rate`` of them, however IVS places its window.
A ``shared`` limit (one over other limits: PutMetadata per account) keeps a slot of
``(period + margin) / (rate - 1)`` seconds per call instead, taken in any order.
"""

from __future__ import annotations

from ivs_async._core.public import rehome as _rehome
from ivs_async._fleet.api_rates import API_RATES, METADATA_PER_ACCOUNT, METADATA_PER_CHANNEL
from ivs_async._fleet.limiter import InProcessRateLimiter, Limit, RateLimiter, Reservation
from ivs_async._fleet.redis_limiter import RedisRateLimiter

__all__ = [
    "API_RATES",
    "METADATA_PER_ACCOUNT",
    "METADATA_PER_CHANNEL",
    "InProcessRateLimiter",
    "Limit",
    "RateLimiter",
    "RedisRateLimiter",
    "Reservation",
]

_rehome(__name__, globals(), __all__)

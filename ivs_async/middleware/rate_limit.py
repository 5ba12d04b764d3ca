"""finalize, before signing: every attempt waits for its operation's per-account API rate.

Installed by ``IvsClient(rate_limiter=...)`` with the rates of ``ivs_async.limits.API_RATES``
(PutMetadata is left to the PutMetadataPacer installed beside it with the same limiter), and by
the IVS Chat and IVS Real-Time clients with their services' tables. Keys of the other services
carry the service's name: their operations share names with IVS's (TagResource...).
"""

from __future__ import annotations

from collections.abc import Mapping

from ivs_async._core.context import Call, HandlerContext
from ivs_async._core.stack import Handler
from ivs_async._exceptions import PacingTimeoutError
from ivs_async._fleet.api_rates import API_RATES
from ivs_async._fleet.limiter import Limit, RateLimiter, Reservation, send_paced

NAME = "api-rate-limit"


class ApiRatePacer:
    """Paces each operation to ``rates[operation]`` calls per second for the limiter's account."""

    def __init__(
        self,
        limiter: RateLimiter,
        *,
        max_wait: float = 10.0,
        margin: float = 0.05,
        rates: Mapping[str, int] = API_RATES,
        key_prefix: str = "api:",
    ) -> None:
        self.limiter = limiter
        self.max_wait = max_wait
        self._key_prefix = key_prefix
        self._limits = {operation: Limit(rate, 1.0, margin) for operation, rate in rates.items()}

    def __call__(self, next_handler: Handler, context: HandlerContext) -> Handler:
        operation = context.operation.name
        limit = self._limits.get(operation)
        if limit is None:
            return next_handler
        limiter, max_wait = self.limiter, self.max_wait
        scope = f"{limiter.account_id}:{context.config.region}"
        keys = ((f"{self._key_prefix}{operation}", limit),)
        described = f"{limit.rate:g} per second per account"

        def refused(reservation: Reservation) -> PacingTimeoutError:
            return PacingTimeoutError(None, described, reservation.wait, max_wait, operation=operation)

        async def pace(call: Call) -> object:
            return await send_paced(limiter, scope, keys, max_wait, refused, lambda: next_handler(call))

        return pace

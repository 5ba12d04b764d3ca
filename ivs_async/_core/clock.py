"""The client's view of the time: the local clock plus the offset that IVS's ``Date`` headers showed.

A request is signed with ``now()``. A response whose ``Date`` differs from ``now()`` by 5 minutes
or more moves the offset, as the AWS SDKs do; then the next signature is accepted again. A
``Date`` more than a day away from the local clock is not a skew but a broken or hostile answer:
it is ignored (and logged once per client), so one response can never poison the client.
"""

from __future__ import annotations

import calendar
import logging
import time
from collections.abc import Callable
from datetime import UTC

# AWS refuses signatures more than 5 minutes away from its own clock.
SKEW_THRESHOLD = 300.0
# No working host is a day off; a Date that says so is not believed.
MAX_SKEW = 86400.0
_log = logging.getLogger("ivs_async")


class SkewedClock:
    """One per client: its offset is learnt from the responses that client reads."""

    __slots__ = ("_last_header", "_last_server_time", "_time", "_warned", "offset")

    def __init__(self, time_source: Callable[[], float] = time.time) -> None:
        self._time = time_source
        self.offset = 0.0
        # Date changes once a second: parse each distinct header once.
        self._last_header = ""
        self._last_server_time = 0.0
        self._warned = False

    def now(self) -> float:
        """Seconds since the epoch, as the service's clock would say."""
        return self._time() + self.offset

    def observe(self, date_header: str | None) -> bool:
        """Learn from a response's ``Date``; True when the offset changed (the clock was skewed)."""
        if not date_header:
            return False
        if date_header != self._last_header:
            server_time = parse_http_date(date_header)
            if server_time is None:
                return False
            self._last_header, self._last_server_time = date_header, server_time
        server_time = self._last_server_time
        local = self._time()
        if abs(local + self.offset - server_time) < SKEW_THRESHOLD:
            return False
        offset = server_time - local
        if abs(offset) > MAX_SKEW:
            if not self._warned:
                self._warned = True
                _log.warning(
                    "ignoring a response Date %.0f s away from the local clock (more than %.0f s)", offset, MAX_SKEW
                )
            return False
        self.offset = offset
        return True


_MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_MONTHS = {name: number for number, name in enumerate(_MONTH_NAMES, 1)}
_LIMITS = ((1970, 9999), (1, 12), (1, 31), (0, 23), (0, 59), (0, 60))  # year, month, day, h, m, s


def parse_http_date(value: str) -> float | None:
    """An HTTP date as seconds since the epoch; None when it is not one."""
    # The form every server sends (IMF-fixdate), read directly: "Thu, 26 Nov 2026 23:41:57 GMT".
    parts = value.split()
    if len(parts) == 6 and parts[5] == "GMT" and parts[2] in _MONTHS:
        clock = parts[4].split(":")
        try:
            fields = (int(parts[3]), _MONTHS[parts[2]], int(parts[1]), *(int(c) for c in clock))
        except ValueError:
            return None
        if len(fields) != len(_LIMITS) or not all(lo <= f <= hi for f, (lo, hi) in zip(fields, _LIMITS, strict=True)):
            return None
        return float(calendar.timegm((*fields, 0, 0, 0)))
    return _parse_obsolete_http_date(value)


def _parse_obsolete_http_date(value: str) -> float | None:
    # RFC 850 and asctime forms, which HTTP still allows; rare enough to import email lazily.
    from email.utils import parsedate_to_datetime

    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if parsed.tzinfo is None:  # "-0000" or no zone: HTTP dates are UTC
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.timestamp()

"""Temporary credentials kept fresh: refreshed ahead of expiry, one refresh at a time.

Inside the advisory window (15 minutes before expiry) a call starts a refresh in the
background and goes on with the current credentials; if that refresh fails they stay in use.
Inside the mandatory window (10 minutes) calls wait for the refresh. However many calls
arrive together, one refresh runs: the others await the same task.

A refresh has a deadline of its own (``fetch_timeout``), and is abandoned when every call that
waited for it has given up (cancelled, or past its own deadline): the next call starts afresh,
so a stuck source never holds a client for longer than one call's patience.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from ivs_async._exceptions import IvsError
from ivs_async.credentials._base import CredentialRefreshError, Credentials, Provider

ADVISORY = timedelta(minutes=15)
MANDATORY = timedelta(minutes=10)
FETCH_TIMEOUT = 60.0  # no credential source takes longer unless it is broken
_log = logging.getLogger("ivs_async.credentials")


def _utc_now() -> datetime:
    return datetime.now(UTC)


class RefreshingCredentials(Provider):
    """Wraps ``fetch`` (which gets new credentials from their source) with caching and refresh."""

    __module__ = "ivs_async.credentials"  # its public home, however it is loaded

    def __init__(
        self,
        fetch: Callable[[], Awaitable[Credentials]],
        *,
        name: str,
        advisory: timedelta = ADVISORY,
        mandatory: timedelta = MANDATORY,
        clock: Callable[[], datetime] = _utc_now,
        fetch_timeout: float = FETCH_TIMEOUT,
    ) -> None:
        self._fetch = fetch
        self._fetch_timeout = fetch_timeout
        self._waiters = 0
        self.name = name  # names the source in errors
        self._advisory = advisory
        self._mandatory = mandatory
        self._clock = clock
        self._current: Credentials | None = None
        self._task: asyncio.Task[Credentials] | None = None
        self.refreshes = 0  # how many fetches ran (for tests and metrics)

    async def load(self) -> Credentials:
        ready = self._cached()
        if ready is not None:
            return ready
        return await self._wait_for_refresh(self._current, self._clock())

    def _cached(self) -> Credentials | None:
        """The current credentials unless they are missing or inside the mandatory window; inside
        the advisory window a background refresh starts."""
        current = self._current
        if current is None:
            return None
        if current.expiration is None:
            return current  # not temporary: never refreshed
        remaining = current.expiration - self._clock()
        if remaining <= self._mandatory:
            return None
        if remaining <= self._advisory and self._task is None:
            self._start().add_done_callback(self._log_background_failure)
        return current

    async def _wait_for_refresh(self, current: Credentials | None, now: datetime) -> Credentials:
        task = self._task or self._start()
        self._waiters += 1
        try:
            # shield: one caller's cancellation must not cancel the refresh the others wait for.
            return await asyncio.shield(task)
        except CredentialRefreshError:
            if current is not None and current.expiration is not None and current.expiration > now:
                _log.warning("%s: refresh failed; using the current credentials until they expire", self.name)
                return current
            raise
        finally:
            self._waiters -= 1
            if self._waiters == 0 and not task.done():
                # Everyone who waited gave up: nothing will use this refresh, so stop it (a
                # credential_process is killed) and let the next call start a new one.
                task.cancel()

    def _start(self) -> asyncio.Task[Credentials]:
        self._task = asyncio.ensure_future(self._refresh())
        return self._task

    async def _refresh(self) -> Credentials:
        this = asyncio.current_task()
        try:
            self.refreshes += 1
            try:
                async with asyncio.timeout(self._fetch_timeout):
                    fresh = await self._fetch()
            except CredentialRefreshError:
                raise
            except TimeoutError:
                raise CredentialRefreshError(
                    self.name, f"no credentials within {self._fetch_timeout:g} s; the refresh was abandoned"
                ) from None
            except (IvsError, OSError, ValueError) as exc:
                raise CredentialRefreshError(self.name, str(exc) or type(exc).__name__) from None
            if fresh.expiration is not None and fresh.expiration <= self._clock():
                raise CredentialRefreshError(
                    self.name, f"the source returned credentials that expired at {fresh.expiration.isoformat()}"
                )
            self._current = fresh
            return fresh
        finally:
            if self._task is this:
                self._task = None

    async def aclose(self) -> None:
        """Stop a refresh under way (its process, if any, is killed)."""
        task, self._task = self._task, None
        if task is not None and not task.done():
            task.cancel()
            with contextlib.suppress(BaseException):
                await task
        await super().aclose()

    def _log_background_failure(self, task: asyncio.Task[Credentials]) -> None:
        if not task.cancelled() and task.exception() is not None:
            _log.warning("%s: background refresh failed: %s", self.name, task.exception())

    def __repr__(self) -> str:
        return f"RefreshingCredentials({self.name})"

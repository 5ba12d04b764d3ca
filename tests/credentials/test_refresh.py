"""Temporary credentials are refreshed ahead of expiry, once, however many calls are in flight."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta

import attrs
import pytest

from ivs_async.commands import ListChannelsCommand
from ivs_async.credentials import CredentialRefreshError, Credentials, RefreshingCredentials
from ivs_async.testing import LocalIvs

FIRST = Credentials("ASIAFIRST0000000000", "first-secret", session_token="first-token")
SECOND = Credentials("ASIASECOND000000000", "second-secret", session_token="second-token")


class Clock:
    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now


async def test_two_hundred_sends_one_refresh_mid_run() -> None:
    clock = Clock()
    issued = [FIRST, SECOND]
    fetched: list[str] = []

    async def fetch() -> Credentials:
        await asyncio.sleep(0.05)  # a slow source: many calls pile up while it runs
        credentials = issued[len(fetched)]
        fetched.append(credentials.access_key_id)
        # Real expirations count from the real clock: the first pair expires in 30 minutes.
        return Credentials(
            credentials.access_key_id,
            credentials.secret_access_key,
            session_token=credentials.session_token,
            expiration=clock.now + timedelta(minutes=30),
        )

    provider = RefreshingCredentials(fetch, name="test source", clock=clock)
    async with LocalIvs(credentials=[FIRST, SECOND]) as emulator, emulator.client(credentials=provider) as client:
        done = 0

        async def one() -> None:
            nonlocal done
            await client.send(ListChannelsCommand())
            done += 1
            if done == 50:
                clock.now += timedelta(minutes=25)  # now inside the mandatory window

        await asyncio.gather(*(one() for _ in range(200)))
        last = await provider.resolve()
    assert done == 200
    assert fetched == ["ASIAFIRST0000000000", "ASIASECOND000000000"]  # the first fetch and one refresh
    assert provider.refreshes == 2
    assert last.access_key_id == SECOND.access_key_id


async def test_advisory_window_refreshes_in_the_background() -> None:
    clock = Clock()
    calls = 0
    release = asyncio.Event()

    async def fetch() -> Credentials:
        nonlocal calls
        calls += 1
        if calls > 1:
            await release.wait()
        return Credentials(f"ASIA{calls}", "s", expiration=clock.now + timedelta(minutes=60))

    provider = RefreshingCredentials(fetch, name="bg", clock=clock)
    first = await provider.resolve()
    clock.now += timedelta(minutes=48)  # 12 minutes left: advisory, not mandatory
    assert await provider.resolve() is first  # no waiting
    assert await provider.resolve() is first
    release.set()
    await asyncio.sleep(0.01)
    assert calls == 2
    assert (await provider.resolve()).access_key_id == "ASIA2"


async def test_failures_keep_valid_credentials_and_name_the_source(caplog: pytest.LogCaptureFixture) -> None:
    clock = Clock()
    fail = False

    async def fetch() -> Credentials:
        if fail:
            raise OSError("connection refused")
        return Credentials("ASIAOK", "s", expiration=clock.now + timedelta(minutes=60))

    provider = RefreshingCredentials(fetch, name="my source", clock=clock)
    good = await provider.resolve()
    fail = True
    clock.now += timedelta(minutes=52)  # mandatory window, still valid for 8 minutes
    with caplog.at_level(logging.WARNING, logger="ivs_async.credentials"):
        assert await provider.resolve() is good
    assert "my source: refresh failed" in caplog.text
    clock.now += timedelta(minutes=10)  # expired
    with pytest.raises(CredentialRefreshError, match="my source: connection refused") as caught:
        await provider.resolve()
    assert caught.value.provider == "my source"


async def test_a_cancelled_caller_does_not_cancel_the_refresh() -> None:
    started = asyncio.Event()

    async def fetch() -> Credentials:
        started.set()
        await asyncio.sleep(0.05)
        return Credentials("ASIAX", "s", expiration=datetime.now(UTC) + timedelta(hours=1))

    provider = RefreshingCredentials(fetch, name="slow")
    impatient = asyncio.ensure_future(provider.resolve())
    await started.wait()
    impatient.cancel()
    patient = await provider.resolve()
    assert patient.access_key_id == "ASIAX"
    assert provider.refreshes == 1


async def test_secrets_never_leak(caplog: pytest.LogCaptureFixture) -> None:
    async def fetch() -> Credentials:
        return FIRST

    provider = RefreshingCredentials(fetch, name="source")
    with caplog.at_level(logging.DEBUG):
        async with LocalIvs(credentials=[FIRST]) as emulator, emulator.client(credentials=provider) as client:
            await client.send(ListChannelsCommand())
            text = repr(client) + repr(client.config) + repr(provider) + repr(await provider.resolve())
    for secret in (FIRST.secret_access_key, FIRST.session_token or ""):
        assert secret not in text
        assert secret not in caplog.text


async def test_held_credentials_sign_without_asking_the_provider_again(monkeypatch: pytest.MonkeyPatch) -> None:
    loads = 0
    original = RefreshingCredentials.load

    async def counting(self: RefreshingCredentials) -> Credentials:
        nonlocal loads
        loads += 1
        return await original(self)

    monkeypatch.setattr(RefreshingCredentials, "load", counting)

    async def fetch() -> Credentials:
        return attrs.evolve(FIRST, expiration=datetime.now(UTC) + timedelta(hours=1))

    provider = RefreshingCredentials(fetch, name="held")
    async with LocalIvs(credentials=[FIRST]) as emulator, emulator.client(credentials=provider) as client:
        for _ in range(3):
            await client.send(ListChannelsCommand())
    assert (loads, provider.refreshes) == (1, 1)  # the first call loads; the others sign with what is held


async def test_the_advisory_window_never_holds_a_call() -> None:
    clock = Clock()
    issued = iter([FIRST, SECOND])
    release = asyncio.Event()

    async def fetch() -> Credentials:
        credentials = next(issued)
        if credentials is SECOND:
            await release.wait()  # the refresh is slow: no call may wait for it
        return attrs.evolve(credentials, expiration=clock.now + timedelta(minutes=60))

    provider = RefreshingCredentials(fetch, name="bg", clock=clock)
    async with LocalIvs(credentials=[FIRST, SECOND]) as emulator, emulator.client(credentials=provider) as client:
        await client.send(ListChannelsCommand())
        clock.now += timedelta(minutes=48)  # 12 minutes left: advisory, not mandatory
        for _ in range(3):
            await asyncio.wait_for(client.send(ListChannelsCommand()), 5)
        assert provider.refreshes == 2  # one background refresh for the three calls
        release.set()
        await asyncio.sleep(0.01)
        await client.send(ListChannelsCommand())
    assert (await provider.resolve()).access_key_id == SECOND.access_key_id


async def test_a_subclass_that_overrides_load_is_asked_at_every_call() -> None:
    class Audited(RefreshingCredentials):
        loads = 0

        async def load(self) -> Credentials:
            type(self).loads += 1
            return await super().load()

    async def fetch() -> Credentials:
        return FIRST

    provider = Audited(fetch, name="audited")
    async with LocalIvs(credentials=[FIRST]) as emulator, emulator.client(credentials=provider) as client:
        for _ in range(3):
            await client.send(ListChannelsCommand())
    assert Audited.loads == 3

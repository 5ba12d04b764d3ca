"""pytest fixtures for code that calls IVS, registered by ivs_async's ``pytest11`` entry point.

``ivs_emulator``: a LocalIvs, started once per session in a thread of its own and reset before
each test. ``ivs_client``: an IvsClient configured for it (an async fixture: needs pytest-asyncio).
"""

from __future__ import annotations

import importlib.util
from collections.abc import AsyncIterator, Iterator

import pytest

from ivs_async._client import IvsClient
from ivs_async.testing._local import LocalIvs


@pytest.fixture(scope="session")
def ivs_emulator_session() -> Iterator[LocalIvs]:
    """The session's emulator; prefer ``ivs_emulator``, which starts each test from a clean state."""
    with LocalIvs() as emulator:
        yield emulator


@pytest.fixture
def ivs_emulator(ivs_emulator_session: LocalIvs) -> Iterator[LocalIvs]:
    """A running LocalIvs with no resources, no faults and default settings."""
    emulator = ivs_emulator_session
    defaults = (emulator.quotas, emulator.verify_signatures)
    emulator.reset()
    yield emulator
    emulator.reset()
    emulator.quotas, emulator.verify_signatures = defaults


if importlib.util.find_spec("pytest_asyncio") is not None:
    import pytest_asyncio

    @pytest_asyncio.fixture
    async def ivs_client(ivs_emulator: LocalIvs) -> AsyncIterator[IvsClient]:
        """An IvsClient for ``ivs_emulator``, closed after the test."""
        async with ivs_emulator.client() as client:
            yield client

else:  # pragma: no cover

    @pytest.fixture
    def ivs_client() -> None:
        pytest.fail("the ivs_client fixture needs pytest-asyncio (pip install pytest-asyncio)")

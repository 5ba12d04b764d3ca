"""pytest fixtures for code that calls IVS, registered by ivs_async's ``pytest11`` entry point.

``ivs_emulator``: a LocalIvs, started once per session in a thread of its own and reset before
each test. ``ivs_client``: an IvsClient for it; ``ivs``: the aggregated client (``Ivs``) for it.
Both are async fixtures (pytest-asyncio) that work in its strict and auto modes, and take
nothing from the environment (AWS_* variables, ~/.aws files): only what the emulator needs.

This module is loaded into every pytest run of a project that installs ivs_async, so it imports
nothing of ivs_async until a test asks for one of its fixtures.
"""

from __future__ import annotations

import importlib.util
from collections.abc import AsyncIterator, Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from ivs_async import Ivs, IvsClient
    from ivs_async.testing import LocalIvs


@pytest.fixture(scope="session")
def ivs_emulator_session() -> Iterator[LocalIvs]:
    """The session's emulator; prefer ``ivs_emulator``, which starts each test from a clean state."""
    from ivs_async.testing import LocalIvs

    with LocalIvs() as emulator:
        yield emulator


@pytest.fixture
def ivs_emulator(ivs_emulator_session: LocalIvs) -> Iterator[LocalIvs]:
    """A running LocalIvs with no resources, no faults and default settings."""
    emulator = ivs_emulator_session
    defaults = (emulator.quotas, emulator.verify_signatures, emulator.accept_any_credentials)
    emulator.reset()
    yield emulator
    emulator.reset()
    emulator.quotas, emulator.verify_signatures, emulator.accept_any_credentials = defaults


if importlib.util.find_spec("pytest_asyncio") is not None:
    import pytest_asyncio  # already loaded by pytest as a plugin when installed

    @pytest_asyncio.fixture
    async def ivs_client(ivs_emulator: LocalIvs) -> AsyncIterator[IvsClient]:
        """An IvsClient for ``ivs_emulator``, closed after the test."""
        async with ivs_emulator.client() as client:
            yield client

    @pytest_asyncio.fixture
    async def ivs(ivs_emulator: LocalIvs) -> AsyncIterator[Ivs]:
        """The aggregated client (one method per operation) for ``ivs_emulator``, closed after the test."""
        async with ivs_emulator.aggregated_client() as client:
            yield client

else:  # pragma: no cover

    @pytest.fixture
    def ivs_client() -> None:
        pytest.fail("the ivs_client fixture needs pytest-asyncio (pip install pytest-asyncio)")

    @pytest.fixture
    def ivs() -> None:
        pytest.fail("the ivs fixture needs pytest-asyncio (pip install pytest-asyncio)")

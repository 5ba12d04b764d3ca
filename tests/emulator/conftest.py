"""Emulator tests use the package's own pytest plugin (``ivs_emulator``, ``ivs_client``)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from ivs_async import Ivs
from ivs_async.testing import LocalIvs


@pytest.fixture
async def ivs(ivs_emulator: LocalIvs) -> AsyncIterator[Ivs]:
    """The aggregated client on the emulator, one attempt per call so errors show at once."""
    async with Ivs(
        region=ivs_emulator.region,
        endpoint=ivs_emulator.endpoint,
        credentials=ivs_emulator.credentials,
        max_attempts=1,
    ) as client:
        yield client


@pytest.fixture
async def raw_ivs(ivs_emulator: LocalIvs) -> AsyncIterator[Ivs]:
    """A client without its validation step: bad input reaches the emulator's own checks."""
    async with Ivs(
        region=ivs_emulator.region,
        endpoint=ivs_emulator.endpoint,
        credentials=ivs_emulator.credentials,
        max_attempts=1,
    ) as client:
        assert client.middleware_stack.remove("validation")
        yield client


def public_key_pem(curve: ec.EllipticCurve | None = None) -> str:
    key = ec.generate_private_key(curve or ec.SECP384R1())
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )

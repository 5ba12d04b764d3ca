"""Emulator tests use the package's own pytest plugin (``ivs_emulator``, ``ivs_client``)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from ivs_async import Ivs
from ivs_async.testing import LocalIvs


def aggregated(emulator: LocalIvs) -> Ivs:
    """The aggregated client on the emulator, one attempt per call so errors show at once."""
    return Ivs(region=emulator.region, endpoint=emulator.endpoint, credentials=emulator.credentials, max_attempts=1)


@pytest.fixture
async def ivs(ivs_emulator: LocalIvs) -> AsyncIterator[Ivs]:
    async with aggregated(ivs_emulator) as client:
        yield client


@pytest.fixture
async def raw_ivs(ivs_emulator: LocalIvs) -> AsyncIterator[Ivs]:
    """A client without its validation step: bad input reaches the emulator's own checks."""
    async with aggregated(ivs_emulator) as client:
        assert client.middleware_stack.remove("validation")
        yield client


@pytest.fixture
async def emulator() -> AsyncIterator[tuple[LocalIvs, Ivs]]:
    """An emulator of its own with the RTMP ingest on, and an aggregated client for it."""
    async with LocalIvs(rtmp_port=0) as ivs, ivs.aggregated_client() as client:
        yield ivs, client


def public_key_pem(curve: ec.EllipticCurve | None = None) -> str:
    key = ec.generate_private_key(curve or ec.SECP384R1())
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )

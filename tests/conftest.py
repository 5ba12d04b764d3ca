from __future__ import annotations

import os
from collections.abc import AsyncIterator

import pytest

from ivs_async import IvsClient, StaticCredentials
from tests.support.loopback import LoopbackServer

KEY, SECRET, REGION = "AKIDTEST", "test/secret+key", "us-west-2"

# Tests talk to 127.0.0.1 only: no instance metadata, no shared config from the machine.
os.environ["AWS_EC2_METADATA_DISABLED"] = "true"


@pytest.fixture(autouse=True)
def clean_aws_env(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    for name in list(os.environ):
        if name.startswith("AWS_") and name != "AWS_EC2_METADATA_DISABLED":
            monkeypatch.delenv(name)
    empty = tmp_path_factory.mktemp("aws") / "none"
    monkeypatch.setenv("AWS_CONFIG_FILE", str(empty))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(empty))


@pytest.fixture
async def server() -> AsyncIterator[LoopbackServer]:
    srv = LoopbackServer()
    await srv.start()
    yield srv
    await srv.close()


@pytest.fixture
async def client(server: LoopbackServer) -> AsyncIterator[IvsClient]:
    async with IvsClient(region=REGION, credentials=StaticCredentials(KEY, SECRET), endpoint=server.endpoint) as c:
        yield c

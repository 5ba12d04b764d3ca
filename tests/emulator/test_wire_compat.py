"""LocalIvs speaks IVS's wire protocol, not only ours: aiobotocore (botocore's serializer, signer
and parser) drives it here, with our vendored model loaded so that all 46 operations exist."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from aiobotocore.config import AioConfig
from aiobotocore.session import get_session
from botocore.exceptions import ClientError

from ivs_async._generated.ivs.commands import OPERATIONS
from ivs_async._generated.ivs.errors import MODELED_ERRORS
from ivs_async.testing import LocalIvs
from tests.emulator.conftest import public_key_pem
from tests.support.shapes import full_valid, reference_wire

MODEL_DIR = Path(__file__).resolve().parents[2] / "codegen" / "model"


@pytest.fixture(scope="module")
def data_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Our vendored model laid out as botocore's data loader expects it."""
    root = tmp_path_factory.mktemp("botocore-data")
    target = root / "ivs" / "2020-07-14"
    target.mkdir(parents=True)
    for name in ("service-2.json", "paginators-1.json"):
        shutil.copy(MODEL_DIR / "ivs" / name, target / name)
    return root


async def botocore_client(emulator: LocalIvs, data_path: Path, **config: Any) -> Any:
    session = get_session()
    session.get_component("data_loader").search_paths.insert(0, str(data_path))
    return session.create_client(
        "ivs",
        region_name=emulator.region,
        endpoint_url=emulator.endpoint,
        aws_access_key_id=emulator.credentials.access_key_id,
        aws_secret_access_key=emulator.credentials.secret_access_key,
        config=AioConfig(retries={"max_attempts": 1, "mode": "standard"}, **config),
    )


@pytest.fixture
async def boto(ivs_emulator: LocalIvs, data_path: Path) -> AsyncIterator[Any]:
    async with await botocore_client(ivs_emulator, data_path) as client:
        yield client


async def test_channel_flow_with_botocore(boto: Any, ivs_emulator: LocalIvs) -> None:
    created = await boto.create_channel(name="boto", tags={"from": "botocore"})
    channel = created["channel"]
    assert created["streamKey"]["value"].startswith("sk_")
    arn = channel["arn"]
    assert (await boto.get_channel(arn=arn))["channel"] == channel
    assert created["ResponseMetadata"]["HTTPStatusCode"] == 200
    # The tag operations put the ARN in the path (percent-encoded) and keys in the query string.
    await boto.tag_resource(resourceArn=arn, tags={"a b": "c", "x": "y"})
    await boto.untag_resource(resourceArn=arn, tagKeys=["x", "from"])
    assert (await boto.list_tags_for_resource(resourceArn=arn))["tags"] == {"a b": "c"}

    ivs_emulator.start_stream(arn)
    stream = (await boto.get_stream(channelArn=arn))["stream"]
    assert isinstance(stream["startTime"], datetime)
    put = await boto.put_metadata(channelArn=arn, metadata="hello from botocore")
    assert put["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert [r.payload for r in ivs_emulator.metadata(arn)] == ["hello from botocore"]
    await boto.stop_stream(channelArn=arn)
    sessions = (await boto.list_stream_sessions(channelArn=arn))["streamSessions"]
    assert len(sessions) == 1 and isinstance(sessions[0]["endTime"], datetime)

    pair = (await boto.import_playback_key_pair(publicKeyMaterial=public_key_pem()))["keyPair"]
    assert pair["fingerprint"].count(":") == 15
    deleted = await boto.delete_channel(arn=arn)
    assert deleted["ResponseMetadata"]["HTTPStatusCode"] == 204


async def test_botocore_reads_the_errors(boto: Any) -> None:
    missing = "arn:aws:ivs:us-west-2:123456789012:channel/ABCDEFGHIJKL"
    with pytest.raises(ClientError) as caught:
        await boto.get_channel(arn=missing)
    error = caught.value.response
    assert error["Error"]["Code"] == "ResourceNotFoundException"
    # IVS puts its text in the modeled member exceptionMessage, which botocore parses as a field.
    assert missing in error["exceptionMessage"]
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 404
    assert type(caught.value).__name__ == "ResourceNotFoundException"  # botocore's modeled class


async def test_botocore_without_its_validation_gets_ours(ivs_emulator: LocalIvs, data_path: Path) -> None:
    async with await botocore_client(ivs_emulator, data_path, parameter_validation=False) as boto:
        with pytest.raises(ClientError) as caught:
            await boto.create_channel(name="bad name", type="HUGE")
    assert caught.value.response["Error"]["Code"] == "ValidationException"
    message = caught.value.response["exceptionMessage"]
    assert "'name'" in message and "'type'" in message


async def test_botocore_paginator(boto: Any) -> None:
    for n in range(5):
        await boto.create_channel(name=f"page{n}")
    paginator = boto.get_paginator("list_channels")
    pages = [page async for page in paginator.paginate(PaginationConfig={"PageSize": 2})]
    assert [len(p["channels"]) for p in pages] == [2, 2, 1]
    assert sorted(c["name"] for p in pages for c in p["channels"]) == [f"page{n}" for n in range(5)]


@pytest.mark.parametrize("operation", sorted(OPERATIONS))
async def test_every_operation_answers_botocore(boto: Any, operation: str) -> None:
    """Any valid input gets a modeled answer: success or one of the operation's IVS errors."""
    op = OPERATIONS[operation]
    params = reference_wire(op.input, full_valid(op.input))
    try:
        answer = await boto._make_api_call(operation, params)
    except ClientError as exc:
        answer = exc.response
    if "Error" in answer:
        assert answer["Error"]["Code"] in MODELED_ERRORS, answer
        assert answer["ResponseMetadata"]["HTTPStatusCode"] < 500
    else:
        assert answer["ResponseMetadata"]["HTTPStatusCode"] == op.success_code

"""Finding 6 (Low): errors that IVS Local's shared HTTP path answers for IVS Chat carry IVS's
message key, `exceptionMessage`, where IVS Chat's errors have `message` (its own answers do): a
body over 1 MiB, and the catch-all 400 for an emulator bug. boto3's ivschat client then shows an
empty Message; ivs_async reads either key, so it is not affected."""

from __future__ import annotations

import boto3  # type: ignore[import-untyped]
import botocore.exceptions  # type: ignore[import-untyped]
import pytest

from ivs_async.testing import LocalIvs


def test_a_too_large_chat_request_has_a_message_for_boto3() -> None:
    with LocalIvs() as local:
        chat = boto3.client(
            "ivschat",
            endpoint_url=local.endpoint,
            region_name=local.region,
            aws_access_key_id=local.credentials.access_key_id,
            aws_secret_access_key=local.credentials.secret_access_key,
        )
        with pytest.raises(botocore.exceptions.ClientError) as caught:
            chat.create_room(name="a" * (1024 * 1024 + 10))
    error = caught.value.response["Error"]
    assert error["Code"] == "ValidationException"
    assert error["Message"], caught.value.response

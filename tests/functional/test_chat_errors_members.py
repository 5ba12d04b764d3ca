"""IVS Chat's errors carry their members beyond the message (why, which fields, which resource),
read from the body as the service sends them, bounded, and kept across pickling."""

from __future__ import annotations

import pickle

import pytest

from ivs_async.chat import errors
from ivs_async.testing import LocalIvs


async def test_modeled_members_of_chat_errors_reach_the_exception() -> None:
    async with LocalIvs() as local, local.chat_client(max_attempts=1) as chat:
        missing = "arn:aws:ivschat:us-west-2:123456789012:room/abcdEFGH1234"
        with pytest.raises(errors.ResourceNotFoundException) as not_found:
            await chat.get_room(identifier=missing)
        assert not_found.value.resource_id is not None and not_found.value.resource_type == "ROOM"
        copy = pickle.loads(pickle.dumps(not_found.value))
        assert (copy.resource_id, copy.resource_type, copy.message) == (
            not_found.value.resource_id,
            "ROOM",
            not_found.value.message,
        )
        # Refused by the emulator's check of the model (the client's own check is skipped here).
        from ivs_async.chat.commands import CreateRoomCommand

        command = CreateRoomCommand(name="lobby")
        object.__setattr__(command.input, "maximum_message_length", 100_000)
        chat.middleware_stack.remove("validation")
        with pytest.raises(errors.ValidationException) as invalid:
            await chat.send(command)
        assert invalid.value.reason == "FIELD_VALIDATION_FAILED"
        assert invalid.value.field_list and invalid.value.field_list[0]["name"] == "maximumMessageLength"


def test_hostile_member_values_are_bounded_or_dropped() -> None:
    import json

    from multidict import CIMultiDict

    from ivs_async._generated.ivschat import SERVICE
    from ivs_async._protocol.rest_json import parse_error
    from ivs_async.middleware import HttpResponse

    body = {
        "message": "no",
        "reason": "x" * 100_000,
        "fieldList": [{"name": "a", "message": "b", "extra": 5}, "not an object", *({"name": "n"} for _ in range(500))],
        "resourceId": 7,
    }
    headers = CIMultiDict({"x-amzn-ErrorType": "ValidationException"})
    error = parse_error(HttpResponse(400, headers, json.dumps(body).encode()), service=SERVICE)
    assert isinstance(error, errors.ValidationException)
    assert error.reason is not None and len(error.reason) < 2100
    assert error.field_list is not None and len(error.field_list) == 99  # of the first 100, one is no object
    assert error.field_list[0] == {"name": "a", "message": "b"}
    headers = CIMultiDict({"x-amzn-ErrorType": "ConflictException"})
    conflict = parse_error(HttpResponse(409, headers, json.dumps(body).encode()), service=SERVICE)
    assert isinstance(conflict, errors.ConflictException) and conflict.resource_id is None  # 7 is not a string

"""Fuzz: the client's parser of the service's frames and the socket's parser of clients' frames take
anything and answer with a typed result or their one typed error; what the socket writes, the
client reads back as it was."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from ivs_async.chat import ChatError, ChatEvent, ChatFrameError, ChatMessage, DeletedMessage, UserDisconnected
from ivs_async.chat._items import parse_frame
from ivs_async.chat._wire import ChatErrorCode
from ivs_async.testing._chat._protocol import (
    ClientRequest,
    FrameRefused,
    error_frame,
    event_frame,
    message_frame,
    new_id,
    parse_request,
)

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)
# Values in the places the API puts them, of the right type or not.
TEXTS = st.text(max_size=30) | st.sampled_from(["", "2026-12-01T10:00:00.000Z", "aws:DELETE_MESSAGE"])
MAYBE_TEXT = TEXTS | JSON
STRING_MAPS = st.dictionaries(st.text(max_size=10), st.text(max_size=10), max_size=4)
MAYBE_MAP = STRING_MAPS | JSON | st.fixed_dictionaries({"MessageId": TEXTS, "UserId": TEXTS, "Reason": TEXTS})


@st.composite
def service_frames(draw: st.DrawFn) -> dict[str, Any]:
    keys = {
        "Type": st.sampled_from(["MESSAGE", "EVENT", "ERROR", "OTHER"]) | JSON,
        "Id": MAYBE_TEXT,
        "RequestId": MAYBE_TEXT,
        "Content": MAYBE_TEXT,
        "SendTime": MAYBE_TEXT,
        "Attributes": MAYBE_MAP,
        "Sender": st.fixed_dictionaries({"UserId": MAYBE_TEXT, "Attributes": MAYBE_MAP}) | JSON,
        "EventName": st.sampled_from(["aws:DELETE_MESSAGE", "aws:DISCONNECT_USER", "custom"]) | JSON,
        "ErrorCode": st.integers(-5, 2000) | JSON,
        "ErrorMessage": MAYBE_TEXT,
    }
    chosen = draw(st.lists(st.sampled_from(sorted(keys)), unique=True))
    return {key: draw(keys[key]) for key in chosen}


@settings(max_examples=500)
@given(
    st.one_of(st.binary(max_size=200), st.text(max_size=200), JSON.map(json.dumps), service_frames().map(json.dumps))
)
def test_any_frame_from_the_service_parses_or_is_a_frame_error(data: str | bytes) -> None:
    try:
        item = parse_frame(data)
    except ChatFrameError as exc:
        error: ChatFrameError | None = exc
    else:
        error = None
    if error is not None:
        assert error.field and error.rule
        return
    assert item is None or isinstance(item, ChatMessage | ChatEvent | DeletedMessage | UserDisconnected | ChatError)
    if item is not None:
        assert isinstance(item.id, str)


@st.composite
def client_frames(draw: st.DrawFn) -> dict[str, Any]:
    keys = {
        "Action": st.sampled_from(["SEND_MESSAGE", "DELETE_MESSAGE", "DISCONNECT_USER", "OTHER"]) | JSON,
        "RequestId": MAYBE_TEXT,
        "Content": MAYBE_TEXT | st.text(min_size=490, max_size=510),
        "Attributes": MAYBE_MAP | st.dictionaries(st.text(max_size=4), st.text(max_size=600), max_size=3),
        "Id": MAYBE_TEXT | st.from_regex(r"[a-zA-Z0-9]{12}", fullmatch=True),
        "UserId": MAYBE_TEXT | st.text(min_size=120, max_size=140),
        "Reason": MAYBE_TEXT | st.text(min_size=250, max_size=260),
    }
    chosen = draw(st.lists(st.sampled_from(sorted(keys)), unique=True))
    return {key: draw(keys[key]) for key in chosen}


@settings(max_examples=500)
@given(st.one_of(st.text(max_size=200), JSON.map(json.dumps), client_frames().map(json.dumps)))
def test_any_frame_from_a_client_is_a_request_or_an_error_code(data: str) -> None:
    try:
        request = parse_request(data)
    except FrameRefused as exc:
        refused: FrameRefused | None = exc
    else:
        refused = None
    if refused is not None:
        assert refused.code in (ChatErrorCode.BAD_REQUEST, ChatErrorCode.PAYLOAD_TOO_LARGE)
        assert refused.request_id is None or isinstance(refused.request_id, str)
        return
    assert isinstance(request, ClientRequest)
    sent = json.loads(data)
    assert request.action == sent["Action"]
    assert request.request_id == sent.get("RequestId")
    if request.action == "SEND_MESSAGE":
        assert request.content == sent["Content"] and request.content
        assert request.attributes == sent.get("Attributes")
    elif request.action == "DELETE_MESSAGE":
        assert len(request.id) == 12 and request.id.isalnum()
    else:
        assert 0 < len(request.user_id) <= 128


ANY_TEXT = st.text(min_size=1, max_size=40)  # lone surrogates included


@given(
    content=ANY_TEXT,
    attributes=st.none() | st.dictionaries(st.text(max_size=8), st.text(max_size=8), max_size=3),
    user=ANY_TEXT,
    user_attributes=STRING_MAPS,
    request_id=st.none() | ANY_TEXT,
    when=st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)),
)
def test_what_the_socket_writes_the_client_reads_back(
    content: str,
    attributes: dict[str, str] | None,
    user: str,
    user_attributes: dict[str, str],
    request_id: str | None,
    when: datetime,
) -> None:
    id = new_id()
    frame = message_frame(
        id=id,
        request_id=request_id,
        content=content,
        attributes=attributes,
        send_time=when,
        user_id=user,
        user_attributes=user_attributes,
    )
    frame.encode("utf-8")  # always valid UTF-8, lone surrogates escaped
    message = parse_frame(frame)
    assert isinstance(message, ChatMessage)
    assert (message.id, message.content, message.request_id) == (id, content, request_id)
    assert dict(message.attributes) == (attributes or {})
    assert (message.sender.user_id, dict(message.sender.attributes)) == (user, user_attributes)
    assert message.send_time == when.replace(microsecond=when.microsecond // 1000 * 1000)
    name = "app:" + content
    event = parse_frame(event_frame(id=id, request_id=request_id, name=name, attributes=attributes, send_time=when))
    assert isinstance(event, ChatEvent)
    assert (event.event_name, dict(event.attributes), event.request_id) == (name, attributes or {}, request_id)
    error = parse_frame(error_frame(id=id, request_id=request_id, code=ChatErrorCode.FORBIDDEN, message=content))
    assert isinstance(error, ChatError) and (error.code, error.message, error.request_id) == (403, content, request_id)

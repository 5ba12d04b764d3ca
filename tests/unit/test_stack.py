from __future__ import annotations

from typing import Any

import pytest

from ivs_async import IvsClient, StaticCredentials
from ivs_async.commands import GetChannelCommand
from ivs_async.middleware import Call, Handler, HandlerContext, MiddlewareStack, StackError, Step
from tests.conftest import KEY, REGION, SECRET
from tests.support.loopback import LoopbackServer, Reply

ARN = "arn:aws:ivs:us-west-2:123456789012:channel/abcdEFGH1234"


def tagger(tag: str, trail: list[str]) -> Any:
    def middleware(next_handler: Handler, context: HandlerContext) -> Handler:
        async def handler(call: Call) -> object:
            trail.append(tag)
            return await next_handler(call)

        return handler

    middleware.__name__ = tag
    return middleware


def names(stack: MiddlewareStack) -> list[str]:
    return [entry.split(" - ")[0] for entry in stack.identify()]


def test_default_stack_order() -> None:
    client = IvsClient(region=REGION, credentials=StaticCredentials(KEY, SECRET))
    assert client.middleware_stack.identify() == [
        "telemetry - initialize",
        "logger - initialize",
        "validation - initialize",
        "serializer - serialize",
        "user-agent - build",
        "retry - finalize",
        "signing - finalize",
        "deserializer - deserialize",
    ]


def test_steps_then_priorities_then_insertion_order() -> None:
    trail: list[str] = []
    stack = MiddlewareStack()
    stack.add(tagger("d", trail), step="deserialize")
    stack.add(tagger("b1", trail), step=Step.BUILD)
    stack.add(tagger("i-low", trail), step="initialize", priority="low")
    stack.add(tagger("i-normal", trail))
    stack.add(tagger("i-high", trail), priority="high")
    stack.add(tagger("b2", trail), step="build")
    assert names(stack) == ["i-high", "i-normal", "i-low", "b1", "b2", "d"]


def test_relative_placement_follows_the_anchor() -> None:
    trail: list[str] = []
    stack = MiddlewareStack()
    stack.add(tagger("anchor", trail), step="build")
    stack.add_relative_to(tagger("after", trail), relation="after", to_name="anchor")
    stack.add_relative_to(tagger("before", trail), relation="before", to_name="anchor")
    stack.add_relative_to(tagger("after-after", trail), relation="after", to_name="after")
    stack.add(tagger("first", trail), step="initialize")
    assert names(stack) == ["first", "before", "anchor", "after", "after-after"]
    assert stack.identify()[1] == "before - build"


def test_duplicate_names_need_override() -> None:
    trail: list[str] = []
    stack = MiddlewareStack()
    stack.add(tagger("x", trail))
    with pytest.raises(StackError, match="already has an entry named 'x'"):
        stack.add(tagger("x", trail))
    stack.add(tagger("x", trail), step="build", override=True)
    assert stack.identify() == ["x - build"]


def test_remove_and_missing_anchor() -> None:
    trail: list[str] = []
    stack = MiddlewareStack()
    stack.add(tagger("a", trail))
    stack.add_relative_to(tagger("b", trail), relation="after", to_name="a")
    assert stack.remove("a") is True
    assert stack.remove("a") is False
    with pytest.raises(StackError, match="'b' is placed after 'a', which is not in the stack"):
        stack.identify()


def test_bad_step_priority_relation() -> None:
    stack = MiddlewareStack()
    with pytest.raises(StackError, match="unknown step"):
        stack.add(tagger("a", []), step="sending")  # type: ignore[arg-type]
    with pytest.raises(StackError, match="unknown priority"):
        stack.add(tagger("a", []), priority="urgent")  # type: ignore[arg-type]
    with pytest.raises(StackError, match="relation"):
        stack.add_relative_to(tagger("a", []), relation="around", to_name="x")  # type: ignore[arg-type]


async def test_user_middleware_runs_in_place_and_sees_signed_request(server: LoopbackServer, client: IvsClient) -> None:
    seen: dict[str, Any] = {}

    def capture(next_handler: Handler, context: HandlerContext) -> Handler:
        async def handler(call: Call) -> object:
            assert call.request is not None
            seen["authorization"] = call.request.headers.get("Authorization")
            seen["operation"] = context.operation.name
            call.request.headers["X-Custom"] = "1"
            return await next_handler(call)

        return handler

    client.middleware_stack.add_relative_to(capture, relation="after", to_name="signing", name="capture")
    server.queue(Reply(200, {"channel": {"arn": ARN}}))
    out = await client.send(GetChannelCommand(arn=ARN))
    assert out.channel is not None and out.channel.arn == ARN
    assert seen["operation"] == "GetChannel"
    assert str(seen["authorization"]).startswith("AWS4-HMAC-SHA256 Credential=AKIDTEST/")
    assert server.received[0].headers["X-Custom"] == "1"


async def test_middleware_under_the_deserializer_sees_the_http_response(
    server: LoopbackServer, client: IvsClient
) -> None:
    # The default transport is the terminal handler itself: it must still leave the response
    # on the call for whatever sits between it and the deserializer.
    seen: list[tuple[int, str | None, bytes]] = []

    def peek(next_handler: Handler, context: HandlerContext) -> Handler:
        async def handler(call: Call) -> object:
            call.response = None
            result = await next_handler(call)
            assert call.response is not None
            seen.append((call.response.status, call.response.headers.get("x-amzn-RequestId"), call.response.body))
            return result

        return handler

    client.middleware_stack.add(peek, step="deserialize", priority="low")
    assert names(client.middleware_stack)[-2:] == ["deserializer", "peek"]
    server.queue(Reply(200, {"channel": {"arn": ARN}}, headers={"x-amzn-RequestId": "req-1"}))
    out = await client.send(GetChannelCommand(arn=ARN))
    assert out.channel is not None and out.channel.arn == ARN
    assert seen == [(200, "req-1", b'{"channel": {"arn": "%s"}}' % ARN.encode())]


async def test_changing_the_stack_recomposes_cached_handlers(server: LoopbackServer, client: IvsClient) -> None:
    trail: list[str] = []
    await client.send(GetChannelCommand(arn=ARN))
    client.middleware_stack.add(tagger("late", trail), step="build")
    await client.send(GetChannelCommand(arn=ARN))
    assert trail == ["late"]
    client.middleware_stack.remove("late")
    await client.send(GetChannelCommand(arn=ARN))
    assert trail == ["late"]


async def test_handler_is_composed_once_per_command_class(server: LoopbackServer, client: IvsClient) -> None:
    composed: list[str] = []

    def counting(next_handler: Handler, context: HandlerContext) -> Handler:
        composed.append(context.operation.name)
        return next_handler

    client.middleware_stack.add(counting, step="build")
    for _ in range(3):
        await client.send(GetChannelCommand(arn=ARN))
    assert composed == ["GetChannel"]


def test_stacks_of_two_clients_are_independent() -> None:
    a = IvsClient(region=REGION, credentials=StaticCredentials(KEY, SECRET))
    b = IvsClient(region=REGION, credentials=StaticCredentials(KEY, SECRET))
    a.middleware_stack.remove("validation")
    assert "validation" not in a.middleware_stack
    assert "validation" in b.middleware_stack

"""Paginators over a loopback server that serves pages by nextToken."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ivs_async import IvsClient
from ivs_async.commands import CreateChannelCommand
from ivs_async.errors import PaginationError, ParamValidationError
from ivs_async.models import ChannelSummary, ListChannelsRequest, ListChannelsResponse, StreamFilters
from ivs_async.paginators import (
    Paginator,
    paginate_list_channels,
    paginate_list_stream_sessions,
    paginate_list_streams,
)
from ivs_async.paginators import __all__ as all_paginators
from ivs_async.testing import LocalIvs
from tests.support.loopback import LoopbackServer, Received, Reply

CHANNEL = "arn:aws:ivs:us-west-2:123456789012:channel/"


def serve_pages(server: LoopbackServer, total: int, *, key: str = "channels") -> None:
    async def handler(received: Received) -> Reply:
        body = json.loads(received.body)
        start = int(body.get("nextToken", "0"))
        size = body.get("maxResults", 2)
        items = [{"arn": f"{CHANNEL}{i}"} for i in range(start, min(start + size, total))]
        page: dict[str, object] = {key: items}
        if start + size < total:
            page["nextToken"] = str(start + size)
        return Reply(200, page)

    server.handler = handler


async def test_pages_and_items(server: LoopbackServer, client: IvsClient) -> None:
    serve_pages(server, 5)
    pages = [page async for page in paginate_list_channels(client, page_size=2)]
    assert [len(p.channels or []) for p in pages] == [2, 2, 1]
    assert [json.loads(r.body) for r in server.received] == [
        {"maxResults": 2},
        {"maxResults": 2, "nextToken": "2"},
        {"maxResults": 2, "nextToken": "4"},
    ]
    arns = [c.arn async for c in paginate_list_channels(client, page_size=2).items()]
    assert arns == [f"{CHANNEL}{i}" for i in range(5)]


async def test_filters_and_starting_token_are_kept(server: LoopbackServer, client: IvsClient) -> None:
    serve_pages(server, 6, key="streams")
    paginator = paginate_list_streams(client, filter_by=StreamFilters(health="HEALTHY"), next_token="2", page_size=3)
    items = [s async for s in paginator.items()]
    assert len(items) == 4
    assert json.loads(server.received[-1].body) == {
        "filterBy": {"health": "HEALTHY"},
        "maxResults": 3,
        "nextToken": "5",
    }


async def test_input_model_form(server: LoopbackServer, client: IvsClient) -> None:
    serve_pages(server, 1)
    pages = [p async for p in paginate_list_channels(client, ListChannelsRequest(filter_by_name="x"))]
    assert len(pages) == 1
    assert json.loads(server.received[0].body) == {"filterByName": "x"}


async def test_required_members_still_required(server: LoopbackServer, client: IvsClient) -> None:
    serve_pages(server, 3, key="streamSessions")
    sessions = [s async for s in paginate_list_stream_sessions(client, channel_arn=f"{CHANNEL}a").items()]
    assert len(sessions) == 3


async def test_a_repeated_token_stops_with_an_error(server: LoopbackServer, client: IvsClient) -> None:
    server.default = Reply(200, {"channels": [], "nextToken": "same"})
    with pytest.raises(PaginationError, match="twice"):
        async for _ in paginate_list_channels(client):
            pass
    assert len(server.received) == 2


def test_every_list_operation_with_next_token_has_a_paginator() -> None:
    from ivs_async import commands

    listing = sorted(
        n
        for n in commands.__all__
        if n.endswith("Command") and n != "Command" and "next_token" in getattr(commands, n).operation.member_names
    )
    expected = sorted(
        "paginate_" + "".join("_" + c.lower() if c.isupper() else c for c in n.removesuffix("Command")).lstrip("_")
        for n in listing
    )
    assert sorted(n for n in all_paginators if n.startswith("paginate_")) == expected
    assert len(expected) >= 8
    assert isinstance(paginate_list_channels(object()), Paginator)  # type: ignore[arg-type]


# -- max_items and starting_token ---------------------------------------------------------------


class Pages:
    """A Sender serving `total` channels by page, as IVS does: maxResults, an opaque nextToken."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.requests: list[ListChannelsRequest] = []

    async def send(self, command: Any) -> Any:
        request = command.input
        self.requests.append(request)
        start = int(request.next_token.removeprefix("t")) if request.next_token else 0
        size = request.max_results or 3
        end = min(start + size, self.total)
        channels = [ChannelSummary(arn=f"{CHANNEL}{i}") for i in range(start, end)]
        return ListChannelsResponse(channels=channels, next_token=f"t{end}" if end < self.total else None)


def _arns(n: range) -> list[str]:
    return [f"{CHANNEL}{i}" for i in n]


async def test_max_items_stops_mid_page_and_the_resume_token_goes_on_from_there() -> None:
    pages = Pages(10)
    first = paginate_list_channels(pages, page_size=4, max_items=6)
    assert first.resume_token is None  # not started
    assert [c.arn async for c in first.items()] == _arns(range(6))
    assert first.resume_token == "t4~2"  # the second page, two of its items listed
    second = paginate_list_channels(pages, page_size=4, max_items=6, starting_token=first.resume_token)
    assert [c.arn async for c in second.items()] == _arns(range(6, 10))
    assert second.resume_token is None  # everything listed
    assert [r.next_token for r in pages.requests] == [None, "t4", "t4", "t8"]


async def test_pages_are_cut_to_max_items() -> None:
    pages = Pages(10)
    paginator = paginate_list_channels(pages, page_size=4, max_items=5)
    got = [[c.arn for c in page.channels or []] async for page in paginator]
    assert got == [_arns(range(4)), _arns(range(4, 5))]
    assert paginator.resume_token == "t4~1"
    resumed = paginate_list_channels(pages, page_size=4, starting_token=paginator.resume_token)
    got = [[c.arn for c in page.channels or []] async for page in resumed]
    assert got == [_arns(range(5, 8)), _arns(range(8, 10))]


async def test_a_stop_on_a_page_boundary_resumes_with_the_service_token() -> None:
    pages = Pages(10)
    paginator = paginate_list_channels(pages, page_size=4, max_items=4)
    assert len([c async for c in paginator.items()]) == 4
    assert paginator.resume_token == "t4"  # a plain IVS token: next_token= takes it too
    assert len(pages.requests) == 1  # no page fetched beyond what was listed


async def test_breaking_out_of_items_leaves_a_resume_token_after_the_last_item_seen() -> None:
    pages = Pages(7)
    paginator = paginate_list_channels(pages, page_size=3)
    seen = []
    async for channel in paginator.items():
        seen.append(channel.arn)
        if len(seen) == 4:
            break
    resumed = paginate_list_channels(pages, page_size=3, starting_token=paginator.resume_token)
    assert seen + [c.arn async for c in resumed.items()] == _arns(range(7))


@settings(max_examples=150, deadline=None)
@given(
    total=st.integers(0, 25),
    page_size=st.integers(1, 7),
    max_items=st.integers(1, 9),
    by_page=st.booleans(),
)
async def test_resuming_until_the_end_lists_every_item_once_in_order(
    total: int, page_size: int, max_items: int, by_page: bool
) -> None:
    pages = Pages(total)
    listed: list[str | None] = []
    token: str | None = None
    for _ in range(total + 2):
        paginator = paginate_list_channels(pages, page_size=page_size, max_items=max_items, starting_token=token)
        if by_page:
            run = [c.arn async for page in paginator for c in page.channels or []]
        else:
            run = [c.arn async for c in paginator.items()]
        assert len(run) <= max_items
        listed += run
        token = paginator.resume_token
        if token is None:
            break
    assert listed == _arns(range(total))


@pytest.mark.parametrize(
    ("keywords", "field", "rule"),
    [
        ({"max_items": 0}, "max_items", "range"),
        ({"max_items": True}, "max_items", "range"),
        ({"starting_token": "t4~x"}, "starting_token", "format"),
        ({"starting_token": "a~b~3"}, "starting_token", "format"),
        ({"starting_token": "x" * 2000}, "starting_token", "format"),
        ({"starting_token": "t4", "next_token": "t4"}, "starting_token", "arguments"),
    ],
)
def test_bad_pagination_keywords_are_validation_errors(keywords: dict[str, Any], field: str, rule: str) -> None:
    with pytest.raises(ParamValidationError) as info:
        paginate_list_channels(Pages(1), **keywords)
    assert (info.value.operation, info.value.field, info.value.rule) == ("ListChannels", field, rule)


async def test_starting_token_and_max_items_against_ivs_local() -> None:
    async with LocalIvs() as ivs, ivs.client() as client:
        for n in range(7):
            await client.send(CreateChannelCommand(name=f"c{n}"))
        everything = [c.arn async for c in paginate_list_channels(client, page_size=3).items()]
        first = paginate_list_channels(client, page_size=3, max_items=4)
        head = [c.arn async for c in first.items()]
        rest = paginate_list_channels(client, page_size=3, starting_token=first.resume_token)
        assert head + [c.arn async for c in rest.items()] == everything
        assert len(everything) == 7 and len(head) == 4

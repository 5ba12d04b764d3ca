"""Paginators over a loopback server that serves pages by nextToken."""

from __future__ import annotations

import json

import pytest

from ivs_async import IvsClient
from ivs_async.errors import PaginationError
from ivs_async.models import ListChannelsRequest, StreamFilters
from ivs_async.paginators import (
    Paginator,
    paginate_list_channels,
    paginate_list_stream_sessions,
    paginate_list_streams,
)
from ivs_async.paginators import __all__ as all_paginators
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

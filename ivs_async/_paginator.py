"""Async pagination over nextToken: iterate pages, or ``.items()`` to iterate the listed items."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any, Generic, Protocol, TypeVar

import attrs

from ivs_async._command import Command
from ivs_async._exceptions import PaginationError

PageT = TypeVar("PageT")
ItemT = TypeVar("ItemT")
OutputT = TypeVar("OutputT")


class Sender(Protocol):
    """Anything that sends commands: IvsClient, Ivs, or a test double."""

    async def send(self, command: Command[Any, OutputT]) -> OutputT: ...


class Paginator(Generic[PageT, ItemT]):
    """``async for page in paginator`` or ``async for item in paginator.items()``.

    Each iteration starts again from the first page. A page token the service repeats raises
    PaginationError instead of looping forever.
    """

    def __init__(
        self,
        client: Sender,
        first: Command[Any, PageT],
        page_size: int | None,
        items: Callable[[PageT], list[ItemT]],
    ) -> None:
        self._client = client
        self._first = first
        self._page_size = page_size
        self._items = items

    def __aiter__(self) -> AsyncIterator[PageT]:
        return self._pages()

    async def _pages(self) -> AsyncIterator[PageT]:
        command_cls = type(self._first)
        request = self._first.input
        if self._page_size is not None:
            request = attrs.evolve(request, max_results=self._page_size)
        seen: set[str] = set()
        while True:
            page = await self._client.send(command_cls(request))
            yield page
            token = getattr(page, "next_token", None)
            if not token:
                return
            if token in seen:
                raise PaginationError(f"{command_cls.operation.name} returned the page token {token[:16]}... twice")
            seen.add(token)
            request = attrs.evolve(request, next_token=token)

    async def items(self) -> AsyncIterator[ItemT]:
        """Every listed item of every page, in order."""
        async for page in self._pages():
            for item in self._items(page):
                yield item

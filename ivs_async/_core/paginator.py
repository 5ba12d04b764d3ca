"""Async pagination over nextToken: iterate pages, or ``.items()`` to iterate the listed items."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any, Generic, Protocol, TypeVar

import attrs

from ivs_async._exceptions import PaginationError, ParamValidationError, Violation
from ivs_async._protocol.command import Command

PageT = TypeVar("PageT")
ItemT = TypeVar("ItemT")
OutputT = TypeVar("OutputT")

# A resume token that stops inside a page: "<the page's nextToken>~<items of it already listed>".
# IVS page tokens never hold "~" (their pattern is [a-zA-Z0-9+/=_-]*), so a service token passed
# as starting_token reads as itself.
_SEPARATOR = "~"
MAX_TOKEN_LENGTH = 1024 + 12  # IVS's longest page token, and the count

# Where the next item is: (the token of its page, its index in that page); None: nothing is left.
_Position = tuple[str | None, int] | None


class Sender(Protocol):
    """Anything that sends commands: IvsClient, Ivs, or a test double."""

    async def send(self, command: Command[Any, OutputT]) -> OutputT: ...


class Paginator(Generic[PageT, ItemT]):
    """``async for page in paginator`` or ``async for item in paginator.items()``.

    Each iteration starts again from the first page, or from ``starting_token``. ``max_items``
    stops after that many items (the last page is cut to fit); ``resume_token`` then says where
    to go on: pass it as ``starting_token`` to a new paginator with the same arguments and
    ``page_size``, and it lists the next item, also in the middle of a page. ``resume_token`` is
    None before the first page and once every item was listed. A page token the service repeats
    raises PaginationError instead of looping forever.
    """

    def __init__(
        self,
        client: Sender,
        first: Command[Any, PageT],
        page_size: int | None,
        items: str,
        *,
        max_items: int | None = None,
        starting_token: str | None = None,
    ) -> None:
        self._client = client
        self._first = first
        self._page_size = page_size
        self._field = items
        self._max_items = max_items
        self._start = _starting_point(first, max_items, starting_token)
        self._position: _Position = None
        self._started = False

    @property
    def resume_token(self) -> str | None:
        """Where the items not yet listed start (for ``starting_token``); None when none are left."""
        if not self._started or self._position is None:
            return None
        token, index = self._position
        return token if index == 0 and token else f"{token or ''}{_SEPARATOR}{index}"

    def __aiter__(self) -> AsyncIterator[PageT]:
        return self._pages()

    async def _pages(self) -> AsyncIterator[PageT]:
        async for page, listed, _, _, after in self._walk():
            self._position = after
            yield page if listed is None else attrs.evolve(page, **{self._field: listed})  # type: ignore[misc]

    async def items(self) -> AsyncIterator[ItemT]:
        """Every listed item of every page, in order (``max_items`` at most)."""
        async for page, listed, token, skip, after in self._walk():
            rest = listed if listed is not None else getattr(page, self._field) or []
            last = len(rest) - 1
            self._position = after
            for offset, item in enumerate(rest):
                self._position = after if offset == last else (token, skip + offset + 1)
                yield item

    async def _walk(self) -> AsyncIterator[tuple[PageT, list[Any] | None, str | None, int, _Position]]:
        """Each page, with its items when cut (else None), the token it was fetched with, the
        index of its first item that counts, and the position after its last one that counts."""
        command_cls = type(self._first)
        request = self._first.input
        if self._page_size is not None:
            request = attrs.evolve(request, max_results=self._page_size)
        token, skip = self._start
        if token is not None:
            request = attrs.evolve(request, next_token=token or None)
        current: str | None = request.next_token
        left = self._max_items
        seen: set[str] = set()
        self._started, self._position = True, (current, skip)
        while True:
            page = await self._client.send(command_cls(request))
            every = getattr(page, self._field) or []
            following: str | None = getattr(page, "next_token", None) or None
            end = len(every) if left is None else min(len(every), skip + left)
            listed = None if skip == 0 and end == len(every) else every[skip:end]
            after: _Position = (current, end) if end < len(every) else None if following is None else (following, 0)
            yield page, listed, current, skip, after
            if left is not None:
                left -= max(end - skip, 0)
                if left <= 0:
                    return
            if following is None:
                return
            if following in seen:
                raise PaginationError(f"{command_cls.operation.name} returned the page token {following[:16]}... twice")
            seen.add(following)
            request = attrs.evolve(request, next_token=following)
            current, skip = following, 0


def _starting_point(
    first: Command[Any, Any], max_items: int | None, starting_token: str | None
) -> tuple[str | None, int]:
    """(page token, items of that page to skip) from ``starting_token``; (None, 0) without one."""
    op = first.operation.name
    if max_items is not None and (type(max_items) is not int or max_items < 1):
        raise ParamValidationError(op, [Violation("max_items", "range", f"must be an int >= 1, got {max_items!r}")])
    if starting_token is None:
        return None, 0
    if not isinstance(starting_token, str) or len(starting_token) > MAX_TOKEN_LENGTH:
        reason = "must be a string" if not isinstance(starting_token, str) else "is too long"
        raise ParamValidationError(op, [Violation("starting_token", "format", f"{reason}: use a resume_token")])
    if getattr(first.input, "next_token", None) is not None:
        message = "pass starting_token or next_token, not both"
        raise ParamValidationError(op, [Violation("starting_token", "arguments", message)])
    token, separator, count = starting_token.rpartition(_SEPARATOR)
    if not separator:
        return starting_token, 0
    if not (count.isascii() and count.isdigit() and len(count) <= 6) or _SEPARATOR in token:
        raise ParamValidationError(
            op, [Violation("starting_token", "format", "not a resume token of this SDK nor an IVS page token")]
        )
    return token, int(count)

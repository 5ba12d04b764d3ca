"""The middleware stack: named entries in five steps, composed into one handler per command class.

A middleware is ``middleware(next_handler, context) -> handler``; a handler is
``async handler(call) -> result``. ``context`` is built once per client and command class and
``call`` once per send(), so a middleware prepares what it can when it is composed. A handler
with nothing to do after the next one may be a plain function returning ``next_handler(call)``
unawaited, as the built-in initialize, serialize and build entries are (and signing, with the
credentials at hand): no coroutine of its own for every suspension of the call to pass through.

Order: initialize -> serialize -> build -> finalize -> deserialize -> transport. Inside a step,
priority high -> normal -> low, then the order of adding. ``add_relative_to`` places an entry
just before or after another named entry, wherever that one ends up.
"""

from __future__ import annotations

import enum
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, Literal

from ivs_async._exceptions import StackError as StackError

if TYPE_CHECKING:
    from ivs_async._core.context import Call, HandlerContext

Handler = Callable[["Call"], Awaitable[Any]]
Middleware = Callable[[Handler, "HandlerContext"], Handler]


class Step(enum.IntEnum):
    INITIALIZE = 0
    SERIALIZE = 1
    BUILD = 2
    FINALIZE = 3
    DESERIALIZE = 4


class Priority(enum.IntEnum):
    HIGH = 0
    NORMAL = 1
    LOW = 2


StepName = Step | Literal["initialize", "serialize", "build", "finalize", "deserialize"]
PriorityName = Priority | Literal["high", "normal", "low"]
Relation = Literal["before", "after"]


class _Entry:
    # A plain slotted class: an attrs class would cost the import about 0.3 ms.
    __slots__ = ("middleware", "name", "priority", "relation", "step", "to_name")

    def __init__(
        self,
        name: str,
        middleware: Middleware,
        step: Step = Step.INITIALIZE,
        priority: Priority = Priority.NORMAL,
        relation: Relation | None = None,  # set for entries placed relative to another
        to_name: str = "",
    ) -> None:
        self.name = name
        self.middleware = middleware
        self.step = step
        self.priority = priority
        self.relation = relation
        self.to_name = to_name


class MiddlewareStack:
    """An ordered, named set of middleware. Changing it drops the handlers composed from it."""

    def __init__(self) -> None:
        self._entries: list[_Entry] = []
        self._listeners: list[Callable[[], None]] = []

    # -- changing the stack ---------------------------------------------------------------
    def add(
        self,
        middleware: Middleware,
        *,
        step: StepName = Step.INITIALIZE,
        name: str | None = None,
        priority: PriorityName = Priority.NORMAL,
        override: bool = False,
    ) -> None:
        """Add ``middleware`` to ``step``; ``override=True`` replaces an entry of the same name."""
        entry = _Entry(self._name(middleware, name), middleware, _step(step), _priority(priority))
        self._insert(entry, override)

    def add_relative_to(
        self,
        middleware: Middleware,
        *,
        relation: Relation,
        to_name: str,
        name: str | None = None,
        override: bool = False,
    ) -> None:
        """Place ``middleware`` immediately ``before`` or ``after`` the entry named ``to_name``."""
        if relation not in ("before", "after"):
            raise StackError(f"relation must be 'before' or 'after', not {relation!r}")
        entry = _Entry(self._name(middleware, name), middleware, relation=relation, to_name=to_name)
        self._insert(entry, override)

    def remove(self, name_or_middleware: str | Middleware) -> bool:
        """Remove an entry by name or by the middleware object; False if there was none."""
        before = len(self._entries)
        self._entries = [
            e for e in self._entries if e.name != name_or_middleware and e.middleware is not name_or_middleware
        ]
        removed = len(self._entries) != before
        if removed:
            self._changed()
        return removed

    def clone(self) -> MiddlewareStack:
        """An independent copy (listeners are not copied)."""
        copy = MiddlewareStack()
        copy._entries = list(self._entries)
        return copy

    # -- reading the stack ----------------------------------------------------------------
    def identify(self) -> list[str]:
        """Entry names in call order, each with its step: ``["validation - initialize", ...]``."""
        return [f"{e.name} - {self._step_of(e).name.lower()}" for e in self._ordered()]

    def __contains__(self, name: object) -> bool:
        return any(e.name == name for e in self._entries)

    def resolve(self, terminal: Handler, context: HandlerContext) -> Handler:
        """Compose the stack around ``terminal`` into one handler."""
        handler = terminal
        for entry in reversed(self._ordered()):
            handler = entry.middleware(handler, context)
        return handler

    def on_change(self, listener: Callable[[], None]) -> None:
        """Call ``listener`` whenever an entry is added or removed (the client clears its cache)."""
        self._listeners.append(listener)

    # -- internals ------------------------------------------------------------------------
    def _name(self, middleware: Middleware, name: str | None) -> str:
        return name or getattr(middleware, "__name__", None) or f"anonymous-{id(middleware):x}"

    def _insert(self, entry: _Entry, override: bool) -> None:
        existing = [i for i, e in enumerate(self._entries) if e.name == entry.name]
        if existing and not override:
            raise StackError(f"the stack already has an entry named {entry.name!r} (pass override=True)")
        if existing:
            self._entries[existing[0]] = entry
        else:
            self._entries.append(entry)
        self._changed()

    def _changed(self) -> None:
        for listener in self._listeners:
            listener()

    def _step_of(self, entry: _Entry) -> Step:
        seen: set[str] = set()
        while entry.relation is not None:
            if entry.name in seen:
                raise StackError(f"relative placement loops through {entry.name!r}")
            seen.add(entry.name)
            entry = self._anchor(entry)
        return entry.step

    def _anchor(self, entry: _Entry) -> _Entry:
        for candidate in self._entries:
            if candidate.name == entry.to_name:
                return candidate
        raise StackError(f"{entry.name!r} is placed {entry.relation} {entry.to_name!r}, which is not in the stack")

    def _ordered(self) -> list[_Entry]:
        absolute = [e for e in self._entries if e.relation is None]
        absolute.sort(key=lambda e: (e.step, e.priority))  # stable: adding order breaks ties
        for entry in self._entries:
            if entry.relation is not None:
                self._step_of(entry)  # raises on a missing anchor or a loop
        result: list[_Entry] = []

        def place(entry: _Entry) -> None:
            for rel in self._entries:
                if rel.relation == "before" and rel.to_name == entry.name:
                    place(rel)
            result.append(entry)
            for rel in self._entries:
                if rel.relation == "after" and rel.to_name == entry.name:
                    place(rel)

        for entry in absolute:
            place(entry)
        return result


def _step(value: StepName) -> Step:
    try:
        return value if isinstance(value, Step) else Step[value.upper()]
    except KeyError:
        raise StackError(f"unknown step {value!r}: use one of {[s.name.lower() for s in Step]}") from None


def _priority(value: PriorityName) -> Priority:
    try:
        return value if isinstance(value, Priority) else Priority[value.upper()]
    except KeyError:
        raise StackError(f"unknown priority {value!r}: use high, normal or low") from None

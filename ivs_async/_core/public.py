"""Public names show their public home (``ivs_async.errors.ResourceNotFoundException``) in
tracebacks, reprs and pickles, not the private module that defines them."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Mapping, MutableMapping
from types import ModuleType
from typing import Any

from ivs_async._core.lazy import lazy_attributes


def rehome(module: str, namespace: Mapping[str, Any], names: Iterable[str]) -> None:
    """Give each class and function in ``names`` the public ``module`` as its home, unless it
    already has a public one (a name exported twice keeps its most specific home)."""
    for name in names:
        obj = namespace.get(name)
        home = getattr(obj, "__module__", None)
        if isinstance(home, str) and home.startswith("ivs_async.") and _private(home):
            with contextlib.suppress(AttributeError, TypeError):  # not a class or function
                obj.__module__ = module


def _private(module: str) -> bool:
    return any(part.startswith("_") for part in module.split("."))


def expose(
    module: str, namespace: MutableMapping[str, Any], generated: ModuleType
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """A public module over a generated one (``ivs_async.chat.models`` over its generated models):
    binds ``generated``'s names (its ``__all__``) in ``namespace`` with ``module`` as their home,
    but those it loads on first use (its ``LAZY``), and returns the ``__getattr__`` and ``__dir__``
    that load those."""
    lazy: Mapping[str, str] = getattr(generated, "LAZY", {})
    names = [name for name in generated.__all__ if name not in lazy]
    namespace.update({name: getattr(generated, name) for name in names})
    rehome(module, namespace, names)
    return lazy_attributes(module, dict.fromkeys(lazy, generated.__name__))

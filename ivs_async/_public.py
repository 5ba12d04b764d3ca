"""Public names show their public home (``ivs_async.errors.ResourceNotFoundException``) in
tracebacks, reprs and pickles, not the private module that defines them."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Mapping
from typing import Any


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

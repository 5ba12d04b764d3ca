"""What the public modules offer: reachable from ``import ivs_async``, every error class in
``ivs_async.errors`` (IVS Chat's and IVS Real-Time's service errors in their own ``errors``
modules), and every name a module offers at run time accepted by mypy --strict."""

from __future__ import annotations

import importlib
import subprocess
import sys
import types
import typing
from pathlib import Path

import pytest

import ivs_async
import ivs_async.errors

SERVICE_MODULES = tuple(
    f"ivs_async.{service}.{module}"
    for service in ("chat", "realtime")
    for module in ("commands", "models", "errors", "paginators")
)
PUBLIC_MODULES = ("ivs_async", *(f"ivs_async.{name}" for name in ivs_async._SUBMODULES), *SERVICE_MODULES)
# Where a service's own errors live: their names repeat IVS's (ResourceNotFoundException...).
ERROR_HOMES = {
    "IvsChatServiceException": "ivs_async.chat.errors",
    "IvsRealTimeServiceException": "ivs_async.realtime.errors",
}


@pytest.mark.parametrize("name", ivs_async._SUBMODULES)
def test_a_bare_import_reaches_every_public_module(name: str) -> None:
    # A fresh interpreter: in this one some other test may already have imported the module.
    code = f"import ivs_async\nmodule = ivs_async.{name}\nprint(module.__name__, '{name}' in dir(ivs_async))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == [f"ivs_async.{name}", "True"]


def test_an_unknown_attribute_is_still_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="'ivs_async' has no attribute 'erors'"):
        _ = ivs_async.erors


def _offered(module: types.ModuleType) -> dict[str, object]:
    """The names ``module`` offers that are ours: classes, functions and constants, not the
    standard library's or typing's names it happens to import."""
    names = {}
    for name in dir(module):
        if name.startswith("_") or name == "TYPE_CHECKING" or hasattr(typing, name):
            continue
        value = getattr(module, name)
        if isinstance(value, types.ModuleType):
            continue
        if isinstance(value, type) or callable(value):
            if not str(getattr(value, "__module__", "")).startswith("ivs_async"):
                continue
        elif not isinstance(value, int | float | str | bytes | tuple | frozenset | dict | list) and not type(
            value
        ).__module__.startswith("ivs_async"):
            continue
        names[name] = value
    return names


def _error_classes() -> set[type[BaseException]]:
    seen: set[type[BaseException]] = set()
    for module_name in PUBLIC_MODULES:
        for value in _offered(importlib.import_module(module_name)).values():
            if isinstance(value, type) and issubclass(value, BaseException):
                seen.add(value)
    todo = list(seen)
    while todo:  # and every subclass of those, wherever it is defined
        for sub in todo.pop().__subclasses__():
            if sub not in seen and not sub.__name__.startswith("_"):
                seen.add(sub)
                todo.append(sub)
    return seen


def test_every_error_class_is_in_ivs_async_errors() -> None:
    classes = _error_classes()
    assert {"WaiterTimeoutError", "PlaybackTokenError", "StackError", "CredentialRefreshError"} <= {
        c.__name__ for c in classes
    }
    service_roots = {getattr(importlib.import_module(home), name) for name, home in ERROR_HOMES.items()}

    def home(c: type[BaseException]) -> str:
        root = next((r for r in service_roots if issubclass(c, r)), None)
        return "ivs_async.errors" if root is None else root.__module__

    missing = sorted(
        c.__name__ for c in classes if getattr(importlib.import_module(home(c)), c.__name__, None) is not c
    )
    assert missing == []
    assert all(issubclass(c, ivs_async.errors.IvsError) for c in classes)
    assert {home(c) for c in classes} == {"ivs_async.errors", *ERROR_HOMES.values()}


def test_mypy_accepts_every_offered_name(tmp_path: Path) -> None:
    pairs = [(m, name) for m in PUBLIC_MODULES for name in _offered(importlib.import_module(m))]
    lines = [f"from {module_name} import {name} as _{index}" for index, (module_name, name) in enumerate(pairs)]
    assert len(lines) > 400  # the commands, models and errors at least
    assert ("ivs_async.playback", "PlaybackTokenError") in pairs
    source = tmp_path / "imports.py"
    source.write_text("\n".join(lines) + "\n")
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", str(source)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout

"""Package attributes loaded when first used (PEP 562): ``import ivs_async`` stays cheap."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Mapping
from typing import Any


def lazy_attributes(
    package: str, homes: Mapping[str, str], *, public: bool = False, submodules: Iterable[str] = ()
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``__getattr__`` and ``__dir__`` for ``package``, whose names live in the modules ``homes``
    maps them to (``"module:other"``: the module's ``other``, for an alias under another name).
    ``public``: a class from a private module takes ``package`` as its home. ``submodules``: the
    package's modules that ``package.name`` imports on first use, as an eager package would have."""
    namespace = importlib.import_module(package).__dict__
    modules = frozenset(submodules)

    def getattr_(name: str) -> Any:
        home = homes.get(name)
        if home is None:
            if name in modules:
                return importlib.import_module(f"{package}.{name}")  # the import binds it here too
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        module, _, attribute = home.partition(":")
        value = getattr(importlib.import_module(module), attribute or name)
        if public and isinstance(value, type) and "._" in value.__module__:
            value.__module__ = package  # its public home, in tracebacks and reprs
        namespace[name] = value  # later lookups are plain attribute reads
        return value

    def dir_() -> list[str]:
        return sorted({*namespace, *homes, *modules})

    return getattr_, dir_

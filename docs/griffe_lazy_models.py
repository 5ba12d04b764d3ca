"""A griffe extension for the reference pages: the models that load on first use are public.

Each service's generated ``models`` (``ivs_async._generated.ivs.models``, and those of ``ivschat``
and ``ivs_realtime``) imports each operation's models for type checkers only, and its ``commands``
names their Params aliases the same way: at run time they load through ``__getattr__`` when first
used. griffe leaves names imported under ``TYPE_CHECKING`` out
of wildcard imports; this marks the exported ones as present at run time, which they are.
"""

from __future__ import annotations

from typing import Any

import griffe

_LAZY_MODULES = frozenset(
    f"ivs_async._generated.{service}.{module}"
    for service in ("ivs", "ivschat", "ivs_realtime")
    for module in ("models", "commands")
)


class LazyModels(griffe.Extension):
    def on_module_members(self, *, mod: griffe.Module, **kwargs: Any) -> None:
        if mod.path not in _LAZY_MODULES:
            return
        exported = set(mod.exports or ())
        for name, member in mod.members.items():
            if name in exported and not member.runtime:
                member.runtime = True

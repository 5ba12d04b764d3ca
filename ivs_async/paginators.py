"""Async paginators for the IVS List operations (generated)."""

from ivs_async._core.paginator import Paginator, Sender
from ivs_async._core.public import rehome as _rehome
from ivs_async._generated.ivs.paginators import *  # noqa: F403
from ivs_async._generated.ivs.paginators import __all__ as _generated

__all__ = ["Paginator", "Sender"]
__all__ += _generated

_rehome(__name__, globals(), __all__)

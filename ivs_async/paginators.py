"""Async paginators for the IVS List operations (generated)."""

from ivs_async._generated.ivs.paginators import *  # noqa: F403
from ivs_async._generated.ivs.paginators import __all__ as _generated
from ivs_async._paginator import Paginator, Sender
from ivs_async._public import rehome as _rehome

__all__ = ["Paginator", "Sender"]
__all__ += _generated

_rehome(__name__, globals(), __all__)

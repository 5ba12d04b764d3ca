"""Async paginators for the IVS Real-Time List operations (generated)."""

from typing import TYPE_CHECKING

from ivs_async._core.paginator import Paginator, Sender
from ivs_async._core.public import expose as _expose
from ivs_async._generated.ivs_realtime import paginators as _generated

if TYPE_CHECKING:
    from ivs_async._generated.ivs_realtime.paginators import *  # noqa: F403

__all__ = ["Paginator", "Sender", *_generated.__all__]

if not TYPE_CHECKING:  # for type checkers the star import above names everything
    __getattr__, __dir__ = _expose(__name__, globals(), _generated)

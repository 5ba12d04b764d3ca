"""The errors IVS Real-Time answers with: one class per modeled error (generated), all subclasses of
[IvsRealTimeServiceException][ivs_async.realtime.errors.IvsRealTimeServiceException] (itself an
[IvsServiceException][ivs_async.errors.IvsServiceException])."""

from typing import TYPE_CHECKING

from ivs_async._core.public import expose as _expose
from ivs_async._exceptions import IvsRealTimeServiceException
from ivs_async._generated.ivs_realtime import errors as _generated

if TYPE_CHECKING:
    from ivs_async._generated.ivs_realtime.errors import *  # noqa: F403

__all__ = ["IvsRealTimeServiceException", *_generated.__all__]

if not TYPE_CHECKING:  # for type checkers the star import above names everything
    __getattr__, __dir__ = _expose(__name__, globals(), _generated)

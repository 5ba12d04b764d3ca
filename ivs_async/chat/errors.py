"""The errors IVS Chat answers with: one class per modeled error (generated), all subclasses of
[IvsChatServiceException][ivs_async.chat.errors.IvsChatServiceException] (itself an
[IvsServiceException][ivs_async.errors.IvsServiceException])."""

from typing import TYPE_CHECKING

from ivs_async._core.public import expose as _expose
from ivs_async._exceptions import IvsChatServiceException
from ivs_async._generated.ivschat import errors as _generated

if TYPE_CHECKING:
    from ivs_async._generated.ivschat.errors import *  # noqa: F403

__all__ = ["IvsChatServiceException", *_generated.__all__]

if not TYPE_CHECKING:  # for type checkers the star import above names everything
    __getattr__, __dir__ = _expose(__name__, globals(), _generated)

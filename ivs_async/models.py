"""The typed models of the IVS API (generated), and the metadata every output carries.

Each operation's input and output classes load when first used: ``from ivs_async.models import
GetChannelRequest`` loads GetChannel's, and nothing else."""

from datetime import datetime  # noqa: F401  (the models' annotations resolve in this namespace)
from typing import TYPE_CHECKING

from ivs_async._core.public import expose as _expose
from ivs_async._core.public import rehome as _rehome
from ivs_async._generated.ivs import models as _generated
from ivs_async._protocol.model import Model, ResponseMetadata

if TYPE_CHECKING:
    from ivs_async._generated.ivs.models import *  # noqa: F403

__all__ = ["Model", "ResponseMetadata", *_generated.__all__]
_rehome(__name__, globals(), ["Model", "ResponseMetadata"])

if not TYPE_CHECKING:  # for type checkers the star import above names everything
    __getattr__, __dir__ = _expose(__name__, globals(), _generated)

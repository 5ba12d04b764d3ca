"""The typed models of the IVS API (generated), and the metadata every output carries.

Each operation's input and output classes load when first used: ``from ivs_async.models import
GetChannelRequest`` loads GetChannel's, and nothing else."""

from datetime import datetime  # noqa: F401  (the models' annotations resolve in this namespace)
from typing import TYPE_CHECKING

from ivs_async._core.lazy import lazy_attributes as _lazy_attributes
from ivs_async._core.public import rehome as _rehome
from ivs_async._generated.ivs import models as _generated
from ivs_async._protocol.model import Model, ResponseMetadata

if TYPE_CHECKING:
    from ivs_async._generated.ivs.models import *  # noqa: F403

__all__ = ["Model", "ResponseMetadata"]
__all__ += _generated.__all__

globals().update({name: getattr(_generated, name) for name in _generated.__all__ if name not in _generated.LAZY})
_rehome(__name__, globals(), __all__)

if not TYPE_CHECKING:  # for type checkers the star import above names everything
    __getattr__, __dir__ = _lazy_attributes(__name__, dict.fromkeys(_generated.LAZY, _generated.__name__))

"""The typed models of the IVS Real-Time API (generated).

Each operation's input and output classes load when first used."""

from datetime import datetime  # noqa: F401  (the models' annotations resolve in this namespace)
from typing import TYPE_CHECKING

from ivs_async._core.public import expose as _expose
from ivs_async._generated.ivs_realtime import models as _generated
from ivs_async._protocol.model import ResponseMetadata

if TYPE_CHECKING:
    from ivs_async._generated.ivs_realtime.models import *  # noqa: F403

__all__ = ["ResponseMetadata", *_generated.__all__]

if not TYPE_CHECKING:  # for type checkers the star import above names everything
    __getattr__, __dir__ = _expose(__name__, globals(), _generated)

"""One command class per IVS Chat operation (generated)."""

from typing import TYPE_CHECKING

from ivs_async._core.public import expose as _expose
from ivs_async._generated.ivschat import commands as _generated

if TYPE_CHECKING:
    from ivs_async._generated.ivschat.commands import *  # noqa: F403

__all__ = list(_generated.__all__)

if not TYPE_CHECKING:  # for type checkers the star import above names everything
    __getattr__, __dir__ = _expose(__name__, globals(), _generated)

"""One command class per IVS operation (generated), and their base class."""

from typing import TYPE_CHECKING

from ivs_async._core.public import expose as _expose
from ivs_async._core.public import rehome as _rehome
from ivs_async._generated.ivs import commands as _generated
from ivs_async._protocol.command import Command, Operation

if TYPE_CHECKING:
    from ivs_async._generated.ivs.commands import *  # noqa: F403

__all__ = ["Command", "Operation", *_generated.__all__]
_rehome(__name__, globals(), ["Command", "Operation"])

# The Params aliases name the operations' input TypedDicts, which load on first use.
if not TYPE_CHECKING:  # for type checkers the star import above names everything
    __getattr__, __dir__ = _expose(__name__, globals(), _generated)

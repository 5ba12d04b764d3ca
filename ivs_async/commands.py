"""One command class per IVS operation (generated), and their base class."""

from typing import TYPE_CHECKING

from ivs_async._core.lazy import lazy_attributes as _lazy_attributes
from ivs_async._core.public import rehome as _rehome
from ivs_async._generated.ivs import commands as _generated
from ivs_async._protocol.command import Command, Operation

if TYPE_CHECKING:
    from ivs_async._generated.ivs.commands import *  # noqa: F403

__all__ = ["Command", "Operation"]
__all__ += _generated.__all__

# The Params aliases name the operations' input TypedDicts, which load on first use.
globals().update({name: getattr(_generated, name) for name in _generated.__all__ if name not in _generated.LAZY})
_rehome(__name__, globals(), __all__)

if not TYPE_CHECKING:  # for type checkers the star import above names everything
    __getattr__, __dir__ = _lazy_attributes(__name__, dict.fromkeys(_generated.LAZY, _generated.__name__))

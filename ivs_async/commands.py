"""One command class per IVS operation (generated), and their base class."""

from ivs_async._command import Command, Operation
from ivs_async._generated.commands import *  # noqa: F403
from ivs_async._generated.commands import __all__ as _generated
from ivs_async._public import rehome

__all__ = ["Command", "Operation"]
__all__ += _generated

rehome(__name__, globals(), __all__)

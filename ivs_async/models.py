"""The typed models of the IVS API (generated), and the metadata every output carries."""

from datetime import datetime  # noqa: F401  (the models' annotations resolve in this namespace)

from ivs_async._generated.models import *  # noqa: F403
from ivs_async._generated.models import __all__ as _generated
from ivs_async._model import Model, ResponseMetadata
from ivs_async._public import rehome

__all__ = ["Model", "ResponseMetadata"]
__all__ += _generated

rehome(__name__, globals(), __all__)

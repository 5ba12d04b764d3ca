"""The typed models of the IVS API (generated), and the metadata every output carries."""

from ivs_async._generated.models import *  # noqa: F403
from ivs_async._generated.models import __all__ as _generated
from ivs_async._model import Model, ResponseMetadata

__all__ = ["Model", "ResponseMetadata"]
__all__ += _generated

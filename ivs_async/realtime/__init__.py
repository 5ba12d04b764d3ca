"""Amazon IVS Real-Time (stages): ``IvsRealTimeClient`` and the aggregated ``IvsRealTime``.

    async with IvsRealTime(region="us-west-2") as rt:
        stage = await rt.create_stage(name="studio")

``ivs_async.realtime.commands``, ``.models``, ``.errors`` and ``.paginators`` hold the rest. The
names below load when first used: a program that uses only IvsClient loads none of this.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ivs_async._core.lazy import lazy_attributes as _lazy_attributes

if TYPE_CHECKING:  # what type checkers see; at run time __getattr__ loads each name when first used
    from ivs_async._generated.ivs_realtime.aggregated import IvsRealTime as IvsRealTime
    from ivs_async.realtime import commands as commands
    from ivs_async.realtime import errors as errors
    from ivs_async.realtime import models as models
    from ivs_async.realtime import paginators as paginators
    from ivs_async.realtime._client import IvsRealTimeClient as IvsRealTimeClient

__all__ = ["IvsRealTime", "IvsRealTimeClient"]

__getattr__, __dir__ = _lazy_attributes(
    __name__,
    {"IvsRealTime": "ivs_async._generated.ivs_realtime.aggregated", "IvsRealTimeClient": "ivs_async.realtime._client"},
    submodules=("commands", "errors", "models", "paginators"),
)

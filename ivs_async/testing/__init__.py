"""Test IVS code offline: an in-memory IVS over HTTP on 127.0.0.1 (``LocalIvs``).

    async with LocalIvs() as ivs:
        async with ivs.client() as client:
            created = await client.send(CreateChannelCommand(name="demo"))
            ivs.start_stream(created.channel.arn)

Also a command (``python -m ivs_async.testing``) and a pytest plugin (fixtures ``ivs_emulator``,
``ivs_client`` and ``ivs``). The names load when first used: the pytest plugin lives in this
package and must cost nothing in test runs that never use it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ivs_async._core.lazy import lazy_attributes as _lazy_attributes

if TYPE_CHECKING:  # what type checkers see; at run time __getattr__ loads each name when first used
    from ivs_async.testing._backend import AdBreakRecord as AdBreakRecord
    from ivs_async.testing._backend import EmulatorError as EmulatorError
    from ivs_async.testing._backend import MetadataRecord as MetadataRecord
    from ivs_async.testing._backend import Quotas as Quotas
    from ivs_async.testing._backend import Revocation as Revocation
    from ivs_async.testing._chat import ChatQuotas as ChatQuotas
    from ivs_async.testing._faults import Fault as Fault
    from ivs_async.testing._faults import FaultKind as FaultKind
    from ivs_async.testing._faults import FaultPlan as FaultPlan
    from ivs_async.testing._limits import Limits as Limits
    from ivs_async.testing._local import DEFAULT_CREDENTIALS as DEFAULT_CREDENTIALS
    from ivs_async.testing._local import LocalIvs as LocalIvs
    from ivs_async.testing._realtime import RealTimeQuotas as RealTimeQuotas

_HOMES = {
    "AdBreakRecord": "ivs_async.testing._backend",
    "EmulatorError": "ivs_async.testing._backend",
    "MetadataRecord": "ivs_async.testing._backend",
    "Quotas": "ivs_async.testing._backend",
    "Revocation": "ivs_async.testing._backend",
    "Fault": "ivs_async.testing._faults",
    "FaultKind": "ivs_async.testing._faults",
    "FaultPlan": "ivs_async.testing._faults",
    "Limits": "ivs_async.testing._limits",
    "DEFAULT_CREDENTIALS": "ivs_async.testing._local",
    "LocalIvs": "ivs_async.testing._local",
    "ChatQuotas": "ivs_async.testing._chat",
    "RealTimeQuotas": "ivs_async.testing._realtime",
}

__all__ = [
    "DEFAULT_CREDENTIALS",
    "AdBreakRecord",
    "ChatQuotas",
    "EmulatorError",
    "Fault",
    "FaultKind",
    "FaultPlan",
    "Limits",
    "LocalIvs",
    "MetadataRecord",
    "Quotas",
    "RealTimeQuotas",
    "Revocation",
]


__getattr__, __dir__ = _lazy_attributes(__name__, _HOMES, public=True)

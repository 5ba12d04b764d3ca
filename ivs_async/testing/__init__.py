"""Test IVS code offline: an in-memory IVS over HTTP on 127.0.0.1 (``LocalIvs``).

    async with LocalIvs() as ivs:
        async with ivs.client() as client:
            created = await client.send(CreateChannelCommand(name="demo"))
            ivs.start_stream(created.channel.arn)

Also a command (``python -m ivs_async.testing``) and a pytest plugin (fixtures ``ivs_emulator``
and ``ivs_client``).
"""

from ivs_async._public import rehome
from ivs_async.testing._backend import AdBreakRecord, EmulatorError, MetadataRecord, Quotas, Revocation
from ivs_async.testing._faults import Fault, FaultKind, FaultPlan
from ivs_async.testing._local import DEFAULT_CREDENTIALS, LocalIvs

__all__ = [
    "DEFAULT_CREDENTIALS",
    "AdBreakRecord",
    "EmulatorError",
    "Fault",
    "FaultKind",
    "FaultPlan",
    "LocalIvs",
    "MetadataRecord",
    "Quotas",
    "Revocation",
]

rehome(__name__, globals(), __all__)

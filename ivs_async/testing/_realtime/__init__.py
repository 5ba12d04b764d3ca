"""The emulated IVS Real-Time account (service ``ivs-realtime``): stages and participant tokens,
compositions with their encoder and storage configurations, ingest configurations, public keys,
participant replication and tags.

No media reaches the emulator: stages have no sessions or participants, compositions start and
then end by themselves as IVS ends those of an empty stage. One module per resource family;
``_core`` holds the state and helpers they share.
"""

from __future__ import annotations

from ivs_async.testing._realtime._core import RESOURCE_TYPES, RealTimeQuotas
from ivs_async.testing._realtime.compositions import COMPOSITION_IDLE_TIMEOUT, CompositionsMixin
from ivs_async.testing._realtime.ingest import IngestMixin
from ivs_async.testing._realtime.keys import KeysMixin
from ivs_async.testing._realtime.replication import ReplicationMixin
from ivs_async.testing._realtime.stages import StagesMixin
from ivs_async.testing._realtime.tags import TagsMixin


class RealTimeBackend(StagesMixin, CompositionsMixin, IngestMixin, KeysMixin, ReplicationMixin, TagsMixin):
    """One IVS Real-Time account in one region. ``handle(operation, request)`` answers a wire
    request (camelCase dict) with the wire response, or raises ServiceError."""


__all__ = ["COMPOSITION_IDLE_TIMEOUT", "RESOURCE_TYPES", "RealTimeBackend", "RealTimeQuotas"]

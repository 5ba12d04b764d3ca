"""The emulated IVS account: resources, live streams and the behaviour of every operation.

Handlers take and return wire JSON (camelCase dicts) that the server has already checked
against the model, so the whole state is plain JSON: snapshots are a ``json.dumps`` away.
Nothing here does I/O; the server in ``_server.py`` owns HTTP, signatures and faults. One
module per resource family; ``_core`` holds the state and helpers they share.
"""

from __future__ import annotations

from ivs_async.testing._backend._core import (
    CHANNEL,
    MAX_STATE_BYTES,
    AdBreakRecord,
    BackendCore,
    EmulatorError,
    Json,
    MetadataRecord,
    Quotas,
    Revocation,
    ServiceError,
    default_ingest_configuration,
    parse_time,
    project,
    wire_time,
)
from ivs_async.testing._backend.ads import AdsMixin
from ivs_async.testing._backend.channels import ChannelsMixin
from ivs_async.testing._backend.overview import OverviewMixin
from ivs_async.testing._backend.playback import PlaybackMixin
from ivs_async.testing._backend.recording import RecordingMixin
from ivs_async.testing._backend.streams import StreamsMixin
from ivs_async.testing._backend.tags import TagsMixin


class IvsBackend(
    ChannelsMixin, StreamsMixin, RecordingMixin, PlaybackMixin, AdsMixin, TagsMixin, OverviewMixin, BackendCore
):
    """One account in one region. Thread-safe: every entry point takes the backend's lock."""


__all__ = [
    "CHANNEL",
    "MAX_STATE_BYTES",
    "AdBreakRecord",
    "EmulatorError",
    "IvsBackend",
    "Json",
    "MetadataRecord",
    "Quotas",
    "Revocation",
    "ServiceError",
    "default_ingest_configuration",
    "parse_time",
    "project",
    "wire_time",
]

"""Tags of every IVS Real-Time resource (stage, composition, encoder, storage and ingest
configurations, public key): the operations shared with IVS (``_tagging``)."""

from __future__ import annotations

from ivs_async.testing._realtime._core import RealTimeCore
from ivs_async.testing._tagging import TagOperations


class TagsMixin(TagOperations, RealTimeCore):
    """TagResource, UntagResource, ListTagsForResource over any IVS Real-Time resource."""

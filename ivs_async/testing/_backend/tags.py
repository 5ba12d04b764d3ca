"""Tags of every IVS resource: the operations shared with IVS Real-Time (``_tagging``)."""

from __future__ import annotations

from ivs_async.testing._backend._core import BackendCore
from ivs_async.testing._tagging import TagOperations


class TagsMixin(TagOperations, BackendCore):
    """TagResource, UntagResource, ListTagsForResource over any IVS resource."""

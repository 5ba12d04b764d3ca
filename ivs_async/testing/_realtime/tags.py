"""Tags of every IVS Real-Time resource (stage, composition, encoder, storage and ingest
configurations, public key)."""

from __future__ import annotations

from ivs_async.testing._backend._core import Json
from ivs_async.testing._realtime._core import RealTimeCore


class TagsMixin(RealTimeCore):
    """TagResource, UntagResource, ListTagsForResource."""

    def _tag_resource(self, request: Json) -> Json:
        resource = self._find(request["resourceArn"])
        resource["tags"] = self._new_tags(request["tags"], resource.get("tags"))
        return {}

    def _untag_resource(self, request: Json) -> Json:
        resource = self._find(request["resourceArn"])
        for key in request["tagKeys"]:
            resource.get("tags", {}).pop(key, None)
        return {}

    def _list_tags_for_resource(self, request: Json) -> Json:
        return {"tags": dict(self._find(request["resourceArn"]).get("tags", {}))}

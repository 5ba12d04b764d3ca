"""Tags of every resource."""

from __future__ import annotations

from ivs_async.testing._backend._core import (
    BackendCore,
    Json,
)


class TagsMixin(BackendCore):
    """Tags of every resource."""

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
        return {"tags": self._find(request["resourceArn"]).get("tags", {})}

"""The three tag operations of IVS and IVS Real-Time, over the resource an ARN names (each
backend's ``_find``), with the rules of ``merged_tags``. IVS Chat answers its own tag errors."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ivs_async.testing._backend._core import Json, merged_tags


class TagOperations:
    """TagResource, UntagResource, ListTagsForResource, for a backend that finds a resource by ARN."""

    if TYPE_CHECKING:  # the backend's own (not defined here: it would hide the backend's in the MRO)

        def _find(self, arn: str) -> Json: ...

    def _tag_resource(self, request: Json) -> Json:
        resource = self._find(request["resourceArn"])
        resource["tags"] = merged_tags(request["tags"], resource.get("tags"))
        return {}

    def _untag_resource(self, request: Json) -> Json:
        resource = self._find(request["resourceArn"])
        for key in request["tagKeys"]:
            resource.get("tags", {}).pop(key, None)
        return {}

    def _list_tags_for_resource(self, request: Json) -> Json:
        return {"tags": dict(self._find(request["resourceArn"]).get("tags", {}))}

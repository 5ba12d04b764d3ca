"""Ingest configurations: RTMP(S) publishing into a stage with a stream key.

No encoder publishes to a stage here, so every ingest configuration stays INACTIVE: updates and
deletes never meet an active publisher (``force`` changes nothing).
"""

from __future__ import annotations

import copy
import secrets

from ivs_async.testing._backend._core import Json, ServiceError
from ivs_async.testing._realtime._core import _ALNUM, INGEST, STAGE, RealTimeCore, pick

_SUMMARY = ("name", "arn", "ingestProtocol", "stageArn", "participantId", "state", "userId", "redundantIngest")


class IngestMixin(RealTimeCore):
    """CreateIngestConfiguration, Get, Update, Delete and List."""

    def _stream_key(self, configuration_id: str) -> str:
        secret = "".join(secrets.choice(_ALNUM) for _ in range(24))  # the OS's generator, seed or not
        return f"rt_{self.account_id}_{self.region}_{configuration_id}_{secret}"

    def _redundancy(self, configuration: Json) -> None:
        """Credentials of the second ingest path, present only while redundant ingest is on."""
        if configuration["redundantIngest"]:
            if "redundantIngestCredentials" not in configuration:
                configuration_id = configuration["arn"].rsplit("/", 1)[1]
                configuration["redundantIngestCredentials"] = [
                    {"participantId": self._id(), "streamKey": self._stream_key(configuration_id)}
                ]
        else:
            configuration.pop("redundantIngestCredentials", None)

    def _ingest_stage(self, stage_arn: str, *, code: str) -> str:
        if stage_arn and stage_arn not in self._resources(STAGE):
            raise ServiceError(code, f"Stage not found: {stage_arn}")
        return stage_arn

    def _create_ingest_configuration(self, request: Json) -> Json:
        self._check_quota(INGEST)
        protocol = request["ingestProtocol"]
        insecure = request.get("insecureIngest", False)
        if protocol == "RTMP" and not insecure:
            raise ServiceError("ValidationException", "insecureIngest must be true when ingestProtocol is RTMP")
        configuration_id = self._id()
        configuration: Json = {
            "arn": self._arn(INGEST, configuration_id),
            "name": request.get("name", ""),
            "ingestProtocol": protocol,
            "streamKey": self._stream_key(configuration_id),
            # CreateIngestConfiguration has no ResourceNotFoundException: an unknown stage is bad input.
            "stageArn": self._ingest_stage(request.get("stageArn", ""), code="ValidationException"),
            "participantId": self._id(),
            "state": "INACTIVE",
            "redundantIngest": request.get("redundantIngest", False),
            "attributes": self._check_attributes(request.get("attributes"), "attributes"),
            "tags": self._new_tags(request.get("tags")),
        }
        if "userId" in request:
            configuration["userId"] = request["userId"]
        self._redundancy(configuration)
        return {"ingestConfiguration": copy.deepcopy(self._add(INGEST, configuration))}

    def _get_ingest_configuration(self, request: Json) -> Json:
        return {"ingestConfiguration": copy.deepcopy(self._get(INGEST, request["arn"]))}

    def _update_ingest_configuration(self, request: Json) -> Json:
        configuration = copy.deepcopy(self._get(INGEST, request["arn"]))
        if configuration["state"] == "ACTIVE":
            raise ServiceError("ConflictException", f"Ingest configuration is active: {configuration['arn']}")
        if "stageArn" in request:
            configuration["stageArn"] = self._ingest_stage(request["stageArn"], code="ResourceNotFoundException")
        if "redundantIngest" in request:
            configuration["redundantIngest"] = request["redundantIngest"]
            self._redundancy(configuration)
        return {"ingestConfiguration": copy.deepcopy(self._add(INGEST, configuration))}

    def _delete_ingest_configuration(self, request: Json) -> Json:
        configuration = self._get(INGEST, request["arn"])
        if configuration["state"] == "ACTIVE" and not request.get("force", False):
            raise ServiceError(
                "ConflictException", f"Ingest configuration is active; set force to delete it: {configuration['arn']}"
            )
        del self._resources(INGEST)[configuration["arn"]]
        return {}

    def _list_ingest_configurations(self, request: Json) -> Json:
        stage, state = request.get("filterByStageArn"), request.get("filterByState")
        if stage is not None and state is not None:
            raise ServiceError("ValidationException", "Only one filter (filterByStageArn or filterByState) can be used")
        chosen = [
            (arn, pick(c, _SUMMARY))
            for arn, c in self._resources(INGEST).items()
            if (stage is None or c["stageArn"] == stage) and (state is None or c["state"] == state)
        ]
        return self._listing("ListIngestConfigurations", request, "ingestConfigurations", chosen)

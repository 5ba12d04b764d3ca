"""Participant replication: a publisher of one stage shown in another.

Only a participant publishing in the source stage can be replicated, and no participant publishes
here (no media reaches the emulator). So StartParticipantReplication checks its stages and input
as IVS does and then answers that the participant is not publishing; no replication ever exists,
which StopParticipantReplication and ListParticipantReplicas answer accordingly.
"""

from __future__ import annotations

from ivs_async.testing._backend._core import Json, ServiceError
from ivs_async.testing._realtime._core import STAGE, RealTimeCore


class ReplicationMixin(RealTimeCore):
    """StartParticipantReplication, StopParticipantReplication, ListParticipantReplicas."""

    def _replication_stages(self, request: Json) -> tuple[str, str]:
        source, destination = request["sourceStageArn"], request["destinationStageArn"]
        self._get(STAGE, source)
        self._get(STAGE, destination)
        if source == destination:
            raise ServiceError(
                "ValidationException", "sourceStageArn and destinationStageArn must name different stages"
            )
        return source, destination

    def _start_participant_replication(self, request: Json) -> Json:
        source, _ = self._replication_stages(request)
        self._check_attributes(request.get("attributes"), "attributes")
        raise ServiceError(
            "ResourceNotFoundException", f"Participant {request['participantId']} is not publishing in stage {source}"
        )

    def _stop_participant_replication(self, request: Json) -> Json:
        source, destination = self._replication_stages(request)
        raise ServiceError(
            "ResourceNotFoundException",
            f"Participant {request['participantId']} of stage {source} is not replicated to stage {destination}",
        )

    def _list_participant_replicas(self, request: Json) -> Json:
        return self._listing("ListParticipantReplicas", request, "replicas", [])

"""Stages, their participant tokens, and what a stage without media has of sessions and participants."""

from __future__ import annotations

import copy
from datetime import timedelta
from typing import Any

from ivs_async.testing._backend._core import Json, ServiceError, wire_time
from ivs_async.testing._realtime import _tokens
from ivs_async.testing._realtime._core import STAGE, STORAGE, RealTimeCore, pick

_STAGE_SUMMARY = ("arn", "name", "activeSessionId", "tags")
_DEFAULT_DURATION = 720  # minutes: a token lives 12 hours unless asked otherwise
_DEFAULT_CAPABILITIES = ("PUBLISH", "SUBSCRIBE")
_PARTICIPANT_FILTERS = ("filterByUserId", "filterByPublished", "filterByState", "filterByRecordingState")


def default_recording_configuration() -> Json:
    """A stage's individual participant recording when none is set (storage ARN ""): off."""
    return {
        "storageConfigurationArn": "",
        "mediaTypes": ["AUDIO_VIDEO"],
        "thumbnailConfiguration": {"targetIntervalSeconds": 60, "storage": ["SEQUENTIAL"], "recordingMode": "DISABLED"},
        "recordingReconnectWindowSeconds": 0,
        "hlsConfiguration": {"targetSegmentDurationSeconds": 6},
        "recordParticipantReplicas": True,
    }


class StagesMixin(RealTimeCore):
    """Stages, participant tokens, disconnections and revocations; sessions and participants (none:
    no media reaches the emulator, so no participant ever joins a stage)."""

    # -- for the media side (none yet) and tests ----------------------------------------------

    def verify_participant_token(self, token: str) -> dict[str, Any] | None:
        """The claims of a participant token this account issued that may join its stage now;
        None when forged, expired, for a deleted stage, disconnected or revoked."""
        with self.lock:
            claims = _tokens.read(self._token_key, token)
            if claims is None:
                return None
            stage_arn, participant_id, expires = claims.get("resource"), claims.get("jti"), claims.get("exp")
            if not isinstance(expires, int) or expires <= self.clock().timestamp():
                return None
            if stage_arn not in self._resources(STAGE) or participant_id in self._state["revokedTokens"]:
                return None
            if (stage_arn, participant_id) in self._state["disconnected"]:
                return None
            return claims

    # -- stages ------------------------------------------------------------------------------

    def _public_stage(self, stage: Json) -> Json:
        """A stage as answers show it: its endpoints name the emulator where clients reach it now."""
        shown = copy.deepcopy(stage)
        shown["endpoints"] = self._endpoints()
        return shown

    def _endpoints(self) -> Json:
        events = "ws" + self.origin.removeprefix("http") if self.origin.startswith("http") else self.origin
        return {
            "events": f"{events}/realtime/events",
            "whip": f"{self.origin}/realtime/whip",
            "rtmp": self.rtmp_url,
            "rtmps": self.rtmps_url,
        }

    def _recording_configuration(self, given: Json | None) -> Json:
        """The stage's individual participant recording: ``given`` over the defaults; a storage
        ARN of "" turns it off and puts every other member back to its default."""
        configuration = default_recording_configuration()
        arn = (given or {}).get("storageConfigurationArn", "")
        if not arn:
            return configuration
        if arn not in self._resources(STORAGE):
            raise ServiceError(
                "ValidationException",
                f"autoParticipantRecordingConfiguration.storageConfigurationArn names no storage configuration: {arn}",
            )
        assert given is not None
        for member in ("storageConfigurationArn", "mediaTypes", "recordingReconnectWindowSeconds",
                       "recordParticipantReplicas"):  # fmt: skip
            if member in given:
                configuration[member] = copy.deepcopy(given[member])
        for member in ("thumbnailConfiguration", "hlsConfiguration"):
            configuration[member].update(copy.deepcopy(given.get(member) or {}))
        thumbnails = configuration["thumbnailConfiguration"]
        asked = (given.get("thumbnailConfiguration") or {}).get("targetIntervalSeconds")
        if asked is not None and thumbnails["recordingMode"] != "INTERVAL":
            raise ServiceError(
                "ValidationException",
                "thumbnailConfiguration.targetIntervalSeconds can be set only when recordingMode is INTERVAL",
            )
        return configuration

    def _create_stage(self, request: Json) -> Json:
        self._check_quota(STAGE)
        stage_id = self._id()
        stage: Json = {
            "arn": self._arn(STAGE, stage_id),
            "name": request.get("name", ""),
            "tags": self._new_tags(request.get("tags")),
            "autoParticipantRecordingConfiguration": self._recording_configuration(
                request.get("autoParticipantRecordingConfiguration")
            ),
        }
        configurations = request.get("participantTokenConfigurations") or []
        tokens = [self._participant_token(stage["arn"], configuration) for configuration in configurations]
        self._add(STAGE, stage)
        return {"stage": self._public_stage(stage), "participantTokens": tokens}

    def _get_stage(self, request: Json) -> Json:
        return {"stage": self._public_stage(self._get(STAGE, request["arn"]))}

    def _update_stage(self, request: Json) -> Json:
        stage = copy.deepcopy(self._get(STAGE, request["arn"]))
        if "name" in request:
            stage["name"] = request["name"]
        if "autoParticipantRecordingConfiguration" in request:
            stage["autoParticipantRecordingConfiguration"] = self._recording_configuration(
                request["autoParticipantRecordingConfiguration"]
            )
        return {"stage": self._public_stage(self._add(STAGE, stage))}

    def _delete_stage(self, request: Json) -> Json:
        arn = request["arn"]
        self._get(STAGE, arn)
        self._stage_deleted(arn)
        del self._resources(STAGE)[arn]
        return {}

    def _stage_deleted(self, arn: str) -> None:
        super()._stage_deleted(arn)
        self._state["disconnected"] = type(self._state["disconnected"])(
            (pair for pair in self._state["disconnected"] if pair[0] != arn), maxlen=self._state["disconnected"].maxlen
        )

    def _list_stages(self, request: Json) -> Json:
        stages = [(arn, pick(stage, _STAGE_SUMMARY)) for arn, stage in self._resources(STAGE).items()]
        return self._listing("ListStages", request, "stages", stages)

    # -- participant tokens ---------------------------------------------------------------------

    def _participant_token(self, stage_arn: str, request: Json) -> Json:
        """A new token for ``stage_arn`` as ``request`` (a token configuration) asks."""
        duration = request.get("duration") or _DEFAULT_DURATION
        capabilities = list(dict.fromkeys(request.get("capabilities", _DEFAULT_CAPABILITIES)))
        attributes = self._check_attributes(request.get("attributes"), "attributes")
        now = self.clock()
        expires = now + timedelta(minutes=duration)
        participant_id = self._id()
        claims: Json = {
            "exp": int(expires.timestamp()),
            "iat": int(now.timestamp()),
            "jti": participant_id,
            "resource": stage_arn,
            "topic": stage_arn.rsplit("/", 1)[1],
            "events_url": self._endpoints()["events"],
            "whip_url": self._endpoints()["whip"],
            "attributes": attributes,
            "capabilities": {
                "allow_publish": "PUBLISH" in capabilities,
                "allow_subscribe": "SUBSCRIBE" in capabilities,
            },
            "version": "1.0",
        }
        token: Json = {"participantId": participant_id}
        if "userId" in request:
            claims["user_id"] = token["userId"] = request["userId"]
        token.update(
            {
                "token": _tokens.mint(self._token_key, claims),
                "attributes": attributes,
                "duration": duration,
                "capabilities": capabilities,
                "expirationTime": wire_time(expires),
            }
        )
        return token

    def _create_participant_token(self, request: Json) -> Json:
        stage_arn = request["stageArn"]
        self._get(STAGE, stage_arn)
        return {"participantToken": self._participant_token(stage_arn, request)}

    def _disconnect_participant(self, request: Json) -> Json:
        # IVS takes any participant id (a self-signed token's jti is unknown to it until it joins);
        # the participant can no longer join with that token.
        stage_arn = request["stageArn"]
        self._get(STAGE, stage_arn)
        pair = (stage_arn, request["participantId"])
        if pair not in self._state["disconnected"]:
            self._state["disconnected"].append(pair)
        return {}

    def _revoke_connection_token(self, request: Json) -> Json:
        if request["tokenId"] not in self._state["revokedTokens"]:
            self._state["revokedTokens"].append(request["tokenId"])
        return {}

    # -- sessions, participants and their events: no media, so none ---------------------------

    def _list_stage_sessions(self, request: Json) -> Json:
        return self._listing("ListStageSessions", request, "stageSessions", [])

    def _get_stage_session(self, request: Json) -> Json:
        self._get(STAGE, request["stageArn"])
        raise ServiceError("ResourceNotFoundException", f"Stage session not found: {request['sessionId']}")

    def _list_participants(self, request: Json) -> Json:
        given = [name for name in _PARTICIPANT_FILTERS if name in request]
        if len(given) > 1:
            raise ServiceError("ValidationException", f"Only one filter can be used at a time, got {', '.join(given)}")
        return self._listing("ListParticipants", request, "participants", [])

    def _get_participant(self, request: Json) -> Json:
        self._get(STAGE, request["stageArn"])
        raise ServiceError(
            "ResourceNotFoundException",
            f"Participant {request['participantId']} not found in stage session {request['sessionId']}",
        )

    def _list_participant_events(self, request: Json) -> Json:
        return self._listing("ListParticipantEvents", request, "events", [])

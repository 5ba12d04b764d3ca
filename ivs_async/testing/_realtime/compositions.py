"""Compositions (server-side composition of a stage to an IVS channel and/or S3), and their life.

A composition starts STARTING and becomes ACTIVE ``composition_starting_for`` seconds later. IVS
ends a composition a minute after its stage has no participants, and a stage never has any here
(no media reaches the emulator), so it stops by itself ``COMPOSITION_IDLE_TIMEOUT`` after it
started: STOPPED, with its end time. StopComposition makes it STOPPING, then STOPPED
``composition_stopping_for`` seconds later. Deleting its stage fails it (FAILED); a channel
destination whose channel is live fails it when it would start. A STOPPED or FAILED composition
can still be read for ``composition_retention`` seconds (IVS: "a few minutes"), then it is gone.
"""

from __future__ import annotations

import copy
from datetime import UTC, datetime

from ivs_async.testing._backend._core import Json, ServiceError, wire_time
from ivs_async.testing._realtime._core import (
    _ARN,
    COMPOSITION,
    ENCODER,
    RECORD_LIMITS,
    STAGE,
    STORAGE,
    RealTimeCore,
    canonical,
    pick,
)
from ivs_async.testing._realtime.configurations import ConfigurationsMixin, encoders_of

COMPOSITION_IDLE_TIMEOUT = 60.0  # seconds: IVS stops a composition whose stage has no participants
COMPOSITION_MAX_DURATION = 24 * 3600.0  # seconds: no composition lives longer
RUNNING = ("STARTING", "ACTIVE", "STOPPING")
_SUMMARY = ("arn", "stageArn", "destinations", "state", "tags", "startTime", "endTime")
_DESTINATION_SUMMARY = ("id", "state", "startTime", "endTime")
_GRID_DEFAULTS: Json = {
    "featuredParticipantAttribute": "",
    "omitStoppedVideo": False,
    "videoAspectRatio": "VIDEO",
    "gridGap": 2,
    "participantOrderAttribute": "",
}
_PIP_DEFAULTS: Json = {
    "featuredParticipantAttribute": "",
    "omitStoppedVideo": False,
    "videoFillMode": "COVER",
    "gridGap": 0,
    "pipParticipantAttribute": "",
    "pipBehavior": "STATIC",
    "pipOffset": 0,
    "pipPosition": "BOTTOM_RIGHT",
    "participantOrderAttribute": "",
}


class CompositionsMixin(ConfigurationsMixin, RealTimeCore):
    """StartComposition, StopComposition, GetComposition, ListCompositions, and the clock's part."""

    def _reset_timing(self) -> None:
        super()._reset_timing()
        self.composition_starting_for = 2.0
        self.composition_stopping_for = 2.0
        self.composition_retention = 300.0

    def _running_compositions(self) -> list[Json]:
        return [c for c in self._resources(COMPOSITION).values() if c["state"] in RUNNING]

    # -- the clock ----------------------------------------------------------------------------------

    def _settle(self) -> None:
        super()._settle()
        now = self.clock().timestamp()
        compositions = self._resources(COMPOSITION)
        for arn in list(compositions):
            self._advance(compositions[arn], now)
            timeline = self._state["lifecycles"][arn]
            if timeline.get("endedAt") is not None and now >= timeline["endedAt"] + self.composition_retention:
                self._forget(arn)
        self._keep_ended()

    def _advance(self, composition: Json, now: float) -> None:
        """Take every step of the composition's life that is due by ``now``, each at its own time."""
        timeline = self._state["lifecycles"][composition["arn"]]
        while True:
            state = composition["state"]
            if state == "STARTING" and now >= timeline["activeAt"]:
                self._activate(composition, timeline["activeAt"])
            elif state == "ACTIVE" and now >= timeline["stopsAt"]:
                self._end(composition, "STOPPED", timeline["stopsAt"])
            elif state == "STOPPING" and now >= timeline["stoppedAt"]:
                self._end(composition, "STOPPED", timeline["stoppedAt"])
            else:
                return

    def _activate(self, composition: Json, at: float) -> None:
        status = self.channel_status
        for destination in composition["destinations"]:
            channel = destination["configuration"].get("channel")
            if channel is not None and status is not None and status(channel["channelArn"]) == "LIVE":
                # The channel already has a stream: the output fails, and so does the composition.
                destination["state"] = "FAILED"
                destination["endTime"] = _time(at)
                self._end(composition, "FAILED", at)
                return
        for destination in composition["destinations"]:
            destination["state"] = "ACTIVE"
            destination["startTime"] = _time(at)
        composition["state"] = "ACTIVE"

    def _end(self, composition: Json, state: str, at: float) -> None:
        composition["state"] = state
        composition["endTime"] = _time(at)
        for destination in composition["destinations"]:
            if destination["state"] != "FAILED":
                destination["state"] = "STOPPED"
                destination["endTime"] = _time(at)
        self._state["lifecycles"][composition["arn"]]["endedAt"] = at

    def _forget(self, arn: str) -> None:
        del self._resources(COMPOSITION)[arn]
        del self._state["lifecycles"][arn]
        tokens = self._state["idempotency"]
        for token in [t for t, entry in tokens.items() if entry["arn"] == arn]:
            del tokens[token]

    def _keep_ended(self) -> None:
        """At most RECORD_LIMITS["endedCompositions"] ended compositions, the latest ended."""
        ended = [(t["endedAt"], arn) for arn, t in self._state["lifecycles"].items() if t.get("endedAt") is not None]
        if len(ended) <= RECORD_LIMITS["endedCompositions"]:
            return
        for _, arn in sorted(ended)[: len(ended) - RECORD_LIMITS["endedCompositions"]]:
            self._forget(arn)

    def _stage_deleted(self, arn: str) -> None:
        super()._stage_deleted(arn)
        now = self.clock().timestamp()
        for composition in self._running_compositions():
            if composition["stageArn"] == arn:
                self._end(composition, "FAILED", now)

    # -- operations ---------------------------------------------------------------------------------

    def _start_composition(self, request: Json) -> Json:
        stage_arn = request["stageArn"]
        token = request.get("idempotencyToken")
        asked = canonical({k: v for k, v in request.items() if k != "idempotencyToken"})
        if token is not None and token in self._state["idempotency"]:
            entry = self._state["idempotency"][token]
            if entry["request"] != asked:
                raise ServiceError(
                    "ConflictException", "idempotencyToken was used before with a different StartComposition request"
                )
            return {"composition": copy.deepcopy(self._resources(COMPOSITION)[entry["arn"]])}
        self._get(STAGE, stage_arn)
        destinations = [self._destination(stage_arn, d) for d in request["destinations"]]
        kinds = ["channel" if "channel" in d["configuration"] else "s3" for d in destinations]
        if len(kinds) != len(set(kinds)):
            raise ServiceError(
                "ValidationException", "destinations can hold at most one channel and one s3 destination"
            )
        running = self._running_compositions()
        if len(running) >= self.quotas.compositions:
            raise ServiceError(
                "ServiceQuotaExceededException",
                f"Request would exceed the quota of {self.quotas.compositions} compositions in {self.region}",
            )
        on_stage = sum(1 for c in running if c["stageArn"] == stage_arn)
        if on_stage >= self.quotas.compositions_per_stage:
            raise ServiceError(
                "ServiceQuotaExceededException",
                f"Request would exceed the quota of {self.quotas.compositions_per_stage} compositions per stage",
            )
        composition_id = self._id()
        arn = self._arn(COMPOSITION, composition_id)
        stage_id = stage_arn.rsplit("/", 1)[1]
        for destination in destinations:
            if "s3" in destination["configuration"]:
                prefix = f"{stage_id}/{composition_id}/{destination['id']}/composite"
                destination["detail"] = {"s3": {"recordingPrefix": prefix}}
        now = self.clock().timestamp()
        composition: Json = {
            "arn": arn,
            "stageArn": stage_arn,
            "state": "STARTING",
            "layout": _layout(request.get("layout")),
            "destinations": destinations,
            "tags": self._new_tags(request.get("tags")),
            "startTime": _time(now),
        }
        # No participant ever joins here, so the composition ends a minute after it started.
        starting = self.composition_starting_for
        self._state["lifecycles"][arn] = {
            "activeAt": now + starting,
            "stopsAt": now + min(max(COMPOSITION_IDLE_TIMEOUT, starting), COMPOSITION_MAX_DURATION),
            "stoppedAt": None,
            "endedAt": None,
        }
        self._add(COMPOSITION, composition)
        if token is not None:
            self._state["idempotency"][token] = {"request": asked, "arn": arn}
        self._advance(composition, now)
        return {"composition": copy.deepcopy(composition)}

    def _destination(self, stage_arn: str, given: Json) -> Json:
        channel, s3 = given.get("channel"), given.get("s3")
        if (channel is None) == (s3 is None):
            raise ServiceError("ValidationException", "Each destination must name exactly one of channel and s3")
        configuration: Json = {"name": given.get("name", "")}
        if channel is not None:
            self._check_channel(stage_arn, channel["channelArn"])
            configuration["channel"] = {"channelArn": channel["channelArn"]}
            if channel.get("encoderConfigurationArn"):
                self._get(ENCODER, channel["encoderConfigurationArn"])
                configuration["channel"]["encoderConfigurationArn"] = channel["encoderConfigurationArn"]
        else:
            assert s3 is not None
            self._get(STORAGE, s3["storageConfigurationArn"])
            for encoder in s3["encoderConfigurationArns"]:
                self._get(ENCODER, encoder)
            recording = {"format": "HLS", **copy.deepcopy(s3.get("recordingConfiguration") or {})}
            recording["hlsConfiguration"] = {"targetSegmentDurationSeconds": 2, **recording.get("hlsConfiguration", {})}
            configuration["s3"] = {
                "storageConfigurationArn": s3["storageConfigurationArn"],
                "encoderConfigurationArns": list(s3["encoderConfigurationArns"]),
                "recordingConfiguration": recording,
            }
            if "thumbnailConfigurations" in s3:
                configuration["s3"]["thumbnailConfigurations"] = [
                    {"targetIntervalSeconds": 60, "storage": ["SEQUENTIAL"], **copy.deepcopy(t)}
                    for t in s3["thumbnailConfigurations"]
                ]
        return {"id": self._id(), "state": "STARTING", "configuration": configuration}

    def _check_channel(self, stage_arn: str, channel_arn: str) -> None:
        stage, channel = _ARN.fullmatch(stage_arn), _ARN.fullmatch(channel_arn)
        assert stage is not None
        if channel is None or channel.group(1, 2) != stage.group(1, 2):
            raise ServiceError(
                "ValidationException", f"The channel must be in the stage's account and region: {channel_arn}"
            )
        if self.channel_status is not None and self.channel_status(channel_arn) is None:
            raise ServiceError("ResourceNotFoundException", f"Channel not found: {channel_arn}")

    def _get_composition(self, request: Json) -> Json:
        return {"composition": copy.deepcopy(self._get(COMPOSITION, request["arn"]))}

    def _stop_composition(self, request: Json) -> Json:
        composition = self._get(COMPOSITION, request["arn"])
        if composition["state"] in ("STARTING", "ACTIVE"):
            now = self.clock().timestamp()
            composition["state"] = "STOPPING"
            for destination in composition["destinations"]:
                destination["state"] = "STOPPING"
            self._state["lifecycles"][composition["arn"]]["stoppedAt"] = now + self.composition_stopping_for
            self._advance(composition, now)
        return {}

    def _list_compositions(self, request: Json) -> Json:
        stage, encoder = request.get("filterByStageArn"), request.get("filterByEncoderConfigurationArn")
        chosen = [
            (arn, _summary(c))
            for arn, c in self._resources(COMPOSITION).items()
            if (stage is None or c["stageArn"] == stage) and (encoder is None or encoder in encoders_of(c))
        ]
        return self._listing("ListCompositions", request, "compositions", chosen)


def _time(at: float) -> str:
    return wire_time(datetime.fromtimestamp(at, UTC))


def _layout(given: Json | None) -> Json:
    given = given or {}
    if "grid" in given and "pip" in given:
        raise ServiceError("ValidationException", "layout can be one of grid and pip, not both")
    if "pip" in given:
        return {"pip": {**_PIP_DEFAULTS, **copy.deepcopy(given["pip"])}}
    return {"grid": {**_GRID_DEFAULTS, **copy.deepcopy(given.get("grid") or {})}}


def _summary(composition: Json) -> Json:
    summary = pick(composition, _SUMMARY)
    summary["destinations"] = [pick(d, _DESTINATION_SUMMARY) for d in composition["destinations"]]
    return copy.deepcopy(summary)

"""Recording configurations, and where a live session records."""

from __future__ import annotations

from datetime import datetime

from ivs_async.testing._backend._core import (
    CHANNEL,
    RECORDING,
    BackendCore,
    Json,
    ServiceError,
    _parse_time,
)


class RecordingMixin(BackendCore):
    """Recording configurations, and where a live session records."""

    def _recording_location(self, channel: Json, session: Json) -> tuple[str, str]:
        """(bucket, key prefix) of a session's recording, laid out as IVS lays recordings out."""
        s3 = session["recordingConfiguration"]["destinationConfiguration"]["s3"]
        started = _parse_time(session["startTime"])
        channel_id = channel["arn"].rsplit("/", 1)[1]
        prefix = (
            f"ivs/v1/{self.account_id}/{channel_id}/{started.year}/{started.month}/"
            f"{started.day}/{started.hour}/{started.minute}/{session['streamId']}"
        )
        return s3["bucketName"], prefix

    def recording_location(self, channel_arn: str) -> tuple[str, str] | None:
        """Where the live session of ``channel_arn`` records, if its channel records."""
        with self.lock:
            live = self._state["live"].get(channel_arn)
            for session in self._state["sessions"].get(channel_arn, []):
                if live and session["streamId"] == live["streamId"] and "recordingConfiguration" in session:
                    return self._recording_location(self._resources(CHANNEL)[channel_arn], session)
        return None

    def _emit_recording(self, channel: Json, session: Json, status: str, now: datetime) -> None:
        started = _parse_time(session["startTime"])
        bucket, prefix = self._recording_location(channel, session)
        detail: Json = {
            "stream_id": session["streamId"],
            "recording_status": status,
            "recording_status_reason": "",
            "recording_s3_bucket_name": bucket,
            "recording_s3_key_prefix": prefix,
            "recording_session_id": session["streamId"],
            "recording_session_stream_ids": [session["streamId"]],
        }
        if status == "Recording End":
            detail["recording_duration_ms"] = int((now - started).total_seconds() * 1000)
        self._emit("IVS Recording State Change", channel, now, **detail)

    def _create_recording_configuration(self, request: Json) -> Json:
        self._check_quota(RECORDING)
        rendition = {"renditionSelection": "ALL", "renditions": [], **request.get("renditionConfiguration", {})}
        if rendition["renditionSelection"] == "CUSTOM" and not rendition["renditions"]:
            raise ServiceError(
                "ValidationException", "renditionConfiguration.renditions must list renditions when selection is CUSTOM"
            )
        thumbnails = {
            "recordingMode": "INTERVAL",
            "targetIntervalSeconds": 60,
            "storage": ["SEQUENTIAL"],
            **request.get("thumbnailConfiguration", {}),
        }
        configuration = {
            "arn": self._arn(RECORDING, self._token(12)),
            "name": request.get("name", ""),
            "destinationConfiguration": request["destinationConfiguration"],
            "recordingReconnectWindowSeconds": request.get("recordingReconnectWindowSeconds", 0),
            "renditionConfiguration": rendition,
            "thumbnailConfiguration": thumbnails,
            "state": "ACTIVE",
            "tags": self._new_tags(request.get("tags")),
        }
        if self.recording_creating_for > 0 or self.recording_outcome != "ACTIVE":
            configuration["state"] = "CREATING"
            ready = self.clock().timestamp() + self.recording_creating_for
            configuration["_settles"] = {"at": ready, "state": self.recording_outcome}
        if not configuration["destinationConfiguration"].get("s3"):
            raise ServiceError("ValidationException", "destinationConfiguration must name an s3 destination")
        return {"recordingConfiguration": self._add(RECORDING, configuration)}

    def _get_recording_configuration(self, request: Json) -> Json:
        return {"recordingConfiguration": self._settled(self._get(RECORDING, request["arn"]))}

    def _settled(self, configuration: Json) -> Json:
        """A CREATING configuration takes its outcome once its time has come (emulator clock)."""
        settles = configuration.get("_settles")
        if settles is not None and self.clock().timestamp() >= settles["at"]:
            configuration["state"] = settles["state"]
            del configuration["_settles"]
        return configuration

    def _delete_recording_configuration(self, request: Json) -> Json:
        return self._delete_referenced(RECORDING, "recordingConfigurationArn", request["arn"])

    def _list_recording_configurations(self, request: Json) -> Json:
        configurations = [(arn, self._settled(c)) for arn, c in self._resources(RECORDING).items()]
        return self._listing("ListRecordingConfigurations", request, "recordingConfigurations", configurations)

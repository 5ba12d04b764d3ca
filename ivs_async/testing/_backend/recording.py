"""Recording configurations, and where a live session records."""

from __future__ import annotations

import copy
from datetime import UTC, datetime

from ivs_async.testing._backend._core import (
    CHANNEL,
    RECORDING,
    BackendCore,
    Json,
    ServiceError,
    _event,
    parse_time,
    wire_time,
)


class RecordingMixin(BackendCore):
    """Recording configurations, and the recordings of live sessions.

    A recording has an id of its own (the last part of its S3 prefix) and a session id; a stream
    that starts within its configuration's ``recordingReconnectWindowSeconds`` after the last one
    ended joins it (same prefix, its stream id added), and its Recording End waits for the window
    to pass. ``settle()`` ends the recordings whose window has passed (LocalIvs calls it twice a
    second, and every request does).
    """

    def recording_of(self, channel_arn: str) -> Json | None:
        """A copy of the channel's open recording (``bucket``, ``prefix``, ``recordingId``,
        ``streamIds``, ``configuration``...), if it has one."""
        with self.lock:
            found = self._state["recordings"].get(channel_arn)
            return copy.deepcopy(found) if found is not None else None

    def settle(self) -> None:
        """End the recordings whose reconnect window has passed (emulator clock)."""
        try:
            with self.lock:
                self._settle()
        finally:
            self._publish()

    def _settle(self) -> None:
        now = self.clock()
        for arn, recording in list(self._state["recordings"].items()):
            closes = recording.get("closesAt")
            if closes is not None and now.timestamp() >= closes:
                self._close_recording(arn, now)

    def _record(self, channel: Json, session: Json, now: datetime) -> None:
        """A session of a recording channel starts: it joins the open recording within its window,
        or starts one (Recording Start)."""
        arn = channel["arn"]
        configuration = session["recordingConfiguration"]
        open_one = self._state["recordings"].get(arn)
        if open_one is not None:
            closes = open_one.get("closesAt")
            joins = open_one["configuration"]["arn"] == configuration["arn"] and len(open_one["streamIds"]) < 20
            if closes is not None and now.timestamp() < closes and joins:
                open_one["streamIds"].append(session["streamId"])
                open_one["closesAt"] = None
                return
            self._close_recording(arn, now)
        started = now.astimezone(UTC)
        recording_id = self._token(12)
        prefix = (
            f"ivs/v1/{self.account_id}/{arn.rsplit('/', 1)[1]}/{started.year}/{started.month}/"
            f"{started.day}/{started.hour}/{started.minute}/{recording_id}"
        )
        recording: Json = {
            "recordingId": recording_id,
            "sessionId": self._token(16),
            "bucket": configuration["destinationConfiguration"]["s3"]["bucketName"],
            "prefix": prefix,
            "configuration": copy.deepcopy(configuration),
            "streamIds": [session["streamId"]],
            "startedAt": wire_time(now),
            "durationMs": 0,
            "closesAt": None,
        }
        self._state["recordings"][arn] = recording
        session["truncatedEvents"].append(_event("Recording Start", "IVS Recording State Change", now))
        self._emit_recording(channel, recording, session["streamId"], "Recording Start", now)

    def _stop_recording(self, channel: Json, session: Json, now: datetime) -> None:
        """A recorded session ends: its recording ends now, or once its reconnect window has passed."""
        recording = self._state["recordings"].get(channel["arn"])
        if recording is None or session["streamId"] not in recording["streamIds"]:
            return
        started = parse_time(session["startTime"])
        recording["durationMs"] += max(0, int((now - started).total_seconds() * 1000))
        window = recording["configuration"].get("recordingReconnectWindowSeconds", 0)
        if window:
            recording["closesAt"] = now.timestamp() + window
        else:
            self._close_recording(channel["arn"], now)

    def fail_recording(self, channel_arn: str, recording_id: str) -> None:
        """Writing the recording failed (the emulator's disk): Recording End Failure, and it ends."""
        try:
            with self.lock:
                recording = self._state["recordings"].get(channel_arn)
                if recording is None or recording["recordingId"] != recording_id:
                    return
                recording["failed"] = True
                self._close_recording(channel_arn, self.clock())
        finally:
            self._publish()

    def _close_recording(self, channel_arn: str, now: datetime) -> None:
        recording = self._state["recordings"].pop(channel_arn)
        channel = self._resources(CHANNEL).get(channel_arn)
        last = recording["streamIds"][-1]
        for session in self._state["sessions"].get(channel_arn, []):
            if session["streamId"] == last:
                code = "InternalServerException" if recording.get("failed") else None
                session["truncatedEvents"].append(
                    _event(
                        "Recording End" if code is None else "Recording End Failure",
                        "IVS Recording State Change",
                        now,
                        code=code,
                    )
                )
        status = "Recording End Failure" if recording.get("failed") else "Recording End"
        if channel is not None:
            self._emit_recording(channel, recording, last, status, now)
        self._ended_recordings.append((channel_arn, recording))

    def _emit_recording(self, channel: Json, recording: Json, stream_id: str, status: str, now: datetime) -> None:
        failed = status.endswith("Failure")
        detail: Json = {
            "stream_id": stream_id,
            "recording_status": status,
            "recording_status_reason": "InternalServerException" if failed else "",
            "recording_s3_bucket_name": recording["bucket"],
            "recording_s3_key_prefix": recording["prefix"],
            "recording_duration_ms": recording["durationMs"] if status == "Recording End" else 0,
            "recording_session_id": recording["sessionId"],
            "recording_session_stream_ids": list(recording["streamIds"]),
        }
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

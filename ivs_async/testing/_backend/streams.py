"""Live streams: the broadcast simulation, GetStream/ListStreams/StopStream, sessions, timed metadata."""

from __future__ import annotations

import copy
import time
from collections import deque

from ivs_async.testing._backend._core import (
    _CHANNEL_REFS,
    CHANNEL,
    MAX_METADATA_BYTES,
    EmulatorError,
    Json,
    MetadataRecord,
    ServiceError,
    _event,
    _ingest_configuration,
    _multitrack_ingest,
    _session_summary,
    ingest_forms,
    parse_time,
    wire_time,
)
from ivs_async.testing._backend.recording import RecordingMixin


class StreamsMixin(RecordingMixin):  # a live session records when its channel does
    """Live streams: the broadcast simulation, GetStream/ListStreams/StopStream, sessions, timed metadata."""

    def start_stream(
        self, channel_arn: str, *, health: str = "HEALTHY", viewer_count: int = 0, ingest: Json | None = None
    ) -> str:
        try:
            return self._start_stream(channel_arn, health, viewer_count, ingest)
        finally:
            self._publish()

    def set_ingest(self, channel_arn: str, stream_id: str, ingest: Json) -> None:
        """The ingest configuration of a live session, as its encoder describes it."""
        with self.lock:
            for session in self._state["sessions"].get(channel_arn, []):
                if session["streamId"] == stream_id:
                    session.update(ingest_forms(ingest))
                    if session["channel"]["multitrackInputConfiguration"].get("enabled"):
                        session["ingestConfigurations"] = _multitrack_ingest()

    def live_stream_id(self, channel_arn: str) -> str | None:
        with self.lock:
            live = self._state["live"].get(channel_arn)
            return live["streamId"] if live else None

    def _start_stream(self, channel_arn: str, health: str, viewer_count: int, ingest: Json | None = None) -> str:
        with self.lock:
            channel = self._simulated_channel(channel_arn)
            if channel_arn in self._state["live"]:
                raise EmulatorError(f"{channel_arn} is already live")
            now = self.clock()
            stream_id = "st-" + self._token(23)
            self._state["live"][channel_arn] = {
                "channelArn": channel_arn,
                "streamId": stream_id,
                "state": "LIVE",
                "health": health,
                "viewerCount": viewer_count,
                "startTime": wire_time(now),
                # An encoder's stream ends with its connection, even one the emulator lost in a crash.
                "source": "simulated" if ingest is None else "ingest",
            }
            session: Json = {
                "streamId": stream_id,
                "startTime": wire_time(now),
                "channel": copy.deepcopy(channel),
                **ingest_forms(_ingest_configuration() if ingest is None else ingest),
                "truncatedEvents": [
                    _event("Session Created", "IVS Stream State Change", now),
                    _event("Stream Start", "IVS Stream State Change", now),
                ],
            }
            if channel["multitrackInputConfiguration"].get("enabled"):
                session["ingestConfigurations"] = _multitrack_ingest()
            for member, key in (
                ("recordingConfigurationArn", "recordingConfiguration"),
                ("failoverSlateConfigurationArn", "failoverSlateConfiguration"),
            ):
                ref = channel.get(member)
                if ref:
                    session[key] = copy.deepcopy(self._resources(_CHANNEL_REFS[member])[ref])
            for name in ("Session Created", "Stream Start"):
                self._emit("IVS Stream State Change", channel, now, event_name=name, stream_id=stream_id)
            self._state["sessions"].setdefault(channel_arn, []).append(session)
            self._keep_sessions()
            if "recordingConfiguration" in session:
                self._record(channel, session, now)
            return stream_id

    def end_stream(self, channel_arn: str, *, failure: str | None = None) -> None:
        try:
            with self.lock:
                self._simulated_channel(channel_arn)
                if channel_arn not in self._state["live"]:
                    raise EmulatorError(f"{channel_arn} is not live")
                self._end(channel_arn, failure)
        finally:
            self._publish()

    def end_abandoned_ingests(self) -> list[str]:
        """End the streams of encoders a previous run of the emulator had (their connections are gone:
        it stopped or crashed); simulated streams go on. The channels whose stream ended."""
        try:
            with self.lock:
                ended = [arn for arn, live in self._state["live"].items() if live.get("source") == "ingest"]
                for arn in ended:
                    self._end(arn, None)
                return ended
        finally:
            self._publish()

    def update_stream(self, channel_arn: str, *, health: str | None = None, viewer_count: int | None = None) -> None:
        try:
            self._update_stream(channel_arn, health, viewer_count)
        finally:
            self._publish()

    def _update_stream(self, channel_arn: str, health: str | None, viewer_count: int | None) -> None:
        with self.lock:
            live = self._state["live"].get(channel_arn)
            if live is None:
                raise EmulatorError(f"{channel_arn} is not live")
            if health is not None and health != live["health"] and "STARVING" in (health, live["health"]):
                name = "Starvation Start" if health == "STARVING" else "Starvation End"
                channel = self._simulated_channel(channel_arn)
                self._emit(
                    "IVS Stream Health Change", channel, self.clock(), event_name=name, stream_id=live["streamId"]
                )
            if health is not None:
                live["health"] = health
            if viewer_count is not None:
                live["viewerCount"] = viewer_count

    def metadata(self, channel_arn: str | None = None) -> list[MetadataRecord]:
        with self.lock:
            return [
                MetadataRecord(
                    channel_arn=r["channelArn"],
                    stream_id=r["streamId"],
                    payload=r["payload"],
                    received_at=parse_time(r["receivedAt"]),
                )
                for r in self._state["metadata"]
                if channel_arn is None or r["channelArn"] == channel_arn
            ]

    def is_live(self, channel_arn: str) -> bool:
        with self.lock:
            return channel_arn in self._state["live"]

    def has_channel(self, channel_arn: str) -> bool:
        with self.lock:
            return channel_arn in self._state["resources"][CHANNEL]

    def _end(self, channel_arn: str, failure: str | None) -> None:
        now = self.clock()
        live = self._state["live"].pop(channel_arn)
        session = self._state["sessions"][channel_arn][-1]
        events = session["truncatedEvents"]
        channel = self._resources(CHANNEL)[channel_arn]
        stream_id = live["streamId"]
        if failure is not None:
            events.append(_event("Stream Failure", "IVS Stream State Change", now, code=failure))
            self._emit(
                "IVS Stream State Change",
                channel,
                now,
                event_name="Stream Failure",
                stream_id=stream_id,
                code=failure,
                reason=f"the stream ended with {failure}",
            )
        events.append(_event("Stream End", "IVS Stream State Change", now))
        self._emit("IVS Stream State Change", channel, now, event_name="Stream End", stream_id=stream_id)
        if "recordingConfiguration" in session:
            self._stop_recording(channel, session, now)
        events.append(_event("Session Ended", "IVS Stream State Change", now))
        self._emit("IVS Stream State Change", channel, now, event_name="Session Ended", stream_id=stream_id)
        session["endTime"] = wire_time(now)
        self._metadata_times.pop(live["channelArn"], None)

    def _get_stream(self, request: Json) -> Json:
        stream = self._live(request["channelArn"])
        return {"stream": {**stream, "playbackUrl": self.playback_url(stream["channelArn"])}}

    def _list_streams(self, request: Json) -> Json:
        health = (request.get("filterBy") or {}).get("health")
        live = [(arn, s) for arn, s in self._state["live"].items() if health is None or s["health"] == health]
        return self._listing("ListStreams", request, "streams", live)

    def _stop_stream(self, request: Json) -> Json:
        self._live(request["channelArn"])
        self._end(request["channelArn"], None)
        return {}

    def _list_stream_sessions(self, request: Json) -> Json:
        channel_arn = request["channelArn"]
        self._get(CHANNEL, channel_arn)
        sessions = self._state["sessions"].get(channel_arn, [])
        # Newest first: keys count down from the latest session.
        items = [(f"{len(sessions) - i:09d}", _session_summary(s)) for i, s in enumerate(sessions)]
        return self._listing("ListStreamSessions", request, "streamSessions", items)

    def _get_stream_session(self, request: Json) -> Json:
        channel_arn = request["channelArn"]
        self._get(CHANNEL, channel_arn)
        sessions = self._state["sessions"].get(channel_arn, [])
        stream_id = request.get("streamId")
        if stream_id is None:
            if not sessions:
                raise ServiceError("ResourceNotFoundException", f"Channel has no stream sessions: {channel_arn}")
            return {"streamSession": self._public_session(sessions[-1])}
        for session in sessions:
            if session["streamId"] == stream_id:
                return {"streamSession": self._public_session(session)}
        raise ServiceError("ResourceNotFoundException", f"Stream session not found: {stream_id}")

    def _public_session(self, session: Json) -> Json:
        return {**session, "channel": self._public_channel(session["channel"])}

    def _put_metadata(self, request: Json) -> Json:
        channel_arn = request["channelArn"]
        payload: str = request["metadata"]
        size = len(payload.encode())
        if size > MAX_METADATA_BYTES:  # the request is checked before the channel is looked at
            raise ServiceError(
                "ValidationException", f"metadata must be at most {MAX_METADATA_BYTES} bytes, got {size} bytes"
            )
        live = self._live(channel_arn)
        now = time.monotonic()
        channel_times = self._metadata_times.setdefault(channel_arn, deque())
        for times in (channel_times, self._account_metadata_times):
            while times and now - times[0] >= 1.0:
                times.popleft()
        if len(channel_times) >= self.quotas.metadata_per_second_per_channel:
            raise ServiceError(
                "ThrottlingException",
                f"PutMetadata is limited to {self.quotas.metadata_per_second_per_channel} requests per second "
                "per channel",
            )
        if len(self._account_metadata_times) >= self.quotas.metadata_per_second_per_account:
            raise ServiceError(
                "ThrottlingException",
                f"PutMetadata is limited to {self.quotas.metadata_per_second_per_account} requests per second "
                "per account",
            )
        channel_times.append(now)
        self._account_metadata_times.append(now)
        self._state["metadata"].append(
            {
                "channelArn": channel_arn,
                "streamId": live["streamId"],
                "payload": payload,
                "receivedAt": wire_time(self.clock()),
            }
        )
        self._keep("metadata")
        if self.metadata_listener is not None:
            self.metadata_listener(channel_arn, live["streamId"], payload)  # into the live stream's segments
        return {}

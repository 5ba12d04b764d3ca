"""What the control API shows of the account at a glance (``GET /_ivs_local/channels`` and
``/recordings``, the dashboard's views): channels with their live stream and latest session, and
recordings. Secrets stay out: no stream key values, no SRT passphrases, no key material.
"""

from __future__ import annotations

import copy

from ivs_async.testing._backend._core import CHANNEL, KEY_PAIR, STREAM_KEY, BackendCore, Json

# What a channel shows of itself: its settings and references, never its SRT passphrase.
_CHANNEL_SHOWN = (
    "arn",
    "name",
    "latencyMode",
    "type",
    "authorized",
    "insecureIngest",
    "containerFormat",
    "preset",
    "recordingConfigurationArn",
    "playbackRestrictionPolicyArn",
)
# What a session shows: its times, the encoder's stream and its events (not the channel copy,
# which holds the SRT passphrase).
_SESSION_SHOWN = ("streamId", "startTime", "endTime", "ingestConfiguration", "ingestConfigurations", "truncatedEvents")
_RECORDING_STATES = {"Recording Start": "RECORDING", "Recording End": "ENDED", "Recording End Failure": "FAILED"}


class OverviewMixin(BackendCore):
    """The account at a glance, without its secrets."""

    def channel_overview(self) -> list[Json]:
        """Every channel, by name then ARN: its settings, URLs, stream key ARNs, state (``LIVE`` or
        ``OFFLINE``), its live stream (``stream``) and its latest session (``session``)."""
        with self.lock:
            keys: dict[str, list[str]] = {}
            for key in self._resources(STREAM_KEY).values():
                keys.setdefault(key["channelArn"], []).append(key["arn"])
            found = []
            for arn, channel in self._resources(CHANNEL).items():
                live = self._state["live"].get(arn)
                sessions = self._state["sessions"].get(arn) or []
                item: Json = {name: copy.deepcopy(channel.get(name)) for name in _CHANNEL_SHOWN}
                item.update(
                    playbackUrl=self.playback_url(arn),
                    ingestEndpoint=self.ingest_host,
                    streamKeyArns=sorted(keys.get(arn, [])),
                    state="LIVE" if live else "OFFLINE",
                    stream=copy.deepcopy(live) if live else None,
                    session=(
                        {name: copy.deepcopy(sessions[-1][name]) for name in _SESSION_SHOWN if name in sessions[-1]}
                        if sessions
                        else None
                    ),
                )
                found.append(item)
            return sorted(found, key=lambda c: (c["name"], c["arn"]))

    def recording_overview(self) -> list[Json]:
        """The recordings the latest events name (and those still open), newest first: channel,
        bucket, prefix, state (``RECORDING``, ``ENDED``, ``FAILED``), times and stream ids."""
        with self.lock:
            names = {arn: c["name"] for arn, c in self._resources(CHANNEL).items()}
            found: dict[str, Json] = {}
            for event in list(self.events.recent):
                detail = event["detail"]
                state = _RECORDING_STATES.get(detail.get("recording_status", ""))
                if event["detail-type"] != "IVS Recording State Change" or state is None:
                    continue
                prefix = detail["recording_s3_key_prefix"]
                recording = found.setdefault(
                    prefix,
                    {
                        "channelArn": event["resources"][0],
                        "channelName": detail.get("channel_name", ""),
                        "bucket": detail["recording_s3_bucket_name"],
                        "prefix": prefix,
                        "sessionId": detail["recording_session_id"],
                        "startedAt": event["time"] if state == "RECORDING" else None,
                        "endedAt": None,
                    },
                )
                recording["state"] = state
                recording["streamIds"] = list(detail["recording_session_stream_ids"])
                if state != "RECORDING":
                    recording["endedAt"] = event["time"]
                    recording["durationMs"] = detail.get("recording_duration_ms", 0)
            for arn, open_one in self._state["recordings"].items():
                recording = found.setdefault(
                    open_one["prefix"],
                    {
                        "channelArn": arn,
                        "channelName": names.get(arn, ""),
                        "bucket": open_one["bucket"],
                        "prefix": open_one["prefix"],
                        "sessionId": open_one["sessionId"],
                        "startedAt": open_one["startedAt"],
                        "endedAt": None,
                    },
                )
                recording.update(state="RECORDING", streamIds=list(open_one["streamIds"]))
            return sorted(found.values(), key=lambda r: r["startedAt"] or "", reverse=True)

    def key_pair_with_fingerprint(self, fingerprint: str) -> str | None:
        """The ARN of the imported playback key pair with this fingerprint, if there is one."""
        with self.lock:
            for arn, pair in self._resources(KEY_PAIR).items():
                if pair["fingerprint"] == fingerprint:
                    return arn
        return None

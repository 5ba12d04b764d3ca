"""Channels and their stream keys."""

from __future__ import annotations

import copy

from ivs_async.testing._backend._core import (
    _ADVANCED,
    _CHANNEL_REFS,
    _CHANNEL_SETTINGS,
    CHANNEL,
    STREAM_KEY,
    Json,
    ServiceError,
)
from ivs_async.testing._backend.recording import RecordingMixin


class ChannelsMixin(RecordingMixin):  # deleting a channel ends its recording
    """Channels and their stream keys."""

    def channel_for_stream_key(self, value: str) -> str | None:
        """The channel a stream key value belongs to (what an encoder publishes with), if any."""
        with self.lock:
            for key in self._resources(STREAM_KEY).values():
                if key.get("value") == value:
                    found: str = key["channelArn"]
                    return found
        return None

    def _apply_channel_settings(self, channel: Json, request: Json) -> None:
        for member in _CHANNEL_SETTINGS:
            if member in request:
                channel[member] = copy.deepcopy(request[member])
        for member, kind in _CHANNEL_REFS.items():
            ref = channel.get(member) or ""
            channel[member] = ref
            if ref:
                self._get(kind, ref)
        if channel["type"] in _ADVANCED:
            channel["preset"] = channel.get("preset") or "HIGHER_BANDWIDTH_DELIVERY"
        elif request.get("preset"):
            raise ServiceError(
                "ValidationException", "preset can be set only for ADVANCED_SD and ADVANCED_HD channel types"
            )
        else:
            channel["preset"] = ""
        multitrack = {"enabled": False, "maximumResolution": "FULL_HD", "policy": "ALLOW"}
        multitrack.update(channel.get("multitrackInputConfiguration") or {})
        channel["multitrackInputConfiguration"] = multitrack
        if multitrack["enabled"]:
            if channel["type"] != "STANDARD":
                raise ServiceError("ValidationException", "multitrack input is available only on STANDARD channels")
            if channel["containerFormat"] != "FRAGMENTED_MP4":
                raise ServiceError("ValidationException", "multitrack input requires containerFormat FRAGMENTED_MP4")

    def _create_channel(self, request: Json) -> Json:
        self._check_quota(CHANNEL)
        channel: Json = {
            "arn": self._arn(CHANNEL, self._token(12)),
            "name": "",
            "latencyMode": "LOW",
            "type": "STANDARD",
            "authorized": False,
            "insecureIngest": False,
            "containerFormat": "TS",
            # ingestEndpoint, playbackUrl and srt.endpoint are added as each answer is made.
            "srt": {"passphrase": self._secret(32)},
        }
        self._apply_channel_settings(channel, request)
        channel["tags"] = self._new_tags(request.get("tags"))
        self._add(CHANNEL, channel)
        stream_key = self._new_stream_key(channel["arn"], {})
        return {"channel": self._public_channel(channel), "streamKey": stream_key}

    def _get_channel(self, request: Json) -> Json:
        return {"channel": self._public_channel(self._get(CHANNEL, request["arn"]))}

    def _batch_get_channel(self, request: Json) -> Json:
        found = self._batch(CHANNEL, request["arns"], "channels")
        found["channels"] = [self._public_channel(channel) for channel in found["channels"]]
        return found

    def _update_channel(self, request: Json) -> Json:
        arn = request["arn"]
        channel = copy.deepcopy(self._get(CHANNEL, arn))
        if arn in self._state["live"]:
            raise ServiceError("ConflictException", f"Channel is live and cannot be updated: {arn}")
        self._apply_channel_settings(channel, request)
        return {"channel": self._public_channel(self._add(CHANNEL, channel))}

    def _delete_channel(self, request: Json) -> Json:
        arn = request["arn"]
        self._get(CHANNEL, arn)
        if arn in self._state["live"]:
            raise ServiceError("ConflictException", f"Channel is live and cannot be deleted: {arn}")
        if arn in self._state["recordings"]:  # in its reconnect window: the recording ends now
            self._close_recording(arn, self.clock())
        del self._resources(CHANNEL)[arn]
        for key_arn, key in list(self._resources(STREAM_KEY).items()):
            if key["channelArn"] == arn:
                del self._resources(STREAM_KEY)[key_arn]
        self._state["sessions"].pop(arn, None)
        return {}

    def _list_channels(self, request: Json) -> Json:
        filters = {
            name: request[name]
            for name in (
                "filterByName",
                "filterByRecordingConfigurationArn",
                "filterByPlaybackRestrictionPolicyArn",
                "filterByAdConfigurationArn",
                "filterByFailoverSlateConfigurationArn",
            )
            if request.get(name)
        }
        if len(filters) > 1:
            raise ServiceError(
                "ConflictException", f"Only one filter can be used at a time, got {', '.join(sorted(filters))}"
            )
        member = {
            "filterByName": "name",
            "filterByRecordingConfigurationArn": "recordingConfigurationArn",
            "filterByPlaybackRestrictionPolicyArn": "playbackRestrictionPolicyArn",
            "filterByAdConfigurationArn": "adConfigurationArn",
            "filterByFailoverSlateConfigurationArn": "failoverSlateConfigurationArn",
        }
        channels = self._resources(CHANNEL).items()
        chosen = [(arn, c) for arn, c in channels if all(c.get(member[f]) == v for f, v in filters.items())]
        return self._listing("ListChannels", request, "channels", chosen)

    def _new_stream_key(self, channel_arn: str, tags: dict[str, str] | None) -> Json:
        key_id = self._token(12)
        key = {
            "arn": self._arn(STREAM_KEY, key_id),
            "channelArn": channel_arn,
            "value": f"sk_{self.region}_{self._secret(12)}_{self._secret(24)}",
            "tags": self._new_tags(tags),
        }
        return self._add(STREAM_KEY, key)

    def _create_stream_key(self, request: Json) -> Json:
        channel_arn = request["channelArn"]
        self._get(CHANNEL, channel_arn)
        count = sum(1 for key in self._resources(STREAM_KEY).values() if key["channelArn"] == channel_arn)
        if count >= self.quotas.stream_keys_per_channel:
            raise ServiceError(
                "ServiceQuotaExceededException",
                f"Request would exceed the quota of {self.quotas.stream_keys_per_channel} stream keys per channel",
            )
        return {"streamKey": self._new_stream_key(channel_arn, request.get("tags"))}

    def _get_stream_key(self, request: Json) -> Json:
        return {"streamKey": self._get(STREAM_KEY, request["arn"])}

    def _batch_get_stream_key(self, request: Json) -> Json:
        return self._batch(STREAM_KEY, request["arns"], "streamKeys")

    def _delete_stream_key(self, request: Json) -> Json:
        self._get(STREAM_KEY, request["arn"])
        del self._resources(STREAM_KEY)[request["arn"]]
        return {}

    def _list_stream_keys(self, request: Json) -> Json:
        channel_arn = request["channelArn"]
        self._get(CHANNEL, channel_arn)
        keys = [(arn, key) for arn, key in self._resources(STREAM_KEY).items() if key["channelArn"] == channel_arn]
        return self._listing("ListStreamKeys", request, "streamKeys", keys)

"""Ads: ad configurations, ad breaks, failover slates."""

from __future__ import annotations

import copy

from ivs_async.testing._backend._core import (
    AD_CONFIGURATION,
    CHANNEL,
    FAILOVER_SLATE,
    AdBreakRecord,
    BackendCore,
    Json,
    ServiceError,
    parse_time,
    wire_time,
)


class AdsMixin(BackendCore):
    """Ads: ad configurations, ad breaks, failover slates."""

    def ad_breaks(self, channel_arn: str | None = None) -> list[AdBreakRecord]:
        with self.lock:
            return [
                AdBreakRecord(
                    channel_arn=r["channelArn"],
                    stream_id=r["streamId"],
                    ad_break_id=r["adBreakId"],
                    duration_seconds=r["durationSeconds"],
                    target_start_at=parse_time(r["targetStartAt"]),
                )
                for r in self._state["adBreaks"]
                if channel_arn is None or r["channelArn"] == channel_arn
            ]

    def _create_ad_configuration(self, request: Json) -> Json:
        self._check_quota(AD_CONFIGURATION)
        configuration = {
            "arn": self._arn(AD_CONFIGURATION, self._token(12)),
            "name": request.get("name", ""),
            "mediaTailorPlaybackConfigurations": request["mediaTailorPlaybackConfigurations"],
            "tags": self._new_tags(request.get("tags")),
        }
        if "postRollConfiguration" in request:
            configuration["postRollConfiguration"] = request["postRollConfiguration"]
        return {"adConfiguration": self._add(AD_CONFIGURATION, configuration)}

    def _get_ad_configuration(self, request: Json) -> Json:
        return {"adConfiguration": self._get(AD_CONFIGURATION, request["arn"])}

    def _update_ad_configuration(self, request: Json) -> Json:
        configuration = copy.deepcopy(self._get(AD_CONFIGURATION, request["arn"]))
        for member in ("name", "mediaTailorPlaybackConfigurations", "postRollConfiguration"):
            if member in request:
                configuration[member] = request[member]
        return {"adConfiguration": self._add(AD_CONFIGURATION, configuration)}

    def _delete_ad_configuration(self, request: Json) -> Json:
        return self._delete_referenced(AD_CONFIGURATION, "adConfigurationArn", request["arn"])

    def _list_ad_configurations(self, request: Json) -> Json:
        return self._listing(
            "ListAdConfigurations", request, "adConfigurations", self._resources(AD_CONFIGURATION).items()
        )

    def _insert_ad_break(self, request: Json) -> Json:
        channel_arn = request["channelArn"]
        live = self._live(channel_arn)
        if not self._resources(CHANNEL)[channel_arn]["adConfigurationArn"]:
            raise ServiceError("ConflictException", f"Channel has no ad configuration: {channel_arn}")
        ad_break_id = request.get("adBreakId") or self._token(12)
        start = request.get("targetStartAt")
        target = wire_time(parse_time(start) if start is not None else self.clock())
        self._state["adBreaks"].append(
            {
                "channelArn": channel_arn,
                "streamId": live["streamId"],
                "adBreakId": ad_break_id,
                "durationSeconds": request["durationSeconds"],
                "targetStartAt": target,
            }
        )
        self._keep("adBreaks")
        return {"adBreakId": ad_break_id, "targetStartAt": target}

    def _create_failover_slate_configuration(self, request: Json) -> Json:
        self._check_quota(FAILOVER_SLATE)
        configuration: Json = {
            "arn": self._arn(FAILOVER_SLATE, self._token(12)),
            "name": "",
            # IVS's defaults for what the request leaves out.
            "activationThresholdSeconds": 3,
            "minSlateDisplaySeconds": 3,
            "maxSlateDisplaySeconds": 60,
            "state": "CREATED",
            "tags": self._new_tags(request.get("tags")),
        }
        configuration.update({m: request[m] for m in self._SLATE_SETTINGS if m in request})
        return {"failoverSlateConfiguration": self._add(FAILOVER_SLATE, configuration)}

    def _get_failover_slate_configuration(self, request: Json) -> Json:
        return {"failoverSlateConfiguration": self._get(FAILOVER_SLATE, request["arn"])}

    def _update_failover_slate_configuration(self, request: Json) -> Json:
        configuration = copy.deepcopy(self._get(FAILOVER_SLATE, request["arn"]))
        configuration.update({m: request[m] for m in self._SLATE_SETTINGS if m in request})
        return {"failoverSlateConfiguration": self._add(FAILOVER_SLATE, configuration)}

    def _delete_failover_slate_configuration(self, request: Json) -> Json:
        return self._delete_referenced(FAILOVER_SLATE, "failoverSlateConfigurationArn", request["arn"])

    def _list_failover_slate_configurations(self, request: Json) -> Json:
        return self._listing(
            "ListFailoverSlateConfigurations",
            request,
            "failoverSlateConfigurations",
            self._resources(FAILOVER_SLATE).items(),
        )

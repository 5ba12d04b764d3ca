"""The per-account API call rates of IVS, IVS Chat and IVS Real-Time: the tables the rate
limiter paces to and the emulator enforces.

Source: Amazon IVS Low-Latency Streaming User Guide, "IVS Service Quotas", table "API Call Rate
Quotas" (https://docs.aws.amazon.com/ivs/latest/LowLatencyUserGuide/service-quotas.html), read on
2026-12-01. These quotas are per account and region, and not adjustable.
"""

from __future__ import annotations

from types import MappingProxyType

# Calls per second per account, as published.
PUBLISHED: MappingProxyType[str, int] = MappingProxyType(
    {
        # Channel
        "BatchGetChannel": 5,
        "CreateChannel": 5,
        "DeleteChannel": 5,
        "GetChannel": 5,
        "ListChannels": 5,
        "UpdateChannel": 5,
        # Playback restriction policy
        "CreatePlaybackRestrictionPolicy": 5,
        "DeletePlaybackRestrictionPolicy": 5,
        "GetPlaybackRestrictionPolicy": 5,
        "ListPlaybackRestrictionPolicies": 5,
        "UpdatePlaybackRestrictionPolicy": 5,
        # Private channel
        "DeletePlaybackKeyPair": 3,
        "GetPlaybackKeyPair": 3,
        "ImportPlaybackKeyPair": 3,
        "ListPlaybackKeyPairs": 3,
        "BatchStartViewerSessionRevocation": 2,
        "StartViewerSessionRevocation": 10,
        # Recording configuration
        "CreateRecordingConfiguration": 3,
        "DeleteRecordingConfiguration": 3,
        "GetRecordingConfiguration": 3,
        "ListRecordingConfigurations": 3,
        # Stream (PutMetadata has its own pair of limits below)
        "GetStream": 5,
        "GetStreamSession": 5,
        "ListStreams": 5,
        "ListStreamSessions": 5,
        "StopStream": 5,
        # Stream key
        "BatchGetStreamKey": 5,
        "CreateStreamKey": 5,
        "DeleteStreamKey": 5,
        "GetStreamKey": 5,
        "ListStreamKeys": 5,
        # Tags
        "ListTagsForResource": 10,
        "TagResource": 10,
        "UntagResource": 10,
    }
)

# Operations the published table does not list (added to the API after it): the rate of the
# resource families they resemble, 5 per second. Assumed, not published.
ASSUMED: MappingProxyType[str, int] = MappingProxyType(
    {
        "CreateAdConfiguration": 5,
        "DeleteAdConfiguration": 5,
        "GetAdConfiguration": 5,
        "ListAdConfigurations": 5,
        "UpdateAdConfiguration": 5,
        "InsertAdBreak": 5,
        "CreateFailoverSlateConfiguration": 5,
        "DeleteFailoverSlateConfiguration": 5,
        "GetFailoverSlateConfiguration": 5,
        "ListFailoverSlateConfigurations": 5,
        "UpdateFailoverSlateConfiguration": 5,
    }
)

API_RATES: MappingProxyType[str, int] = MappingProxyType({**PUBLISHED, **ASSUMED})

# IVS Chat: Amazon IVS Chat User Guide, "IVS Chat Service Quotas", "API Call Rate Quotas"
# (https://docs.aws.amazon.com/ivs/latest/ChatUserGuide/service-quotas.html), read on 2026-12-06.
CHAT_RATES: MappingProxyType[str, int] = MappingProxyType(
    {
        "DeleteMessage": 100,
        "DisconnectUser": 100,
        "SendEvent": 100,
        "CreateChatToken": 200,
        "CreateLoggingConfiguration": 3,
        "DeleteLoggingConfiguration": 3,
        "GetLoggingConfiguration": 3,
        "ListLoggingConfigurations": 3,
        "UpdateLoggingConfiguration": 3,
        "CreateRoom": 5,
        "DeleteRoom": 5,
        "GetRoom": 5,
        "ListRooms": 5,
        "UpdateRoom": 5,
        "ListTagsForResource": 10,
        "TagResource": 10,
        "UntagResource": 10,
    }
)

# IVS Real-Time: Amazon IVS Real-Time Streaming User Guide, "Service Quotas", "API Call Rate
# Quotas" (https://docs.aws.amazon.com/ivs/latest/RealTimeUserGuide/service-quotas.html), read
# on 2026-12-06. The participant replication operations are not in the table: not paced.
REALTIME_RATES: MappingProxyType[str, int] = MappingProxyType(
    {
        **dict.fromkeys(("GetComposition", "ListCompositions", "StartComposition", "StopComposition"), 5),
        **dict.fromkeys(
            (
                "CreateIngestConfiguration",
                "DeleteIngestConfiguration",
                "GetIngestConfiguration",
                "ListIngestConfigurations",
                "UpdateIngestConfiguration",
            ),
            5,
        ),
        **dict.fromkeys(
            (
                "CreateEncoderConfiguration",
                "DeleteEncoderConfiguration",
                "GetEncoderConfiguration",
                "ListEncoderConfigurations",
            ),
            5,
        ),
        **dict.fromkeys(("DeletePublicKey", "GetPublicKey", "ImportPublicKey", "ListPublicKeys"), 3),
        "CreateParticipantToken": 50,
        **dict.fromkeys(
            (
                "CreateStage",
                "DeleteStage",
                "DisconnectParticipant",
                "GetParticipant",
                "GetStage",
                "GetStageSession",
                "ListStages",
                "UpdateStage",
                "ListParticipants",
                "ListParticipantEvents",
                "ListStageSessions",
            ),
            5,
        ),
        **dict.fromkeys(
            (
                "CreateStorageConfiguration",
                "DeleteStorageConfiguration",
                "GetStorageConfiguration",
                "ListStorageConfigurations",
            ),
            5,
        ),
        "ListTagsForResource": 10,
        "TagResource": 10,
        "UntagResource": 10,
    }
)

# Each service's table, by its endpoint key (ivs_async._core.service.Service.endpoint_key).
RATES_BY_SERVICE: MappingProxyType[str, MappingProxyType[str, int]] = MappingProxyType(
    {"ivs": API_RATES, "ivschat": CHAT_RATES, "ivs_realtime": REALTIME_RATES}
)

# PutMetadata: 5 calls per second per channel and 155 per account (same table).
METADATA_PER_CHANNEL = 5
METADATA_PER_ACCOUNT = 155

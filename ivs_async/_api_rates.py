"""IVS's per-account API call rates: the one table the rate limiter paces to and the emulator enforces.

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

# PutMetadata: 5 calls per second per channel and 155 per account (same table).
METADATA_PER_CHANNEL = 5
METADATA_PER_ACCOUNT = 155

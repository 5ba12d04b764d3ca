"""Where a ListChannels(50) response's parsing time goes (CPU, best of 5 rounds).

    python benchmarks/model_cost.py

Backs the README's explanation of the ListChannels ratio: json.loads alone, our generated
reader (and the cattrs one it replaced), a hand-written reader of the same models, the cost
of one frozen vs one mutable attrs instance with ChannelSummary's twelve members, and orjson's
decoding of the page when the speedups extra is installed.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import attrs
from server import LIST_CHANNELS

from ivs_async._protocol.converter import _WIRE, structure_hook
from ivs_async.models import ChannelLatencyMode, ChannelSummary, ChannelType, ListChannelsResponse, TranscodePreset

ROUNDS, CALLS = 5, 3000
structure = structure_hook(ListChannelsResponse)
by_cattrs = _WIRE.get_structure_hook(ListChannelsResponse)
_ENUMS = {
    "latencyMode": ChannelLatencyMode._value2member_map_,
    "type": ChannelType._value2member_map_,
    "preset": TranscodePreset._value2member_map_,
}


def hand_written(o: dict[str, Any]) -> ListChannelsResponse:
    def enum(key: str, item: dict[str, Any]) -> Any:
        value = item.get(key)
        return _ENUMS[key].get(value, value) if type(value) is str else value

    def summary(c: dict[str, Any]) -> ChannelSummary:
        g = c.get
        return ChannelSummary(
            ad_configuration_arn=g("adConfigurationArn"), arn=g("arn"), authorized=g("authorized"),
            failover_slate_configuration_arn=g("failoverSlateConfigurationArn"), insecure_ingest=g("insecureIngest"),
            latency_mode=enum("latencyMode", c), name=g("name"),
            playback_restriction_policy_arn=g("playbackRestrictionPolicyArn"), preset=enum("preset", c),
            recording_configuration_arn=g("recordingConfigurationArn"), tags=g("tags"), type=enum("type", c),
        )  # fmt: skip

    return ListChannelsResponse(channels=[summary(c) for c in o["channels"]], next_token=o.get("nextToken"))


@attrs.define(kw_only=True)
class MutableSummary:
    ad_configuration_arn: Any = None
    arn: Any = None
    authorized: Any = None
    failover_slate_configuration_arn: Any = None
    insecure_ingest: Any = None
    latency_mode: Any = None
    name: Any = None
    playback_restriction_policy_arn: Any = None
    preset: Any = None
    recording_configuration_arn: Any = None
    tags: Any = None
    type: Any = None


def best_us(fn: Callable[[], object], calls: int = CALLS) -> float:
    for _ in range(200):
        fn()
    rounds = []
    for _ in range(ROUNDS):
        start = time.process_time()
        for _ in range(calls):
            fn()
        rounds.append((time.process_time() - start) / calls * 1e6)
    return min(rounds)


def main() -> None:
    members = {a.name: f"v{i}" for i, a in enumerate(attrs.fields(MutableSummary))}
    loads = best_us(lambda: json.loads(LIST_CHANNELS))
    ours = best_us(lambda: structure(json.loads(LIST_CHANNELS), ListChannelsResponse))
    cattrs_us = best_us(lambda: by_cattrs(json.loads(LIST_CHANNELS), ListChannelsResponse))
    hand = best_us(lambda: hand_written(json.loads(LIST_CHANNELS)))
    frozen = best_us(lambda: ChannelSummary(**members), 100_000)
    mutable = best_us(lambda: MutableSummary(**members), 100_000)
    print(f"json.loads of ListChannels(50):           {loads:7.1f} us")
    print(f"  + ivs_async reader (generated):         {ours - loads:7.1f} us")
    print(f"  + the cattrs reader it replaced:        {cattrs_us - loads:7.1f} us")
    print(f"  + hand-written reader:                  {hand - loads:7.1f} us")
    print(f"one frozen ChannelSummary:                {frozen:7.2f} us")
    print(f"one mutable attrs class, same members:    {mutable:7.2f} us")
    print(f"frozen tax for 50 items:                  {(frozen - mutable) * 50:7.1f} us")
    try:
        import orjson  # the speedups extra
    except ImportError:
        return
    fast = best_us(lambda: orjson.loads(LIST_CHANNELS))
    print(f"orjson.loads of the same page (speedups): {fast:7.1f} us ({loads / fast:.1f}x faster)")


if __name__ == "__main__":
    main()

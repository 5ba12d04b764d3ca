"""The defaults the reference gives members (codegen/descriptions/ivs.py DEFAULTS) are what the emulator
applies: each resource created with nothing optional holds the documented values."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from ivs_async import Ivs
from ivs_async.testing import LocalIvs

ROOT = Path(__file__).resolve().parent.parent.parent
sys.path.insert(0, str(ROOT / "codegen"))

from descriptions import ivs as descriptions  # noqa: E402

_S3 = {"s3": {"bucket_name": "recordings"}}


async def _channel(ivs: Ivs) -> dict[str, Any]:
    return (await ivs.create_channel()).to_dict()["channel"]


async def _multitrack(ivs: Ivs) -> dict[str, Any]:
    out = await ivs.create_channel(multitrack_input_configuration={})
    return out.to_dict()["channel"]["multitrackInputConfiguration"]


async def _recording(ivs: Ivs) -> dict[str, Any]:
    return (await ivs.create_recording_configuration(destination_configuration=_S3)).to_dict()["recordingConfiguration"]


async def _renditions(ivs: Ivs) -> dict[str, Any]:
    return (await _recording(ivs))["renditionConfiguration"]


async def _thumbnails(ivs: Ivs) -> dict[str, Any]:
    return (await _recording(ivs))["thumbnailConfiguration"]


async def _policy(ivs: Ivs) -> dict[str, Any]:
    return (await ivs.create_playback_restriction_policy()).to_dict()["playbackRestrictionPolicy"]


async def _slate(ivs: Ivs) -> dict[str, Any]:
    return (await ivs.create_failover_slate_configuration()).to_dict()["failoverSlateConfiguration"]


# Each structure whose defaults show in what it creates: how to create it with nothing optional.
CREATED: dict[str, Callable[[Ivs], Any]] = {
    "CreateChannelRequest": _channel,
    "MultitrackInputConfiguration": _multitrack,
    "CreateRecordingConfigurationRequest": _recording,
    "RenditionConfiguration": _renditions,
    "ThumbnailConfiguration": _thumbnails,
    "CreatePlaybackRestrictionPolicyRequest": _policy,
    "CreateFailoverSlateConfigurationRequest": _slate,
}
# Defaults no created resource shows (page sizes, revocation versions, which session to get):
# the reference states them; the emulator's own tests cover its behaviour.
NOT_STORED = {"GetStreamSessionRequest", "StartViewerSessionRevocationRequest"}
NOT_STORED |= {"BatchStartViewerSessionRevocationViewerSession"}


def checked() -> list[tuple[str, str, object]]:
    found = []
    for key, value in descriptions.DEFAULTS.items():
        structure, wire = key.split(".")
        if structure in CREATED and not isinstance(value, descriptions.Prose):
            found.append((structure, wire, value))
    return found


def test_every_default_is_checked_here_or_said_not_to_be_stored() -> None:
    for key in descriptions.DEFAULTS:
        structure, wire = key.split(".")
        assert structure in CREATED or structure in NOT_STORED or wire == "maxResults", key
    assert len(checked()) >= 15


@pytest.mark.parametrize(("structure", "wire", "value"), checked())
async def test_the_emulator_applies_the_documented_default(structure: str, wire: str, value: object) -> None:
    async with LocalIvs() as emulator, emulator.aggregated_client() as ivs:
        created = await CREATED[structure](ivs)
    assert created.get(wire) == value, (structure, wire, created)

"""The README's claim that keyword arguments are checked by a type checker (mypy here)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SNIPPET = """
from ivs_async import Ivs, IvsClient
from ivs_async.commands import (
    CreateChannelCommand,
    CreateRecordingConfigurationCommand,
    GetChannelCommand,
    ListChannelsCommand,
)
from ivs_async.models import ChannelLatencyMode, DestinationConfiguration, ListChannelsResponse
from ivs_async.playback import create_token


async def use(ivs: Ivs) -> None:
    GetChannelCommand(arn="arn")
    CreateChannelCommand(name="demo", latency_mode=ChannelLatencyMode.LOW)
    out = await ivs.get_channel(arn="arn")
    reveal_type(out)
    GetChannelCommand(arnn="arn")  # error: unknown member
    GetChannelCommand()  # error: required member missing
    CreateChannelCommand(insecure_ingest="yes")  # error: wrong type
    await ivs.list_channels(max_results="5")  # error: wrong type
    create_token("pem", "arn", expires_in=60, viewer_id="v", single_use=True)
    create_token("pem", "arn", expires_in=60, viewer="v")  # error: unknown option
    create_token("pem", "arn")  # error: expires_in missing


async def user_code(client: IvsClient, ivs: Ivs) -> None:
    print(await client.send(ListChannelsCommand()))  # any output is an object
    anything: object = await client.send(ListChannelsCommand())
    exact = await client.send(ListChannelsCommand())
    page: ListChannelsResponse = exact
    CreateChannelCommand(latency_mode="LOW", type="BASIC", preset="HIGHER_BANDWIDTH_DELIVERY")
    CreateChannelCommand(latency_mode="MEDIUM")  # error: not a ChannelLatencyMode value
    await ivs.create_channel(type="BASICX")  # error: not a ChannelType value
    CreateRecordingConfigurationCommand(
        destination_configuration={"s3": {"bucket_name": "b"}},
        thumbnail_configuration={"recording_mode": "INTERVAL", "target_interval_seconds": 60},
    )
    await ivs.create_recording_configuration(destination_configuration={"s3": {"bucket": "b"}})  # error: key
    CreateRecordingConfigurationCommand(  # error: no variant (model or members) takes the next line's value
        destination_configuration=DestinationConfiguration(s3={"bucket_name": "b"}),
        thumbnail_configuration={"recording_mode": "SOMETIMES"},  # not a RecordingMode value
    )
    print(anything, page)
"""


def test_mypy_checks_command_and_method_keywords(tmp_path: Path) -> None:
    source = tmp_path / "use_ivs.py"
    source.write_text(SNIPPET)
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", str(source)],
        capture_output=True,
        text=True,
    )
    lines = [line for line in result.stdout.splitlines() if "use_ivs.py" in line]
    errors = {int(line.split(":")[1]) for line in lines if ": error:" in line}
    expected = {n for n, line in enumerate(SNIPPET.splitlines(), start=1) if "# error" in line}
    assert errors == expected, result.stdout
    assert any("GetChannelResponse" in line for line in lines if ": note:" in line), result.stdout


def test_mypy_accepts_a_ready_model_or_the_members_and_sequences_of_dicts(tmp_path: Path) -> None:
    source = tmp_path / "ready.py"
    source.write_text(
        "from ivs_async import Ivs\n"
        "from ivs_async.commands import GetChannelCommand\n"
        "from ivs_async.models import GetChannelRequest\n"
        "from ivs_async.realtime import IvsRealTime\n"
        "from ivs_async.realtime.models import DestinationConfigurationDict, ListParticipantsRequest\n"
        "from ivs_async.realtime.paginators import paginate_list_participants\n\n\n"
        "async def main(ivs: Ivs, rt: IvsRealTime) -> None:\n"
        "    GetChannelCommand(GetChannelRequest(arn='x'))\n"
        "    await ivs.get_channel(GetChannelRequest(arn='x'))\n"
        "    destinations: list[DestinationConfigurationDict] = [{'channel': {'channel_arn': 'a'}}]\n"
        "    await rt.start_composition(stage_arn='s', destinations=destinations)\n"
        "    paginate_list_participants(rt, ListParticipantsRequest(stage_arn='s', session_id='x'))\n"
        "    GetChannelCommand()  # E: the members are required without a model\n"
        "    GetChannelCommand(GetChannelRequest(arn='x'), arn='y')  # E: not both\n"
    )
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", str(source)], capture_output=True, text=True
    )
    errors = [line for line in result.stdout.splitlines() if ": error:" in line]
    assert [int(line.split(":")[1]) for line in errors] == [15, 16], result.stdout

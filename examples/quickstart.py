"""ivs_async quickstart: a channel's life, from creation to clean-up.

    python examples/quickstart.py                       # against the embedded emulator (offline)
    python examples/quickstart.py --region us-west-2    # against real IVS (credentials as the AWS CLI finds them)
    python examples/quickstart.py --profile work        # a profile of ~/.aws/config (SSO, roles, keys...)

With no arguments it starts LocalIvs in this process and simulates the broadcast. Against real
IVS, start an encoder on the printed ingest endpoint when asked (or pass --no-broadcast).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import sys
import time
from collections.abc import AsyncIterator

from ivs_async import Ivs, IvsError, paginators
from ivs_async.errors import ChannelNotBroadcasting
from ivs_async.models import DestinationConfiguration, S3DestinationConfiguration
from ivs_async.testing import LocalIvs

# A P-384 public key made for this example (its private half was thrown away). Real private
# channels import the public half of a key pair they keep.
PUBLIC_KEY = """-----BEGIN PUBLIC KEY-----
MHYwEAYHKoZIzj0CAQYFK4EEACIDYgAEDCHMhMUBsuUlIZmh+gR9a/RkGemrE2mw
/UKmzrWGoJldfkBux1hPwFlDLvsVf/OR15+suuKb9IVKkdSmzB1nwlOnrQ5+YE2/
WDP0EGt8b5b1gMxtZZyDjM+TNAAzEMEN
-----END PUBLIC KEY-----
"""


def step(text: str) -> None:
    print(f"\n== {text}", flush=True)


@contextlib.asynccontextmanager
async def target(args: argparse.Namespace) -> AsyncIterator[tuple[Ivs, LocalIvs | None]]:
    """The client to use, and the emulator behind it when there is one."""
    if args.endpoint is None and args.region is None and args.profile is None:
        async with LocalIvs() as emulator:
            print(f"Using the embedded IVS emulator at {emulator.endpoint} ({emulator.region})")
            async with Ivs(region=emulator.region, endpoint=emulator.endpoint, credentials=emulator.credentials) as ivs:
                yield ivs, emulator
    else:
        async with Ivs(region=args.region, endpoint=args.endpoint, profile=args.profile) as ivs:
            print(f"Using IVS at {ivs.config.endpoint.url if ivs.config.endpoint else '?'} ({ivs.config.region})")
            yield ivs, None


async def wait_until_live(ivs: Ivs, channel_arn: str, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            await ivs.get_stream(channel_arn=channel_arn)
            return True
        except ChannelNotBroadcasting:
            await asyncio.sleep(2)
    return False


async def walk(ivs: Ivs, emulator: LocalIvs | None, args: argparse.Namespace) -> None:
    suffix = time.strftime("%Y%m%d%H%M%S")
    created: list[tuple[str, str]] = []  # (kind, arn), deleted in reverse order at the end
    try:
        step("Create a recording configuration")
        recording = (
            await ivs.create_recording_configuration(
                name=f"quickstart-{suffix}",
                destination_configuration=DestinationConfiguration(
                    s3=S3DestinationConfiguration(bucket_name=args.bucket)
                ),
            )
        ).recording_configuration
        assert recording is not None and recording.arn is not None
        created.append(("recording", recording.arn))
        print(f"recording configuration {recording.arn}: state {recording.state}")

        step("Create a channel that records to it")
        answer = await ivs.create_channel(
            name=f"quickstart-{suffix}",
            latency_mode="LOW",
            type="STANDARD",
            recording_configuration_arn=recording.arn,
            tags={"project": "ivs-async-quickstart"},
        )
        channel, stream_key = answer.channel, answer.stream_key
        assert channel is not None and channel.arn is not None and stream_key is not None
        created.append(("channel", channel.arn))
        print(f"channel {channel.arn}")
        print(f"  ingest: rtmps://{channel.ingest_endpoint}:443/app/")
        print(f"  playback: {channel.playback_url}")

        step("Read the stream key (never printed in full)")
        key = (await ivs.get_stream_key(arn=stream_key.arn or "")).stream_key
        print(f"stream key {key}")

        step("Broadcast")
        if emulator is not None:
            stream_id = emulator.start_stream(channel.arn)
            print(f"simulated an encoder connecting: stream {stream_id}")
            live = True
        elif args.no_broadcast:
            live = False
        else:
            print(f"start your encoder on the ingest endpoint above; waiting up to {args.wait:.0f} s")
            live = await wait_until_live(ivs, channel.arn, args.wait)
        if live:
            stream = (await ivs.get_stream(channel_arn=channel.arn)).stream
            assert stream is not None
            print(f"live: stream {stream.stream_id}, health {stream.health}, started {stream.start_time}")

            step("Send timed metadata")
            for n in range(3):
                payload = json.dumps({"question": n + 1, "text": f"Poll #{n + 1}"})
                await ivs.put_metadata(channel_arn=channel.arn, metadata=payload)
                print(f"sent {payload}")
                await asyncio.sleep(0.25)  # IVS allows 5 PutMetadata calls per second per channel
            if emulator is not None:
                print(f"the emulator received {len(emulator.metadata(channel.arn))} metadata payloads")

            step("List live streams and this channel's sessions (paginators)")
            async for summary in paginators.paginate_list_streams(ivs, page_size=10).items():
                print(f"live stream {summary.stream_id} on {summary.channel_arn}, {summary.viewer_count} viewers")
            if emulator is not None:
                emulator.end_stream(channel.arn)
                print("simulated the encoder disconnecting")
            else:
                await ivs.stop_stream(channel_arn=channel.arn)
                print("stopped the stream")
        else:
            print("not live: skipping metadata and stream listing")
        async for session in paginators.paginate_list_stream_sessions(ivs, channel_arn=channel.arn).items():
            print(f"session {session.stream_id}: {session.start_time} - {session.end_time or 'now'}")

        step("Tag and untag the channel")
        await ivs.tag_resource(resource_arn=channel.arn, tags={"stage": "demo", "owner": "quickstart"})
        await ivs.untag_resource(resource_arn=channel.arn, tag_keys=["owner"])
        tags = (await ivs.list_tags_for_resource(resource_arn=channel.arn)).tags
        print(f"tags now: {tags}")

        step("Import a playback key pair (for private channels)")
        pair = (
            await ivs.import_playback_key_pair(public_key_material=PUBLIC_KEY, name=f"quickstart-{suffix}")
        ).key_pair
        assert pair is not None and pair.arn is not None
        created.append(("key pair", pair.arn))
        print(f"key pair {pair.arn}, fingerprint {pair.fingerprint}")
    finally:
        step("Clean up")
        for kind, arn in reversed(created):
            try:
                if kind == "channel":
                    await ivs.delete_channel(arn=arn)
                elif kind == "recording":
                    await ivs.delete_recording_configuration(arn=arn)
                else:
                    await ivs.delete_playback_key_pair(arn=arn)
                print(f"deleted {kind} {arn}")
            except IvsError as exc:
                print(f"could not delete {kind} {arn}: {exc}", file=sys.stderr)


async def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--endpoint", help="IVS endpoint URL (default: the embedded emulator)")
    parser.add_argument("--region", help="AWS region, for real IVS (default: the embedded emulator)")
    parser.add_argument("--profile", help="shared config profile, for real IVS (default: the embedded emulator)")
    parser.add_argument("--bucket", default="ivs-async-quickstart-recordings", help="S3 bucket for recordings")
    parser.add_argument("--wait", type=float, default=120.0, help="seconds to wait for your encoder (real IVS)")
    parser.add_argument("--no-broadcast", action="store_true", help="real IVS: skip the broadcast steps")
    args = parser.parse_args(argv)
    try:
        async with target(args) as (ivs, emulator):
            await walk(ivs, emulator, args)
    except IvsError as exc:
        print(f"\nfailed: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    print("\nDone.")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))

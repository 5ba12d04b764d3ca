"""ivs_async watch party: a chat room with moderation, and a stage for co-hosts.

    python examples/watch_party.py                       # against the embedded emulator (offline)
    python examples/watch_party.py --region us-west-2    # against real IVS (credentials as the AWS CLI finds them)

It creates an IVS Chat room, lets two viewers chat through the chat messaging WebSocket
(ChatRoom), moderates from the backend (SendEvent, DeleteMessage, DisconnectUser), then creates an
IVS Real-Time stage with participant tokens for two co-hosts, and deletes what it made.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
import time
from collections.abc import AsyncIterator

from ivs_async import IvsError
from ivs_async.chat import (
    ChatEvent,
    ChatMessage,
    ChatRoom,
    DeletedMessage,
    IvsChat,
    TokenProvider,
    UserDisconnected,
)
from ivs_async.chat.models import ChatTokenCapabilityValue, CreateChatTokenResponse
from ivs_async.realtime import IvsRealTime
from ivs_async.testing import LocalIvs


def step(text: str) -> None:
    print(f"\n== {text}", flush=True)


@contextlib.asynccontextmanager
async def clients(args: argparse.Namespace) -> AsyncIterator[tuple[IvsChat, IvsRealTime, str]]:
    """The two clients, and where ChatRoom connects (the region, or the emulator's chat URL)."""
    if args.region is None and args.profile is None:
        async with LocalIvs() as emulator:
            print(f"Using the embedded emulator at {emulator.endpoint} ({emulator.region})")
            async with emulator.chat_client() as chat, emulator.realtime_client() as realtime:
                yield chat, realtime, emulator.chat_url
    else:
        async with (
            IvsChat(region=args.region, profile=args.profile) as chat,
            IvsRealTime(region=args.region, profile=args.profile) as realtime,
        ):
            yield chat, realtime, chat.config.region or ""


async def chat_part(chat: IvsChat, chat_url: str, suffix: str) -> None:
    step("Create a chat room")
    room = await chat.create_room(name=f"watch-party-{suffix}", maximum_message_length=200)
    assert room.arn is not None
    print(f"room {room.arn}: up to {room.maximum_message_rate_per_second} messages a second")
    try:

        def provider(user: str, *capabilities: ChatTokenCapabilityValue) -> TokenProvider:
            # Called at each (re)connection: a fresh single-use token for this user.
            async def token() -> CreateChatTokenResponse:
                return await chat.create_chat_token(
                    room_identifier=room.arn or "",
                    user_id=user,
                    capabilities=list(capabilities),
                    attributes={"display_name": user.title()},
                )

            return token

        step("Two viewers join and chat")
        async with (
            ChatRoom(chat_url, provider("ana", "SEND_MESSAGE")) as ana,
            ChatRoom(chat_url, provider("bo", "SEND_MESSAGE")) as bo,
        ):
            hello = await ana.send_message("hello from Ana", attributes={"emoji": "wave"})
            await bo.send_message("hi Ana!")
            for _ in range(2):
                item = await anext(aiter(ana))
                if isinstance(item, ChatMessage):
                    print(f"Ana sees {item.sender.user_id}: {item.content!r} {dict(item.attributes)}")

            step("Moderate from the backend")
            await chat.send_event(room_identifier=room.arn, event_name="app:poll", attributes={"question": "Tea?"})
            await chat.delete_message(room_identifier=room.arn, id=hello.id, reason="off topic")
            await chat.disconnect_user(room_identifier=room.arn, user_id="ana", reason="time out")
            async for item in bo:  # the two messages first, then what the backend did
                if isinstance(item, ChatEvent):
                    print(f"Bo sees event {item.event_name} {dict(item.attributes)}")
                elif isinstance(item, DeletedMessage):
                    print(f"Bo sees message {item.message_id} deleted ({item.reason})")
                elif isinstance(item, UserDisconnected):
                    print(f"Bo sees {item.user_id} disconnected ({item.reason})")
                    break
    finally:
        await chat.delete_room(identifier=room.arn)
        print(f"deleted room {room.arn}")


async def stage_part(realtime: IvsRealTime, suffix: str) -> None:
    step("Create a stage with two co-host tokens")
    created = await realtime.create_stage(
        name=f"watch-party-{suffix}",
        participant_token_configurations=[
            {"user_id": "host-1", "capabilities": ["PUBLISH", "SUBSCRIBE"], "duration": 60},
            {"user_id": "host-2", "capabilities": ["PUBLISH", "SUBSCRIBE"], "duration": 60},
        ],
    )
    stage = created.stage
    assert stage is not None and stage.arn is not None
    try:
        print(f"stage {stage.arn}")
        for token in created.participant_tokens or []:
            print(f"  token for {token.user_id} (participant {token.participant_id}), expires {token.expiration_time}")
        viewer = await realtime.create_participant_token(
            stage_arn=stage.arn, user_id="viewer", capabilities=["SUBSCRIBE"]
        )
        assert viewer.participant_token is not None
        print(f"a viewer's token: participant {viewer.participant_token.participant_id}")
    finally:
        await realtime.delete_stage(arn=stage.arn)
        print(f"deleted stage {stage.arn}")


async def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--region", help="AWS region, for real IVS (default: the embedded emulator)")
    parser.add_argument("--profile", help="shared config profile, for real IVS (default: the embedded emulator)")
    args = parser.parse_args(argv)
    suffix = time.strftime("%Y%m%d%H%M%S")
    try:
        async with clients(args) as (chat, realtime, chat_url):
            await chat_part(chat, chat_url, suffix)
            await stage_part(realtime, suffix)
    except IvsError as exc:
        print(f"\nfailed: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    print("\nDone.")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))

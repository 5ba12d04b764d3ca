"""How fast IVS Local's chat socket fans messages out to ChatRooms, all on 127.0.0.1.

    python benchmarks/chat_fanout.py [--listeners 50] [--messages 500]

One room; one ChatRoom sends ``--messages`` messages as fast as the room lets it (rate limits
raised out of the way), each awaited until it comes back; ``--listeners`` ChatRooms iterate. Prints
the sender's round trip (send to its own message back) and the delivery delay at the listeners
(send to arrival), median and 99th percentile, and messages delivered per second in all.
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
import statistics
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from aiohttp import web

from ivs_async.chat import ChatMessage, ChatRoom
from ivs_async.testing._chat import ChatRefused, ChatSession, ChatSocket, RoomSettings
from ivs_async.testing._limits import Limits, Peers

ROOM = "arn:aws:ivschat:us-west-2:123456789012:room/bench0000000"


class Tokens:
    """A chat backend of one room whose tokens never expire."""

    def __init__(self) -> None:
        self.sessions: dict[str, ChatSession] = {}

    def issue(self, user_id: str) -> str:
        token = secrets.token_urlsafe(32)
        self.sessions[token] = ChatSession(
            room_arn=ROOM,
            user_id=user_id,
            session_expiration_time=datetime.now(UTC) + timedelta(hours=1),
            capabilities=frozenset({"SEND_MESSAGE"}),
        )
        return token

    def redeem(self, token: str) -> ChatSession:
        if token not in self.sessions:
            raise ChatRefused(401, "unknown token")
        return self.sessions[token]

    def room(self, room_arn: str) -> RoomSettings | None:
        return RoomSettings(maximum_message_rate_per_second=1_000_000)


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))]


async def main(listeners: int, messages: int) -> None:
    tokens = Tokens()
    limits = Limits(chat_connections_per_address=listeners + 10, chat_frames_per_second=1_000_000)
    socket = ChatSocket(tokens, Peers(limits), clock=lambda: datetime.now(UTC))

    async def route(request: web.Request) -> web.StreamResponse:
        return await socket.handle(request)

    app = web.Application()
    app.router.add_get("/", route)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    url = f"ws://127.0.0.1:{runner.addresses[0][1]}"

    def provider(user: str) -> Callable[[], Awaitable[str]]:
        async def token() -> str:
            return tokens.issue(user)

        return token

    rooms = [ChatRoom(url, provider(f"listener-{n}"), max_queue=messages + 10) for n in range(listeners)]
    sender = ChatRoom(url, provider("sender"), send_rate=1_000_000, max_queue=messages + 10)
    for room in [*rooms, sender]:
        await room.connect()
    delays: list[float] = []

    async def listen(room: ChatRoom) -> None:
        seen = 0
        async for item in room:
            if isinstance(item, ChatMessage):
                delays.append(time.perf_counter() - float(item.attributes["t"]))
                seen += 1
                if seen == messages:
                    return

    tasks = [asyncio.create_task(listen(room)) for room in rooms]
    round_trips = []
    started = time.perf_counter()
    for n in range(messages):
        sent = time.perf_counter()
        await sender.send_message(f"message {n}", attributes={"t": repr(sent)})
        round_trips.append(time.perf_counter() - sent)
    await asyncio.gather(*tasks)
    elapsed = time.perf_counter() - started
    for room in [*rooms, sender]:
        await room.close()
    await socket.shutdown()
    await runner.cleanup()
    ms = 1000.0
    print(f"{listeners} listeners, {messages} messages, {elapsed:.2f} s")
    print(
        f"sender round trip: median {statistics.median(round_trips) * ms:.2f} ms,"
        f" p99 {percentile(round_trips, 0.99) * ms:.2f} ms"
    )
    print(
        f"delivery to listeners: median {statistics.median(delays) * ms:.2f} ms,"
        f" p99 {percentile(delays, 0.99) * ms:.2f} ms; {len(delays) / elapsed:,.0f} deliveries/s"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--listeners", type=int, default=50)
    parser.add_argument("--messages", type=int, default=500)
    arguments = parser.parse_args()
    asyncio.run(main(arguments.listeners, arguments.messages))

"""The official JavaScript client, amazon-ivs-chat-messaging, under Node, and ChatRoom in one room of
IVS Local's chat socket: each receives the other's messages with their attributes, in order, and
both see the control plane's DeleteMessage, SendEvent and DisconnectUser as events.

The package (and ws, a WebSocket for Nodes without one) comes from the npm registry at the first
run, into ``.cache/chat-js`` (never committed: it is AWS's, under AWS's terms). Outside CI, a machine
without Node or npm skips this test and says why; in CI (``CI`` set) that is a failure.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, NoReturn

import pytest

from ivs_async.chat import ChatEvent, ChatMessage, ChatRoom, DeletedMessage, UserDisconnected
from tests.chat.conftest import ChatServer
from tests.chat.test_messaging import take
from tests.support.npm import npm_install
from tests.support.npm import unavailable as _unavailable

ROOT = Path(__file__).resolve().parents[2]
JS_DIR = ROOT / ".cache" / "chat-js"
PACKAGES = ("amazon-ivs-chat-messaging@1.1.1", "ws@8.23.1")
SCRIPT = Path(__file__).parent / "js" / "room.cjs"


def unavailable(reason: str) -> NoReturn:
    _unavailable("the JS chat client test", reason)


@pytest.fixture(scope="session")
def node_packages() -> Path:
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        unavailable("Node.js and npm are not installed on this machine")
    npm_install(JS_DIR, PACKAGES, "the JS chat client test")
    return JS_DIR / "node_modules"


def node_flags(implementation: str) -> list[str]:
    """What makes ``implementation`` the global WebSocket: Node's own (22+, or 20 with a flag), or ws."""
    if implementation == "ws":
        return []
    for flags in ([], ["--experimental-websocket"]):
        probe = subprocess.run(
            ["node", *flags, "-e", "process.exit(typeof WebSocket === 'function' ? 0 : 1)"],
            capture_output=True,
            check=False,
        )
        if probe.returncode == 0:
            return flags
    pytest.skip("this Node has no WebSocket of its own (the ws variant of this test runs)")


class JsPeer:
    """The Node process: its output events in order, and commands to it."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.events: list[dict[str, Any]] = []
        self._read = 0

    async def tell(self, value: dict[str, Any]) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write((json.dumps(value) + "\n").encode())
        await self.process.stdin.drain()

    async def expect(self, event: str, within: float = 10.0) -> dict[str, Any]:
        """The next output of kind ``event`` (the ones before it stay in ``events``)."""
        assert self.process.stdout is not None
        async with asyncio.timeout(within):
            while True:
                while self._read < len(self.events):
                    found = self.events[self._read]
                    self._read += 1
                    if found["event"] == event:
                        return found
                line = await self.process.stdout.readline()
                if not line:
                    stderr = await self.process.stderr.read() if self.process.stderr else b""
                    raise AssertionError(f"node ended: {stderr.decode()[-2000:]}")
                self.events.append(json.loads(line))

    def of(self, event: str) -> list[dict[str, Any]]:
        return [e for e in self.events if e["event"] == event]


@pytest.fixture(params=["node", "ws"])
async def js_peer_factory(request: pytest.FixtureRequest, node_packages: Path) -> AsyncIterator[Any]:
    flags = node_flags(request.param)
    started: list[JsPeer] = []

    async def start(url: str, tokens: list[dict[str, str]]) -> JsPeer:
        env = {**os.environ, "NODE_PATH": str(node_packages), "CHAT_WEBSOCKET": request.param}
        process = await asyncio.create_subprocess_exec(
            "node", *flags, str(SCRIPT),
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=env,
        )  # fmt: skip
        peer = JsPeer(process)
        started.append(peer)
        await peer.tell({"url": url, "tokens": tokens})
        assert (await peer.expect("websocket"))["implementation"] == request.param
        return peer

    yield start
    for peer in started:
        if peer.process.returncode is None:
            peer.process.kill()
        await peer.process.wait()


async def test_the_official_js_client_and_chat_room_talk_in_one_room(
    chat_server: ChatServer, js_peer_factory: Any
) -> None:
    arn = chat_server.tokens.create_room(maximum_message_rate_per_second=100)
    tokens = [
        chat_server.tokens.issue(arn, "js-user", capabilities=["SEND_MESSAGE"], attributes={"client": "js"})
        for _ in range(2)
    ]
    js: JsPeer = await js_peer_factory(chat_server.url, tokens)
    await js.expect("connect")
    provider = chat_server.provider(arn, "py-user", capabilities=["SEND_MESSAGE"], attributes={"client": "python"})
    async with ChatRoom(chat_server.url, provider) as room:
        # In turn: three from Python, then three from JS.
        py_sent = [await room.send_message(f"py {n}", attributes={"n": str(n), "from": "python"}) for n in range(3)]
        for n in range(3):
            await js.tell({"cmd": "send", "content": f"js {n}", "attributes": {"n": str(n), "from": "js"}})
            assert (await js.expect("sent"))["requestId"]
        # Then both at once: each side sees the same order.
        for n in range(5):
            await js.tell({"cmd": "send", "content": f"js burst {n}", "attributes": {"n": str(n)}})
        burst = await asyncio.gather(*(room.send_message(f"py burst {n}", attributes={"n": str(n)}) for n in range(5)))
        for _ in range(5):
            await js.expect("sent")
        seen = await take(room, 16)
        for _ in range(16 - len(js.of("message"))):
            await js.expect("message")
        js_messages = js.of("message")

        assert all(isinstance(m, ChatMessage) for m in seen)
        messages = [m for m in seen if isinstance(m, ChatMessage)]
        assert [m.id for m in messages] == [m["id"] for m in js_messages]  # one order, for both
        assert [m.content for m in messages[:6]] == ["py 0", "py 1", "py 2", "js 0", "js 1", "js 2"]
        assert messages[:3] == py_sent and set(burst) <= set(messages)
        for mine, theirs in zip(messages, js_messages, strict=True):
            assert mine.content == theirs["content"]
            assert dict(mine.attributes) == theirs["attributes"]
            assert mine.sender.user_id == theirs["userId"]
            assert dict(mine.sender.attributes) == theirs["senderAttributes"]
            assert mine.request_id == theirs["requestId"]
            assert mine.send_time.isoformat(timespec="milliseconds").replace("+00:00", "Z") == theirs["sendTime"]
        js_in_python = [m for m in messages if m.sender.user_id == "js-user"]
        assert [m.content for m in js_in_python] == ["js 0", "js 1", "js 2", *(f"js burst {n}" for n in range(5))]
        assert dict(js_in_python[0].attributes) == {"n": "0", "from": "js"}
        assert dict(js_in_python[0].sender.attributes) == {"client": "js"}
        py_in_js = [m for m in js_messages if m["userId"] == "py-user"]
        assert [m["content"] for m in py_in_js] == ["py 0", "py 1", "py 2", *(f"py burst {n}" for n in range(5))]
        assert py_in_js[0]["attributes"] == {"n": "0", "from": "python"}
        assert py_in_js[0]["senderAttributes"] == {"client": "python"}

        # The control plane's DeleteMessage, SendEvent and DisconnectUser, as events on both sides.
        chat_server.socket.delete_message(arn, py_sent[0].id, reason="cleanup")
        chat_server.socket.send_event(arn, "quiz", {"question": "tea?"})
        chat_server.socket.disconnect_user(arn, "js-user", reason="bye")
        deleted, event, gone = await take(room, 3)
        assert isinstance(deleted, DeletedMessage) and (deleted.message_id, deleted.reason) == (
            py_sent[0].id,
            "cleanup",
        )
        assert isinstance(event, ChatEvent) and (event.event_name, dict(event.attributes)) == (
            "quiz",
            {"question": "tea?"},
        )
        assert isinstance(gone, UserDisconnected) and (gone.user_id, gone.reason) == ("js-user", "bye")
        assert (await js.expect("messageDelete")) == {
            "event": "messageDelete",
            "messageId": py_sent[0].id,
            "reason": "cleanup",
        }
        assert (await js.expect("event")) == {"event": "event", "eventName": "quiz", "attributes": {"question": "tea?"}}
        assert (await js.expect("userDisconnect")) == {"event": "userDisconnect", "userId": "js-user", "reason": "bye"}
        assert (await js.expect("disconnect"))["reason"] == "serverDisconnect"  # for good: no reconnect
        assert chat_server.tokens.redeemed["js-user"] == 1
        assert room.state == "open" and chat_server.socket.connections(arn) == ["py-user"]
    await js.tell({"cmd": "exit"})
    assert await asyncio.wait_for(js.process.wait(), 10) == 0


async def test_through_ivs_local_with_tokens_from_create_chat_token(js_peer_factory: Any) -> None:
    """The same two clients in a room of IVS Local: the room and the tokens from its Chat API
    (CreateRoom, CreateChatToken, signed HTTP), moderation by its DeleteMessage and DisconnectUser."""
    from ivs_async.testing import LocalIvs

    async with LocalIvs() as local, local.chat_client(max_attempts=1) as chat:
        room_arn = (await chat.create_room(name="interop", maximum_message_rate_per_second=100)).arn
        assert room_arn is not None

        async def token(user: str, origin: str) -> dict[str, str]:
            issued = await chat.create_chat_token(
                room_identifier=room_arn,
                user_id=user,
                capabilities=["SEND_MESSAGE", "DELETE_MESSAGE"],
                attributes={"client": origin},
            )
            return {k: str(v) for k, v in issued.to_dict().items()}

        js: JsPeer = await js_peer_factory(local.chat_url, [await token("js-user", "js")])
        await js.expect("connect")

        async def provider() -> Any:
            return await chat.create_chat_token(
                room_identifier=room_arn, user_id="py-user", capabilities=["SEND_MESSAGE"], attributes={"client": "py"}
            )

        async with ChatRoom(local.chat_url, provider) as room:
            mine = [await room.send_message(f"py {n}", attributes={"n": str(n)}) for n in range(3)]
            for n in range(3):
                await js.tell({"cmd": "send", "content": f"js {n}", "attributes": {"n": str(n)}})
                await js.expect("sent")
            seen = [m for m in await take(room, 6) if isinstance(m, ChatMessage)]
            for _ in range(6 - len(js.of("message"))):
                await js.expect("message")
            theirs = js.of("message")
            assert [m.content for m in seen] == ["py 0", "py 1", "py 2", "js 0", "js 1", "js 2"]
            assert [m["content"] for m in theirs] == [m.content for m in seen]  # one order, both sides
            assert [dict(m.attributes) for m in seen] == [m["attributes"] for m in theirs]
            assert dict(seen[3].sender.attributes) == {"client": "js"} and theirs[0]["senderAttributes"] == {
                "client": "py"
            }

            # The control plane, through the Chat API: events on both sides.
            await chat.delete_message(room_identifier=room_arn, id=mine[0].id, reason="cleanup")
            await chat.disconnect_user(room_identifier=room_arn, user_id="js-user", reason="bye")
            deleted, gone = await take(room, 2)
            assert isinstance(deleted, DeletedMessage) and (deleted.message_id, deleted.reason) == (
                mine[0].id,
                "cleanup",
            )
            assert isinstance(gone, UserDisconnected) and (gone.user_id, gone.reason) == ("js-user", "bye")
            assert (await js.expect("messageDelete"))["messageId"] == mine[0].id
            assert (await js.expect("userDisconnect")) == {
                "event": "userDisconnect",
                "userId": "js-user",
                "reason": "bye",
            }
            assert (await js.expect("disconnect"))["reason"] == "serverDisconnect"
        await js.tell({"cmd": "exit"})
        await asyncio.wait_for(js.process.wait(), 10)
    assert local.unexpected_errors == 0

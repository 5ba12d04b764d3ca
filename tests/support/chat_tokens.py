"""A chat backend for the chat socket's tests: rooms and tokens in memory, on a clock the test moves."""

from __future__ import annotations

import secrets
from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta

from ivs_async.testing._chat import ChatRefused, ChatSession, RoomSettings


class StubChatTokens:
    """ChatTokens for tests. Tokens open any number of connections until they expire."""

    def __init__(self) -> None:
        self.offset = timedelta()
        self.rooms: dict[str, RoomSettings] = {}
        self._tokens: dict[str, tuple[ChatSession, datetime]] = {}
        self.redeemed: Counter[str] = Counter()  # user id -> connections opened
        self._count = 0

    def clock(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += timedelta(seconds=seconds)

    def create_room(self, **settings: int) -> str:
        self._count += 1
        arn = f"arn:aws:ivschat:us-west-2:123456789012:room/room{self._count:08d}"
        self.rooms[arn] = RoomSettings(**settings)
        return arn

    def issue(
        self,
        room_arn: str,
        user_id: str,
        *,
        capabilities: Iterable[str] = (),
        attributes: Mapping[str, str] | None = None,
        session_seconds: float = 3600,
        token_seconds: float = 600,
    ) -> dict[str, str]:
        """CreateChatToken's output, in its wire form."""
        now = self.clock()
        token = secrets.token_urlsafe(48)  # letters, digits, "-" and "_": RFC 7230 token characters
        session_end = now + timedelta(seconds=session_seconds)
        session = ChatSession(
            room_arn=room_arn,
            user_id=user_id,
            session_expiration_time=session_end,
            capabilities=frozenset(capabilities),
            attributes=dict(attributes or {}),
        )
        token_end = now + timedelta(seconds=token_seconds)
        self._tokens[token] = (session, token_end)
        return {
            "token": token,
            "tokenExpirationTime": token_end.isoformat().replace("+00:00", "Z"),
            "sessionExpirationTime": session_end.isoformat().replace("+00:00", "Z"),
        }

    def redeem(self, token: str) -> ChatSession:
        found = self._tokens.get(token)
        if found is None:
            raise ChatRefused(401, "unknown chat token")
        session, token_end = found
        if token_end <= self.clock():
            raise ChatRefused(401, "the chat token has expired")
        if session.room_arn not in self.rooms:
            raise ChatRefused(404, "the chat room does not exist")
        self.redeemed[session.user_id] += 1
        return session

    def room(self, room_arn: str) -> RoomSettings | None:
        return self.rooms.get(room_arn)

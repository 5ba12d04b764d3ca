"""The chat tokens CreateChatToken issued and no connection has used up yet.

A token opens one connection (IVS Chat: "each token can be used only once"), until its
expiration time by the emulator's clock. Tokens are kept in the order they were issued, and
each lives as long as the others, so the expired ones are always at the front. At most
``limit`` are kept: beyond it the oldest is forgotten (it then opens nothing, like an expired one).
"""

from __future__ import annotations

from collections import OrderedDict
from datetime import datetime

import attrs

from ivs_async.testing._chat._tokens import ChatRefused, ChatSession

MAX_TOKENS = 10_000


@attrs.define(slots=True)
class _Issued:
    session: ChatSession
    expires: datetime
    used: bool = False


class IssuedTokens:
    """Tokens by value. Never shows them: no repr of its content, no token in any message."""

    def __init__(self, limit: int = MAX_TOKENS) -> None:
        self._limit = limit
        self._tokens: OrderedDict[str, _Issued] = OrderedDict()

    def __len__(self) -> int:
        return len(self._tokens)

    def __repr__(self) -> str:
        return f"<IssuedTokens: {len(self._tokens)}>"

    def add(self, token: str, session: ChatSession, expires: datetime, now: datetime) -> None:
        self.expire(now)
        self._tokens[token] = _Issued(session, expires)
        while len(self._tokens) > self._limit:
            self._tokens.popitem(last=False)

    def find(self, token: str, now: datetime) -> ChatSession:
        """The session ``token`` opens now, or ChatRefused(401); the token is not used up yet."""
        self.expire(now)
        issued = self._tokens.get(token)
        if issued is None:
            raise ChatRefused(401, "the chat token is not valid or has expired")
        if issued.expires <= now:  # expired behind one issued when the clock was later
            raise ChatRefused(401, "the chat token has expired")
        if issued.used:
            raise ChatRefused(401, "the chat token was already used; a connection needs a new token")
        return issued.session

    def use(self, token: str) -> None:
        issued = self._tokens.get(token)
        if issued is not None:
            issued.used = True

    def expire(self, now: datetime) -> None:
        while self._tokens:
            oldest = next(iter(self._tokens.values()))
            if oldest.expires > now:
                return
            self._tokens.popitem(last=False)

    def clear(self) -> None:
        self._tokens.clear()

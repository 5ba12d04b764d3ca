"""Finding 4 (Medium): IVS Local draws its secrets from random.Random (Mersenne Twister): chat
tokens (250 characters of a 64-letter alphabet, so each one is the top 6 bits of one MT output),
Real-Time ingest stream keys, and IVS stream keys and SRT passphrases, from the same generator as
the public ids (room, stage and channel ids). MT's state is linear in its outputs: a chat client
that is handed ~14 tokens of its own (a token endpoint that answers each reconnect) sees enough
bits to solve for the state and compute the tokens other users get next (moderators' included).
Not demonstrated end to end here; shown: the next token is a function of the generator's state.
Expected: secrets from `secrets` (as the Real-Time participant-token key already is, unseeded)."""

from __future__ import annotations

import random
import string

from ivs_async.testing import LocalIvs


async def test_the_next_chat_token_cannot_be_computed_from_the_id_generator() -> None:
    async with LocalIvs() as local, local.chat_client() as chat:
        room = await chat.create_room(name="r")
        assert room.arn is not None
        twin = random.Random()
        twin.setstate(local._chat._random.getstate())
        alphabet = string.ascii_letters + string.digits + "-_"
        predicted = "AQICAH" + "".join(twin.choice(alphabet) for _ in range(250))
        made = await chat.create_chat_token(room_identifier=room.arn, user_id="victim")
        assert (made.token == predicted) is False, "the chat token was computed from the id generator's state"

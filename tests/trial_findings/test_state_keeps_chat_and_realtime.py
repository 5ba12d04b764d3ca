"""Finding 2 (Medium): --state-dir (and snapshot()/load(), --save/--load) keep none of IVS Chat's
and IVS Real-Time's resources. The docs say "A restart keeps every resource"; a restart forgets
every room, logging configuration, stage and configuration, silently, while their ARNs live on in
the clients' own records (and a composition's channel destination survives, its stage does not)."""

from __future__ import annotations

import json
from pathlib import Path

from ivs_async.testing import LocalIvs


async def test_a_restart_with_the_same_state_dir_keeps_rooms_and_stages(tmp_path: Path) -> None:
    async with LocalIvs(state_dir=tmp_path) as local, local.chat_client() as chat, local.realtime_client() as rt:
        await chat.create_room(name="kept-room")
        await rt.create_stage(name="kept-stage")
    async with LocalIvs(state_dir=tmp_path) as local, local.chat_client() as chat, local.realtime_client() as rt:
        rooms = (await chat.list_rooms()).rooms or []
        stages = (await rt.list_stages()).stages or []
    assert [r.name for r in rooms] == ["kept-room"]
    assert [s.name for s in stages] == ["kept-stage"]


async def test_a_snapshot_holds_rooms_and_stages() -> None:
    async with LocalIvs() as local:
        async with local.chat_client() as chat, local.realtime_client() as rt:
            await chat.create_room(name="in-snapshot")
            await rt.create_stage(name="in-snapshot")
        text = local.snapshot()
    assert "in-snapshot" in json.dumps(json.loads(text))

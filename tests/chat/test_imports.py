"""ivs_async.chat's names: lazy (a program using only IvsClient never imports them) and typed."""

from __future__ import annotations

import pickle
import subprocess
import sys
from pathlib import Path

import ivs_async.chat
from ivs_async.chat import messaging


def run(code: str) -> str:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()


def test_ivs_clients_do_not_import_chat() -> None:
    code = (
        "import sys, ivs_async\n"
        "from ivs_async import IvsClient, Ivs\n"
        "IvsClient(region='us-west-2')\n"
        "print(sorted(m for m in sys.modules if m.startswith('ivs_async.chat')))"
    )
    assert run(code) == "[]"


def test_the_chat_package_loads_messaging_when_a_name_is_used() -> None:
    code = (
        "import sys, ivs_async.chat\n"
        "print('ivs_async.chat.messaging' in sys.modules)\n"
        "room = ivs_async.chat.ChatRoom\n"
        "print('ivs_async.chat.messaging' in sys.modules, room.__module__)"
    )
    assert run(code).split() == ["False", "True", "ivs_async.chat.messaging"]


def test_the_package_offers_the_clients_and_the_messaging_names() -> None:
    assert sorted(ivs_async.chat.__all__) == sorted([*messaging.__all__, "IvsChat", "IvsChatClient"])
    assert all(getattr(ivs_async.chat, name) is getattr(messaging, name) for name in messaging.__all__)
    assert ivs_async.chat.IvsChat.__module__ == ivs_async.chat.IvsChatClient.__module__ == "ivs_async.chat"
    assert issubclass(ivs_async.chat.IvsChat, ivs_async.chat.IvsChatClient)
    assert {"messaging", "commands", "models", "errors", "paginators"} <= set(dir(ivs_async.chat))


def test_mypy_accepts_every_name(tmp_path: Path) -> None:
    source = tmp_path / "names.py"
    source.write_text("".join(f"from ivs_async.chat import {name} as _{name}\n" for name in messaging.__all__))
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", str(source)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout


def test_chat_errors_live_in_ivs_async_errors_and_pickle() -> None:
    from ivs_async import errors

    samples = [
        errors.ChatError.from_frame(403, "no", id="AAAAAAAAAAAA", request_id="r"),
        errors.ChatError.from_frame(599, "new code", id="BBBBBBBBBBBB"),
        errors.ChatConnectionError("gone", status=503),
        errors.ChatClosedError("bye", code=1000),
        errors.ChatTimeoutError("late"),
        errors.ChatTokenError("token", "pattern", "bad characters"),
    ]
    for error in samples:
        copy = pickle.loads(pickle.dumps(error))
        assert type(copy) is type(error) and str(copy) == str(error)
        assert type(error).__module__ == "ivs_async.errors"
        assert getattr(messaging, type(error).__name__) is type(error)
    forbidden = pickle.loads(pickle.dumps(samples[0]))
    assert isinstance(forbidden, errors.ChatForbiddenError)
    assert (forbidden.code, forbidden.message, forbidden.id, forbidden.request_id) == (403, "no", "AAAAAAAAAAAA", "r")
    assert type(samples[1]) is errors.ChatError and samples[1].code == 599
    assert samples[2].retryable and not samples[3].retryable

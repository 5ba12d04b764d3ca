"""docs/guides/logging.md lists the loggers the code has and every message it logs, at its level:
a log call added, changed or removed without the guide fails here."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
GUIDE = ROOT / "docs" / "guides" / "logging.md"
_LEVELS = {
    "debug": "DEBUG",
    "info": "INFO",
    "warning": "WARNING",
    "error": "ERROR",
    "exception": "ERROR",
    "critical": "CRITICAL",
}


def _text(node: ast.expr) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def logged() -> set[tuple[str, str]]:
    """(level, message) of every log call of the package whose message is written in the call."""
    found = set()
    for path in (ROOT / "ivs_async").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                continue
            method = node.func.attr
            if method in _LEVELS and node.args and (message := _text(node.args[0])) is not None:
                found.add((_LEVELS[method], message))
            elif method == "once" and len(node.args) >= 2 and (message := _text(node.args[1])) is not None:
                found.add(("WARNING", message))  # the emulator's once-a-minute warnings (_limits.Peers.once)
    return found


def logger_names() -> set[str]:
    names = set()
    for path in (ROOT / "ivs_async").rglob("*.py"):
        names |= set(re.findall(r"""logging\.getLogger\(["']([\w.]+)["']\)""", path.read_text()))
    return names


def documented_messages() -> set[tuple[str, str]]:
    rows = re.findall(r"^\| (DEBUG|INFO|WARNING|ERROR|CRITICAL) \| `(.+?)` \|", GUIDE.read_text(), re.M)
    return set(rows)


def test_the_code_logs_something_to_check() -> None:
    calls = logged()
    assert len(calls) >= 20
    assert ("DEBUG", "ivs %s: %s, request id %s, %s in %.1f ms") in calls


def test_every_message_is_in_the_guide_at_its_level_and_no_other() -> None:
    calls, documented = logged(), documented_messages()
    assert calls - documented == set(), "log calls the guide does not list (at that level)"
    assert documented - calls == set(), "messages the guide lists that the code does not log (at that level)"


def test_every_logger_is_in_the_guide_and_no_other() -> None:
    table = re.search(r"^## Loggers\n(.*?)^## ", GUIDE.read_text(), re.M | re.S)
    assert table is not None
    documented = set(re.findall(r"^\| `([\w.]+)` \|", table.group(1), re.M))
    assert documented == logger_names()
    assert {"ivs_async", "ivs_async.testing"} <= documented


def test_the_levels_the_guide_says_are_unused_are_unused() -> None:
    assert "Nothing logs at INFO or CRITICAL" in GUIDE.read_text()
    assert {level for level, _ in logged()} == {"DEBUG", "WARNING", "ERROR"}

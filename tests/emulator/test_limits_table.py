"""The README's "Limits and safety" table for IVS Local says what the listeners enforce: every
bound of ``Limits`` is in it, with its default."""

from __future__ import annotations

import re
from pathlib import Path

import attrs

from ivs_async.testing._backend import MAX_STATE_BYTES
from ivs_async.testing._backend._core import RECORD_LIMITS, SESSION_DAYS
from ivs_async.testing._limits import Limits

README = Path(__file__).resolve().parents[2] / "README.md"


def table() -> str:
    text = README.read_text()
    start = text.index("<!-- limits: ivs_async.testing._limits.Limits -->")
    return text[start : text.index("\n\n", start)]


def test_every_bound_is_in_the_table_with_its_default() -> None:
    stated = dict(re.findall(r"`(\w+)=([0-9.]+)`", table()))
    defaults = attrs.asdict(Limits())
    assert set(defaults) <= set(stated), set(defaults) - set(stated)
    for name, value in defaults.items():
        assert float(stated[name]) == float(value), name


def test_the_state_bounds_in_the_table_are_the_emulators() -> None:
    row = next(line for line in table().splitlines() if line.startswith("| the state |"))
    assert f"{MAX_STATE_BYTES // (1024 * 1024)} MiB" in row and f"{SESSION_DAYS} days" in row
    for count in (RECORD_LIMITS["sessionsPerChannel"], RECORD_LIMITS["sessions"], RECORD_LIMITS["metadata"],
                  RECORD_LIMITS["adBreaks"], RECORD_LIMITS["revocations"]):  # fmt: skip
        assert f"{count:,}" in row, count

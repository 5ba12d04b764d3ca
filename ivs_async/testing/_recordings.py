"""Recordings written to a local folder laid out like IVS's S3 layout (``ivs-local --recordings-dir``):
``<dir>/<bucket>/ivs/v1/<account>/<channel id>/<y>/<m>/<d>/<h>/<min>/<recording id>/`` with
``media/hls/``, ``media/thumbnails/`` and ``events/recording-started.json`` / ``recording-ended.json``,
so code that post-processes recordings can be tested. The JSON documents carry the fields IVS's
recording metadata documents carry (version, channel, status, times, media paths)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path


def _time(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def write_started(folder: Path, channel_arn: str, started: datetime) -> None:
    events = folder / "events"
    events.mkdir(parents=True, exist_ok=True)
    document = {
        "version": "v1",
        "channel_arn": channel_arn,
        "recording_started_at": _time(started),
        "recording_status": "RECORDING_STARTED",
        "media": {"hls": {"path": "media/hls"}, "thumbnails": {"path": "media/thumbnails"}},
    }
    (events / "recording-started.json").write_text(json.dumps(document, indent=2))


def write_ended(folder: Path, channel_arn: str, started: datetime, ended: datetime) -> None:
    thumbnails = sorted(p.name for p in (folder / "media" / "thumbnails").glob("*.jpg"))
    document = {
        "version": "v1",
        "channel_arn": channel_arn,
        "recording_started_at": _time(started),
        "recording_ended_at": _time(ended),
        "recording_status": "RECORDING_ENDED",
        "media": {
            "hls": {
                "duration_ms": int((ended - started).total_seconds() * 1000),
                "path": "media/hls",
                "playlist": "playlist.m3u8",
            },
            "thumbnails": {"path": "media/thumbnails", "files": thumbnails},
        },
    }
    (folder / "events").mkdir(parents=True, exist_ok=True)
    (folder / "events" / "recording-ended.json").write_text(json.dumps(document, indent=2))

"""IVS Local's state on disk and in memory, against what goes wrong: states of the wrong shape, files
that are not what they claim, a full disk, bursts of changes, records piling up, and crashes."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import signal
import stat
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ivs_async import Ivs, StaticCredentials
from ivs_async.errors import InternalServerException
from ivs_async.testing import EmulatorError, LocalIvs
from ivs_async.testing._backend import MAX_STATE_BYTES
from ivs_async.testing._state_dir import StateDir
from tests.emulator.media import publish, stop, until

# -- what a state may be ------------------------------------------------------------------------------


def valid_state() -> dict[str, Any]:
    """A state with a channel (recording, live), its key, a session, records: something to spoil."""

    async def make() -> str:
        async with LocalIvs() as ivs, ivs.aggregated_client() as client:
            recording = await client.create_recording_configuration(
                destination_configuration={"s3": {"bucket_name": "vods"}}
            )
            assert recording.recording_configuration is not None
            created = await client.create_channel(
                name="kept", recording_configuration_arn=recording.recording_configuration.arn
            )
            assert created.channel is not None and created.channel.arn
            ivs.start_stream(created.channel.arn)
            await client.put_metadata(channel_arn=created.channel.arn, metadata="m")
            return ivs.snapshot()

    loaded: dict[str, Any] = json.loads(asyncio.run(make()))
    return loaded


VALID = valid_state()


def spoiled(change: Callable[[dict[str, Any]], object]) -> str:
    state = json.loads(json.dumps(VALID))
    change(state)
    return json.dumps(state)


def first(part: dict[str, Any]) -> dict[str, Any]:
    value: dict[str, Any] = next(iter(part.values()))
    return value


SPOILED: dict[str, tuple[Callable[[dict[str, Any]], object], str]] = {
    "a bucket that leaves the folder": (
        lambda s: first(s["resources"]["recording-configuration"])["destinationConfiguration"]["s3"].update(
            bucketName="../../etc"
        ),
        "bucketName",
    ),
    "a recording prefix that climbs": (lambda s: first(s["recordings"]).update(prefix="ivs/v1/../../x"), "prefix"),
    "a recording bucket that is absolute": (lambda s: first(s["recordings"]).update(bucket="/etc"), "bucket"),
    "a channel name too long": (lambda s: first(s["resources"]["channel"]).update(name="n" * 200), "name"),
    "a latency mode IVS does not have": (lambda s: first(s["resources"]["channel"]).update(latencyMode="FAST"), "enum"),
    "a channel that is a list": (lambda s: s["resources"].update(channel=[]), "channel"),
    "an unknown part": (lambda s: s.update(extra={}), "unknown parts"),
    "a member a channel does not have": (lambda s: first(s["resources"]["channel"]).update(rogue=1), "rogue"),
    "an ARN of another account": (
        lambda s: s["resources"]["channel"].update({"arn:aws:ivs:us-west-2:999999999999:channel/x": {}}),
        "ARN",
    ),
    "a stream key of no channel": (lambda s: first(s["resources"]["stream-key"]).update(channelArn="x"), "channelArn"),
    "a live stream of no channel": (lambda s: s["live"].update({"arn:nothing": {}}), "live"),
    "a record of the wrong type": (lambda s: s["metadata"][0].update(payload=7), "payload"),
    "records beyond their bound": (lambda s: s.update(metadata=s["metadata"] * 1001), "1000"),
    "a time that is not one": (lambda s: s["metadata"][0].update(receivedAt="yesterday"), "receivedAt"),
    "tags that are not an object": (lambda s: first(s["resources"]["channel"]).update(tags=[1]), "tags"),
    "a session of no stream": (lambda s: first(s["sessions"])[0].update(streamId="x"), "stream"),
}


@pytest.mark.parametrize("name", sorted(SPOILED))
def test_a_state_of_the_wrong_shape_is_refused_by_name(name: str) -> None:
    change, where = SPOILED[name]
    ivs = LocalIvs()
    ivs.load(json.dumps(VALID))
    before = ivs.snapshot()
    with pytest.raises(EmulatorError, match=re.escape(where)):
        ivs.load(spoiled(change))
    assert ivs.snapshot() == before  # nothing of it was taken


def test_the_same_bad_state_is_refused_from_a_state_dir_and_load(tmp_path: Path) -> None:
    bad = spoiled(SPOILED["a bucket that leaves the folder"][0])
    (tmp_path / "state.json").write_text(bad)
    with pytest.raises(EmulatorError, match="bucketName"):
        LocalIvs(state_dir=tmp_path)
    result = subprocess.run(
        [sys.executable, "-m", "ivs_async.testing", "--port", "0", "--state-dir", str(tmp_path)],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 1 and "bucketName" in result.stderr and "Traceback" not in result.stderr


@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_any_damage_to_a_state_is_refused_or_serves(data: st.DataObject) -> None:
    text = json.dumps(VALID)
    spoiled_text = bytearray(text.encode())
    for _ in range(data.draw(st.integers(1, 4))):
        spoiled_text[data.draw(st.integers(0, len(spoiled_text) - 1))] = data.draw(st.integers(32, 126))
    ivs = LocalIvs()
    try:
        ivs.load(spoiled_text.decode("utf-8", "replace"))
    except EmulatorError:
        return
    # Taken: then every operation works on it.
    state = json.loads(ivs.snapshot())
    for arn in state["resources"]["channel"]:
        assert ivs.is_live(arn) in (True, False)
        ivs.metadata(arn)


# -- the files --------------------------------------------------------------------------------------------


async def test_state_files_are_private_and_written_through_unpredictable_names(tmp_path: Path) -> None:
    folder = tmp_path / "state"
    victim = tmp_path / "victim"
    victim.write_text("untouched")
    folder.mkdir()
    for pid in range(os.getpid() - 5, os.getpid() + 5):  # the names earlier versions wrote through
        (folder / f".state.json.{pid}.tmp").symlink_to(victim)
    async with LocalIvs(state_dir=folder) as ivs, ivs.aggregated_client() as client:
        await client.create_channel(name="private")
    assert stat.S_IMODE((folder / "state.json").stat().st_mode) == 0o600
    assert victim.read_text() == "untouched"
    fresh = tmp_path / "fresh"
    LocalIvs(state_dir=fresh).reset()
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o700


@pytest.mark.parametrize("kind", ["symlink", "device", "too large", "not text"])
def test_a_state_file_that_is_not_a_state_is_refused(tmp_path: Path, kind: str) -> None:
    state = tmp_path / "state.json"
    if kind == "symlink":
        target = tmp_path / "elsewhere.json"
        target.write_text(json.dumps(VALID))
        state.symlink_to(target)
    elif kind == "device":
        state.symlink_to("/dev/zero")
    elif kind == "too large":
        with open(state, "wb") as out:
            out.truncate(33 * 1024 * 1024)
    else:
        state.write_bytes(b"\xff\xfe" * 10)
    with pytest.raises(ValueError, match=r"state\.json"):
        LocalIvs(state_dir=tmp_path)


def test_a_crash_mid_write_leaves_no_temporary_file_at_the_next_start(tmp_path: Path) -> None:
    (tmp_path / ".state-abc123.tmp").write_text("half a state")
    LocalIvs(state_dir=tmp_path)
    assert [p.name for p in tmp_path.iterdir()] == []


# -- writes: coalesced, durable, undone when the disk is full -------------------------------------------


async def test_a_burst_of_changes_is_a_few_writes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    writes: list[int] = []
    real = StateDir.write

    def counted(self: StateDir, state: str) -> None:
        writes.append(len(state))
        real(self, state)

    monkeypatch.setattr(StateDir, "write", counted)
    async with LocalIvs(state_dir=tmp_path) as ivs, ivs.aggregated_client() as client:
        created = await client.create_channel(name="tagged")
        assert created.channel is not None and created.channel.arn
        writes.clear()
        arn = created.channel.arn
        await asyncio.gather(*(client.tag_resource(resource_arn=arn, tags={f"k{n}": "v"}) for n in range(40)))
        await asyncio.gather(*(client.untag_resource(resource_arn=arn, tag_keys=[f"k{n}"]) for n in range(30)))
    assert 1 <= len(writes) <= 14, len(writes)  # 70 acknowledged changes
    saved = json.loads((tmp_path / "state.json").read_text())
    assert sorted(saved["resources"]["channel"][arn]["tags"]) == sorted(f"k{n}" for n in range(30, 40))


def fill(disk: Path) -> Path:
    """A file that takes every byte left on ``disk``."""
    filler = disk / "filler"
    with contextlib.suppress(OSError), open(filler, "wb") as out:
        while True:
            out.write(bytes(64 * 1024))
    return filler


@contextlib.contextmanager
def small_disk(path: Path, size: str = "512k") -> Iterator[Path]:
    """A real file system of ``size`` (tmpfs), where this machine lets the test mount one."""
    path.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)],
                             capture_output=True, check=False)  # fmt: skip
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode(errors='replace').strip()[:200]}")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


async def test_a_full_disk_undoes_the_change_and_a_retry_cannot_apply_it_twice(tmp_path: Path) -> None:
    with small_disk(tmp_path / "disk") as disk:
        async with LocalIvs(state_dir=disk) as ivs, ivs.aggregated_client(max_attempts=3) as client:
            await client.create_channel(name="before")
            filler = await asyncio.to_thread(fill, disk)
            with pytest.raises(InternalServerException, match="changed nothing") as caught:
                await client.create_channel(name="lost", tags={"big": "x" * 250})
            assert caught.value.metadata.attempts == 3  # retried as a transient error
            names = [c.name for c in (await client.list_channels()).channels or []]
            assert names == ["before"]  # not one of the three attempts left a channel behind
            assert [p.name for p in disk.iterdir() if p.name.startswith(".state")] == []  # no temporary file
            filler.unlink()
            await client.create_channel(name="after")
            on_disk = json.loads((disk / "state.json").read_text())
            assert sorted(c["name"] for c in on_disk["resources"]["channel"].values()) == ["after", "before"]
            assert json.loads(ivs.snapshot()) == on_disk  # memory and disk agree


# -- records that pile up -----------------------------------------------------------------------------


async def test_sessions_and_records_are_kept_within_their_bounds(ivs: Ivs, ivs_emulator: LocalIvs) -> None:
    created = await ivs.create_channel(name="busy")
    assert created.channel is not None and created.channel.arn
    arn = created.channel.arn
    for _ in range(105):
        ivs_emulator.start_stream(arn)
        ivs_emulator.end_stream(arn)
    sessions = [s async for s in paginate_sessions(ivs, arn)]
    assert len(sessions) == 100
    state = json.loads(ivs_emulator.snapshot())
    assert len(state["sessions"][arn]) == 100


async def paginate_sessions(ivs: Ivs, arn: str) -> Any:
    from ivs_async.paginators import paginate_list_stream_sessions

    async for summary in paginate_list_stream_sessions(ivs, channel_arn=arn).items():
        yield summary


# -- crashes ---------------------------------------------------------------------------------------------


def serve(state: Path, recordings: Path) -> tuple[subprocess.Popen[str], str, int]:
    process = subprocess.Popen(
        [sys.executable, "-m", "ivs_async.testing", "--port", "0", "--rtmp-port", "0",
         "--state-dir", str(state), "--recordings-dir", str(recordings)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert process.stdout is not None
    banner = "".join(process.stdout.readline() for _ in range(12))
    endpoint = re.search(r"http://\S+", banner)
    rtmp = re.search(r"rtmp://127\.0\.0\.1:(\d+)/app/", banner)
    assert endpoint is not None and rtmp is not None, banner
    return process, endpoint.group(0), int(rtmp.group(1))


async def test_after_a_crash_the_next_start_ends_what_was_live_and_closes_its_recording(tmp_path: Path) -> None:
    state, recordings = tmp_path / "state", tmp_path / "recordings"
    process, endpoint, rtmp_port = serve(state, recordings)
    crashed = process.pid
    credentials = StaticCredentials("AKIALOCALIVSEXAMPLE0", "localIvsSecretKeyForTestsOnly/EXAMPLE000")
    try:
        async with Ivs(region="us-west-2", endpoint=endpoint, credentials=credentials) as client:
            recording = await client.create_recording_configuration(
                destination_configuration={"s3": {"bucket_name": "vods"}}
            )
            assert recording.recording_configuration is not None
            created = await client.create_channel(
                name="crashed", recording_configuration_arn=recording.recording_configuration.arn
            )
            assert created.channel is not None and created.channel.arn and created.stream_key
            arn = created.channel.arn
            encoder = await publish(f"rtmp://127.0.0.1:{rtmp_port}/app/{created.stream_key.value}", size="320x240")

            async def segments_recorded() -> bool:
                return any(recordings.rglob("0.ts"))

            try:
                await until(segments_recorded, seconds=30)
                process.send_signal(signal.SIGKILL)  # no chance to end anything
                process.wait(timeout=20)
            finally:
                await stop(encoder)
    finally:
        process.kill()
        process.wait()
    process, endpoint, _ = serve(state, recordings)
    try:
        async with Ivs(region="us-west-2", endpoint=endpoint, credentials=credentials) as client:
            assert (await client.list_streams()).streams == []  # not LIVE for ever
            session = (await client.get_stream_session(channel_arn=arn)).stream_session
            assert session is not None and session.end_time is not None
            names = [e.name for e in session.truncated_events or []]
            assert "Stream End" in names and "Recording End" in names
        await until(lambda: asyncio.sleep(0, result=any(recordings.rglob("recording-ended.json"))), seconds=10)
        ended = json.loads(next(recordings.rglob("recording-ended.json")).read_text())
        assert ended["recording_status"] == "RECORDING_ENDED" and ended["media"]["hls"]["duration_ms"] > 0
        playlist = next(recordings.rglob("playlist.m3u8")).read_text()
        assert playlist.rstrip().endswith("#EXT-X-ENDLIST")
        # The crashed run's ffmpeg folder is gone too.
        assert await asyncio.to_thread(leftovers_of, crashed) == []
    finally:
        process.terminate()
        process.wait(timeout=20)


def leftovers_of(pid: int) -> list[Path]:
    return list(Path(tempfile.gettempdir()).glob(f"ivs-local-hls-{pid}-*"))


def test_the_crashed_runs_folders_are_found_by_the_process_id(tmp_path: Path) -> None:
    from ivs_async.testing._hls import remove_stale_folders

    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    pid = int(dead.stdout)
    stale = Path(tempfile.mkdtemp(prefix=f"ivs-local-hls-{pid}-"))
    alive = Path(tempfile.mkdtemp(prefix=f"ivs-local-hls-{os.getpid()}-"))
    try:
        time.sleep(0.1)
        assert remove_stale_folders() >= 1
        assert not stale.exists() and alive.exists()
    finally:
        subprocess.run(["rm", "-rf", str(stale), str(alive)], check=False)


@pytest.mark.parametrize("source", ["/dev/zero", "big"])
def test_load_reads_a_regular_file_of_a_state_size_only(tmp_path: Path, source: str) -> None:
    if source == "big":
        big = tmp_path / "big.json"
        with big.open("wb") as out:
            out.truncate(MAX_STATE_BYTES + 1)  # sparse: costs no disk
        source = str(big)
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "ivs_async.testing", "--port", "0", "--load", source],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert ("not a regular file" in result.stderr) or ("larger than" in result.stderr), result.stderr[-500:]
    assert "Traceback" not in result.stderr
    assert time.monotonic() - started < 30

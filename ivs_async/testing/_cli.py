"""``python -m ivs_async.testing`` (or ``ivs-local``): serve the emulator until Ctrl-C."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import sys
from collections.abc import Sequence
from pathlib import Path

from ivs_async._core.endpoints import is_loopback
from ivs_async.credentials import StaticCredentials
from ivs_async.testing._backend import MAX_STATE_BYTES, Quotas
from ivs_async.testing._limits import QuietExceptionHandler, raise_descriptor_limit
from ivs_async.testing._local import DEFAULT_CREDENTIALS, LocalIvs
from ivs_async.testing._state_dir import StateDir, read_bounded
from ivs_async.testing._webhook import shown_url


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m ivs_async.testing", description="Serve an in-memory Amazon IVS for tests, until Ctrl-C."
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default: %(default)s)")
    parser.add_argument(
        "--port", type=int, default=4566, help="port to listen on, 0 for any free one (default: %(default)s)"
    )
    parser.add_argument(
        "--advertise-host",
        default=os.environ.get("IVS_LOCAL_ADVERTISE_HOST") or None,
        help="the host every URL names (endpoint, playback URLs, ingest endpoints): how clients reach this "
        "emulator, e.g. a Docker service name (default: $IVS_LOCAL_ADVERTISE_HOST, else the listening "
        "address, 127.0.0.1 for 0.0.0.0)",
    )
    parser.add_argument("--region", default="us-west-2", help="region of the emulated account (default: %(default)s)")
    parser.add_argument("--account-id", default="123456789012", help="12-digit account id in ARNs")
    parser.add_argument("--access-key-id", default=DEFAULT_CREDENTIALS.access_key_id, help="access key to accept")
    parser.add_argument("--secret-access-key", default=DEFAULT_CREDENTIALS.secret_access_key, help="its secret")
    parser.add_argument(
        "--accept-any-credentials",
        action="store_true",
        help="accept any access key (as moto and LocalStack do): requests must be SigV4-signed for the region, "
        "but the signature is not checked",
    )
    parser.add_argument("--no-verify-signatures", action="store_true", help="accept requests without checking SigV4")
    parser.add_argument("--load", type=Path, help="start from a snapshot written by --save or LocalIvs.snapshot()")
    parser.add_argument("--save", type=Path, help="write a snapshot of the state here on exit")
    parser.add_argument("--seed", type=int, help="seed for ids and keys, for repeatable runs")
    parser.add_argument(
        "--rtmp-port",
        type=int,
        default=1935,
        help="RTMP ingest port, 0 for any free one, -1 for none (default: %(default)s)",
    )
    parser.add_argument(
        "--rtmps-port",
        type=int,
        default=-1,
        help="RTMPS ingest port (self-signed certificate), 0 for any free one, -1 for none (default)",
    )
    parser.add_argument("--events-url", help="POST every IVS event to this URL, as an EventBridge API destination")
    parser.add_argument(
        "--events-secret",
        default=os.environ.get("IVS_LOCAL_EVENTS_SECRET"),
        help="sent as X-Webhook-Secret with each event (default: $IVS_LOCAL_EVENTS_SECRET)",
    )
    parser.add_argument(
        "--recordings-dir", type=Path, help="write recordings of RTMP ingests here, laid out like IVS's S3 layout"
    )
    parser.add_argument(
        "--state-dir", type=Path, help="keep the state in this folder across restarts (saved at every change)"
    )
    parser.add_argument(
        "--reset", action="store_true", help="with --state-dir: start empty, forgetting the saved state"
    )
    parser.add_argument(
        "--dashboard-key",
        type=Path,
        help="a PEM P-384 private key the dashboard signs viewer tokens of private channels with (your "
        "application's, say); without it the dashboard makes one when asked",
    )
    parser.add_argument("--max-channels", type=int, default=Quotas().channels, help="channel quota")
    parser.add_argument(
        "--enforce-api-rates",
        action="store_true",
        help="answer ThrottlingException beyond IVS's per-account API call rates, as IVS does",
    )
    return parser


async def _serve(args: argparse.Namespace) -> None:
    if args.reset and args.state_dir is not None:
        StateDir(args.state_dir, max_bytes=MAX_STATE_BYTES).clear()
    emulator = LocalIvs(
        host=args.host,
        port=args.port,
        region=args.region,
        account_id=args.account_id,
        credentials=StaticCredentials(args.access_key_id, args.secret_access_key),
        verify_signatures=not args.no_verify_signatures,
        accept_any_credentials=args.accept_any_credentials,
        quotas=Quotas(channels=args.max_channels, enforce_api_rates=args.enforce_api_rates),
        seed=args.seed,
        state_dir=args.state_dir,
        rtmp_port=args.rtmp_port if args.rtmp_port >= 0 else None,
        rtmps_port=args.rtmps_port if args.rtmps_port >= 0 else None,
        events_url=args.events_url,
        recordings_dir=args.recordings_dir,
        events_secret=args.events_secret,
        advertise_host=args.advertise_host,
        dashboard_key=args.dashboard_key.read_bytes() if args.dashboard_key is not None else None,
    )
    if args.load:  # a regular file of a state's size at most: never /dev/zero or a 300 MB file
        emulator.load(read_bounded(args.load, MAX_STATE_BYTES))
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    # This process is the emulator's own: a flood of connections that meets the descriptor limit
    # (accept() failing with EMFILE) logs once a minute, not once per attempt.
    loop.set_exception_handler(QuietExceptionHandler())
    # SIGHUP: its terminal closed; every one of them ends it as Ctrl-C does, ffmpeg and folders included.
    for signum in (signal.SIGINT, signal.SIGTERM, getattr(signal, "SIGHUP", signal.SIGTERM)):
        with contextlib.suppress(NotImplementedError):  # not on Windows
            loop.add_signal_handler(signum, stop.set)
    if not is_loopback(args.host):
        print(
            f"WARNING: --host {args.host} is not a loopback address. Anyone who can reach it can use this "
            "emulator (it has no real authentication), and the lines below print its credentials. "
            "Use 127.0.0.1 unless other machines must reach it.",
            file=sys.stderr,
            flush=True,
        )
    async with emulator:
        # These are the emulator's own test credentials, printed so that clients can be configured.
        print(f"LocalIvs serving Amazon IVS, IVS Chat and IVS Real-Time on {emulator.endpoint}", flush=True)
        print(f"  AWS_ENDPOINT_URL_IVS={emulator.endpoint}")
        print(f"  AWS_ENDPOINT_URL_IVSCHAT={emulator.endpoint}")
        print(f"  AWS_ENDPOINT_URL_IVS_REALTIME={emulator.endpoint}")
        print(f"  AWS_REGION={emulator.region}")
        print(f"  AWS_DEFAULT_REGION={emulator.region}")  # the only one the AWS CLI v1 reads
        print(f"  AWS_ACCESS_KEY_ID={emulator.credentials.access_key_id}")
        print(f"  AWS_SECRET_ACCESS_KEY={emulator.credentials.secret_access_key}")
        if args.accept_any_credentials:
            print("Any access key is accepted (--accept-any-credentials); the signature is not checked.")
        else:
            print("Only these keys are accepted; --accept-any-credentials takes any (dummy keys as for moto).")
        print(f"Control API (simulated streams, faults, events): {emulator.endpoint}/_ivs_local/health")
        if args.rtmp_port >= 0:
            print(f"RTMP ingest: {emulator.rtmp_url} + a stream key's value")
        if args.rtmps_port >= 0:
            print(f"RTMPS ingest: {emulator.rtmps_url} + a stream key's value (self-signed certificate)")
        if args.events_url:
            print(f"IVS events: POSTed to {shown_url(args.events_url)}")
        print(f"IVS Chat messaging (WebSocket, tokens from CreateChatToken): {emulator.chat_url}")
        print(f"Dashboard: {emulator.dashboard_url}")
        print("Ctrl-C stops it.", flush=True)
        await stop.wait()
        if args.save:
            args.save.write_text(emulator.snapshot())
    print("LocalIvs stopped.", flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    raise_descriptor_limit()  # before the limits are computed from it
    try:
        asyncio.run(_serve(args))
    except KeyboardInterrupt:
        pass
    except (OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0

"""LocalIvs: the emulator as users hold it, in their event loop or in a thread of its own."""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self

from ivs_async._core.client import IvsClient
from ivs_async._core.endpoints import check_region
from ivs_async._generated.ivs.aggregated import Ivs
from ivs_async.credentials import Credentials, StaticCredentials
from ivs_async.testing._addresses import bracketed, checked_host, reachable_host
from ivs_async.testing._auth import SignatureChecker
from ivs_async.testing._backend import (
    MAX_STATE_BYTES,
    AdBreakRecord,
    IvsBackend,
    MetadataRecord,
    Quotas,
    Revocation,
)
from ivs_async.testing._broadcasts import Broadcasts
from ivs_async.testing._chat import ChatBackend, ChatQuotas, ChatSocket
from ivs_async.testing._chat._state import ChatState
from ivs_async.testing._control import ControlApi
from ivs_async.testing._dashboard import DashboardKey
from ivs_async.testing._faults import FaultPlan
from ivs_async.testing._limits import DEFAULT_LIMITS, Limits, Peers, descriptors_allowed
from ivs_async.testing._realtime import RESOURCE_TYPES as REALTIME_TYPES
from ivs_async.testing._realtime import RealTimeBackend, RealTimeQuotas
from ivs_async.testing._realtime.state import RealTimeState
from ivs_async.testing._rtmp import RtmpIngest
from ivs_async.testing._server import BODY_TIMEOUT, EmulatorServer, ServedService
from ivs_async.testing._state_dir import Persister, StateDir
from ivs_async.testing._tls import self_signed_context
from ivs_async.testing._webhook import EventForwarder

if TYPE_CHECKING:
    from ivs_async.chat import IvsChat
    from ivs_async.realtime import IvsRealTime

# Test-only credentials; nothing else accepts them.
DEFAULT_CREDENTIALS = StaticCredentials("AKIALOCALIVSEXAMPLE0", "localIvsSecretKeyForTestsOnly/EXAMPLE000")


# The environment of the clients made for the emulator: no AWS_* variables, no shared files.
_ISOLATED = {"AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull}


# A snapshot of an earlier version has no "chat" or "realtime": those services start empty.
_ABSENT = object()


def _utc_now() -> datetime:
    return datetime.now(UTC)


class LocalIvs:
    """An in-memory IVS on 127.0.0.1 that any SigV4 client can call.

    ``async with LocalIvs() as ivs:`` serves in the running event loop; ``with LocalIvs() as ivs:``
    serves from a thread of its own (for synchronous code, or a client in another loop). Then
    ``ivs.client()`` is an IvsClient configured for it, and ``ivs.endpoint``, ``ivs.region`` and
    ``ivs.credentials`` configure any other client (boto3, aiobotocore, the AWS CLI).
    ``accept_any_credentials=True`` takes any access key (the dummy keys moto and LocalStack
    take): requests must still be SigV4-signed for this region and within 5 minutes of its clock,
    but the signature itself is not checked, since the emulator does not know the secret.

    Whatever a client sends gets a 2xx or a 4xx in IVS's error form (403 for refused playback):
    bodies over 1 MB are refused, a body not received within ``body_timeout`` seconds gets 408,
    and a request whose signature headers fail is refused before its body is read.

    ``dashboard_url`` is a page that shows the emulator live in a browser. It plays private
    channels with viewer tokens signed by ``dashboard_key`` (a PEM P-384 private key, such as the
    one your application signs with), or by a key it generates when asked; either way once the
    public half is imported, as on IVS.
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        region: str = "us-west-2",
        account_id: str = "123456789012",
        credentials: Credentials | Sequence[Credentials] = DEFAULT_CREDENTIALS,
        verify_signatures: bool = True,
        accept_any_credentials: bool = False,
        quotas: Quotas | None = None,
        chat_quotas: ChatQuotas | None = None,
        realtime_quotas: RealTimeQuotas | None = None,
        clock: Callable[[], datetime] | None = None,
        seed: int | None = None,
        body_timeout: float = BODY_TIMEOUT,
        state_dir: Path | str | None = None,
        rtmp_port: int | None = None,
        rtmps_port: int | None = None,
        events_url: str | None = None,
        events_secret: str | None = None,
        recordings_dir: Path | str | None = None,
        advertise_host: str | None = None,
        limits: Limits | None = None,
        dashboard_key: str | bytes | None = None,
    ) -> None:
        check_region(region)
        if not (account_id.isdigit() and len(account_id) == 12):
            raise ValueError(f"account_id must be 12 digits, got {account_id!r}")
        accepted = [credentials] if isinstance(credentials, Credentials) else list(credentials)
        if not accepted:
            raise ValueError("the emulator needs at least one pair of credentials to accept")
        self.host = host
        self.port = port
        # The host every URL the emulator gives out names (endpoint, playback URLs, ingest
        # endpoints): where clients reach it, which a wildcard listening address is not.
        self.advertise_host = reachable_host(host) if advertise_host is None else checked_host(advertise_host)
        self._endpoint = ""
        self.verify_signatures = verify_signatures
        self.accept_any_credentials = accept_any_credentials
        self._credentials = accepted
        self._clock = clock or _utc_now
        self._backend = IvsBackend(
            region=region, account_id=account_id, quotas=quotas or Quotas(), clock=self._clock, seed=seed
        )
        self.faults = FaultPlan(seed)
        # Every listener's peers, within one set of bounds (lowered to fit the descriptors allowed).
        self._peers = Peers(descriptors_allowed(limits or DEFAULT_LIMITS))
        # IVS Chat (its API, and the messaging WebSocket its tokens open) and IVS Real-Time, on
        # the same endpoint.
        self._chat = ChatBackend(region=region, account_id=account_id, clock=self._clock, seed=seed, quotas=chat_quotas)
        self._chat_socket = self._chat.socket = ChatSocket(self._chat, self._peers, clock=self._clock)
        self._realtime = RealTimeBackend(
            region=region, account_id=account_id, clock=self._clock, seed=seed, quotas=realtime_quotas
        )
        self._realtime.channel_status = self._channel_status  # a composition's channel destination
        self._server = EmulatorServer(
            self._backend,
            SignatureChecker(accepted, region, self._clock, any_credentials=lambda: self.accept_any_credentials),
            self.faults,
            verify_signatures=lambda: self.verify_signatures,
            peers=self._peers,
            body_timeout=body_timeout,
            services=_other_services(self._chat, self._realtime),
        )
        self._server.chat_socket = self._chat_socket
        # The key pair the dashboard signs viewer tokens with (in memory only: never in the state).
        self._dashboard_key = DashboardKey(dashboard_key)
        self._server.control = ControlApi(self, body_timeout=body_timeout)
        # RTMP ingest, when asked for (rtmp_port=0: any free port): encoders make channels live.
        self.rtmp_port = rtmp_port
        self._rtmp: RtmpIngest | None = None
        # RTMPS ingest, when asked for: the same ingest over TLS with a self-signed certificate.
        self.rtmps_port = rtmps_port
        self._rtmps: RtmpIngest | None = None
        self.rtmps_certificate = ""  # PEM, once started with rtmps_port
        # The media of live streams (HLS of ingests, the test pattern of simulated streams) and the
        # recordings of ingests, when ffmpeg can be found (the media extra bundles it).
        self._broadcasts = Broadcasts(
            self._backend,
            clock=self._clock,
            recordings_dir=Path(recordings_dir) if recordings_dir is not None else None,
            persist=self._persist,
        )
        self._server.delivery = self._broadcasts.delivery
        # Events POSTed to a URL, as an EventBridge API destination would.
        self._forwarder = EventForwarder(events_url, secret=events_secret) if events_url else None
        # With a state folder every change is saved (an API change before it is answered), and a
        # new emulator starts where it stopped.
        self._persister: Persister | None = None
        if state_dir is not None:
            folder = StateDir(state_dir, max_bytes=MAX_STATE_BYTES)
            folder.remove_leftovers()
            saved = folder.read()
            if saved is not None:
                self._take(saved)
            self._persister = Persister(
                folder, snapshot=self.snapshot, restore=self._take, written=saved or self.snapshot()
            )
            self._server.commit = self._persister.commit
        self._thread: threading.Thread | None = None
        self._thread_loop: asyncio.AbstractEventLoop | None = None

    def __repr__(self) -> str:
        where = self._endpoint or "not running"
        return f"LocalIvs({where}, region={self.region!r}, account_id={self.account_id!r})"

    # -- configuration --------------------------------------------------------------------------

    @property
    def endpoint(self) -> str:
        """``http://HOST:PORT`` while serving: the advertised host (127.0.0.1 by default) and the port."""
        if not self._endpoint:
            raise RuntimeError("LocalIvs is not running: use 'async with LocalIvs()' or 'with LocalIvs()'")
        return self._endpoint

    @property
    def dashboard_url(self) -> str:
        """The dashboard: ``http://HOST:PORT/_ivs_local/dashboard/``, a page to open in a browser."""
        return f"{self.endpoint}/_ivs_local/dashboard/"

    @property
    def region(self) -> str:
        return self._backend.region

    @property
    def account_id(self) -> str:
        return self._backend.account_id

    @property
    def credentials(self) -> Credentials:
        """The first (usually only) credentials the emulator accepts."""
        return self._credentials[0]

    @property
    def quotas(self) -> Quotas:
        return self._backend.quotas

    @quotas.setter
    def quotas(self, quotas: Quotas) -> None:
        with self._backend.lock:
            self._backend.quotas = quotas

    def requests(self, operation: str | None = None) -> int:
        """How many requests reached an operation (any operation: None), faults and refusals included."""
        counts = self._server.requests
        return sum(counts.values()) if operation is None else counts[operation]

    def throttled(self, operation: str | None = None) -> int:
        """How many requests a limit answered with ThrottlingException (injected faults not counted)."""
        counts = self._server.throttled
        return sum(counts.values()) if operation is None else counts[operation]

    @property
    def unexpected_errors(self) -> int:
        """Requests the emulator failed to handle (answered 400, logged): a bug of ours if not 0."""
        return self._server.unexpected_errors

    def client(self, **options: Any) -> IvsClient:
        """An IvsClient for this emulator; ``options`` go to IvsClient (max_attempts=1, say).

        It takes nothing from the environment or ~/.aws (a developer's AWS_USE_FIPS_ENDPOINT,
        AWS_RETRY_MODE or profile never reaches it): only ``options`` and what the emulator needs.
        """
        return IvsClient(**self._client_options(options))

    def aggregated_client(self, **options: Any) -> Ivs:
        """The aggregated client (one method per operation) for this emulator, as
        [client()][ivs_async.testing.LocalIvs.client]."""
        return Ivs(**self._client_options(options))

    def chat_client(self, **options: Any) -> IvsChat:
        """An IVS Chat client (the aggregated ``IvsChat``, an IvsChatClient) for this emulator, as
        [client()][ivs_async.testing.LocalIvs.client]."""
        from ivs_async.chat import IvsChat

        return IvsChat(**self._client_options(options))

    def realtime_client(self, **options: Any) -> IvsRealTime:
        """An IVS Real-Time client (the aggregated ``IvsRealTime``, an IvsRealTimeClient) for this
        emulator, as [client()][ivs_async.testing.LocalIvs.client]."""
        from ivs_async.realtime import IvsRealTime

        return IvsRealTime(**self._client_options(options))

    @property
    def chat_url(self) -> str:
        """``ws://HOST:PORT``: the IVS Chat Messaging WebSocket, for ``ChatRoom`` and the official JS
        client (both take a ``ws://`` URL as given), with tokens from CreateChatToken here."""
        return "ws" + self.endpoint.removeprefix("http")

    def _client_options(self, options: dict[str, Any]) -> dict[str, Any]:
        options.setdefault("credentials", self.credentials)
        options.setdefault("region", self.region)
        options.setdefault("endpoint", self.endpoint)
        options.setdefault("environ", _ISOLATED)
        return options

    # -- serving --------------------------------------------------------------------------------

    async def start(self) -> str:
        """Serve in the running event loop; returns the endpoint."""
        port = await self._server.start(self.host, self.port)
        shown = bracketed(self.advertise_host)
        self._endpoint = endpoint = f"http://{shown}:{port}"
        self._backend.origin, self._backend.ingest_host = endpoint, shown
        if self._persister is not None:
            self._persister.start()
        if self._forwarder is not None:
            self._forwarder.start()
            self._backend.events.subscribe(self._forwarder.deliver)
        self._broadcasts.start()
        hooks = self._broadcasts.hooks()
        if self.rtmp_port is not None:
            self._rtmp = RtmpIngest(hooks, self._peers)
            self.rtmp_port = await self._rtmp.start(self.host, self.rtmp_port)
        if self.rtmps_port is not None:
            tls, self.rtmps_certificate = self_signed_context(self.advertise_host)
            self._rtmps = RtmpIngest(hooks, self._peers)
            self.rtmps_port = await self._rtmps.start(self.host, self.rtmps_port, tls=tls)
        # Where stages and their ingest configurations say to connect (IVS's ports when off).
        self._realtime.origin = endpoint
        self._realtime.rtmp_url = self.rtmp_url if self._rtmp is not None else f"rtmp://{shown}:1935/app/"
        self._realtime.rtmps_url = self.rtmps_url if self._rtmps is not None else f"rtmps://{shown}:443/app/"
        return endpoint

    @property
    def rtmp_url(self) -> str:
        """``rtmp://HOST:PORT/app/``: an encoder publishes to this plus a stream key's value."""
        if self._rtmp is None:
            raise RuntimeError("RTMP ingest is off: LocalIvs(rtmp_port=0) turns it on")
        return f"rtmp://{bracketed(self.advertise_host)}:{self.rtmp_port}/app/"

    @property
    def rtmps_url(self) -> str:
        """``rtmps://HOST:PORT/app/``: the RTMPS ingest (self-signed: see ``rtmps_certificate``)."""
        if self._rtmps is None:
            raise RuntimeError("RTMPS ingest is off: LocalIvs(rtmps_port=0) turns it on")
        return f"rtmps://{bracketed(self.advertise_host)}:{self.rtmps_port}/app/"

    async def stop(self) -> None:
        if self._forwarder is not None:
            await self._forwarder.stop()
        for ingest in (self._rtmp, self._rtmps):
            if ingest is not None:
                await ingest.stop()
        self._rtmp = self._rtmps = None
        await self._broadcasts.stop()
        await self._chat_socket.shutdown()
        await self._server.stop()
        if self._persister is not None:
            await self._persister.stop()  # what the last changes did is on disk
        self._endpoint = ""

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()

    def start_in_thread(self) -> str:
        """Serve from a background thread with its own event loop; returns the endpoint."""
        if self._thread is not None:
            raise RuntimeError("LocalIvs is already serving from a thread")
        loop = asyncio.new_event_loop()
        ready = threading.Event()

        def run() -> None:
            asyncio.set_event_loop(loop)
            loop.call_soon(ready.set)
            loop.run_forever()
            loop.close()

        self._thread = threading.Thread(target=run, name="LocalIvs", daemon=True)
        self._thread.start()
        ready.wait()
        self._thread_loop = loop
        return asyncio.run_coroutine_threadsafe(self.start(), loop).result(timeout=30)

    def stop_thread(self) -> None:
        loop, thread = self._thread_loop, self._thread
        if loop is None or thread is None:
            return
        asyncio.run_coroutine_threadsafe(self.stop(), loop).result(timeout=30)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=30)
        self._thread = self._thread_loop = None

    def __enter__(self) -> Self:
        self.start_in_thread()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop_thread()

    # -- state ----------------------------------------------------------------------------------

    def reset(self) -> None:
        """Forget every resource, stream and record (chat rooms and stages too), disarm every fault,
        drop event subscribers."""
        self._backend.reset()
        self._chat.reset()
        self._realtime.reset()
        self._broadcasts.reset()
        self._backend.events.clear()
        if self._forwarder is not None:  # the webhook is configuration, not a subscriber to drop
            self._backend.events.subscribe(self._forwarder.deliver)
        self.faults.clear()
        self._server.requests.clear()
        self._server.throttled.clear()
        self._persist()

    def _persist(self) -> None:
        if self._persister is not None:
            self._persister.changed()

    def snapshot(self) -> str:
        """The account's state as JSON text, IVS Chat's and IVS Real-Time's as its ``chat`` and
        ``realtime`` members; [load()][ivs_async.testing.LocalIvs.load] restores it (in this or
        another emulator)."""
        # IVS's snapshot is one JSON object; the other services' parts are added as its last members.
        ivs = self._backend.snapshot()
        assert ivs.endswith("}")
        chat, realtime = self._chat.snapshot_text(), self._realtime.snapshot_text()
        return f'{ivs[:-1]}, "chat": {chat}, "realtime": {realtime}}}'

    def load(self, snapshot: str) -> None:
        """Replace the whole state with a snapshot's, checked first as strictly as the API checks
        the same values: EmulatorError naming the first problem, and nothing of it is taken. A
        snapshot of an earlier version, without ``chat`` or ``realtime``, leaves them empty."""
        self._take(snapshot)
        self._persist()

    def _take(self, snapshot: str) -> None:
        """All three services' parts checked, then all taken (none when any is refused)."""
        data = self._backend.parse_snapshot(snapshot)  # within MAX_STATE_BYTES in all
        chat, realtime = data.pop("chat", _ABSENT), data.pop("realtime", _ABSENT)
        ivs_state = self._backend.checked(data)
        chat_state = ChatState.empty() if chat is _ABSENT else self._chat.checked(chat)
        realtime_state = RealTimeState.empty() if realtime is _ABSENT else self._realtime.checked(realtime)
        # Real-Time asks IVS about channels under its lock: the locks are taken in that order.
        with self._realtime.lock, self._backend.lock:
            self._realtime.replace(realtime_state)
            self._backend.replace(ivs_state)
            self._chat.replace(chat_state)

    # -- broadcast simulation -----------------------------------------------------------------------

    def simulate_recording_configurations(self, *, creating_for: float = 0.0, outcome: str = "ACTIVE") -> None:
        """How recording configurations created from now on come up: ``CREATING`` for
        ``creating_for`` seconds (of the emulator's clock), then ``outcome`` (``ACTIVE`` or
        ``CREATE_FAILED``). ``reset()`` brings back the default: ``ACTIVE`` at once."""
        if outcome not in ("ACTIVE", "CREATE_FAILED"):
            raise ValueError("outcome must be ACTIVE or CREATE_FAILED")
        if not creating_for >= 0:
            raise ValueError("creating_for must be a number of seconds, 0 or more")
        with self._backend.lock:
            self._backend.recording_creating_for = float(creating_for)
            self._backend.recording_outcome = outcome

    def start_stream(self, channel_arn: str, *, health: str = "HEALTHY", viewer_count: int = 0) -> str:
        """Go live on ``channel_arn`` as if an encoder connected; returns the new stream id."""
        stream_id = self._backend.start_stream(channel_arn, health=health, viewer_count=viewer_count)
        self._persist()
        self._broadcasts.simulated(channel_arn, stream_id)  # its playback URL plays a test pattern
        return stream_id

    def end_stream(self, channel_arn: str, *, failure: str | None = None) -> None:
        """End the broadcast; ``failure`` (an error code) records a Stream Failure event first."""
        self._backend.end_stream(channel_arn, failure=failure)
        self._persist()
        self._broadcasts.ended(channel_arn)

    def update_stream(self, channel_arn: str, *, health: str | None = None, viewer_count: int | None = None) -> None:
        """Change a live stream's health or viewer count."""
        self._backend.update_stream(channel_arn, health=health, viewer_count=viewer_count)
        self._persist()

    def _channel_status(self, channel_arn: str) -> str | None:
        """LIVE, OFFLINE, or None for no such channel (what a composition's destination is told)."""
        if not self._backend.has_channel(channel_arn):
            return None
        return "LIVE" if self.is_live(channel_arn) else "OFFLINE"

    def is_live(self, channel_arn: str) -> bool:
        return self._backend.is_live(channel_arn)

    # -- events -----------------------------------------------------------------------------------

    def subscribe(
        self, callback: Callable[[dict[str, Any]], None] | Callable[[dict[str, Any]], Awaitable[None]]
    ) -> Callable[[], None]:
        """Deliver each IVS EventBridge event (Stream State/Health Change, Recording State Change)
        to ``callback`` as the JSON object EventBridge would send. A coroutine function runs on the
        event loop that subscribed it. Returns a function that unsubscribes."""
        return self._backend.events.subscribe(callback)

    def event_queue(self) -> asyncio.Queue[dict[str, Any]]:
        """An asyncio queue, bound to the running loop, that receives every IVS event."""
        return self._backend.events.queue()

    @property
    def events_delivered(self) -> tuple[int, int]:
        """(delivered, given up) events of the ``events_url`` webhook."""
        forwarder = self._forwarder
        return (forwarder.delivered, forwarder.failed) if forwarder is not None else (0, 0)

    def recent_events(self) -> list[dict[str, Any]]:
        """The latest IVS events emitted (at most 1,000), oldest first; ``reset()`` forgets them."""
        return list(self._backend.events.recent)

    def metadata(self, channel_arn: str | None = None) -> list[MetadataRecord]:
        """Timed metadata accepted by PutMetadata, oldest first."""
        return self._backend.metadata(channel_arn)

    def ad_breaks(self, channel_arn: str | None = None) -> list[AdBreakRecord]:
        """Ad breaks accepted by InsertAdBreak, oldest first."""
        return self._backend.ad_breaks(channel_arn)

    def revocations(self, channel_arn: str | None = None) -> list[Revocation]:
        """Viewer-session revocations requested, oldest first."""
        return self._backend.revocations(channel_arn)


def _other_services(chat: ChatBackend, realtime: RealTimeBackend) -> list[ServedService]:
    """IVS Chat and IVS Real-Time as the server serves them beside IVS."""
    from ivs_async._generated.ivs_realtime import SERVICE as REALTIME
    from ivs_async._generated.ivs_realtime.commands import OPERATIONS as REALTIME_OPERATIONS
    from ivs_async._generated.ivs_realtime.errors import MODELED_STATUS as REALTIME_STATUS
    from ivs_async._generated.ivschat import SERVICE as CHAT
    from ivs_async._generated.ivschat.commands import OPERATIONS as CHAT_OPERATIONS
    from ivs_async._generated.ivschat.errors import MODELED_STATUS as CHAT_STATUS

    def realtime_arn(arn: str) -> bool:  # arn:aws:ivs:REGION:ACCOUNT:stage/ID, and its kin
        parts = arn.split(":", 5)
        return len(parts) == 6 and parts[2] == "ivs" and parts[5].partition("/")[0] in REALTIME_TYPES

    return [
        ServedService(
            name=CHAT.name,
            signing_name=CHAT.signing_name,
            operations=CHAT_OPERATIONS,
            statuses=CHAT_STATUS,
            backend=chat,
            owns=lambda arn: arn.startswith("arn:aws:ivschat:"),
            message_key="message",
            field_list=True,
        ),
        ServedService(
            name=REALTIME.name,
            signing_name=REALTIME.signing_name,
            operations=REALTIME_OPERATIONS,
            statuses=REALTIME_STATUS,
            backend=realtime,
            owns=realtime_arn,
        ),
    ]

"""Private IVS channels behind a FastAPI service.

One IvsClient lives for the app's lifetime (created in the lifespan, injected per request);
viewers get tokenized playback URLs; viewers can be revoked; IVS events, delivered by an
EventBridge API destination to ``POST /events``, keep the app's view of live channels.

    pip install 'ivs-async[playback,examples]'
    IVS_APP_PLAYBACK_KEY_FILE=playback-key.pem IVS_APP_REGION=us-west-2 uvicorn examples.fastapi_app.app:app
"""

from __future__ import annotations

import hmac
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

import attrs
from fastapi import Depends, FastAPI, Header, HTTPException, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from ivs_async import Ivs, StaticCredentials
from ivs_async.errors import EventParseError, ParamValidationError, ResourceNotFoundException, ValidationException
from ivs_async.events import EventLedger, StreamStateChange, parse_event
from ivs_async.paginators import paginate_list_channels
from ivs_async.playback import PlaybackSigner, tokenized_url
from ivs_async.telemetry import Telemetry

TOKEN_SECONDS = 600  # viewer-bound tokens may live at most 10 minutes


@attrs.frozen
class Settings:
    """Where IVS is and how to sign; ``from_env()`` reads IVS_APP_* variables."""

    playback_private_key: str = attrs.field(repr=False)
    region: str | None = None
    endpoint: str | None = None  # None: the real IVS endpoint of the region
    credentials: StaticCredentials | None = None  # None: the default AWS credential chain
    webhook_secret: str | None = attrs.field(default=None, repr=False)
    # With OpenTelemetry set up (and FastAPIInstrumentor on the app), each IVS call is a child
    # span of the request that made it: ivs_async.telemetry.OpenTelemetry().
    telemetry: Telemetry | None = None

    @classmethod
    def from_env(cls) -> Settings:
        """The settings from IVS_APP_* variables; a missing one stops the app at startup, named."""
        missing = [name for name in ("IVS_APP_PLAYBACK_KEY_FILE", "IVS_APP_REGION") if not os.environ.get(name)]
        if missing:
            raise SettingsError(f"set {' and '.join(missing)} (see examples/fastapi_app/README.md)")
        path = os.environ["IVS_APP_PLAYBACK_KEY_FILE"]
        try:
            with open(path) as key_file:
                key = key_file.read()
        except OSError as exc:
            raise SettingsError(f"IVS_APP_PLAYBACK_KEY_FILE: cannot read {path}: {exc.strerror}") from None
        telemetry: Telemetry | None = None
        if os.environ.get("IVS_APP_OTEL") == "1":  # the global OpenTelemetry providers
            from ivs_async.telemetry import OpenTelemetry

            telemetry = OpenTelemetry()
        return cls(
            playback_private_key=key,
            region=os.environ["IVS_APP_REGION"],
            endpoint=os.environ.get("IVS_APP_ENDPOINT"),
            webhook_secret=os.environ.get("IVS_APP_WEBHOOK_SECRET"),
            telemetry=telemetry,
        )


class SettingsError(RuntimeError):
    """The app cannot start: a setting is missing or unreadable (the message names it)."""


class AppState:
    """What the app keeps between requests: the client, the signer, the live view."""

    def __init__(self, ivs: Ivs, signer: PlaybackSigner) -> None:
        self.ivs = ivs
        self.signer = signer
        self.live: set[str] = set()
        self.ledger = EventLedger()
        # A viewer's session version: tokens carry it, revocation bumps it.
        self.viewer_versions: dict[tuple[str, str], int] = {}


class NewChannel(BaseModel):
    name: str = Field(min_length=1, max_length=128, pattern=r"^[a-zA-Z0-9-_]+$")


class Viewer(BaseModel):
    channel_arn: str
    viewer_id: str = Field(min_length=1, max_length=40)


def app_state(request: Request) -> AppState:
    """The dependency every route takes: the app's client, signer and live view."""
    found: AppState = request.app.state.ivs_app
    return found


State = Annotated[AppState, Depends(app_state)]


def create_app(settings: Settings | None = None) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        config = settings or Settings.from_env()
        async with Ivs(
            region=config.region, endpoint=config.endpoint, credentials=config.credentials, telemetry=config.telemetry
        ) as ivs:
            app.state.ivs_app = AppState(ivs, PlaybackSigner(config.playback_private_key))
            app.state.webhook_secret = config.webhook_secret
            yield

    app = FastAPI(title="private channels", lifespan=lifespan)

    @app.exception_handler(ResourceNotFoundException)
    async def not_found(request: Request, exc: ResourceNotFoundException) -> Response:
        return Response(status_code=404, content=exc.message or "not found")

    @app.exception_handler(ValidationException)
    async def invalid(request: Request, exc: ValidationException) -> Response:
        return Response(status_code=400, content=exc.message or "invalid")

    @app.exception_handler(ParamValidationError)
    async def unprocessable(request: Request, exc: ParamValidationError) -> JSONResponse:
        # The SDK refused the input before sending: the client's request was wrong, not the app.
        detail = [{"loc": v.path.split("."), "msg": v.message, "type": v.rule} for v in exc.violations]
        return JSONResponse(status_code=422, content={"detail": detail})

    @app.post("/channels", status_code=201)
    async def create_channel(body: NewChannel, state: State) -> dict[str, Any]:
        out = await state.ivs.create_channel(name=body.name, authorized=True, latency_mode="LOW")
        assert out.channel is not None
        # The stream key is for the broadcaster's encoder: hand it over a separate, private path.
        return {"arn": out.channel.arn, "playback_url": out.channel.playback_url, "ingest": out.channel.ingest_endpoint}

    @app.get("/channels")
    async def list_channels(state: State, page_size: int = 50, next_token: str | None = None) -> dict[str, Any]:
        page = await state.ivs.list_channels(max_results=page_size, next_token=next_token)
        return {
            "channels": [
                {"arn": c.arn, "name": c.name, "private": c.authorized, "live": c.arn in state.live}
                for c in page.channels or []
            ],
            "next_token": page.next_token,
        }

    @app.get("/channels/all")
    async def all_channel_names(state: State) -> dict[str, list[str]]:
        names = [c.name or "" async for c in paginate_list_channels(state.ivs, page_size=50).items()]
        return {"names": names}

    @app.post("/playback")
    async def playback_url(viewer: Viewer, state: State) -> dict[str, str]:
        got = await state.ivs.get_channel(arn=viewer.channel_arn)
        assert got.channel is not None and got.channel.playback_url
        version = state.viewer_versions.get((viewer.channel_arn, viewer.viewer_id), 1)
        token = state.signer.create_token(
            viewer.channel_arn, expires_in=TOKEN_SECONDS, viewer_id=viewer.viewer_id, viewer_session_version=version
        )
        return {"url": tokenized_url(got.channel.playback_url, token)}

    @app.post("/revocations", status_code=204)
    async def revoke(viewer: Viewer, state: State) -> None:
        key = (viewer.channel_arn, viewer.viewer_id)
        version = state.viewer_versions.get(key, 1)
        await state.ivs.start_viewer_session_revocation(
            channel_arn=viewer.channel_arn,
            viewer_id=viewer.viewer_id,
            viewer_session_versions_less_than_or_equal_to=version,
        )
        state.viewer_versions[key] = version + 1  # the viewer's next token is not revoked

    @app.post("/events", status_code=202)
    async def receive_event(
        request: Request, state: State, x_webhook_secret: Annotated[str | None, Header()] = None
    ) -> dict[str, bool]:
        expected = request.app.state.webhook_secret
        if expected and not hmac.compare_digest(x_webhook_secret or "", expected):
            raise HTTPException(status_code=401, detail="bad webhook secret")
        try:
            event = parse_event(await request.body())
        except EventParseError as exc:
            raise HTTPException(status_code=400, detail=str(exc)) from None
        applied = state.ledger.accept(event)  # duplicates and late events change nothing
        if applied and isinstance(event, StreamStateChange) and event.channel_arn:
            if event.event_name == "Stream Start":
                state.live.add(event.channel_arn)
            elif event.event_name in ("Stream End", "Stream Failure", "Session Ended"):
                state.live.discard(event.channel_arn)
        return {"applied": applied}

    @app.get("/live")
    async def live_channels(state: State) -> dict[str, list[str]]:
        return {"live": sorted(state.live)}

    return app


def __getattr__(name: str) -> FastAPI:
    # `uvicorn examples.fastapi_app.app:app` builds the app from the environment; tests build
    # their own with create_app(settings). Settings are read at startup (the lifespan).
    if name == "app":
        return create_app()
    raise AttributeError(name)

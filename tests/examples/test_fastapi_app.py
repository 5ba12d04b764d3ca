"""The FastAPI example end to end: httpx's ASGI transport in front, the emulator behind."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from examples.fastapi_app.app import Settings, create_app
from ivs_async.testing import LocalIvs

SECRET = "webhook-secret"


@pytest.fixture
async def app_client(ivs_emulator: LocalIvs) -> AsyncIterator[httpx.AsyncClient]:
    key = ec.generate_private_key(ec.SECP384R1())
    public = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    async with ivs_emulator.client() as ivs:
        from ivs_async.commands import ImportPlaybackKeyPairCommand

        await ivs.send(ImportPlaybackKeyPairCommand(public_key_material=public.decode(), name="app"))
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    settings = Settings(
        playback_private_key=private,
        region=ivs_emulator.region,
        endpoint=ivs_emulator.endpoint,
        credentials=ivs_emulator.credentials,
        webhook_secret=SECRET,
    )
    app = create_app(settings)
    async with app.router.lifespan_context(app):  # what a server does at start and stop
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://app") as client:
            yield client


async def wait_for(predicate: Any, seconds: float = 5) -> None:
    for _ in range(int(seconds / 0.02)):
        if await predicate():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("condition not reached")


async def test_private_channel_story(app_client: httpx.AsyncClient, ivs_emulator: LocalIvs) -> None:
    delivered: list[dict[str, Any]] = []

    async def webhook(event: dict[str, Any]) -> None:  # EventBridge API destination -> the app
        delivered.append(event)
        reply = await app_client.post("/events", json=event, headers={"X-Webhook-Secret": SECRET})
        assert reply.status_code == 202

    ivs_emulator.subscribe(webhook)

    created = await app_client.post("/channels", json={"name": "premiere"})
    assert created.status_code == 201
    arn = created.json()["arn"]
    await app_client.post("/channels", json={"name": "backstage"})

    first = (await app_client.get("/channels", params={"page_size": 1})).json()
    second = (await app_client.get("/channels", params={"page_size": 1, "next_token": first["next_token"]})).json()
    assert len(first["channels"]) == len(second["channels"]) == 1
    assert {first["channels"][0]["name"], second["channels"][0]["name"]} == {"premiere", "backstage"}
    assert all(c["private"] for c in first["channels"] + second["channels"])
    assert sorted((await app_client.get("/channels/all")).json()["names"]) == ["backstage", "premiere"]

    # Go live: the emulator emits IVS events, the webhook brings them to the app.
    ivs_emulator.start_stream(arn)

    async def is_live() -> bool:
        return (await app_client.get("/live")).json()["live"] == [arn]

    await wait_for(is_live)

    viewer = {"channel_arn": arn, "viewer_id": "fan-1"}
    url = (await app_client.post("/playback", json=viewer)).json()["url"]
    async with httpx.AsyncClient() as player:  # the viewer's player, straight to the (emulated) IVS

        async def playable() -> bool:  # as IVS, a stream that just went live answers 404 for a moment
            return (await player.get(url)).status_code != 404

        await wait_for(playable, seconds=60)
        assert (await player.get(url)).status_code == 200
        assert (await player.get(url.split("?")[0])).status_code == 403  # no token, no playback

        assert (await app_client.post("/revocations", json=viewer)).status_code == 204
        refused = await player.get(url)
        assert refused.status_code == 403 and "revoked" in refused.text
        fresh = (await app_client.post("/playback", json=viewer)).json()["url"]
        assert (await player.get(fresh)).status_code == 200  # a new session for the same viewer

    # Duplicate and late deliveries change nothing.
    start = next(e for e in delivered if e["detail"]["event_name"] == "Stream Start")
    replay = await app_client.post("/events", json=start, headers={"X-Webhook-Secret": SECRET})
    assert replay.json() == {"applied": False}

    ivs_emulator.end_stream(arn)

    async def is_offline() -> bool:
        return (await app_client.get("/live")).json()["live"] == []

    await wait_for(is_offline)
    late_start = {**start, "id": "late-copy", "time": "2020-01-01T00:00:00Z"}  # delivered after the end
    reply = await app_client.post("/events", json=late_start, headers={"X-Webhook-Secret": SECRET})
    assert reply.json() == {"applied": False}
    assert (await app_client.get("/live")).json()["live"] == []


async def test_webhook_guards(app_client: httpx.AsyncClient) -> None:
    assert (await app_client.post("/events", content=b"{}")).status_code == 401
    bad = await app_client.post("/events", content=b"<html>", headers={"X-Webhook-Secret": SECRET})
    assert bad.status_code == 400 and "json" in bad.json()["detail"]
    missing = await app_client.post(
        "/playback", json={"channel_arn": "arn:aws:ivs:us-west-2:123456789012:channel/nope", "viewer_id": "v"}
    )
    assert missing.status_code == 404


async def test_sdk_validation_errors_are_422_not_500(app_client: httpx.AsyncClient) -> None:
    reply = await app_client.get("/channels", params={"page_size": 5000})
    assert reply.status_code == 422
    assert reply.json()["detail"][0]["loc"] == ["max_results"]
    reply = await app_client.post("/playback", json={"channel_arn": "not-an-arn", "viewer_id": "v"})
    assert reply.status_code == 422 and reply.json()["detail"][0]["type"] == "pattern"


async def test_missing_settings_stop_the_app_at_startup_naming_them(monkeypatch: pytest.MonkeyPatch) -> None:
    from examples.fastapi_app.app import SettingsError

    monkeypatch.delenv("IVS_APP_PLAYBACK_KEY_FILE", raising=False)
    monkeypatch.delenv("IVS_APP_REGION", raising=False)
    app = create_app()
    with pytest.raises(SettingsError, match="IVS_APP_PLAYBACK_KEY_FILE and IVS_APP_REGION"):
        async with app.router.lifespan_context(app):
            pass
    monkeypatch.setenv("IVS_APP_PLAYBACK_KEY_FILE", "/nonexistent/key.pem")
    monkeypatch.setenv("IVS_APP_REGION", "us-west-2")
    with pytest.raises(SettingsError, match="IVS_APP_PLAYBACK_KEY_FILE: cannot read"):
        async with app.router.lifespan_context(app):
            pass


async def test_the_app_is_traced_end_to_end(ivs_emulator: LocalIvs) -> None:
    from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
    from opentelemetry.trace import SpanKind

    from ivs_async.telemetry import OpenTelemetry

    spans = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(spans))
    key = ec.generate_private_key(ec.SECP384R1())
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    settings = Settings(
        playback_private_key=private,
        region=ivs_emulator.region,
        endpoint=ivs_emulator.endpoint,
        credentials=ivs_emulator.credentials,
        telemetry=OpenTelemetry(tracer_provider=provider),
    )
    app = create_app(settings)
    FastAPIInstrumentor.instrument_app(app, tracer_provider=provider)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://app") as client:
            assert (await client.post("/channels", json={"name": "traced"})).status_code == 201
    finished = spans.get_finished_spans()
    (ivs_span,) = [s for s in finished if s.name == "IVS.CreateChannel"]
    (request_span,) = [s for s in finished if s.kind is SpanKind.SERVER]
    assert ivs_span.parent is not None and ivs_span.parent.span_id == request_span.context.span_id
    assert ivs_span.context.trace_id == request_span.context.trace_id
    provider.shutdown()

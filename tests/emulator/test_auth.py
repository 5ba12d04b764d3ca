"""The emulator checks SigV4 on every request, with AWS's 403 answers, so signing bugs surface."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import aiohttp
import pytest

from ivs_async import IvsClient, IvsServiceException, StaticCredentials
from ivs_async.commands import ListChannelsCommand
from ivs_async.testing import LocalIvs


def shifted(minutes: float) -> LocalIvs:
    """An emulator whose clock is ``minutes`` ahead of ours."""
    return LocalIvs(clock=lambda: datetime.now(UTC) + timedelta(minutes=minutes))


async def rejection(emulator: LocalIvs, **client_options: object) -> IvsServiceException:
    client_options.setdefault("max_attempts", 1)
    async with emulator.client(**client_options) as client:
        with pytest.raises(IvsServiceException) as caught:
            await client.send(ListChannelsCommand())
    assert caught.value.metadata.http_status_code == 403
    return caught.value


async def test_wrong_secret_is_rejected(ivs_emulator: LocalIvs) -> None:
    wrong = StaticCredentials(ivs_emulator.credentials.access_key_id, "not-the-secret")
    error = await rejection(ivs_emulator, credentials=wrong)
    assert error.code == "InvalidSignatureException"
    assert "does not match the signature you provided" in error.message
    assert "not-the-secret" not in str(error)
    assert "POST\n/ListChannels" in error.message  # the canonical request, to debug a signer


async def test_unknown_access_key(ivs_emulator: LocalIvs, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level("WARNING", logger="ivs_async.testing"):
        error = await rejection(ivs_emulator, credentials=StaticCredentials("AKIAUNKNOWN000000000", "x"))
        await rejection(ivs_emulator, credentials=StaticCredentials("AKIAUNKNOWN000000000", "x"))
    assert error.code == "UnrecognizedClientException"
    # The log says what to do, once per key, without the whole key.
    hints = [r.getMessage() for r in caplog.records if "refused access key" in r.getMessage()]
    assert len(hints) == 1 and "--accept-any-credentials" in hints[0]
    assert "AKIAUNKNOWN000000000" not in hints[0]


async def test_any_credentials_when_asked_but_still_signed_for_the_region(ivs_emulator: LocalIvs) -> None:
    dummy = StaticCredentials("testing", "testing", session_token="a-session-token")  # as for moto
    await rejection(ivs_emulator, credentials=dummy)
    ivs_emulator.accept_any_credentials = True
    try:
        async with ivs_emulator.client(credentials=dummy, max_attempts=1) as client:
            assert (await client.send(ListChannelsCommand())).channels == []
        # Still SigV4: a request signed for another region, or not signed at all, is refused.
        async with IvsClient(
            region="eu-west-1", endpoint=ivs_emulator.endpoint, credentials=dummy, max_attempts=1
        ) as other:
            with pytest.raises(IvsServiceException, match="scoped to a valid region"):
                await other.send(ListChannelsCommand())
        async with (
            aiohttp.ClientSession() as http,
            http.post(ivs_emulator.endpoint + "/ListChannels", json={}) as response,
        ):
            assert response.status == 403
            assert response.headers["x-amzn-ErrorType"] == "MissingAuthenticationTokenException"
    finally:
        ivs_emulator.accept_any_credentials = False


async def test_wrong_region_in_the_scope(ivs_emulator: LocalIvs) -> None:
    async with IvsClient(
        region="eu-west-1", endpoint=ivs_emulator.endpoint, credentials=ivs_emulator.credentials, max_attempts=1
    ) as other:
        with pytest.raises(IvsServiceException, match="scoped to a valid region") as caught:
            await other.send(ListChannelsCommand())
    assert caught.value.code == "InvalidSignatureException"


@pytest.mark.parametrize(("minutes", "text"), [(10, "Signature expired"), (-10, "Signature not yet current")])
async def test_clock_ten_minutes_off(minutes: float, text: str) -> None:
    async with shifted(minutes) as emulator:
        error = await rejection(emulator)
    assert error.code == "InvalidSignatureException"
    assert text in error.message and "5 min." in error.message


async def test_four_minutes_off_is_accepted() -> None:
    async with shifted(4) as emulator, emulator.client() as client:
        assert (await client.send(ListChannelsCommand())).channels == []


async def test_session_tokens_must_match() -> None:
    temporary = StaticCredentials("ASIALOCALIVSEXAMPLE0", "temp-secret", session_token="token-1")
    async with LocalIvs(credentials=[temporary]) as emulator:
        async with emulator.client() as client:
            assert (await client.send(ListChannelsCommand())).channels == []
        other_token = StaticCredentials(temporary.access_key_id, temporary.secret_access_key, session_token="token-2")
        error = await rejection(emulator, credentials=other_token)
        assert error.code == "UnrecognizedClientException"
        no_token = StaticCredentials(temporary.access_key_id, temporary.secret_access_key)
        assert (await rejection(emulator, credentials=no_token)).code == "UnrecognizedClientException"


async def test_unsigned_and_tampered_requests(ivs_emulator: LocalIvs) -> None:
    url = ivs_emulator.endpoint + "/ListChannels"
    async with aiohttp.ClientSession() as http:
        async with http.post(url, data=b"{}") as response:
            assert response.status == 403
            assert response.headers["x-amzn-ErrorType"] == "MissingAuthenticationTokenException"
            assert "message" in json.loads(await response.read())
        # A signed request whose body was changed afterwards.
        sent: dict[str, str] = {}

        class Capture:
            async def send(self, request: object) -> object:
                sent.update(request.headers)  # type: ignore[attr-defined]
                raise RuntimeError("captured")

            async def close(self) -> None:
                pass

        capturing = IvsClient(
            region=ivs_emulator.region,
            endpoint=ivs_emulator.endpoint,
            credentials=ivs_emulator.credentials,
            transport=Capture(),  # type: ignore[arg-type]
            max_attempts=1,
        )
        with pytest.raises(RuntimeError):
            await capturing.send(ListChannelsCommand(max_results=5))
        await capturing.close()
        headers = {k: v for k, v in sent.items() if k.lower() not in ("host", "content-length")}
        async with http.post(url, data=b'{"maxResults":6}', headers=headers) as response:
            assert response.status == 403
            assert response.headers["x-amzn-ErrorType"] == "InvalidSignatureException"
        async with http.post(url, data=b'{"maxResults":5}', headers=headers) as response:
            assert response.status == 200, await response.text()


async def test_verification_can_be_switched_off() -> None:
    async with LocalIvs(verify_signatures=False) as emulator, aiohttp.ClientSession() as http:
        response = await http.post(emulator.endpoint + "/ListChannels", data=b"{}")
        assert response.status == 200
        assert json.loads(await response.read()) == {"channels": []}

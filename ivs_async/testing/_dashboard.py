"""The IVS Local dashboard: a page the emulator serves under ``/_ivs_local/dashboard/`` (behind the
control API's guard) that shows channels, streams, events, timed metadata and recordings as they
change, plays live channels, and acts through the control API.

Everything it loads comes from the emulator: its HTML, JS and CSS, and hls.js (vendored in
``dashboard/``, Apache-2.0, see NOTICE). Its Content-Security-Policy lets the page reach nothing
but its own origin.

Private channels play with viewer tokens the emulator signs with the dashboard's key pair: one it
generates on first use, or the one given (``ivs-local --dashboard-key FILE``, the private key your
application signs with). As on IVS, a token is accepted once the key pair's public half is
imported (the page's "Import" button does it with ImportPlaybackKeyPair; a key your application
already imported is recognised by its fingerprint). The private key never leaves the emulator.
"""

from __future__ import annotations

import hashlib
from importlib import resources
from typing import TYPE_CHECKING, Any

from aiohttp import web

from ivs_async._exceptions import PlaybackTokenError
from ivs_async.testing._keys import fingerprint, read_p384_public_key

if TYPE_CHECKING:
    from ivs_async.playback import PlaybackSigner

PATH = "dashboard/"  # under the control API's prefix
KEY_PAIR_NAME = "ivs-local-dashboard"
TOKEN_SECONDS = 600  # a viewer token is checked when playback starts; the viewing goes on after
_NO_CRYPTOGRAPHY = "signing viewer tokens needs 'cryptography': pip install 'ivs-async[playback]'"
# What the page may load and reach: its own origin only (and the blob: URLs of its video). Its
# scripts are its own files (no inline script to inject); 'unsafe-eval' lets test tools evaluate
# expressions in it (Playwright's wait_for_function), which no script of the page ever does.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self' 'unsafe-eval'; style-src 'self'; img-src 'self' data:; "
    "media-src 'self' blob: data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
_FILES = {
    "": ("index.html", "text/html"),
    "dashboard.js": ("dashboard.js", "text/javascript"),
    "dashboard.css": ("dashboard.css", "text/css"),
    "hls.light.min.js": ("hls.light.min.js", "text/javascript"),
    "icon.svg": ("icon.svg", "image/svg+xml"),
}


class DashboardKey:
    """The key pair the dashboard signs viewer tokens with: given, or generated when first asked for."""

    def __init__(self, private_key_pem: str | bytes | None = None) -> None:
        self._signer: PlaybackSigner | None = None
        self._public_pem = ""
        self.given = private_key_pem is not None
        if private_key_pem is not None:
            try:
                self._load(private_key_pem)
            except PlaybackTokenError as exc:
                raise ValueError(f"dashboard_key {exc.message}") from None

    def __repr__(self) -> str:
        return f"DashboardKey({'given' if self.given else 'generated'}, private_key='****')"

    def _load(self, private_key: Any) -> None:
        from cryptography.hazmat.primitives import serialization

        from ivs_async.playback import PlaybackSigner, _load_private_key

        key = _load_private_key(private_key)
        self._signer = PlaybackSigner(key)
        public = key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        self._public_pem = public.decode()

    def _ready(self) -> PlaybackSigner:
        if self._signer is None:
            try:
                from cryptography.hazmat.primitives.asymmetric import ec
            except ImportError:  # pragma: no cover - exercised only without the extra
                raise ValueError(_NO_CRYPTOGRAPHY) from None
            self._load(ec.generate_private_key(ec.SECP384R1()))
        assert self._signer is not None
        return self._signer

    def describe(self) -> dict[str, Any]:
        """Its public half and fingerprint, or why there is none (no ``cryptography``)."""
        try:
            self._ready()
        except ValueError as exc:
            return {"available": False, "reason": str(exc), "given": self.given}
        return {
            "available": True,
            "given": self.given,
            "publicKeyMaterial": self._public_pem,
            "fingerprint": self.fingerprint,
        }

    @property
    def public_pem(self) -> str:
        self._ready()
        return self._public_pem

    @property
    def fingerprint(self) -> str:
        return fingerprint(read_p384_public_key(self.public_pem))

    def token(self, channel_arn: str, now: float) -> str:
        return self._ready().create_token(channel_arn, now=now, expires_in=TOKEN_SECONDS)


class StaticFiles:
    """The page's files, read from the package once each, answered with the page's policy."""

    def __init__(self) -> None:
        self._cache: dict[str, tuple[bytes, str]] = {}

    @staticmethod
    def serves(name: str) -> bool:
        return name in _FILES

    def _read(self, name: str) -> tuple[bytes, str]:
        """The file's bytes and ETag."""
        found = self._cache.get(name)
        if found is None:
            body = resources.files("ivs_async.testing").joinpath("dashboard", _FILES[name][0]).read_bytes()
            found = self._cache[name] = (body, '"' + hashlib.sha256(body).hexdigest()[:32] + '"')
        return found

    def answer(self, request: web.Request, name: str) -> web.StreamResponse:
        body, etag = self._read(name)
        headers = {
            "Content-Security-Policy": CONTENT_SECURITY_POLICY,
            "X-Content-Type-Options": "nosniff",
            "X-Frame-Options": "DENY",
            "Referrer-Policy": "no-referrer",
            "Cache-Control": "no-cache",  # a new version of the emulator shows its new page
            "ETag": etag,
        }
        if request.headers.get("If-None-Match") == etag:
            return web.Response(status=304, headers=headers)
        return web.Response(body=body, content_type=_FILES[name][1], charset="utf-8", headers=headers)

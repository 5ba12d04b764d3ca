"""Playback: key pairs, restriction policies, token checks and viewer-session revocations."""

from __future__ import annotations

import copy

from ivs_async.testing._backend._core import (
    CHANNEL,
    KEY_PAIR,
    POLICY,
    BackendCore,
    Json,
    Revocation,
    ServiceError,
    parse_time,
    wire_time,
)
from ivs_async.testing._keys import InvalidPublicKey, fingerprint, read_p384_public_key
from ivs_async.testing._playback import Viewing, check_restriction_policy, check_viewing, verify_token


class PlaybackMixin(BackendCore):
    """Playback: key pairs, restriction policies, token checks and viewer-session revocations."""

    def revocations(self, channel_arn: str | None = None) -> list[Revocation]:
        with self.lock:
            return [
                Revocation(
                    channel_arn=r["channelArn"],
                    viewer_id=r["viewerId"],
                    max_version=r["maxVersion"],
                    requested_at=parse_time(r["requestedAt"]),
                )
                for r in self._state["revocations"]
                if channel_arn is None or r["channelArn"] == channel_arn
            ]

    def authorize_playback(
        self, channel_arn: str, token: str | None, origin: str | None, country: str | None = None
    ) -> Viewing | None:
        """The viewing a request of the channel's playback URL starts; None when the channel does
        not exist or is not live (the URL then answers 404); PlaybackRefused when the channel's
        playback restriction policy or, for a private channel, the token does not allow it.
        ``country`` is the viewer's (ISO 3166 alpha-2, from the ``X-IVS-Local-Viewer-Country``
        header); None skips the country check."""
        with self.lock:
            channel = self._resources(CHANNEL).get(channel_arn)
            if channel is None:
                return None
            self._check_policy(channel, origin, country, first=True)
            claims = None
            if channel.get("authorized"):
                claims = verify_token(
                    token,
                    channel_arn=channel_arn,
                    origin=origin,
                    public_keys=self._state["keyMaterial"].values(),
                    now=self.clock().timestamp(),
                    used_single_use=self._used_single_use,
                    revocations=self._revocations_of(channel_arn),
                )
            live = self._state["live"].get(channel_arn)
            return Viewing.of(channel_arn, live["streamId"], claims) if live else None

    def authorize_viewing(self, viewing: Viewing, origin: str | None, country: str | None = None) -> bool:
        """Whether a variant playlist or segment request of ``viewing`` may be answered: False when
        its stream is no longer live (404), PlaybackRefused when the policy or the viewing's token
        refuses this request (strict origins, a revoked viewer session)."""
        with self.lock:
            channel = self._resources(CHANNEL).get(viewing.channel_arn)
            live = self._state["live"].get(viewing.channel_arn)
            if channel is None or live is None or live["streamId"] != viewing.stream_id:
                return False
            self._check_policy(channel, origin, country, first=False)
            check_viewing(viewing, origin, self._revocations_of(viewing.channel_arn))
            return True

    def _check_policy(self, channel: Json, origin: str | None, country: str | None, *, first: bool) -> None:
        policy_arn = channel.get("playbackRestrictionPolicyArn")
        if policy_arn:
            check_restriction_policy(self._resources(POLICY).get(policy_arn) or {}, origin, country, first=first)

    def _revocations_of(self, channel_arn: str) -> list[Json]:
        return [r for r in self._state["revocations"] if r["channelArn"] == channel_arn]

    def _import_playback_key_pair(self, request: Json) -> Json:
        try:
            der = read_p384_public_key(request["publicKeyMaterial"])
        except InvalidPublicKey as exc:
            raise ServiceError("ValidationException", str(exc)) from None
        key_fingerprint = fingerprint(der)
        for existing in self._resources(KEY_PAIR).values():
            if existing["fingerprint"] == key_fingerprint:
                raise ServiceError("ConflictException", f"This public key is already imported as {existing['arn']}")
        self._check_quota(KEY_PAIR)
        pair = {
            "arn": self._arn(KEY_PAIR, self._token(12)),
            "name": request.get("name", ""),
            "fingerprint": key_fingerprint,
            "tags": self._new_tags(request.get("tags")),
        }
        self._state["keyMaterial"][pair["arn"]] = request["publicKeyMaterial"]
        return {"keyPair": self._add(KEY_PAIR, pair)}

    def _get_playback_key_pair(self, request: Json) -> Json:
        return {"keyPair": self._get(KEY_PAIR, request["arn"])}

    def _delete_playback_key_pair(self, request: Json) -> Json:
        self._get(KEY_PAIR, request["arn"])
        del self._resources(KEY_PAIR)[request["arn"]]
        self._state["keyMaterial"].pop(request["arn"], None)
        return {}

    def _list_playback_key_pairs(self, request: Json) -> Json:
        return self._listing("ListPlaybackKeyPairs", request, "keyPairs", self._resources(KEY_PAIR).items())

    def _create_playback_restriction_policy(self, request: Json) -> Json:
        self._check_quota(POLICY)
        policy = {
            "arn": self._arn(POLICY, self._token(12)),
            "name": request.get("name", ""),
            "allowedCountries": request.get("allowedCountries", []),
            "allowedOrigins": request.get("allowedOrigins", []),
            "enableStrictOriginEnforcement": request.get("enableStrictOriginEnforcement", False),
            "tags": self._new_tags(request.get("tags")),
        }
        return {"playbackRestrictionPolicy": self._add(POLICY, policy)}

    def _get_playback_restriction_policy(self, request: Json) -> Json:
        return {"playbackRestrictionPolicy": self._get(POLICY, request["arn"])}

    def _update_playback_restriction_policy(self, request: Json) -> Json:
        policy = copy.deepcopy(self._get(POLICY, request["arn"]))
        for member in ("name", "allowedCountries", "allowedOrigins", "enableStrictOriginEnforcement"):
            if member in request:
                policy[member] = request[member]
        return {"playbackRestrictionPolicy": self._add(POLICY, policy)}

    def _delete_playback_restriction_policy(self, request: Json) -> Json:
        return self._delete_referenced(POLICY, "playbackRestrictionPolicyArn", request["arn"])

    def _list_playback_restriction_policies(self, request: Json) -> Json:
        return self._listing(
            "ListPlaybackRestrictionPolicies", request, "playbackRestrictionPolicies", self._resources(POLICY).items()
        )

    def _revoke(self, session: Json) -> None:
        self._state["revocations"].append(
            {
                "channelArn": session["channelArn"],
                "viewerId": session["viewerId"],
                "maxVersion": session.get("viewerSessionVersionsLessThanOrEqualTo", 0),
                "requestedAt": wire_time(self.clock()),
            }
        )
        self._keep("revocations")

    def _start_viewer_session_revocation(self, request: Json) -> Json:
        self._get(CHANNEL, request["channelArn"])
        self._revoke(request)
        return {}

    def _batch_start_viewer_session_revocation(self, request: Json) -> Json:
        errors = []
        for session in request["viewerSessions"]:
            if session["channelArn"] in self._resources(CHANNEL):
                self._revoke(session)
            else:
                errors.append(
                    {
                        "channelArn": session["channelArn"],
                        "viewerId": session["viewerId"],
                        "code": "ResourceNotFoundException",
                        "message": "Channel not found",
                    }
                )
        return {"errors": errors}

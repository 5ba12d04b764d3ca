"""Public keys that verify self-signed participant tokens (ECDSA P-384 PEM, as playback keys)."""

from __future__ import annotations

from ivs_async.testing._backend._core import Json, ServiceError
from ivs_async.testing._keys import InvalidPublicKey, fingerprint, read_p384_public_key
from ivs_async.testing._realtime._core import PUBLIC_KEY, RealTimeCore, pick

_SUMMARY = ("arn", "name", "tags")


class KeysMixin(RealTimeCore):
    """ImportPublicKey, GetPublicKey, DeletePublicKey, ListPublicKeys."""

    def _import_public_key(self, request: Json) -> Json:
        material = request["publicKeyMaterial"]
        try:
            der = read_p384_public_key(material)
        except InvalidPublicKey as exc:
            raise ServiceError("ValidationException", str(exc)) from None
        except ValueError:  # base64 of non-ASCII text (the model's pattern lets none through)
            raise ServiceError(
                "ValidationException", "publicKeyMaterial is not valid base64 inside the PEM block"
            ) from None
        key_fingerprint = fingerprint(der)
        for existing in self._resources(PUBLIC_KEY).values():
            if existing["fingerprint"] == key_fingerprint:
                raise ServiceError("ConflictException", f"This public key is already imported as {existing['arn']}")
        self._check_quota(PUBLIC_KEY)
        key = {
            "arn": self._arn(PUBLIC_KEY, self._id()),
            "name": request.get("name", ""),
            "publicKeyMaterial": material,
            "fingerprint": key_fingerprint,
            "tags": self._new_tags(request.get("tags")),
        }
        return {"publicKey": self._add(PUBLIC_KEY, key)}

    def _get_public_key(self, request: Json) -> Json:
        return {"publicKey": self._get(PUBLIC_KEY, request["arn"])}

    def _delete_public_key(self, request: Json) -> Json:
        self._get(PUBLIC_KEY, request["arn"])
        del self._resources(PUBLIC_KEY)[request["arn"]]
        return {}

    def _list_public_keys(self, request: Json) -> Json:
        keys = [(arn, pick(key, _SUMMARY)) for arn, key in self._resources(PUBLIC_KEY).items()]
        return self._listing("ListPublicKeys", request, "publicKeys", keys)

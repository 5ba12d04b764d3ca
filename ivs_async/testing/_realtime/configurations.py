"""Encoder configurations and storage configurations, which compositions (and stages) refer to."""

from __future__ import annotations

import re

from ivs_async.testing._backend._core import Json, ServiceError
from ivs_async.testing._realtime._core import ENCODER, STAGE, STORAGE, RealTimeCore, pick

_MAX_PIXELS = 1920 * 1080
_ENCODER_SUMMARY = ("arn", "name", "tags")
_STORAGE_SUMMARY = ("arn", "name", "s3", "tags")
# S3's bucket naming rules (general purpose buckets), beyond the model's [a-z0-9-.]{3,63}.
_IP_ADDRESS = re.compile(r"[0-9]{1,3}(\.[0-9]{1,3}){3}")
_RESERVED_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
_RESERVED_SUFFIXES = ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3")


def bucket_name_problem(name: str) -> str | None:
    """Why ``name`` is no valid S3 bucket name, or None."""
    if not 3 <= len(name) <= 63 or re.fullmatch(r"[a-z0-9.-]+", name) is None:
        return "must be 3 to 63 lowercase letters, digits, dots and hyphens"
    if not (name[0].isalnum() and name[-1].isalnum()):
        return "must begin and end with a letter or a digit"
    if ".." in name:
        return "must not have two adjacent dots"
    if _IP_ADDRESS.fullmatch(name):
        return "must not be formatted as an IP address"
    if name.startswith(_RESERVED_PREFIXES):
        return f"must not begin with {', '.join(_RESERVED_PREFIXES)}"
    if name.endswith(_RESERVED_SUFFIXES):
        return f"must not end with {', '.join(_RESERVED_SUFFIXES)}"
    return None


class ConfigurationsMixin(RealTimeCore):
    """Encoder configurations (how a composition renders) and storage configurations (its S3 bucket)."""

    def _running_compositions(self) -> list[Json]:
        """Compositions still at work (not STOPPED or FAILED): the compositions mixin answers."""
        return []

    # -- encoder configurations -----------------------------------------------------------------

    def _create_encoder_configuration(self, request: Json) -> Json:
        self._check_quota(ENCODER)
        video = {"width": 1280, "height": 720, "framerate": 30.0, "bitrate": 2500000, **request.get("video", {})}
        width, height = video["width"], video["height"]
        if width % 2 or height % 2:
            raise ServiceError("ValidationException", f"video width and height must be even, got {width}x{height}")
        if width * height > _MAX_PIXELS:
            raise ServiceError(
                "ValidationException",
                f"video width times height must be at most {_MAX_PIXELS} (1920x1080), got {width}x{height}",
            )
        configuration = {
            "arn": self._arn(ENCODER, self._id()),
            "name": request.get("name", ""),
            "video": video,
            "tags": self._new_tags(request.get("tags")),
        }
        return {"encoderConfiguration": self._add(ENCODER, configuration)}

    def _get_encoder_configuration(self, request: Json) -> Json:
        return {"encoderConfiguration": self._get(ENCODER, request["arn"])}

    def _delete_encoder_configuration(self, request: Json) -> Json:
        arn = request["arn"]
        self._get(ENCODER, arn)
        for composition in self._running_compositions():
            if arn in encoders_of(composition):
                raise ServiceError(
                    "ConflictException", f"Encoder configuration is in use by composition {composition['arn']}"
                )
        del self._resources(ENCODER)[arn]
        return {}

    def _list_encoder_configurations(self, request: Json) -> Json:
        configurations = [(arn, pick(c, _ENCODER_SUMMARY)) for arn, c in self._resources(ENCODER).items()]
        return self._listing("ListEncoderConfigurations", request, "encoderConfigurations", configurations)

    # -- storage configurations -----------------------------------------------------------------

    def _create_storage_configuration(self, request: Json) -> Json:
        self._check_quota(STORAGE)
        bucket = request["s3"]["bucketName"]
        problem = bucket_name_problem(bucket)
        if problem is not None:
            raise ServiceError("ValidationException", f"s3.bucketName {bucket!r} is not a valid bucket name: {problem}")
        configuration = {
            "arn": self._arn(STORAGE, self._id()),
            "name": request.get("name", ""),
            "s3": {"bucketName": bucket},
            "tags": self._new_tags(request.get("tags")),
        }
        return {"storageConfiguration": self._add(STORAGE, configuration)}

    def _get_storage_configuration(self, request: Json) -> Json:
        return {"storageConfiguration": self._get(STORAGE, request["arn"])}

    def _delete_storage_configuration(self, request: Json) -> Json:
        arn = request["arn"]
        self._get(STORAGE, arn)
        for composition in self._running_compositions():
            if any((d["configuration"].get("s3") or {}).get("storageConfigurationArn") == arn
                   for d in composition["destinations"]):  # fmt: skip
                raise ServiceError(
                    "ConflictException", f"Storage configuration is in use by composition {composition['arn']}"
                )
        for stage in self._resources(STAGE).values():
            if stage["autoParticipantRecordingConfiguration"]["storageConfigurationArn"] == arn:
                raise ServiceError(
                    "ConflictException",
                    f"Storage configuration is in use by stage {stage['arn']} for individual participant recording",
                )
        del self._resources(STORAGE)[arn]
        return {}

    def _list_storage_configurations(self, request: Json) -> Json:
        configurations = [(arn, pick(c, _STORAGE_SUMMARY)) for arn, c in self._resources(STORAGE).items()]
        # IVS's page: maxResults, or the smaller of the quota and 100.
        asked = dict(request)
        asked.setdefault("maxResults", min(self.quotas.storage_configurations, 100) or 100)
        return self._listing("ListStorageConfigurations", asked, "storageConfigurations", configurations)


def encoders_of(composition: Json) -> set[str]:
    """The encoder configurations a composition's destinations use."""
    found: set[str] = set()
    for destination in composition["destinations"]:
        configuration = destination["configuration"]
        channel, s3 = configuration.get("channel"), configuration.get("s3")
        if channel and channel.get("encoderConfigurationArn"):
            found.add(channel["encoderConfigurationArn"])
        if s3:
            found.update(s3.get("encoderConfigurationArns", []))
    return found

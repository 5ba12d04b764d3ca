"""IVS Chat's error answers, with the members its model gives each error beside ``message``.

ValidationException carries a ``reason`` and the fields at fault; ResourceNotFoundException and
ConflictException the resource's id and type; ServiceQuotaExceededException and
ThrottlingException also the ``limit``. The server sends ``fields`` as the error's members.
"""

from __future__ import annotations

import re

from ivs_async.testing._backend._core import ServiceError

ROOM = "ROOM"
# The model's ResourceType enum has only ROOM; a logging configuration is named for what it is
# (clients keep unknown enum values as strings).
LOGGING_CONFIGURATION = "LOGGING_CONFIGURATION"
_NOT_ID = re.compile(r"[^a-zA-Z0-9]")


def invalid(field: str, message: str, *, reason: str = "FIELD_VALIDATION_FAILED") -> ServiceError:
    """ValidationException naming one field and what is wrong with it."""
    return ServiceError(
        "ValidationException",
        f"{field} {message}",
        {"reason": reason, "fieldList": [{"name": field, "message": message}]},
    )


def resource_id(value: str) -> str:
    """``value`` as the model's ResourceId ([a-zA-Z0-9]+): what an error may name."""
    return _NOT_ID.sub("", value)[:128] or "unknown"


def not_found(resource_type: str, label: str, identifier: str, resource: str) -> ServiceError:
    return ServiceError(
        "ResourceNotFoundException",
        f"{label} not found: {identifier}",
        {"resourceId": resource_id(resource), "resourceType": resource_type},
    )


def conflict(resource_type: str, resource: str, message: str) -> ServiceError:
    return ServiceError(
        "ConflictException", message, {"resourceId": resource_id(resource), "resourceType": resource_type}
    )


def quota_exceeded(resource_type: str, resource: str, limit: int, message: str) -> ServiceError:
    return ServiceError(
        "ServiceQuotaExceededException",
        message,
        {"resourceId": resource_id(resource), "resourceType": resource_type, "limit": limit},
    )


def throttled(resource_type: str, resource: str, limit: int, message: str) -> ServiceError:
    return ServiceError(
        "ThrottlingException",
        message,
        {"resourceId": resource_id(resource), "resourceType": resource_type, "limit": limit},
    )

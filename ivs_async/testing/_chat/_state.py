"""IVS Chat's part of a saved state (``LocalIvs.snapshot()``'s ``"chat"``): its rooms, logging
configurations and the counter that orders them, checked before the backend takes them as the
API checks the same values: the model's shapes, ARNs and ids of this region and account, the
quotas, references to logging configurations of the same state.

Chat tokens are not part of it: they open one connection each within an hour, and clients ask
for a new one for each connection, so a restart costs only the tokens issued and not yet used
(and no token used before a restart can open a second connection after it).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import attrs

from ivs_async._generated.ivschat import schema
from ivs_async.testing._backend._core import Json
from ivs_async.testing._backend.state import check_wire, check_wire_time, require

if TYPE_CHECKING:
    from ivs_async.testing._chat._backend import ChatQuotas

PARTS = ("rooms", "loggingConfigurations", "sequence")
_MAX_SEQUENCE = 2**63
_ROOM_MEMBERS = frozenset(
    {"arn", "id", "name", "createTime", "updateTime", "maximumMessageRatePerSecond", "maximumMessageLength",
     "tags", "loggingConfigurationIdentifiers", "_seq"}
)  # fmt: skip
_LOGGING_MEMBERS = frozenset(
    {"arn", "id", "name", "createTime", "updateTime", "destinationConfiguration", "state", "tags", "_seq"}
)


@attrs.frozen
class ChatState:
    """A checked chat state, ready to be taken whole."""

    rooms: dict[str, Json]  # id -> room (its wire form, plus "_seq")
    logging: dict[str, Json]  # id -> logging configuration
    sequence: int

    @classmethod
    def empty(cls) -> ChatState:
        return cls(rooms={}, logging={}, sequence=0)


def check_chat_state(data: Any, *, region: str, account_id: str, quotas: ChatQuotas) -> ChatState:
    """The state ``data`` (a snapshot's ``"chat"``) holds, or EmulatorError naming its first problem."""
    require(isinstance(data, dict) and set(data) == set(PARTS), "chat", f"must hold exactly {', '.join(PARTS)}")
    sequence = data["sequence"]
    require(type(sequence) is int and 0 <= sequence <= _MAX_SEQUENCE, "chat.sequence", "must be a count")
    seen: set[int] = set()
    logging = data["loggingConfigurations"]
    require(isinstance(logging, dict), "chat.loggingConfigurations", "must be an object of them by id")
    require(len(logging) <= quotas.logging_configurations, "chat.loggingConfigurations",
            f"must hold at most {quotas.logging_configurations} (the quota)")  # fmt: skip
    for resource_id, config in logging.items():
        place = f"chat.loggingConfigurations[{resource_id[:100]!r}]"
        _check_resource(config, resource_id, place, _LOGGING_MEMBERS, schema.GetLoggingConfigurationResponse,
                        f"arn:aws:ivschat:{region}:{account_id}:logging-configuration/", sequence, seen)  # fmt: skip
        require(config["state"] == "ACTIVE", f"{place}.state", "must be ACTIVE")
    logging_arns = {config["arn"] for config in logging.values()}
    rooms = data["rooms"]
    require(isinstance(rooms, dict), "chat.rooms", "must be an object of rooms by id")
    require(len(rooms) <= quotas.rooms, "chat.rooms", f"must hold at most {quotas.rooms} rooms (the quota)")
    for resource_id, room in rooms.items():
        place = f"chat.rooms[{resource_id[:100]!r}]"
        members = _ROOM_MEMBERS | {"messageReviewHandler"}
        _check_resource(room, resource_id, place, members, schema.GetRoomResponse,
                        f"arn:aws:ivschat:{region}:{account_id}:room/", sequence, seen)  # fmt: skip
        refs = room["loggingConfigurationIdentifiers"]
        require(all(ref in logging_arns for ref in refs), f"{place}.loggingConfigurationIdentifiers",
                "must name logging configurations of this state")  # fmt: skip
        require(len(set(refs)) == len(refs), f"{place}.loggingConfigurationIdentifiers", "must not name one twice")
        handler = room.get("messageReviewHandler")
        require(handler is None or (handler.get("uri") and "fallbackResult" in handler),
                f"{place}.messageReviewHandler", "must have a uri and a fallbackResult")  # fmt: skip
    return ChatState(rooms=rooms, logging=logging, sequence=sequence)


def _check_resource(
    resource: Any,
    resource_id: str,
    place: str,
    members: frozenset[str],
    shape: Any,
    arn_prefix: str,
    sequence: int,
    seen: set[int],
) -> None:
    require(isinstance(resource, dict), place, "must be an object")
    required = members - {"messageReviewHandler"}
    missing, unknown = sorted(required - set(resource)), sorted(str(m)[:100] for m in set(resource) - members)
    require(not missing, place, f"lacks members {missing}")
    require(not unknown, place, f"has members {unknown[:5]} that it does not have")
    check_wire(shape, {k: v for k, v in resource.items() if k != "_seq"}, place)
    require(resource["id"] == resource_id, f"{place}.id", "must be the id it is kept by")
    require(resource["arn"] == arn_prefix + resource_id, f"{place}.arn", "must be its ARN in this region and account")
    for name in ("createTime", "updateTime"):
        check_wire_time(resource[name], f"{place}.{name}")
    order = resource["_seq"]
    require(type(order) is int and 0 < order <= sequence and order not in seen, f"{place}._seq",
            "must be a distinct number from 1 to the state's sequence")  # fmt: skip
    seen.add(order)
    reserved = [key for key in resource["tags"] if key.lower().startswith("aws:")]
    require(not reserved, f"{place}.tags", "must not have keys starting with 'aws:'")

"""IVS Local's IVS Chat control plane: rooms, logging configurations, chat tokens and tags, and
the moderation operations that reach the chat socket's clients.

Handlers take the wire request (camelCase, URI and query members merged in) that the server has
checked against the ivschat model, and return the wire response. IVS Chat's errors are
ServiceError with the error's other members in ``fields``. Nothing here does I/O; the backend is
called on the event loop, and it is the ``ChatTokens`` the chat socket redeems tokens with.
"""

from __future__ import annotations

import base64
import binascii
import copy
import json
import random
import re
import secrets
import string
import threading
import time
from collections import deque
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import attrs

from ivs_async._protocol.json import MAX_DEPTH, loads
from ivs_async.chat._wire import (
    CAPABILITIES,
    MAX_ATTRIBUTES_BYTES,
    MAX_EVENT_NAME,
    MAX_MESSAGE_LENGTH,
    MAX_REASON,
    MAX_USER_ID,
    MESSAGE_ID,
)
from ivs_async.testing._backend._core import Json, wire_time
from ivs_async.testing._chat._errors import (
    LOGGING_CONFIGURATION,
    ROOM,
    conflict,
    invalid,
    not_found,
    quota_exceeded,
    throttled,
)
from ivs_async.testing._chat._issued import IssuedTokens
from ivs_async.testing._chat._protocol import attributes_size, new_id
from ivs_async.testing._chat._request import Reader
from ivs_async.testing._chat._socket import ChatSocket
from ivs_async.testing._chat._state import ChatState, check_chat_state
from ivs_async.testing._chat._tokens import ChatRefused, ChatSession, RoomSettings

# CreateChatToken: a token opens a connection for an hour (what IVS Chat answers today); the
# session it opens lasts sessionDurationInMinutes from the token's creation.
TOKEN_LIFETIME = timedelta(hours=1)
DEFAULT_SESSION_MINUTES = 60
MAX_SESSION_MINUTES = 180
# CreateRoom's defaults and bounds.
DEFAULT_MESSAGE_RATE = 10
MAX_MESSAGE_RATE = 100
DEFAULT_FALLBACK = "ALLOW"
MAX_LOGGING_PER_ROOM = 3
MAX_TAGS = 50
MAX_PAGE = 50  # ListRooms and ListLoggingConfigurations: maxResults' bound and default
_MAX_IDENTIFIER = 128
_MAX_TOKEN_LENGTH = 1024  # PaginationToken
# Real tokens are KMS ciphertexts (base64 of one starts "AQICAH"); ours are random, in letters,
# digits, "-" and "_" only: a subprotocol must be an RFC 7230 token, and "/" or "=" would make
# browsers (and IVS's JS client) refuse it.
_TOKEN_PREFIX = "AQICAH"
_TOKEN_BODY = 250
_TOKEN_ALPHABET = string.ascii_letters + string.digits + "-_"
_ALNUM = string.ascii_letters + string.digits
_ROOM_KIND = "room"
_LOGGING_KIND = "logging-configuration"
_ARN = re.compile(r"arn:aws:ivschat:([a-z0-9-]+):([0-9]+):([a-z-]+)/([a-zA-Z0-9-]+)")
_BARE_ID = re.compile(r"[a-zA-Z0-9]+")
# What each kind of destination holds, and its bounds (the model's shapes).
_DESTINATIONS = {
    "s3": ("bucketName", 3, 63),
    "cloudWatchLogs": ("logGroupName", 1, 512),
    "firehose": ("deliveryStreamName", 1, 64),
}
_ROOM_FIELDS = (
    "arn",
    "id",
    "name",
    "createTime",
    "updateTime",
    "maximumMessageRatePerSecond",
    "maximumMessageLength",
    "messageReviewHandler",
    "tags",
    "loggingConfigurationIdentifiers",
)
_ROOM_SUMMARY = (
    "arn",
    "id",
    "name",
    "messageReviewHandler",
    "createTime",
    "updateTime",
    "tags",
    "loggingConfigurationIdentifiers",
)
_LOGGING_FIELDS = ("arn", "id", "createTime", "updateTime", "name", "destinationConfiguration", "state", "tags")
_MESSAGING = ("SendEvent", "DeleteMessage", "DisconnectUser")


@attrs.frozen(kw_only=True)
class ChatQuotas:
    """IVS Chat's service quotas the emulator enforces, at their published defaults; lower them
    to test what happens at a limit.

    ``messaging_requests_per_second``: SendEvent, DeleteMessage and DisconnectUser calls a second,
    each, across all rooms (ThrottlingException beyond).
    """

    rooms: int = 50_000  # not in the published table read (2026-12-06): the figure commonly given
    logging_configurations: int = 10
    messaging_requests_per_second: int = 100
    # Not an IVS quota but a bound of the emulator's memory: the tags of all rooms and logging
    # configurations together (keys and values, in characters). Beyond it creating or tagging
    # answers ServiceQuotaExceededException.
    tag_characters: int = 8 * 1024 * 1024


class ChatBackend:
    """One account's IVS Chat in one region. Every entry point takes the backend's lock.

    ``socket``: the chat socket SendEvent, DeleteMessage, DisconnectUser and DeleteRoom reach
    (set by LocalIvs); without one they answer as IVS does, and reach no client.
    """

    def __init__(
        self,
        *,
        region: str,
        account_id: str,
        clock: Callable[[], datetime],
        seed: int | None = None,
        quotas: ChatQuotas | None = None,
    ) -> None:
        self.region = region
        self.account_id = account_id
        self.clock = clock
        self.quotas = quotas or ChatQuotas()
        self.socket: ChatSocket | None = None
        self.lock = threading.RLock()
        self._random = random.Random(seed)
        self._rooms: dict[str, Json] = {}  # id -> room, in its wire form (plus "_seq")
        self._tag_characters = 0  # of every resource's tags: bounded by quotas.tag_characters
        self._logging: dict[str, Json] = {}  # id -> logging configuration
        self._tokens = IssuedTokens()
        self._seq = 0  # orders resources updated within one millisecond
        self._rates: dict[str, deque[float]] = {name: deque() for name in _MESSAGING}
        self._handlers: dict[str, Callable[[Reader], Json]] = {
            "CreateChatToken": self._create_chat_token,
            "CreateLoggingConfiguration": self._create_logging_configuration,
            "CreateRoom": self._create_room,
            "DeleteLoggingConfiguration": self._delete_logging_configuration,
            "DeleteMessage": self._delete_message,
            "DeleteRoom": self._delete_room,
            "DisconnectUser": self._disconnect_user,
            "GetLoggingConfiguration": self._get_logging_configuration,
            "GetRoom": self._get_room,
            "ListLoggingConfigurations": self._list_logging_configurations,
            "ListRooms": self._list_rooms,
            "ListTagsForResource": self._list_tags_for_resource,
            "SendEvent": self._send_event,
            "TagResource": self._tag_resource,
            "UntagResource": self._untag_resource,
            "UpdateLoggingConfiguration": self._update_logging_configuration,
            "UpdateRoom": self._update_room,
        }

    @property
    def operations(self) -> tuple[str, ...]:
        return tuple(self._handlers)

    # -- entry points -------------------------------------------------------------------------

    def handle(self, operation: str, request: Json) -> Json:
        """Run ``operation`` on a validated wire request; raises ServiceError for IVS Chat's errors."""
        handler = self._handlers.get(operation)
        if handler is None:
            raise invalid("operation", f"{operation[:100]!r} is not an IVS Chat operation", reason="UNKNOWN_OPERATION")
        with self.lock:
            # The socket's methods, called under the lock, only queue frames: they never call back.
            return handler(Reader(request))

    def reset(self) -> None:
        """Forget every room, logging configuration and token; the rooms' clients are let go."""
        with self.lock:
            arns = [room["arn"] for room in self._rooms.values()]
            self._rooms.clear()
            self._logging.clear()
            self._tag_characters = 0
            self._tokens.clear()
            for times in self._rates.values():
                times.clear()
        socket = self.socket
        if socket is not None:
            for arn in arns:
                socket.close_room(arn, "IVS Local was reset")

    # -- the saved state ----------------------------------------------------------------------------

    def snapshot(self) -> Json:
        """Rooms, logging configurations and the counter that orders them, as plain JSON (chat
        tokens are not kept: see ``_state``)."""
        state: Json = json.loads(self.snapshot_text())
        return state

    def snapshot_text(self) -> str:
        """``snapshot()`` as JSON text, written under the lock with nothing copied first."""
        with self.lock:
            return json.dumps({"rooms": self._rooms, "loggingConfigurations": self._logging, "sequence": self._seq})

    def load(self, data: Json) -> None:
        """Replace the state with one from ``snapshot()``, checked first as strictly as the API
        checks the same values (EmulatorError naming the first problem; the state is unchanged)."""
        self.replace(self.checked(copy.deepcopy(data)))

    def checked(self, data: Any) -> ChatState:
        """``data`` checked to be a state this backend can serve (EmulatorError naming the first
        problem); nothing is changed yet. ``data`` becomes the state's."""
        return check_chat_state(data, region=self.region, account_id=self.account_id, quotas=self.quotas)

    def replace(self, state: ChatState) -> None:
        """Take a checked state whole. The clients of rooms it does not have are let go; chat
        tokens already issued stay (one whose room is gone opens nothing, as after DeleteRoom)."""
        with self.lock:
            gone = [room["arn"] for room_id, room in self._rooms.items() if room_id not in state.rooms]
            self._rooms, self._logging, self._seq = state.rooms, state.logging, state.sequence
            resources = [*self._rooms.values(), *self._logging.values()]
            self._tag_characters = sum(_tag_characters(r.get("tags") or {}) for r in resources)
        socket = self.socket
        if socket is not None:
            for arn in gone:
                socket.close_room(arn, "IVS Local loaded another state")

    # -- ChatTokens: what the chat socket asks ---------------------------------------------------

    def redeem(self, token: str) -> ChatSession:
        """The session ``token`` opens, which uses the token up (ChatRefused: 401 for a token
        that is unknown, expired or used, or whose session has ended; 404 once its room is gone)."""
        with self.lock:
            now = self.clock()
            session = self._tokens.find(token, now)
            if self._room_by_arn(session.room_arn) is None:
                raise ChatRefused(404, "the chat room does not exist")
            if session.session_expiration_time <= now:
                raise ChatRefused(401, "the chat session has expired")
            self._tokens.use(token)
            return session

    def room(self, room_arn: str) -> RoomSettings | None:
        with self.lock:
            room = self._room_by_arn(room_arn)
            if room is None:
                return None
            return RoomSettings(
                maximum_message_length=room["maximumMessageLength"],
                maximum_message_rate_per_second=room["maximumMessageRatePerSecond"],
            )

    @property
    def outstanding_tokens(self) -> int:
        """Tokens issued and not yet expired (used ones included)."""
        with self.lock:
            self._tokens.expire(self.clock())
            return len(self._tokens)

    # -- rooms ------------------------------------------------------------------------------------

    def _create_room(self, request: Reader) -> Json:
        name = request.string("name", max_length=128) or ""
        rate = request.integer("maximumMessageRatePerSecond", 1, MAX_MESSAGE_RATE)
        length = request.integer("maximumMessageLength", 1, MAX_MESSAGE_LENGTH)
        handler = _review_handler(_read_review_handler(request.struct("messageReviewHandler")), None)
        tags = _merge_tags({}, _tag_keys(request.string_map("tags", max_items=MAX_TAGS) or {}))
        refs = self._logging_refs(request)
        if len(self._rooms) >= self.quotas.rooms:
            raise quota_exceeded(
                ROOM,
                self.account_id,
                self.quotas.rooms,
                f"Request would exceed the quota of {self.quotas.rooms} rooms in {self.region}",
            )
        self._retag(ROOM, {}, tags)
        room_id = self._new_id(self._rooms)
        now = wire_time(self.clock())
        room: Json = {
            "arn": self._arn(_ROOM_KIND, room_id),
            "id": room_id,
            "name": name,
            "createTime": now,
            "updateTime": now,
            "maximumMessageRatePerSecond": rate or DEFAULT_MESSAGE_RATE,
            "maximumMessageLength": length or MAX_MESSAGE_LENGTH,
            "tags": tags,
            "loggingConfigurationIdentifiers": refs or [],
        }
        if handler is not None:
            room["messageReviewHandler"] = handler
        self._touch(room, now)
        self._rooms[room_id] = room
        return _show(room, _ROOM_FIELDS)

    def _get_room(self, request: Reader) -> Json:
        return _show(self._room(request.required_string("identifier", max_length=_MAX_IDENTIFIER)), _ROOM_FIELDS)

    def _update_room(self, request: Reader) -> Json:
        identifier = request.required_string("identifier", max_length=_MAX_IDENTIFIER)
        name = request.string("name", max_length=128)
        rate = request.integer("maximumMessageRatePerSecond", 1, MAX_MESSAGE_RATE)
        length = request.integer("maximumMessageLength", 1, MAX_MESSAGE_LENGTH)
        review = _read_review_handler(request.struct("messageReviewHandler"))
        room = self._room(identifier)
        refs = self._logging_refs(request)
        handler = _review_handler(review, room.get("messageReviewHandler"))
        # Checked in full first: a refused update changes nothing.
        if name is not None:
            room["name"] = name
        if rate is not None:
            room["maximumMessageRatePerSecond"] = rate
        if length is not None:
            room["maximumMessageLength"] = length
        if handler is None:
            room.pop("messageReviewHandler", None)
        else:
            room["messageReviewHandler"] = handler
        if refs is not None:
            room["loggingConfigurationIdentifiers"] = refs
        self._touch(room, wire_time(self.clock()))
        return _show(room, _ROOM_FIELDS)

    def _delete_room(self, request: Reader) -> Json:
        room = self._room(request.required_string("identifier", max_length=_MAX_IDENTIFIER))
        self._retag(ROOM, room["tags"], {})
        del self._rooms[room["id"]]
        # Its outstanding tokens stay until they expire: redeeming one answers 404.
        if self.socket is not None:
            self.socket.close_room(room["arn"])
        return {}

    def _list_rooms(self, request: Reader) -> Json:
        name = request.string("name", max_length=128)
        uri = request.string("messageReviewHandlerUri", max_length=170)
        logging = request.string("loggingConfigurationIdentifier", max_length=_MAX_IDENTIFIER)
        logging_arn = self._logging_configuration(logging)["arn"] if logging else None
        rooms = [
            room
            for room in self._rooms.values()
            if (not name or room["name"] == name)
            and (not uri or room.get("messageReviewHandler", {}).get("uri") == uri)
            and (logging_arn is None or logging_arn in room["loggingConfigurationIdentifiers"])
        ]
        return self._page("ListRooms", request, rooms, "rooms", _ROOM_SUMMARY)

    def _logging_refs(self, request: Reader) -> list[str] | None:
        """The ARNs of the logging configurations a request attaches (None: not given)."""
        member = "loggingConfigurationIdentifiers"
        given = request.strings(member, max_items=MAX_LOGGING_PER_ROOM, max_length=_MAX_IDENTIFIER)
        if given is None:
            return None
        arns = [self._logging_configuration(identifier)["arn"] for identifier in given]
        if len(set(arns)) != len(arns):
            raise invalid(member, "must not name a logging configuration twice")
        return arns

    # -- logging configurations -------------------------------------------------------------------

    def _create_logging_configuration(self, request: Reader) -> Json:
        destination = _destination(request.struct("destinationConfiguration", required=True))
        name = request.string("name", max_length=128) or ""
        tags = _merge_tags({}, _tag_keys(request.string_map("tags", max_items=MAX_TAGS) or {}))
        limit = self.quotas.logging_configurations
        if len(self._logging) >= limit:
            raise quota_exceeded(
                LOGGING_CONFIGURATION,
                self.account_id,
                limit,
                f"Request would exceed the quota of {limit} logging configurations in {self.region}",
            )
        self._retag(LOGGING_CONFIGURATION, {}, tags)
        config_id = self._new_id(self._logging)
        now = wire_time(self.clock())
        config: Json = {
            "arn": self._arn(_LOGGING_KIND, config_id),
            "id": config_id,
            "name": name,
            "createTime": now,
            "updateTime": now,
            "destinationConfiguration": destination,
            "state": "ACTIVE",  # IVS Chat answers CreateLoggingConfiguration with ACTIVE
            "tags": tags,
        }
        self._touch(config, now)
        self._logging[config_id] = config
        return _show(config, _LOGGING_FIELDS)

    def _get_logging_configuration(self, request: Reader) -> Json:
        identifier = request.required_string("identifier", max_length=_MAX_IDENTIFIER)
        return _show(self._logging_configuration(identifier), _LOGGING_FIELDS)

    def _update_logging_configuration(self, request: Reader) -> Json:
        config = self._logging_configuration(request.required_string("identifier", max_length=_MAX_IDENTIFIER))
        name = request.string("name", max_length=128)
        given = request.struct("destinationConfiguration")
        destination = _destination(given) if given is not None else None
        if name is not None:
            config["name"] = name
        if destination is not None:
            config["destinationConfiguration"] = destination
        self._touch(config, wire_time(self.clock()))
        return _show(config, _LOGGING_FIELDS)

    def _delete_logging_configuration(self, request: Reader) -> Json:
        config = self._logging_configuration(request.required_string("identifier", max_length=_MAX_IDENTIFIER))
        users = sorted(r["id"] for r in self._rooms.values() if config["arn"] in r["loggingConfigurationIdentifiers"])
        if users:
            raise conflict(
                ROOM,
                users[0],
                f"Logging configuration {config['arn']} is attached to {len(users)} room(s), such as "
                f"{self._arn(_ROOM_KIND, users[0])}; detach it first",
            )
        self._retag(LOGGING_CONFIGURATION, config["tags"], {})
        del self._logging[config["id"]]
        return {}

    def _list_logging_configurations(self, request: Reader) -> Json:
        return self._page(
            "ListLoggingConfigurations",
            request,
            list(self._logging.values()),
            "loggingConfigurations",
            _LOGGING_FIELDS,
        )

    # -- chat tokens and moderation -----------------------------------------------------------

    def _create_chat_token(self, request: Reader) -> Json:
        identifier = request.required_string("roomIdentifier", max_length=_MAX_IDENTIFIER)
        user_id = request.required_string("userId", max_length=MAX_USER_ID)
        capabilities = request.strings("capabilities", max_items=10_000) or []
        unknown = sorted(set(capabilities) - set(CAPABILITIES))
        if unknown:
            raise invalid("capabilities", f"must hold only {', '.join(CAPABILITIES)}")
        minutes = request.integer("sessionDurationInMinutes", 1, MAX_SESSION_MINUTES) or DEFAULT_SESSION_MINUTES
        attributes = self._attributes(request)
        room = self._room(identifier)
        now = self.clock()
        session = ChatSession(
            room_arn=room["arn"],
            user_id=user_id,
            session_expiration_time=now + timedelta(minutes=minutes),
            capabilities=frozenset(capabilities),
            attributes=attributes,
        )
        # From the OS's generator, seed or not: one drawn from `random` could be predicted from
        # tokens a client was given, and so other users' tokens.
        token = _TOKEN_PREFIX + "".join(secrets.choice(_TOKEN_ALPHABET) for _ in range(_TOKEN_BODY))
        expires = now + TOKEN_LIFETIME
        self._tokens.add(token, session, expires, now)
        return {
            "token": token,
            "tokenExpirationTime": wire_time(expires),
            "sessionExpirationTime": wire_time(session.session_expiration_time),
        }

    def _send_event(self, request: Reader) -> Json:
        identifier = request.required_string("roomIdentifier", max_length=_MAX_IDENTIFIER)
        name = request.required_string("eventName", max_length=MAX_EVENT_NAME)
        attributes = self._attributes(request)
        room = self._room(identifier)
        self._check_rate("SendEvent", room)
        socket = self.socket
        return {"id": socket.send_event(room["arn"], name, attributes) if socket is not None else new_id()}

    def _delete_message(self, request: Reader) -> Json:
        identifier = request.required_string("roomIdentifier", max_length=_MAX_IDENTIFIER)
        message_id = request.required_string("id", max_length=12)
        if not MESSAGE_ID.fullmatch(message_id):
            raise invalid("id", "must be a message id: 12 letters and digits")
        reason = request.string("reason", min_length=1, max_length=MAX_REASON)
        room = self._room(identifier)
        self._check_rate("DeleteMessage", room)
        socket = self.socket
        return {"id": socket.delete_message(room["arn"], message_id, reason) if socket is not None else new_id()}

    def _disconnect_user(self, request: Reader) -> Json:
        identifier = request.required_string("roomIdentifier", max_length=_MAX_IDENTIFIER)
        user_id = request.required_string("userId", max_length=MAX_USER_ID)
        reason = request.string("reason", min_length=1, max_length=MAX_REASON)
        room = self._room(identifier)
        self._check_rate("DisconnectUser", room)
        if self.socket is not None:
            self.socket.disconnect_user(room["arn"], user_id, reason)
        return {}

    def _attributes(self, request: Reader) -> dict[str, str]:
        attributes = request.string_map("attributes", max_items=MAX_ATTRIBUTES_BYTES + 1) or {}
        if attributes_size(attributes) > MAX_ATTRIBUTES_BYTES:
            raise invalid("attributes", f"must be at most {MAX_ATTRIBUTES_BYTES} bytes in all (keys and values, UTF-8)")
        return attributes

    def _check_rate(self, operation: str, room: Json) -> None:
        limit = self.quotas.messaging_requests_per_second
        now = time.monotonic()
        times = self._rates[operation]
        while times and now - times[0] >= 1.0:
            times.popleft()
        if len(times) >= limit:
            raise throttled(ROOM, room["id"], limit, f"{operation} is limited to {limit} requests a second")
        times.append(now)

    # -- tags -------------------------------------------------------------------------------------

    def _tag_resource(self, request: Reader) -> Json:
        arn = request.required_string("resourceArn", max_length=_MAX_IDENTIFIER)
        added = _tag_keys(request.string_map("tags", max_items=MAX_TAGS, required=True) or {})
        resource = self._tagged(arn)
        merged = _merge_tags(resource["tags"], added)
        self._retag(ROOM if f":{_ROOM_KIND}/" in arn else LOGGING_CONFIGURATION, resource["tags"], merged)
        resource["tags"] = merged
        return {}

    def _untag_resource(self, request: Reader) -> Json:
        arn = request.required_string("resourceArn", max_length=_MAX_IDENTIFIER)
        keys = request.strings("tagKeys", max_items=MAX_TAGS, max_length=128, required=True) or []
        resource = self._tagged(arn)
        kept = {k: v for k, v in resource["tags"].items() if k not in keys}
        self._retag(ROOM, resource["tags"], kept)
        resource["tags"] = kept
        return {}

    def _retag(self, resource_type: str, before: dict[str, str], after: dict[str, str]) -> None:
        """Account for a resource's tags going from ``before`` to ``after``, within the bound."""
        delta = _tag_characters(after) - _tag_characters(before)
        limit = self.quotas.tag_characters
        if delta > 0 and self._tag_characters + delta > limit:
            raise quota_exceeded(
                resource_type,
                self.account_id,
                limit,
                f"IVS Local keeps at most {limit} characters of tags for all chat resources together",
            )
        self._tag_characters += delta

    def _list_tags_for_resource(self, request: Reader) -> Json:
        resource = self._tagged(request.required_string("resourceArn", max_length=_MAX_IDENTIFIER))
        return {"tags": dict(resource["tags"])}

    def _tagged(self, arn: str) -> Json:
        match = _ARN.fullmatch(arn)
        kind = match.group(3) if match else ""
        if match is not None and (match.group(1), match.group(2)) == (self.region, self.account_id):
            table = {_ROOM_KIND: self._rooms, _LOGGING_KIND: self._logging}.get(kind, {})
            found = table.get(match.group(4))
            if found is not None:
                return found
        resource_type = LOGGING_CONFIGURATION if kind == _LOGGING_KIND else ROOM
        raise not_found(resource_type, "Resource", arn, arn.rsplit("/", 1)[-1])

    # -- helpers ----------------------------------------------------------------------------------

    def _arn(self, kind: str, resource_id: str) -> str:
        return f"arn:aws:ivschat:{self.region}:{self.account_id}:{kind}/{resource_id}"

    def _new_id(self, taken: dict[str, Json]) -> str:
        while True:
            value = "".join(self._random.choice(_ALNUM) for _ in range(12))
            if value not in taken:
                return value

    def _touch(self, resource: Json, now: str) -> None:
        self._seq += 1
        resource["updateTime"] = now
        resource["_seq"] = self._seq

    def _resolve(self, identifier: str, kind: str) -> str | None:
        """The id of this account's ``kind`` resource ``identifier`` names (its ARN or its id)."""
        match = _ARN.fullmatch(identifier)
        if match is None:
            return identifier if _BARE_ID.fullmatch(identifier) else None
        region, account, found_kind, resource_id = match.groups()
        return resource_id if (region, account, found_kind) == (self.region, self.account_id, kind) else None

    def _room(self, identifier: str) -> Json:
        resource_id = self._resolve(identifier, _ROOM_KIND)
        room = self._rooms.get(resource_id) if resource_id is not None else None
        if room is None:
            raise not_found(ROOM, "Room", identifier, identifier.rsplit("/", 1)[-1])
        return room

    def _room_by_arn(self, arn: str) -> Json | None:
        match = _ARN.fullmatch(arn)
        if match is None or match.groups()[:3] != (self.region, self.account_id, _ROOM_KIND):
            return None
        return self._rooms.get(match.group(4))

    def _logging_configuration(self, identifier: str) -> Json:
        resource_id = self._resolve(identifier, _LOGGING_KIND)
        config = self._logging.get(resource_id) if resource_id is not None else None
        if config is None:
            raise not_found(LOGGING_CONFIGURATION, "Logging configuration", identifier, identifier.rsplit("/", 1)[-1])
        return config

    def _page(self, operation: str, request: Reader, items: list[Json], key: str, fields: tuple[str, ...]) -> Json:
        """One page of ``items``, the latest updated first, after the request's nextToken."""
        size = request.integer("maxResults", 1, MAX_PAGE) or MAX_PAGE
        token = request.string("nextToken", max_length=_MAX_TOKEN_LENGTH)
        ordered = sorted(items, key=_order, reverse=True)
        if token:
            after = _read_token(operation, token)
            ordered = [item for item in ordered if _order(item) < after]
        page = ordered[:size]
        body: Json = {key: [_show(item, fields) for item in page]}
        if len(ordered) > size:
            body["nextToken"] = _make_token(operation, page[-1])
        return body


def _read_review_handler(given: Reader | None) -> tuple[str | None, str | None] | None:
    """A request's messageReviewHandler: its uri and fallbackResult, each None when not given."""
    if given is None:
        return None
    return given.string("uri", max_length=170), given.choice("fallbackResult", ("ALLOW", "DENY"))


def _review_handler(given: tuple[str | None, str | None] | None, current: Json | None) -> Json | None:
    """A room's message review handler after ``given``: none once its uri is empty."""
    if given is None:
        return current
    uri, fallback = given
    if uri is None:
        uri = current["uri"] if current is not None else ""
    if not uri:
        return None
    kept = current["fallbackResult"] if current is not None else DEFAULT_FALLBACK
    return {"uri": uri, "fallbackResult": fallback or kept}


def _destination(given: Reader | None) -> Json:
    """A destinationConfiguration: exactly one of its members (a union)."""
    assert given is not None  # read with required=True
    members = given.members()
    if len(members) != 1 or members[0] not in _DESTINATIONS:
        raise invalid(given.path, f"must have exactly one member: {', '.join(_DESTINATIONS)}")
    kind = members[0]
    member, low, high = _DESTINATIONS[kind]
    inner = given.struct(kind, required=True)
    assert inner is not None
    return {kind: {member: inner.required_string(member, min_length=low, max_length=high)}}


def _tag_keys(added: dict[str, str]) -> dict[str, str]:
    """``added``, once its keys and values are ones a tag may have."""
    for key, value in added.items():
        if not 1 <= len(key) <= 128 or len(value) > 256:
            raise invalid("tags", "keys must be 1 to 128 characters long, values at most 256")
        if key.lower().startswith("aws:"):
            raise invalid("tags", "keys starting with 'aws:' are reserved for AWS")
    return added


def _merge_tags(current: dict[str, str], added: dict[str, str]) -> dict[str, str]:
    merged = {**current, **added}
    if len(merged) > MAX_TAGS:
        raise invalid("tags", f"a resource can have at most {MAX_TAGS} tags; this would give it {len(merged)}")
    return merged


def _show(resource: Json, fields: tuple[str, ...]) -> Json:
    return {field: copy.deepcopy(resource[field]) for field in fields if field in resource}


def _order(resource: Json) -> tuple[str, int]:
    return resource["updateTime"], resource["_seq"]


def _make_token(operation: str, last: Json) -> str:
    raw = json.dumps({"op": operation, "t": last["updateTime"], "s": last["_seq"]}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _read_token(operation: str, token: str) -> tuple[str, int]:
    data: Any
    try:
        data = loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)), max_depth=MAX_DEPTH)
    except (ValueError, binascii.Error):  # JsonError and non-ASCII text are ValueErrors
        data = None
    if (
        not isinstance(data, dict)
        or data.get("op") != operation
        or not isinstance(data.get("t"), str)
        or type(data.get("s")) is not int
    ):
        raise invalid("nextToken", f"is not a token {operation} returned")
    return data["t"], data["s"]


def _tag_characters(tags: dict[str, str]) -> int:
    return sum(len(key) + len(value) for key, value in tags.items())

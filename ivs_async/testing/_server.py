"""The emulator's HTTP side: routing, signature check, faults, request reading, the services' wire
answers. IVS, IVS Chat and IVS Real-Time share the endpoint: their paths differ, but for
``/tags/{resourceArn}``, which goes to the service that owns the ARN."""

from __future__ import annotations

import asyncio
import json
import logging
import re
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping, Sequence
from email.utils import formatdate
from typing import Any, Protocol
from urllib.parse import unquote

from aiohttp import web

from ivs_async._generated.ivs.errors import MODELED_STATUS
from ivs_async._protocol.command import Operation
from ivs_async._protocol.json import MAX_DEPTH, JsonError, loads
from ivs_async._protocol.schema import Kind, Location
from ivs_async._protocol.validation import compile_wire_validator
from ivs_async.testing._auth import AuthError, SignatureChecker
from ivs_async.testing._backend import IvsBackend, Json, ServiceError, project
from ivs_async.testing._chat import ChatSocket
from ivs_async.testing._control import PREFIX as CONTROL_PREFIX
from ivs_async.testing._control import ControlApi
from ivs_async.testing._delivery import Delivery
from ivs_async.testing._faults import Fault, FaultKind, FaultPlan
from ivs_async.testing._guard import GuardedConnection
from ivs_async.testing._limits import Peers, QuietLogger, accept_backlog
from ivs_async.testing._state_dir import StateTooLarge

_log = logging.getLogger("ivs_async.testing")
# IVS's largest request (a BatchGetChannel of 100 ARNs, a PutMetadata) is a few kilobytes.
MAX_BODY_BYTES = 1024 * 1024
# A client that has not sent its whole body by then is not going to.
BODY_TIMEOUT = 10.0

_JSON = "application/json"
_HTML = (
    "<html><head><title>{status} Service Temporarily Unavailable</title></head>"
    "<body><center><h1>{status} Service Temporarily Unavailable</h1></center></body></html>"
)


class Backend(Protocol):
    """A service's state and behaviour: a validated wire request in, the wire answer out, or
    ServiceError."""

    def handle(self, operation: str, request: Json) -> Json: ...


class ServedService:
    """One service on the emulator's endpoint: its operations, its backend, how its errors look
    (``message_key``: ``exceptionMessage`` for IVS and Real-Time, ``message`` for Chat, which also
    lists the fields a request got wrong: ``field_list``) and, for
    ``/tags/{resourceArn}``, which ARNs it owns."""

    def __init__(
        self,
        *,
        name: str,
        signing_name: str,
        operations: Mapping[str, Operation],
        statuses: Mapping[str, int],
        backend: Backend,
        owns: Callable[[str], bool],
        message_key: str = "exceptionMessage",
        field_list: bool = False,
    ) -> None:
        self.name = name
        self.signing_name = signing_name
        self.operations = operations
        self.statuses = statuses
        self.backend = backend
        self.owns = owns
        self.message_key = message_key
        self.field_list = field_list  # its ValidationException names the fields (reason, fieldList)

    def error_response(self, code: str, message: str, fields: Json | None = None) -> web.Response:
        """An error as the service sends it: the code in x-amzn-ErrorType, the message and the
        error's other members in the body."""
        body = {**(fields or {}), self.message_key: message}
        return _error(self.statuses.get(code, 400), code, body)


class _Route:
    """One operation's HTTP binding and its compiled request reader."""

    def __init__(self, operation: Operation, service: ServedService) -> None:
        self.operation = operation
        self.service = service
        self.validate = compile_wire_validator(operation.input)
        self.has_body = any(m.location is Location.BODY for m in operation.input.members)
        self.labels = [(m.wire, m.location_name) for m in operation.input.members if m.location is Location.URI]
        self.query = [
            (m.wire, m.location_name, m.shape.kind is Kind.LIST)
            for m in operation.input.members
            if m.location is Location.QUERYSTRING
        ]
        pattern = re.escape(operation.uri)
        for _, name in self.labels:
            pattern = pattern.replace(re.escape("{" + name + "}"), f"(?P<{name}>.+)")
        self.path = re.compile(pattern)


class EmulatorServer:
    """Serves an IvsBackend, and the other services' backends beside it, on a loopback port with aiohttp."""

    def __init__(
        self,
        backend: IvsBackend,
        checker: SignatureChecker,
        faults: FaultPlan,
        *,
        verify_signatures: Callable[[], bool],
        peers: Peers,
        body_timeout: float = BODY_TIMEOUT,
        services: Sequence[ServedService] = (),
    ) -> None:
        self.backend = backend
        self._peers = peers
        self._guards: dict[Any, GuardedConnection] = {}  # transport -> its bounds
        self.body_timeout = body_timeout
        self.checker = checker
        self.faults = faults
        self._verify = verify_signatures
        self._fixed: dict[tuple[str, str], _Route] = {}
        self._templated: list[_Route] = []
        # IVS owns what no other service claims: the tags of an unknown ARN get IVS's answer.
        self.services = [*services, ivs_service(backend)]
        for service in self.services:
            for operation in service.operations.values():
                route = _Route(operation, service)
                if route.labels:
                    self._templated.append(route)
                elif (operation.method, operation.uri) in self._fixed:
                    raise ValueError(f"two services serve {operation.method} {operation.uri}")
                else:
                    self._fixed[(operation.method, operation.uri)] = route
        self._runner: web.AppRunner | None = None
        self._listener: asyncio.Server | None = None
        self.requests: Counter[str] = Counter()  # operation name -> requests received
        self.throttled: Counter[str] = Counter()  # operation name -> answered ThrottlingException by a limit
        self.control: ControlApi | None = None  # /_ivs_local/..., set by LocalIvs
        self.chat_socket: ChatSocket | None = None  # the IVS Chat Messaging WebSocket, set by LocalIvs
        self.delivery: Delivery | None = None  # playback URLs, variant playlists, segments; set by LocalIvs
        # Awaited after an operation that changed the state: returns once it is saved (a state dir).
        self.commit: Callable[[], Awaitable[None]] | None = None
        # Requests that met an emulator bug: answered 400 and logged once each. Tests check it stays 0.
        self.unexpected_errors = 0

    async def start(self, host: str, port: int) -> int:
        """Listen on ``host``:``port`` (0: any free port); returns the port."""
        app = web.Application(client_max_size=MAX_BODY_BYTES)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        app.on_response_prepare.append(self._date_header)
        # handler_cancellation: a hung answer stops when its client goes away.
        # aiohttp logs each malformed request with a traceback: once a minute per kind here.
        quiet = QuietLogger(logging.getLogger("aiohttp.server"), self._peers)
        self._runner = web.AppRunner(
            app, access_log=None, shutdown_timeout=0.5, handler_cancellation=True, logger=quiet
        )
        await self._runner.setup()
        protocol = self._runner.server
        assert protocol is not None
        # aiohttp's protocol for each connection, inside one that keeps it within IVS Local's bounds.
        self._listener = await asyncio.get_running_loop().create_server(
            lambda: GuardedConnection(protocol(), self._peers, self._guards),
            host,
            port,
            backlog=accept_backlog(self._peers.limits),
        )
        bound: int = self._listener.sockets[0].getsockname()[1]
        return bound

    async def _date_header(self, request: web.Request, response: web.StreamResponse) -> None:
        # The emulator's clock, not the host's: a client learns its skew from this header.
        response.headers["Date"] = formatdate(self.checker.clock().timestamp(), usegmt=True)

    async def stop(self) -> None:
        listener, self._listener = self._listener, None
        if listener is not None:
            listener.close()
        if self._runner is not None:
            runner, self._runner = self._runner, None
            await runner.cleanup()
        if listener is not None:
            await listener.wait_closed()

    # -- one request ------------------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        """One request. Whatever a client sends gets an answer in IVS's form, never a 5xx: a
        failure of the emulator itself is logged in one line and answered 400."""
        guard = self._guards.get(request.transport)
        if guard is not None:
            guard.request_started()
        try:
            return await self._handle_request(request)
        except (asyncio.CancelledError, web.HTTPException):
            raise
        except Exception as exc:
            self.unexpected_errors += 1
            _log.warning(
                "ivs-local could not handle %s %s: %s (answered 400)",
                request.method,
                request.rel_url.path[:200],
                type(exc).__name__,
            )
            # Which service's form is unknown here: both message keys (IVS's and IVS Chat's).
            message = "The request could not be processed"
            return _error(400, "ValidationException", {"exceptionMessage": message, "message": message})
        finally:
            if guard is not None:
                guard.request_finished()

    async def _handle_request(self, request: web.Request) -> web.StreamResponse:
        raw_path = request.raw_path
        path = raw_path.partition("?")[0]
        if self.delivery is not None and self.delivery.serves(path):
            return self.delivery.handle(request, path)
        if path.startswith(CONTROL_PREFIX) and self.control is not None:
            return await self.control.handle(request, path)
        if self.chat_socket is not None and self.chat_socket.serves(request):
            return await self.chat_socket.handle(request)
        route, labels = self._route(request.method, path, request.headers.get("Authorization", ""))
        if route is None:
            return _error(
                404, "UnknownOperationException", {"message": f"No operation at {request.method} {path[:200]}"}
            )
        name = route.operation.name
        self.requests[name] += 1
        fault = self.faults.take(name)
        if fault is not None:
            if fault.delay and fault.kind not in (FaultKind.SLOW_BODY, FaultKind.HANG):
                await asyncio.sleep(fault.delay)
            early = await _early_fault(request, fault, route.service)
            if early is not None:
                return early
        signed = None
        if self._verify():
            # Everything but the signature itself is checked before a byte of the body is read.
            try:
                signed = self.checker.check_headers(
                    request.headers, request.headers.items(), route.service.signing_name
                )
            except AuthError as exc:
                return _error(403, exc.code, {"message": exc.message})
        try:
            async with asyncio.timeout(self.body_timeout):
                body = await request.read()
        except TimeoutError:
            return _error(408, "RequestTimeoutException", {"message": "the request body did not arrive in time"})
        except web.HTTPRequestEntityTooLarge:
            return route.service.error_response(
                "ValidationException", f"the request body is larger than {MAX_BODY_BYTES} bytes"
            )
        if signed is not None:
            try:
                self.checker.check_signature(signed, request.method, raw_path, request.headers, body)
            except AuthError as exc:
                return _error(403, exc.code, {"message": exc.message})
        response = await self._answer(route, labels, request, body)
        if fault is not None and fault.kind in _LATE_FAULTS:
            return await _late_fault(request, fault, response)
        return response

    def _route(self, method: str, path: str, authorization: str = "") -> tuple[_Route | None, dict[str, str]]:
        route = self._fixed.get((method, path))
        if route is not None:
            return route, {}
        found: list[tuple[_Route, dict[str, str]]] = []
        for candidate in self._templated:
            if candidate.operation.method == method:
                match = candidate.path.fullmatch(path)
                if match:
                    found.append((candidate, {k: unquote(v) for k, v in match.groupdict().items()}))
        if len(found) > 1:
            # /tags/{resourceArn}: the services the request is signed for (on AWS, the host it
            # went to), then among them (IVS and Real-Time both sign as ivs) the ARN's owner,
            # else the last: IVS, which answers an ARN it does not know as IVS does.
            scope = _SIGNED_SERVICE.search(authorization)
            signed = [f for f in found if scope is not None and f[0].service.signing_name == scope.group(1)]
            arn = found[0][1].get("resourceArn", "")
            candidates = signed or found
            return next((f for f in candidates if f[0].service.owns(arn)), candidates[-1])
        return found[0] if found else (None, {})

    async def _answer(self, route: _Route, labels: dict[str, str], request: web.Request, body: bytes) -> web.Response:
        operation = route.operation
        service = route.service
        data: Any = {}
        if route.has_body and body:
            try:
                data = loads(body, max_depth=MAX_DEPTH)
            except JsonError as exc:
                return service.error_response(
                    "ValidationException", f"Could not parse the request body: it is {exc.reason}"
                )
            if not isinstance(data, dict):
                return service.error_response("ValidationException", "The request body must be a JSON object")
        for wire, name in route.labels:
            data[wire] = labels[name]
        for wire, name, is_list in route.query:
            values = request.rel_url.query.getall(name, [])
            if is_list:
                data[wire] = list(values)
            elif values:
                data[wire] = values[0]
        violations = route.validate(data)
        if violations:
            count = len(violations)
            detail = "; ".join(
                f"Value at '{v.path}' failed to satisfy constraint ({v.rule}): {v.message}" for v in violations
            )
            message = f"{count} validation error{'s' if count > 1 else ''} detected: {detail}"
            return service.error_response("ValidationException", message, _validation_fields(service, violations))
        try:
            result = service.backend.handle(operation.name, data)
        except ServiceError as exc:
            if exc.code == "ThrottlingException":
                self.throttled[operation.name] += 1
            return service.error_response(exc.code, exc.message, exc.fields)
        if self.commit is not None and not operation.name.startswith(_READ_ONLY):
            try:
                await self.commit()
            except OSError:  # its own disk, not the client's input: a transient fault, and nothing changed
                return service.error_response(
                    "InternalServerException", "the emulator could not save its state; the request changed nothing"
                )
            except StateTooLarge as exc:
                return service.error_response("ServiceQuotaExceededException", f"{exc}; the request changed nothing")
        headers = {"x-amzn-RequestId": str(uuid.uuid4())}
        if operation.success_code == 204:
            return web.Response(status=204, headers=headers)
        headers["Content-Type"] = _JSON
        payload = json.dumps(project(operation.output, result), separators=(",", ":")).encode()
        return web.Response(status=operation.success_code, body=payload, headers=headers)


_READ_ONLY = ("Get", "List", "BatchGet")
# The service of a SigV4 Authorization header's credential scope (.../REGION/SERVICE/aws4_request).
_SIGNED_SERVICE = re.compile(r"Credential=[^/,\s]{1,128}/\d{8}/[^/,\s]{1,64}/([^/,\s]{1,64})/aws4_request")


def ivs_service(backend: IvsBackend) -> ServedService:
    from ivs_async._generated.ivs import SERVICE
    from ivs_async._generated.ivs.commands import OPERATIONS

    return ServedService(
        name=SERVICE.name,
        signing_name=SERVICE.signing_name,
        operations=OPERATIONS,
        statuses=MODELED_STATUS,
        backend=backend,
        owns=lambda arn: arn.startswith("arn:aws:ivs:"),
    )


def _validation_fields(service: ServedService, violations: Sequence[Any]) -> Json:
    """What IVS Chat's ValidationException carries beside its message: why, and which fields."""
    if not service.field_list:
        return {}
    fields = [{"name": v.path, "message": v.message} for v in violations[:20]]
    return {"reason": "FIELD_VALIDATION_FAILED", "fieldList": fields}


_LATE_FAULTS = (FaultKind.TRUNCATED_JSON, FaultKind.RESET_MID_BODY, FaultKind.SLOW_BODY)


def _error(status: int, code: str | None, body: Json, extra: dict[str, str] | None = None) -> web.Response:
    headers = {"x-amzn-RequestId": str(uuid.uuid4()), "Content-Type": _JSON, **(extra or {})}
    if code is not None:
        headers["x-amzn-ErrorType"] = code
    return web.Response(status=status, body=json.dumps(body).encode(), headers=headers)


def _service_error(code: str, message: str, extra: dict[str, str] | None = None) -> web.Response:
    """An IVS error as IVS sends it: the code in x-amzn-ErrorType, {"exceptionMessage": ...}."""
    return _error(MODELED_STATUS.get(code, 400), code, {"exceptionMessage": message}, extra)


async def _early_fault(request: web.Request, fault: Fault, service: ServedService) -> web.StreamResponse | None:
    kind = fault.kind
    extra = dict(fault.headers)
    if kind is FaultKind.ERROR:
        if fault.error_code is None and fault.status is not None:
            return _error(fault.status, None, {"message": fault.message}, extra)
        code = fault.error_code or "InternalServerException"
        status = fault.status or service.statuses.get(code, 500)
        return _error(status, code, {service.message_key: fault.message}, extra)
    if kind is FaultKind.NON_JSON:
        status = fault.status or 503
        return web.Response(status=status, text=_HTML.format(status=status), content_type="text/html", headers=extra)
    if kind is FaultKind.RESET:
        _drop(request)
    if kind is FaultKind.HANG:
        await asyncio.sleep(fault.delay or 3600.0)
        _drop(request)
    return None


async def _late_fault(request: web.Request, fault: Fault, response: web.Response) -> web.StreamResponse:
    body = response.body
    assert isinstance(body, bytes)
    if fault.kind is FaultKind.TRUNCATED_JSON:
        response.body = body[: len(body) // 2]
        return response
    streamed = web.StreamResponse(status=response.status, headers=response.headers)
    streamed.content_length = len(body)
    await streamed.prepare(request)
    if fault.kind is FaultKind.RESET_MID_BODY:
        await streamed.write(body[: len(body) // 2])
        _drop(request)
    chunks = 10
    step = max(1, -(-len(body) // chunks))
    for start in range(0, len(body), step):
        await asyncio.sleep(fault.delay / chunks)
        await streamed.write(body[start : start + step])
    await streamed.write_eof()
    return streamed


def _drop(request: web.Request) -> None:
    """Close the connection without (the rest of) an answer."""
    if request.transport is not None:
        request.transport.close()
    raise asyncio.CancelledError

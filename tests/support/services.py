"""The services the SDK speaks, as the wire tests see them: where each one's model lives, what
botocore calls it, how it signs, which host it has, and our public names for it. Test-only.

The wire tests (tests/functional, tests/fuzz, tests/emulator/test_wire_compat.py, the error
mapping) take one of these as a parameter instead of being copied per service.
"""

from __future__ import annotations

import importlib
import json
from functools import cached_property
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from ivs_async._exceptions import IvsServiceException
from ivs_async._protocol.command import Operation

MODEL_DIR = Path(__file__).resolve().parents[2] / "codegen" / "model"


class ServiceUnderTest:
    """One service: ``key`` names it in test ids; ``model`` is its folder in codegen/model and
    botocore's name for it; ``prefix`` its endpoint host's first label."""

    def __init__(
        self,
        *,
        key: str,
        model: str,
        signing_name: str,
        prefix: str,
        public: str,
        generated: str,
        client: str,
        base_error: str,
        local_client: str,
        message_key: str,
    ) -> None:
        self.key = key
        self.model = model  # codegen/model/<model>/, and botocore's service name
        self.signing_name = signing_name
        self.prefix = prefix
        self.public = public  # ivs_async, ivs_async.chat, ivs_async.realtime
        self.generated = generated  # ivs_async._generated.<package>
        self.client_name = client
        self.base_error_name = base_error
        self.local_client = local_client  # LocalIvs's factory of our client for it
        self.message_key = message_key  # where the service puts an error's text

    def __repr__(self) -> str:
        return f"ServiceUnderTest({self.key})"

    def host(self, region: str) -> str:
        """The default endpoint's host in ``region`` (aws partition)."""
        return f"{self.prefix}.{region}.amazonaws.com"

    @cached_property
    def model_data(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads((MODEL_DIR / self.model / "service-2.json").read_text())
        return data

    def model_file(self, name: str) -> Path:
        return MODEL_DIR / self.model / name

    @property
    def api_version(self) -> str:
        return str(self.model_data["metadata"]["apiVersion"])

    def _module(self, name: str) -> ModuleType:
        return importlib.import_module(name)

    @property
    def commands(self) -> ModuleType:
        return self._module(f"{self.public}.commands")

    @property
    def errors(self) -> ModuleType:
        """The public errors module."""
        return self._module(f"{self.public}.errors")

    @property
    def client_cls(self) -> type[Any]:
        cls: type[Any] = getattr(self._module(self.public), self.client_name)
        return cls

    @property
    def base_error(self) -> type[IvsServiceException]:
        cls: type[IvsServiceException] = getattr(self.errors, self.base_error_name)
        return cls

    @property
    def operations(self) -> dict[str, Operation]:
        found: dict[str, Operation] = self._module(f"{self.generated}.commands").OPERATIONS
        return found

    @property
    def modeled_errors(self) -> dict[str, type[IvsServiceException]]:
        found: dict[str, type[IvsServiceException]] = self._module(f"{self.generated}.errors").MODELED_ERRORS
        return found

    @property
    def modeled_status(self) -> dict[str, int]:
        found: dict[str, int] = self._module(f"{self.generated}.errors").MODELED_STATUS
        return found

    @property
    def command_classes(self) -> list[type[Any]]:
        module = self.commands
        return [getattr(module, n) for n in module.__all__ if n.endswith("Command") and n != "Command"]


IVS = ServiceUnderTest(
    key="ivs",
    model="ivs",
    signing_name="ivs",
    prefix="ivs",
    public="ivs_async",
    generated="ivs_async._generated.ivs",
    client="IvsClient",
    base_error="IvsServiceException",
    local_client="client",
    message_key="exceptionMessage",
)
CHAT = ServiceUnderTest(
    key="chat",
    model="ivschat",
    signing_name="ivschat",
    prefix="ivschat",
    public="ivs_async.chat",
    generated="ivs_async._generated.ivschat",
    client="IvsChatClient",
    base_error="IvsChatServiceException",
    local_client="chat_client",
    message_key="message",
)
REALTIME = ServiceUnderTest(
    key="realtime",
    model="ivs-realtime",
    signing_name="ivs",  # IVS Real-Time signs as IVS, on a host of its own
    prefix="ivsrealtime",
    public="ivs_async.realtime",
    generated="ivs_async._generated.ivs_realtime",
    client="IvsRealTimeClient",
    base_error="IvsRealTimeServiceException",
    local_client="realtime_client",
    message_key="exceptionMessage",
)
SERVICES = (IVS, CHAT, REALTIME)


def by_service() -> Any:
    """``@by_service()``: a test parametrized by ``service``, one case per service."""
    return pytest.mark.parametrize("service", SERVICES, ids=lambda s: s.key)


def every_command() -> list[Any]:
    """(service, command class) of every operation of every service, as pytest params."""
    return [pytest.param(s, cls, id=f"{s.key}-{cls.operation.name}") for s in SERVICES for cls in s.command_classes]


def every_operation() -> list[Any]:
    """(service, operation) of every operation of every service, as pytest params."""
    return [pytest.param(s, op, id=f"{s.key}-{name}") for s in SERVICES for name, op in sorted(s.operations.items())]

"""One AWS service the SDK speaks (IVS, IVS Chat, IVS Real-Time): its names, and the parts of
its generated package the shared core needs, each loaded when first asked for.

Each generated package (``ivs_async/_generated/<service>/``) makes its ``SERVICE``; every
``Operation`` and every model class knows its service, so the protocol, the converters and the
endpoint resolver serve any service without a table of them.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ivs_async._core.rules import RulesEngine
    from ivs_async._exceptions import IvsServiceException
    from ivs_async._protocol.schema import ModelIndex, Shape


class Service:
    """``name``: how errors and telemetry name it (``IVS``); ``signing_name``: the SigV4 scope's
    service; ``endpoint_key``: boto3's name for its endpoint settings (``AWS_ENDPOINT_URL_<KEY>``
    and the shared config's ``services`` section); ``package``: its generated package."""

    __slots__ = ("_loaded", "endpoint_key", "name", "package", "signing_name", "telemetry_name")

    def __init__(self, *, name: str, signing_name: str, endpoint_key: str, package: str) -> None:
        self.name = name
        # Spans are named <service>.<operation>, and rpc.service holds it: one word (IVSChat).
        self.telemetry_name = name.replace(" ", "").replace("-", "")
        self.signing_name = signing_name
        self.endpoint_key = endpoint_key
        self.package = package
        self._loaded: dict[str, Any] = {}

    def _part(self, module: str, attribute: str) -> Any:
        key = f"{module}.{attribute}"
        found = self._loaded.get(key)
        if found is None:
            found = self._loaded[key] = getattr(importlib.import_module(f"{self.package}.{module}"), attribute)
        return found

    @property
    def structures(self) -> ModelIndex[Shape]:
        """Every structure's shape, by model class."""
        value: ModelIndex[Shape] = self._part("schema", "STRUCTURES")
        return value

    @property
    def readers(self) -> ModelIndex[Callable[[Any, Any], Any]]:
        value: ModelIndex[Callable[[Any, Any], Any]] = self._part("readers", "READERS")
        return value

    @property
    def writers(self) -> ModelIndex[Callable[[Any], dict[str, Any]]]:
        value: ModelIndex[Callable[[Any], dict[str, Any]]] = self._part("writers", "WRITERS")
        return value

    @property
    def errors(self) -> Mapping[str, type[IvsServiceException]]:
        """The modeled errors by code."""
        value: Mapping[str, type[IvsServiceException]] = self._part("errors", "MODELED_ERRORS")
        return value

    @property
    def base_error(self) -> type[IvsServiceException]:
        """What an error the model does not declare is raised as."""
        value: type[IvsServiceException] = self._part("errors", "SERVICE_ERROR")
        return value

    @property
    def rules(self) -> RulesEngine:
        """The endpoint rule set (read-only, shared by every client of the service)."""
        engine: RulesEngine | None = self._loaded.get("rules")
        if engine is None:
            from ivs_async._core.rules import RulesEngine

            data = importlib.import_module(f"{self.package}.endpoint_rules")
            engine = self._loaded["rules"] = RulesEngine(data.RULE_SET, data.PARTITIONS)
        return engine

    @property
    def sensitive_values(self) -> re.Pattern[str]:
        """Matches ``"key": "value"`` of every sensitive member, closed or cut off, so error
        snippets never show secrets."""
        pattern: re.Pattern[str] | None = self._loaded.get("sensitive")
        if pattern is None:
            keys = sorted({m.wire for s in self.structures.values() for m in s.members if m.shape.sensitive})
            names = "|".join(map(re.escape, keys)) or "(?!)"
            pattern = self._loaded["sensitive"] = re.compile('("(?:' + names + r')"\s*:\s*)"(?:[^"\\]|\\.)*(?:"|$)')
        return pattern

    def __repr__(self) -> str:
        return f"Service({self.name})"


def service_of(cls: type[Any]) -> Service | None:
    """The service of a model class (its ``_service``), None for any other class."""
    service = getattr(cls, "_service", None)
    return service if isinstance(service, Service) else None


def shape_of(cls: Any) -> Shape | None:
    """The shape of a model class, None for anything else."""
    service = service_of(cls) if isinstance(cls, type) else None
    return None if service is None else service.structures.get(cls)

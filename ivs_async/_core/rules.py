"""A small evaluator for Smithy endpoint rule sets (the ``endpoint-rule-set-1.json`` AWS ships).

Rules are tried in order; a rule whose conditions all hold either returns an endpoint URL,
raises the rule set's error text, or descends into its sub-rules. Conditions call functions
from the rules standard library and the AWS extensions; ``assign`` binds a result for later
conditions and templates like ``https://ivs.{Region}.{PartitionResult#dnsSuffix}``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any
from urllib.parse import quote, urlsplit

_TEMPLATE = re.compile(r"\{\{|\}\}|\{([^{}]+)\}")
_HOST_LABEL = re.compile(r"[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?")
_PATH_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


class RuleError(Exception):
    """The rule set refused the parameters; the message is its own text."""


class RulesEngine:
    """Evaluates one rule set against parameters; ``partitions`` backs ``aws.partition``."""

    def __init__(self, rule_set: Mapping[str, Any], partitions: Sequence[Mapping[str, Any]]) -> None:
        self._rule_set = rule_set
        self._partitions = partitions
        self._functions: dict[str, Callable[..., Any]] = {
            "isSet": lambda value: value is not None,
            "not": lambda value: not value,
            "booleanEquals": lambda a, b: a is b or a == b,
            "stringEquals": lambda a, b: a == b,
            "getAttr": _get_attr,
            "substring": _substring,
            "uriEncode": lambda value: quote(value, safe=""),
            "isValidHostLabel": _is_valid_host_label,
            "parseURL": _parse_url,
            "aws.partition": self.partition,
            "aws.parseArn": _parse_arn,
        }

    def resolve(self, params: Mapping[str, Any]) -> str:
        """The endpoint URL for ``params`` (by parameter name), or RuleError."""
        scope: dict[str, Any] = {}
        for name, spec in self._rule_set["parameters"].items():
            value = params.get(name, spec.get("default"))
            if value is None and spec.get("required"):
                raise RuleError(f"missing required endpoint parameter {name}")
            scope[name] = value
        url = self._rules(self._rule_set["rules"], scope)
        if url is None:
            raise RuleError("no endpoint rule matched these parameters")
        return url

    def _rules(self, rules: Sequence[Mapping[str, Any]], scope: dict[str, Any]) -> str | None:
        for rule in rules:
            local = dict(scope)
            if not all(self._condition(c, local) for c in rule["conditions"]):
                continue
            kind = rule["type"]
            if kind == "endpoint":
                url = self._value(rule["endpoint"]["url"], local)
                assert isinstance(url, str)
                return url
            if kind == "error":
                raise RuleError(str(self._value(rule["error"], local)))
            found = self._rules(rule["rules"], local)
            if found is not None:
                return found
            # A tree whose rules all fail to match is an error in the rules spec: stop here.
            raise RuleError("no endpoint rule matched these parameters")
        return None

    def _condition(self, condition: Mapping[str, Any], scope: dict[str, Any]) -> bool:
        result = self._call(condition, scope)
        if "assign" in condition:
            scope[condition["assign"]] = result
        return result is not None and result is not False

    def _call(self, call: Mapping[str, Any], scope: dict[str, Any]) -> Any:
        function = self._functions.get(call["fn"])
        if function is None:
            raise RuleError(f"endpoint rule function {call['fn']!r} is not supported")
        args = [self._value(arg, scope) for arg in call["argv"]]
        if call["fn"] not in ("isSet", "not") and any(a is None for a in args):
            return None
        return function(*args)

    def _value(self, value: Any, scope: Mapping[str, Any]) -> Any:
        # dict, not Mapping: the rule set is JSON, and the first test of a str against an ABC
        # costs a client's first construction about 50 us.
        if isinstance(value, dict):
            if "ref" in value:
                return scope.get(value["ref"])
            if "fn" in value:
                return self._call(value, dict(scope))
            raise RuleError(f"unexpected endpoint rule value {value!r}")
        if isinstance(value, str):
            return _render(value, scope)
        return value

    def partition(self, region: str) -> dict[str, Any]:
        """The outputs of ``region``'s partition (``aws`` for a region no partition claims)."""
        chosen = None
        for partition in self._partitions:
            if region in partition["regions"]:
                chosen = (partition, partition["regions"][region])
                break
        if chosen is None:
            for partition in self._partitions:
                if re.fullmatch(partition["regionRegex"].strip("^$"), region):
                    chosen = (partition, {})
                    break
        if chosen is None:
            aws = next(p for p in self._partitions if p["id"] == "aws")
            chosen = (aws, {})
        partition, overrides = chosen
        outputs = dict(partition["outputs"])
        outputs.update({k: v for k, v in overrides.items() if k != "description"})
        outputs["name"] = partition["id"]
        return outputs


def _render(template: str, scope: Mapping[str, Any]) -> str:
    def substitute(match: re.Match[str]) -> str:
        whole = match.group(0)
        if whole in ("{{", "}}"):
            return whole[0]
        name, _, path = match.group(1).partition("#")
        value = scope.get(name)
        if path:
            value = _get_attr(value, path)
        if value is None:
            raise RuleError(f"endpoint template {template!r} refers to unset {match.group(1)!r}")
        return str(value)

    return _TEMPLATE.sub(substitute, template)


def _get_attr(value: Any, path: str) -> Any:
    for name, index in _PATH_PART.findall(path):
        if value is None:
            return None
        if name:
            value = value.get(name) if isinstance(value, dict) else None
        else:
            position = int(index)
            value = value[position] if isinstance(value, list) and position < len(value) else None
    return value


def _substring(value: str, start: int, stop: int, reverse: bool) -> str | None:
    if start >= stop or len(value) < stop or not value.isascii():
        return None
    if reverse:
        return value[len(value) - stop : len(value) - start]
    return value[start:stop]


def _is_valid_host_label(value: str, allow_dots: bool) -> bool:
    labels = value.split(".") if allow_dots else [value]
    return all(_HOST_LABEL.fullmatch(label) for label in labels)


def _parse_url(value: str) -> dict[str, Any] | None:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query:
        return None
    path = parts.path
    normalized = path if path.endswith("/") else path + "/"
    host = parts.hostname or ""
    is_ip = (host.isascii() and host.replace(".", "").isdigit()) or ":" in host
    return {
        "scheme": parts.scheme,
        "authority": parts.netloc,
        "path": path,
        "normalizedPath": normalized,
        "isIp": is_ip,
    }


def _parse_arn(value: str) -> dict[str, Any] | None:
    parts = value.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn" or not parts[1] or not parts[2] or not parts[5]:
        return None
    return {
        "partition": parts[1],
        "service": parts[2],
        "region": parts[3],
        "accountId": parts[4],
        "resourceId": re.split(r"[:/]", parts[5]),
    }

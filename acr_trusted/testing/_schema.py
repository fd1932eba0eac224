"""Declarative request-body schemas: a wrong request fails a test instead of passing silently.

Each spec checks one JSON value and returns it in canonical form (enum values get the casing the
API documents, since ARM compares them case-insensitively and echoes the canonical spelling).
A mismatch raises a 400 ``InvalidRequestContent`` naming the JSON path, what was expected and
what was sent. Read-only properties are accepted and dropped, as ARM does when a client PUTs back
a resource it just read.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from typing import Any, Protocol

from attrs import field, frozen

from acr_trusted.testing._arm import invalid_content

GUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.IGNORECASE)


class Spec(Protocol):
    def check(self, value: Any, path: str) -> Any: ...


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    return {bool: "boolean", int: "number", float: "number", str: "string", list: "array"}.get(
        type(value), "object"
    )


def _mismatch(path: str, expected: str, value: Any) -> Exception:
    shown = repr(value) if isinstance(value, (str, bool, int, float)) else _kind(value)
    return invalid_content(f"Invalid value at '{path}': expected {expected}, got {shown}.")


@frozen
class Boolean:
    def check(self, value: Any, path: str) -> Any:
        if not isinstance(value, bool):
            raise _mismatch(path, "a boolean", value)
        return value


@frozen
class String:
    """Any string, or one matching ``pattern`` (described by ``hint`` in the error)."""

    pattern: re.Pattern[str] | None = None
    hint: str = "a string"

    def check(self, value: Any, path: str) -> Any:
        if not isinstance(value, str) or (self.pattern and not self.pattern.fullmatch(value)):
            raise _mismatch(path, self.hint, value)
        return value


@frozen
class Ipv4Range:
    """ACR ``IPRule.value``: "IP or IP range in CIDR format. Only IPV4 address is allowed."."""

    def check(self, value: Any, path: str) -> Any:
        try:
            if not isinstance(value, str):
                raise ValueError(value)
            ipaddress.IPv4Network(value, strict=False)
        except ValueError:
            raise _mismatch(path, "an IPv4 address or CIDR range", value) from None
        return value


@frozen
class Enum:
    values: tuple[str, ...]

    def check(self, value: Any, path: str) -> Any:
        if isinstance(value, str):
            for canonical in self.values:
                if canonical.lower() == value.lower():
                    return canonical
        choices = ", ".join(repr(v) for v in self.values)
        raise _mismatch(path, f"one of {choices} (case-insensitive)", value)


@frozen
class Array:
    item: Spec
    max_items: int | None = None

    def check(self, value: Any, path: str) -> Any:
        if not isinstance(value, list):
            raise _mismatch(path, "an array", value)
        if self.max_items is not None and len(value) > self.max_items:
            raise invalid_content(
                f"Invalid value at '{path}': at most {self.max_items} items are allowed, "
                f"got {len(value)}."
            )
        return [self.item.check(v, f"{path}[{i}]") for i, v in enumerate(value)]


@frozen
class MapOf:
    """An object with free keys, e.g. ``tags``."""

    value: Spec

    def check(self, value: Any, path: str) -> Any:
        if not isinstance(value, dict):
            raise _mismatch(path, "an object", value)
        return {k: self.value.check(v, f"{path}.{k}") for k, v in value.items()}


@frozen
class AnyJson:
    """A value the emulator stores as sent without modelling it (e.g. registry policies)."""

    def check(self, value: Any, path: str) -> Any:
        return value


@frozen
class Object:
    """An object with known property names; anything else is rejected by name."""

    fields: Mapping[str, Spec]
    required: frozenset[str] = frozenset()
    read_only: frozenset[str] = field(default=frozenset())

    def check(self, value: Any, path: str) -> Any:
        if not isinstance(value, dict):
            raise _mismatch(path, "an object", value)
        out: dict[str, Any] = {}
        for key, item in value.items():
            if key in self.read_only:
                continue
            spec = self.fields.get(key)
            if spec is None:
                known = ", ".join(sorted(self.fields))
                raise invalid_content(
                    f"Unknown property '{key}' at '{path}'. Known properties: {known}."
                )
            out[key] = spec.check(item, f"{path}.{key}")
        missing = sorted(self.required - out.keys())
        if missing:
            raise invalid_content(f"Missing required property '{missing[0]}' at '{path}'.")
        return out


def check_body(spec: Spec, body: Any) -> Any:
    """Validate a whole request body; a missing body is reported as such, not as 'null'."""
    if body is None:
        raise invalid_content("The request content was invalid and could not be deserialized.")
    return spec.check(body, "body")

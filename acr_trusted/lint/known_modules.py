"""Registry modules that are not on disk: their inputs' defaults and what they derive.

When a template calls a well-known registry module from a registry (``br/public:...`` in Bicep,
``Azure/...`` on the Terraform registry) and the module's source is not available locally, the
loader asks this table what the module would declare for the given inputs. Every finding built
from a default in this table says so (``Origin.kind is OriginKind.MODULE_TABLE``), because the
module may change: the table records the version range it was read from. See
``docs/known-modules.md`` for each entry's source.

Each entry maps the module's *input* values (a mapping of input name -> Value, only those the
caller passed) to a :class:`ModuleRegistry`: the ARM-shaped registry properties and the number
of private endpoints the module would create.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

from attrs import frozen

from acr_trusted.lint.model import RegistryProperty, Span, Value


@frozen
class ModuleRegistry:
    properties: Mapping[RegistryProperty, Value]
    private_endpoint_count: Value
    name: Value


@frozen
class KnownModule:
    key: str
    pattern: re.Pattern[str]  # matches the module source (without version)
    versions: str  # the versions the table was read from
    source_url: str
    build: Callable[[Mapping[str, Value], Span], ModuleRegistry]


KNOWN_MODULES: list[KnownModule] = []


def find_known_module(source: str) -> KnownModule | None:
    """The entry for a module source (``br/public:avm/res/container-registry/registry:0.9.3``)."""
    for entry in KNOWN_MODULES:
        if entry.pattern.search(source):
            return entry
    return None

"""acr-trusted: make Azure Container Registry's trusted-services exception safe to use.

The public API is re-exported lazily (PEP 562) so that ``import acr_trusted`` and the linter's
start-up never import an ``azure.*`` module; each name is imported from its module on first use.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# public name -> module that defines it
_LAZY: dict[str, str] = {
    "NetworkPosture": "acr_trusted.posture",
    "Restriction": "acr_trusted.posture",
    "TrustedService": "acr_trusted.catalog",
    "RoleAssignmentMode": "acr_trusted.catalog",
    "SERVICES": "acr_trusted.catalog",
    "ROLES": "acr_trusted.catalog",
    "RegistryRef": "acr_trusted.ids",
}

__all__ = [
    "ROLES",
    "SERVICES",
    "NetworkPosture",
    "RegistryRef",
    "Restriction",
    "RoleAssignmentMode",
    "TrustedService",
    "__version__",
]

if TYPE_CHECKING:
    from acr_trusted.catalog import ROLES, SERVICES, RoleAssignmentMode, TrustedService
    from acr_trusted.ids import RegistryRef
    from acr_trusted.posture import NetworkPosture, Restriction


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'acr_trusted' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)

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
    # SDK core: pure access evaluation, errors, and the Azure-backed helpers
    "BypassReport": "acr_trusted.access",
    "ConsumerIdentity": "acr_trusted.access",
    "Fix": "acr_trusted.access",
    "Grant": "acr_trusted.access",
    "Reason": "acr_trusted.access",
    "Verdict": "acr_trusted.access",
    "evaluate_bypass": "acr_trusted.access",
    "AcrTrustedError": "acr_trusted.errors",
    "OperationFailed": "acr_trusted.errors",
    "PermissionDenied": "acr_trusted.errors",
    "PrincipalNotFound": "acr_trusted.errors",
    "RegistryNotFound": "acr_trusted.errors",
    "AtRisk": "acr_trusted.azure.registry",
    "ChangeResult": "acr_trusted.azure.registry",
    "get_posture": "acr_trusted.azure.registry",
    "enable_trusted_access": "acr_trusted.azure.registry",
    "disable_trusted_access": "acr_trusted.azure.registry",
    "RoleGrant": "acr_trusted.azure.rbac",
    "grant_pull": "acr_trusted.azure.rbac",
    "grant_push": "acr_trusted.azure.rbac",
    "revoke_access": "acr_trusted.azure.rbac",
    "check_bypass": "acr_trusted.azure.bypass",
    "ImportedImage": "acr_trusted.azure.workflows",
    "SetupResult": "acr_trusted.azure.workflows",
    "Step": "acr_trusted.azure.workflows",
    "Verification": "acr_trusted.azure.workflows",
    "import_image": "acr_trusted.azure.workflows",
    "setup_container_instances_access": "acr_trusted.azure.workflows",
    "setup_import_access": "acr_trusted.azure.workflows",
    "setup_machine_learning_access": "acr_trusted.azure.workflows",
    "setup_task_access": "acr_trusted.azure.workflows",
    "verify_task_bypass": "acr_trusted.azure.workflows",
    "audit": "acr_trusted.azure.audit",
    "AuditFinding": "acr_trusted.audit_report",
    "AuditReport": "acr_trusted.audit_report",
    "RegistryAudit": "acr_trusted.audit_report",
}

__all__ = [
    "ROLES",
    "SERVICES",
    "AcrTrustedError",
    "AtRisk",
    "AuditFinding",
    "AuditReport",
    "BypassReport",
    "ChangeResult",
    "ConsumerIdentity",
    "Fix",
    "Grant",
    "ImportedImage",
    "NetworkPosture",
    "OperationFailed",
    "PermissionDenied",
    "PrincipalNotFound",
    "Reason",
    "RegistryAudit",
    "RegistryNotFound",
    "RegistryRef",
    "Restriction",
    "RoleAssignmentMode",
    "RoleGrant",
    "SetupResult",
    "Step",
    "TrustedService",
    "Verdict",
    "Verification",
    "__version__",
    "audit",
    "check_bypass",
    "disable_trusted_access",
    "enable_trusted_access",
    "evaluate_bypass",
    "get_posture",
    "grant_pull",
    "grant_push",
    "import_image",
    "revoke_access",
    "setup_container_instances_access",
    "setup_import_access",
    "setup_machine_learning_access",
    "setup_task_access",
    "verify_task_bypass",
]

if TYPE_CHECKING:
    from acr_trusted.access import (
        BypassReport,
        ConsumerIdentity,
        Fix,
        Grant,
        Reason,
        Verdict,
        evaluate_bypass,
    )
    from acr_trusted.audit_report import AuditFinding, AuditReport, RegistryAudit
    from acr_trusted.azure.audit import audit
    from acr_trusted.azure.bypass import check_bypass
    from acr_trusted.azure.rbac import RoleGrant, grant_pull, grant_push, revoke_access
    from acr_trusted.azure.registry import (
        AtRisk,
        ChangeResult,
        disable_trusted_access,
        enable_trusted_access,
        get_posture,
    )
    from acr_trusted.azure.workflows import (
        ImportedImage,
        SetupResult,
        Step,
        Verification,
        import_image,
        setup_container_instances_access,
        setup_import_access,
        setup_machine_learning_access,
        setup_task_access,
        verify_task_bypass,
    )
    from acr_trusted.catalog import ROLES, SERVICES, RoleAssignmentMode, TrustedService
    from acr_trusted.errors import (
        AcrTrustedError,
        OperationFailed,
        PermissionDenied,
        PrincipalNotFound,
        RegistryNotFound,
    )
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

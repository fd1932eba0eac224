"""The trusted-service catalog and the built-in roles, as data.

Everything the SDK, the linter and the emulator need to know about *which* Azure services may
bypass a registry's network rules, and *which* roles grant data-plane access in which
role-assignment mode, lives here once. Each entry names the public source it was taken from
(see ``../shared/docs/domain-facts.md`` sections 1, 2, 5 and 6 for the full trail).
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Mapping

from acr_trusted.records import frozen

TRUSTED_SERVICES_DOC = (
    "https://learn.microsoft.com/azure/container-registry/allow-access-trusted-services"
)
TASKS_BYPASS_DOC = (
    "https://learn.microsoft.com/azure/container-registry/manage-network-bypass-policy-for-tasks"
)
ACI_MI_DOC = (
    "https://learn.microsoft.com/azure/container-instances/using-azure-container-registry-mi"
)
IMPORT_DOC = "https://learn.microsoft.com/azure/container-registry/container-registry-import-images"
ROLES_DOC = "https://learn.microsoft.com/azure/role-based-access-control/built-in-roles/containers"
ABAC_DOC = (
    "https://learn.microsoft.com/azure/container-registry/"
    "container-registry-rbac-abac-repository-permissions"
)
ACR_ROLES_DOC = "https://learn.microsoft.com/azure/container-registry/container-registry-roles"
APP_SERVICE_NOTE_DOC = TRUSTED_SERVICES_DOC


class TrustedService(str, enum.Enum):
    """A consumer of a registry, named by the short key the CLI and ``check_bypass`` accept."""

    CONTAINER_INSTANCES = "aci"
    DEFENDER = "defender"
    MACHINE_LEARNING = "ml"
    ACR_IMPORT = "acr-import"
    ACR_TASKS = "acr-tasks"
    APP_SERVICE = "app-service"

    @classmethod
    def parse(cls, value: TrustedService | str) -> TrustedService:
        """Accept a member, its value (``"aci"``) or its name (``"CONTAINER_INSTANCES"``)."""
        if isinstance(value, TrustedService):
            return value
        key = value.strip().lower().replace("_", "-")
        for member in cls:
            if key in (member.value, member.name.lower().replace("_", "-")):
                return member
        choices = ", ".join(m.value for m in cls)
        raise ValueError(f"unknown service {value!r}; expected one of: {choices}")


class IdentityKind(str, enum.Enum):
    SYSTEM_ASSIGNED = "SystemAssigned"
    USER_ASSIGNED = "UserAssigned"


class Bypass(str, enum.Enum):
    """Which registry switch lets a service through the network rules."""

    TRUSTED_SERVICES = "networkRuleBypassOptions"
    TASKS_SWITCH = "networkRuleBypassAllowedForTasks"
    NONE = "none"


class RoleAssignmentMode(str, enum.Enum):
    LEGACY = "LegacyRegistryPermissions"
    ABAC = "AbacRepositoryPermissions"

    @classmethod
    def parse(cls, value: str | None) -> RoleAssignmentMode:
        """ARM compares enum values case-insensitively; absent means the documented default."""
        if value is None:
            return cls.LEGACY
        for member in cls:
            if member.value.lower() == value.lower():
                return member
        raise ValueError(f"unknown roleAssignmentMode {value!r}")


class Permission(str, enum.Enum):
    PULL = "pull"
    PUSH = "push"
    DELETE = "delete"
    IMPORT = "import"
    LIST_CATALOG = "list-catalog"


@frozen
class ServiceEntry:
    """What a service needs to reach a network-restricted registry."""

    service: TrustedService
    display_name: str
    bypass: Bypass
    identity_required: bool
    identity_kinds: frozenset[IdentityKind]
    scenario: str
    source_url: str
    removed_from_trusted_list: dt.date | None = None
    note: str = ""

    @property
    def trusted(self) -> bool:
        """On today's trusted-services list (bypasses with ``networkRuleBypassOptions``)."""
        return self.bypass is Bypass.TRUSTED_SERVICES


_BOTH = frozenset({IdentityKind.SYSTEM_ASSIGNED, IdentityKind.USER_ASSIGNED})

SERVICES: Mapping[TrustedService, ServiceEntry] = {
    TrustedService.CONTAINER_INSTANCES: ServiceEntry(
        service=TrustedService.CONTAINER_INSTANCES,
        display_name="Azure Container Instances",
        bypass=Bypass.TRUSTED_SERVICES,
        identity_required=True,
        identity_kinds=frozenset({IdentityKind.USER_ASSIGNED}),
        scenario="Deploy to ACI from ACR using a managed identity",
        source_url=ACI_MI_DOC,
        note=(
            "The ACI docs (2026-07) say ACI does not support system-assigned identity image pulls; "
            "the ACR trusted-services table still says 'either system-assigned or user-assigned'. "
            "We follow the ACI docs."
        ),
    ),
    TrustedService.DEFENDER: ServiceEntry(
        service=TrustedService.DEFENDER,
        display_name="Microsoft Defender for Cloud",
        bypass=Bypass.TRUSTED_SERVICES,
        identity_required=False,
        identity_kinds=frozenset(),
        scenario="Vulnerability scanning by Microsoft Defender for container registries",
        source_url=TRUSTED_SERVICES_DOC,
    ),
    TrustedService.MACHINE_LEARNING: ServiceEntry(
        service=TrustedService.MACHINE_LEARNING,
        display_name="Azure Machine Learning",
        bypass=Bypass.TRUSTED_SERVICES,
        identity_required=True,
        identity_kinds=_BOTH,
        scenario="Deploy or train a model in a workspace using a custom Docker container image",
        source_url=TRUSTED_SERVICES_DOC,
    ),
    TrustedService.ACR_IMPORT: ServiceEntry(
        service=TrustedService.ACR_IMPORT,
        display_name="Azure Container Registry (import)",
        bypass=Bypass.TRUSTED_SERVICES,
        identity_required=False,
        identity_kinds=frozenset(),
        scenario="Import images to or from a network-restricted registry",
        source_url=IMPORT_DOC,
        note=(
            "The caller needs 'Container Registry Data Importer and Data Reader' on both "
            "registries; name a source without public access by resource ID."
        ),
    ),
    TrustedService.ACR_TASKS: ServiceEntry(
        service=TrustedService.ACR_TASKS,
        display_name="ACR Tasks",
        bypass=Bypass.TASKS_SWITCH,
        identity_required=True,
        identity_kinds=frozenset({IdentityKind.SYSTEM_ASSIGNED}),
        scenario="Access the parent registry or another registry from an ACR task",
        source_url=TASKS_BYPASS_DOC,
        removed_from_trusted_list=dt.date(2025, 3, 8),
        note=(
            "Removed from the trusted list on 2025-03-08. Since 2025-06-01 a task's "
            "system-assigned identity bypasses network rules only when the registry sets "
            "networkRuleBypassAllowedForTasks: true (default false). Tasks on an agent pool run "
            "inside the VNet and need no bypass."
        ),
    ),
    TrustedService.APP_SERVICE: ServiceEntry(
        service=TrustedService.APP_SERVICE,
        display_name="Azure App Service",
        bypass=Bypass.NONE,
        identity_required=True,
        identity_kinds=_BOTH,
        scenario="Pull a custom container image for a web or function app",
        source_url=APP_SERVICE_NOTE_DOC,
        note=(
            "'Currently, enabling the allow trusted services setting doesn't apply to App "
            "Service.' Pull through the app's VNet integration (vnetImagePullEnabled) and a "
            "private endpoint instead."
        ),
    ),
}

TASKS_LEFT_TRUSTED_LIST = dt.date(2025, 3, 8)
TASKS_SWITCH_ENFORCED = dt.date(2025, 6, 1)


@frozen
class RoleDefinition:
    """A built-in role and the data-plane permissions it carries in each role-assignment mode."""

    name: str
    guid: str
    legacy: frozenset[Permission]
    abac: frozenset[Permission]
    source_url: str = ROLES_DOC

    def permissions(self, mode: RoleAssignmentMode) -> frozenset[Permission]:
        return self.abac if mode is RoleAssignmentMode.ABAC else self.legacy

    def grants(self, permission: Permission, mode: RoleAssignmentMode) -> bool:
        return permission in self.permissions(mode)

    def definition_id(self, subscription_id: str) -> str:
        return (
            f"/subscriptions/{subscription_id}/providers/Microsoft.Authorization/"
            f"roleDefinitions/{self.guid}"
        )


_P = Permission
_NONE: frozenset[Permission] = frozenset()

# Legacy mode: the ACR roles table (ACR_ROLES_DOC) gives Owner/Contributor push+pull+delete and
# Reader pull. ABAC mode: "AcrPull, AcrPush, and AcrDelete roles aren't honored" and
# Owner/Contributor/Reader "grant only control plane permissions" (ABAC_DOC). Whether the
# Repository roles also work in legacy mode is UNCONFIRMED, so we credit them in ABAC mode only.
ROLES: tuple[RoleDefinition, ...] = (
    RoleDefinition("AcrPull", "7f951dda-4ed3-4680-a7ca-43fe172d538d", frozenset({_P.PULL}), _NONE),
    RoleDefinition(
        "AcrPush", "8311e382-0749-4cb8-b61a-304f252e45ec", frozenset({_P.PULL, _P.PUSH}), _NONE
    ),
    RoleDefinition(
        "AcrDelete", "c2f4ef07-c644-48eb-af81-4b1b4947fb11", frozenset({_P.DELETE}), _NONE
    ),
    RoleDefinition(
        "Container Registry Repository Reader",
        "b93aa761-3e63-49ed-ac28-beffa264f7ac",
        _NONE,
        frozenset({_P.PULL}),
        ABAC_DOC,
    ),
    RoleDefinition(
        "Container Registry Repository Writer",
        "2a1e307c-b015-4ebd-883e-5b7698a07328",
        _NONE,
        frozenset({_P.PULL, _P.PUSH}),
        ABAC_DOC,
    ),
    RoleDefinition(
        "Container Registry Repository Contributor",
        "2efddaa5-3f1f-4df3-97df-af3f13818f4c",
        _NONE,
        frozenset({_P.PULL, _P.PUSH, _P.DELETE}),
        ABAC_DOC,
    ),
    RoleDefinition(
        "Container Registry Repository Catalog Lister",
        "bfdb9389-c9a5-478a-bb2f-ba9ca092c3c7",
        _NONE,
        frozenset({_P.LIST_CATALOG}),
        ABAC_DOC,
    ),
    RoleDefinition(
        "Container Registry Data Importer and Data Reader",
        "577a9874-89fd-4f24-9dbd-b5034d0ad23a",
        frozenset({_P.IMPORT, _P.PULL}),
        frozenset({_P.IMPORT, _P.PULL}),
        IMPORT_DOC,
    ),
    RoleDefinition(
        "Owner",
        "8e3af657-a8ff-443c-a75c-2fe8c4bcb635",
        frozenset({_P.PULL, _P.PUSH, _P.DELETE}),
        _NONE,
        ACR_ROLES_DOC,
    ),
    RoleDefinition(
        "Contributor",
        "b24988ac-6180-42a0-ab88-20f7382dd24c",
        frozenset({_P.PULL, _P.PUSH, _P.DELETE}),
        _NONE,
        ACR_ROLES_DOC,
    ),
    RoleDefinition(
        "Reader", "acdd72a7-3b69-4a03-9ae8-5a5f6fc4b77d", frozenset({_P.PULL}), _NONE, ACR_ROLES_DOC
    ),
)

_BY_KEY: Mapping[str, RoleDefinition] = {
    **{r.name.lower(): r for r in ROLES},
    **{r.guid: r for r in ROLES},
}

LEGACY_ONLY_ROLES = frozenset({"AcrPull", "AcrPush", "AcrDelete"})
"""Roles that ``AbacRepositoryPermissions`` mode ignores (linter rule ACRT007)."""


def find_role(name_or_id: str) -> RoleDefinition | None:
    """Look a built-in role up by name (any case), GUID, or full role-definition resource ID."""
    key = name_or_id.strip().rstrip("/").rsplit("/", 1)[-1].lower()
    return _BY_KEY.get(key)


def role(name: str) -> RoleDefinition:
    """The built-in role with this exact name; a typo is a programming error."""
    found = find_role(name)
    if found is None:
        raise KeyError(name)
    return found


def role_for(permission: Permission, mode: RoleAssignmentMode) -> RoleDefinition:
    """The least-privileged role that grants ``permission`` in ``mode``.

    ``grant_pull`` / ``grant_push`` use this so that an ABAC registry gets a Repository role
    instead of an AcrPull that would be silently ignored.
    """
    preferred = {
        (Permission.PULL, RoleAssignmentMode.LEGACY): "AcrPull",
        (Permission.PUSH, RoleAssignmentMode.LEGACY): "AcrPush",
        (Permission.DELETE, RoleAssignmentMode.LEGACY): "AcrDelete",
        (Permission.PULL, RoleAssignmentMode.ABAC): "Container Registry Repository Reader",
        (Permission.PUSH, RoleAssignmentMode.ABAC): "Container Registry Repository Writer",
        (Permission.DELETE, RoleAssignmentMode.ABAC): "Container Registry Repository Contributor",
        (Permission.IMPORT, RoleAssignmentMode.LEGACY): (
            "Container Registry Data Importer and Data Reader"
        ),
        (Permission.IMPORT, RoleAssignmentMode.ABAC): (
            "Container Registry Data Importer and Data Reader"
        ),
        (Permission.LIST_CATALOG, RoleAssignmentMode.ABAC): (
            "Container Registry Repository Catalog Lister"
        ),
    }
    name = preferred.get((permission, mode))
    if name is None:
        raise ValueError(f"no built-in role grants {permission.value} in {mode.value} mode")
    return role(name)


def abac_replacements(legacy: RoleDefinition) -> tuple[RoleDefinition, ...]:
    """The roles that do in ABAC mode what a legacy role did.

    The documented mapping (ABAC_DOC): AcrPull -> Repository Reader + Catalog Lister,
    AcrPush -> Repository Writer, AcrDelete -> Repository Contributor. The widest permission
    the legacy role holds picks the Repository role.
    """
    for permission in (Permission.DELETE, Permission.PUSH, Permission.PULL):
        if permission in legacy.legacy:
            replacement = role_for(permission, RoleAssignmentMode.ABAC)
            if legacy.legacy == frozenset({Permission.PULL}):
                return (replacement, role_for(Permission.LIST_CATALOG, RoleAssignmentMode.ABAC))
            return (replacement,)
    raise ValueError(f"{legacy.name} grants no data-plane permission")

"""The fleet audit's pure core: one Resource Graph row in, one ``RegistryAudit`` out.

A row of ``REGISTRIES_QUERY`` carries a registry, the role assignments at its scope and the
consumers that reference it; :class:`InheritedGrants` holds the assignments above registries.
The posture comes from ``NetworkPosture.from_arm`` and each consumer's verdict from
``access.evaluate_bypass``, so the audit decides with the same code as ``check_bypass`` and the
linter. The registry rules fire with the linter's meaning:

- ACRT001: restricted, and ``networkRuleBypassOptions`` is ``None``;
- ACRT002: restricted, tasks run outside an agent pool, ``networkRuleBypassAllowedForTasks`` not
  true;
- ACRT003: network features on a SKU other than Premium;
- ACRT004: virtual-network (service endpoint) rules;
- ACRT007: ABAC role mode and an AcrPull / AcrPush / AcrDelete assignment at the registry;
- ACRT008: a container group pulls from a restricted registry with admin credentials or a
  system-assigned identity.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from acr_trusted.access import ConsumerIdentity, Grant, evaluate_bypass
from acr_trusted.audit_report import AuditFinding, ConsumerAudit, RegistryAudit
from acr_trusted.catalog import (
    LEGACY_ONLY_ROLES,
    IdentityKind,
    RoleAssignmentMode,
    TrustedService,
    abac_replacements,
    find_role,
)
from acr_trusted.ids import RegistryRef
from acr_trusted.lint.findings import RULES
from acr_trusted.posture import NetworkPosture

SYSTEM_ASSIGNED = "system-assigned"
USER_ASSIGNED = "user-assigned"
ADMIN_CREDENTIALS = "admin-credentials"
NO_IDENTITY = "none"

_SERVICES = {
    "aci": TrustedService.CONTAINER_INSTANCES,
    "ml": TrustedService.MACHINE_LEARNING,
    "acr-tasks": TrustedService.ACR_TASKS,
}
_MANAGEMENT_GROUPS = "/providers/microsoft.management/managementgroups/"


class RowError(ValueError):
    """A Resource Graph row that cannot be audited; the message names the resource."""


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _sequence(value: Any) -> Sequence[Any]:
    return value if isinstance(value, list | tuple) else ()


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _grant(assignment: Mapping[str, Any]) -> Grant | None:
    role, scope, principal = (
        _text(assignment.get(k)) for k in ("roleDefinitionId", "scope", "principalId")
    )
    return Grant(role, scope, principal) if role and scope and principal else None


class InheritedGrants:
    """Role assignments above registries, indexed by lower-cased scope.

    ``for_registry`` returns those at the root, any management group (Resource Graph returns
    only the groups in the queried hierarchy), the registry's subscription and its resource group.
    """

    def __init__(self) -> None:
        self._by_scope: dict[str, list[Grant]] = {}
        self._management_groups: list[Grant] = []

    def add(self, row: Mapping[str, Any]) -> None:
        grant = _grant(row)
        if grant is None:
            return
        scope = grant.scope.lower().rstrip("/")
        if scope.startswith(_MANAGEMENT_GROUPS):
            self._management_groups.append(grant)
        else:
            self._by_scope.setdefault(scope, []).append(grant)

    def __len__(self) -> int:
        return len(self._management_groups) + sum(len(g) for g in self._by_scope.values())

    def for_registry(self, ref: RegistryRef) -> tuple[Grant, ...]:
        subscription = f"/subscriptions/{ref.subscription_id}".lower()
        group = f"{subscription}/resourcegroups/{ref.resource_group}".lower()
        found = [*self._management_groups]
        for scope in ("", subscription, group):
            found.extend(self._by_scope.get(scope, ()))
        return tuple(found)


# -- consumers ------------------------------------------------------------------------------


def _principal_of(identity: Mapping[str, Any], resource_id: str) -> str | None:
    """The principal ID of user-assigned identity ``resource_id`` (IDs compare in any case)."""
    for key, value in _mapping(identity.get("userAssignedIdentities")).items():
        if key.lower() == resource_id.lower():
            return _text(_mapping(value).get("principalId")) or None
    return None


def _first_user_assigned(identity: Mapping[str, Any]) -> str | None:
    for value in _mapping(identity.get("userAssignedIdentities")).values():
        principal = _text(_mapping(value).get("principalId"))
        if principal:
            return principal
    return None


def _identity_kinds(identity: Mapping[str, Any]) -> str:
    return _text(identity.get("type")).replace(" ", "").lower()


def _system(identity: Mapping[str, Any]) -> tuple[str, ConsumerIdentity]:
    principal = _text(identity.get("principalId")) or None
    return SYSTEM_ASSIGNED, ConsumerIdentity(IdentityKind.SYSTEM_ASSIGNED, principal)


def _user(principal: str | None) -> tuple[str, ConsumerIdentity]:
    return USER_ASSIGNED, ConsumerIdentity(IdentityKind.USER_ASSIGNED, principal)


_NONE = (NO_IDENTITY, ConsumerIdentity(None, None))


def _aci_identity(entry: Mapping[str, Any]) -> tuple[str, ConsumerIdentity]:
    """A container group signs in with the credential's identity, or a username and password."""
    identity = _mapping(entry.get("identity"))
    named = _text(entry.get("credentialIdentity")).strip()
    if named.lower() in ("[system]", "system"):
        return _system(identity)
    if "/userassignedidentities/" in named.lower():
        return _user(_principal_of(identity, named))
    if entry.get("usesPassword") is True:
        return ADMIN_CREDENTIALS, ConsumerIdentity(None, None)
    return _NONE


def _workspace_identity(entry: Mapping[str, Any]) -> tuple[str, ConsumerIdentity]:
    """A workspace pulls with its primary user-assigned identity if it names one, else its own."""
    identity = _mapping(entry.get("identity"))
    kinds = _identity_kinds(identity)
    primary = _text(entry.get("primaryUserAssignedIdentity"))
    if primary and "userassigned" in kinds:
        return _user(_principal_of(identity, primary))
    if "systemassigned" in kinds:
        return _system(identity)
    if "userassigned" in kinds:
        return _user(_first_user_assigned(identity))
    return _NONE


def _task_identity(entry: Mapping[str, Any]) -> tuple[str, ConsumerIdentity]:
    identity = _mapping(entry.get("identity"))
    kinds = _identity_kinds(identity)
    if "systemassigned" in kinds:
        return _system(identity)
    if "userassigned" in kinds:
        return _user(_first_user_assigned(identity))
    return _NONE


_IDENTITY_READERS = {
    TrustedService.CONTAINER_INSTANCES: _aci_identity,
    TrustedService.MACHINE_LEARNING: _workspace_identity,
    TrustedService.ACR_TASKS: _task_identity,
}


def _consumer(
    entry: Mapping[str, Any], posture: NetworkPosture, grants: tuple[Grant, ...], ref: RegistryRef
) -> ConsumerAudit | None:
    service = _SERVICES.get(_text(entry.get("kind")))
    consumer_id = _text(entry.get("id"))
    if service is None or not consumer_id:
        return None
    authenticates_with, identity = _IDENTITY_READERS[service](entry)
    agent_pool = bool(_text(entry.get("agentPoolName")))
    # Without the principal, any grant would be credited to it: skip the role check instead.
    known = grants if identity.principal_id else None
    report = evaluate_bypass(
        posture, service, known, identity=identity, agent_pool=agent_pool, registry=ref
    )
    return ConsumerAudit(consumer_id, service, authenticates_with, identity, agent_pool, report)


# -- the rules ------------------------------------------------------------------------------


def _finding(
    rule: str, registry_id: str, message: str, consumer: str | None = None
) -> AuditFinding:
    return AuditFinding(rule, RULES[rule].severity, registry_id, message, consumer)


def _short(resource_id: str) -> str:
    return resource_id.rstrip("/").rsplit("/", 1)[-1]


def _how(posture: NetworkPosture) -> str:
    return ", ".join(r.value for r in posture.restrictions)


def registry_findings(
    registry: RegistryRef,
    posture: NetworkPosture,
    assignments: Iterable[Mapping[str, Any]],
    consumers: Iterable[ConsumerAudit],
) -> list[AuditFinding]:
    """ACRT001-004, 007 and 008 for one registry, in rule order."""
    rid, name = registry.id, registry.name
    consumers = tuple(consumers)
    found: list[AuditFinding] = []
    restricted = posture.is_restricted
    if restricted and not posture.trusted_services_allowed:
        found.append(
            _finding(
                "ACRT001",
                rid,
                f"registry '{name}' is network-restricted ({_how(posture)}) but "
                "networkRuleBypassOptions is None, which blocks the trusted services (Container "
                "Instances, Machine Learning, Defender for Cloud, ACR import); set it to "
                "AzureServices",
            )
        )
    outside = [c for c in consumers if c.service is TrustedService.ACR_TASKS and not c.agent_pool]
    if restricted and outside and not posture.tasks_bypass_allowed:
        state = (
            "not set (default false)"
            if posture.network_rule_bypass_allowed_for_tasks is None
            else "false"
        )
        tasks = ", ".join(f"'{_short(c.id)}'" for c in outside)
        found.append(
            _finding(
                "ACRT002",
                rid,
                f"registry '{name}' is network-restricted ({_how(posture)}) and ACR task(s) "
                f"{tasks} run outside an agent pool, but networkRuleBypassAllowedForTasks is "
                f"{state}: since 2025-06-01 their runs get 403; set it to true or run the tasks "
                "on an agent pool",
            )
        )
    if posture.network_features_need_premium:
        found.append(
            _finding(
                "ACRT003",
                rid,
                f"registry '{name}' uses {', '.join(posture.network_features)} on SKU "
                f"{posture.sku}, but they need the Premium SKU; move it to Premium or remove "
                "the network settings",
            )
        )
    if posture.virtual_network_rules:
        count = len(posture.virtual_network_rules)
        found.append(
            _finding(
                "ACRT004",
                rid,
                f"registry '{name}' has {count} virtual-network (service endpoint) rule(s): "
                "trusted services do not bypass them and ACR service endpoints are deprecated; "
                "reach the registry through a private endpoint instead",
            )
        )
    if posture.effective_role_assignment_mode is RoleAssignmentMode.ABAC:
        for assignment in assignments:
            role = find_role(_text(assignment.get("roleDefinitionId")))
            scope = _text(assignment.get("scope")).rstrip("/").lower()
            if role is None or role.name not in LEGACY_ONLY_ROLES or scope != rid.lower():
                continue
            instead = " + ".join(f"'{r.name}'" for r in abac_replacements(role))
            found.append(
                _finding(
                    "ACRT007",
                    rid,
                    f"role assignment '{_short(_text(assignment.get('id')))}' grants "
                    f"{role.name} to principal {_text(assignment.get('principalId'))} on "
                    f"registry '{name}', whose roleAssignmentMode AbacRepositoryPermissions "
                    f"ignores it; assign {instead} instead",
                )
            )
    for consumer in consumers:
        wrong = {
            ADMIN_CREDENTIALS: "admin credentials, which trusted services do not cover",
            SYSTEM_ASSIGNED: "a system-assigned identity, which ACI cannot pull with",
        }.get(consumer.authenticates_with)
        if consumer.service is not TrustedService.CONTAINER_INSTANCES or wrong is None:
            continue
        if not restricted:
            continue
        found.append(
            _finding(
                "ACRT008",
                rid,
                f"container group '{_short(consumer.id)}' pulls from network-restricted "
                f"registry '{name}' ({_how(posture)}) with {wrong}; use a user-assigned "
                "managed identity with a pull role on the registry",
                consumer.id,
            )
        )
    return found


def audit_registry(row: Mapping[str, Any], inherited: InheritedGrants) -> RegistryAudit:
    """Evaluate one ``REGISTRIES_QUERY`` row.

    Raises:
        RowError: the row is not a registry that can be audited (the message names it).
    """
    where = _text(_mapping(row).get("id")) or "a registry row without an id"
    try:
        ref = RegistryRef.parse(where)
        if not isinstance(row.get("properties") or {}, Mapping):
            raise ValueError("its properties are not an object")
        posture = NetworkPosture.from_arm(row)
        posture.effective_role_assignment_mode  # noqa: B018 (raises for an unknown mode)
        assignments = [_mapping(a) for a in _sequence(row.get("roleAssignments"))]
        here = tuple(g for g in (_grant(a) for a in assignments) if g is not None)
        grants = here + inherited.for_registry(ref)
        consumers = [
            c
            for c in (
                _consumer(_mapping(e), posture, grants, ref)
                for e in _sequence(row.get("consumers"))
            )
            if c is not None
        ]
        findings = registry_findings(ref, posture, assignments, consumers)
    except (ValueError, TypeError, AttributeError) as exc:
        raise RowError(f"{where}: not audited: {exc}") from exc
    return RegistryAudit(
        id=ref.id,
        name=_text(row.get("name")) or ref.name,
        subscription_id=_text(row.get("subscriptionId")) or ref.subscription_id,
        resource_group=_text(row.get("resourceGroup")) or ref.resource_group,
        location=_text(row.get("location")),
        posture=posture,
        consumers=consumers,
        findings=findings,
    )

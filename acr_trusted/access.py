"""Pure access evaluation: may this service, with this identity, reach this registry?

``evaluate_bypass`` answers from data alone (a ``NetworkPosture``, the role assignments that may
apply, and what is known about the consumer's identity), so the SDK (posture read from Azure),
the linter (posture declared in IaC) and a fleet audit all reach the same verdict from the same
rules. Each rule it applies is a documented fact (``domain-facts.md`` sections 1, 2, 5 and 6):

- only a registry whose public endpoint is closed (public access disabled, or a firewall that
  denies by default) needs a bypass: a private endpoint alone leaves the public endpoint open,
  which is how ACR serves it; service-endpoint (VNet rule) restrictions are never bypassed;
- App Service is not a trusted service;
- trusted services pass with ``networkRuleBypassOptions: AzureServices``; ACR Tasks pass with
  ``networkRuleBypassAllowedForTasks: true`` (since 2025-06-01) or by running on an agent pool;
- each service supports only some identity kinds (ACI: user-assigned; Tasks: system-assigned);
- the identity needs a role that grants the permission *in the registry's role-assignment
  mode*, at the registry or an enclosing scope (AcrPull is ignored in ABAC mode).
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from typing import Any

from attrs import field, frozen

from acr_trusted.catalog import (
    SERVICES,
    IdentityKind,
    Permission,
    RoleAssignmentMode,
    RoleDefinition,
    TrustedService,
    find_role,
    role_for,
)
from acr_trusted.ids import RegistryRef
from acr_trusted.posture import NetworkPosture, Restriction


class Verdict(str, enum.Enum):
    ALLOWED = "allowed"
    """The registry is restricted and this service passes its rules."""
    BLOCKED = "blocked"
    """Something in the registry, the identity or its roles stops the service."""
    NOT_RESTRICTED = "not-restricted"
    """The registry has no network restriction to bypass, and nothing else blocks."""
    UNSUPPORTED = "unsupported"
    """The service cannot bypass network rules at all (App Service)."""


def _evidence(value: Mapping[str, Any] | None) -> Mapping[str, Any]:
    return dict(value or {})


@frozen
class Reason:
    """One finding behind a verdict, with the properties it was read from.

    ``code`` is stable (scripts and the linter match on it); ``evidence`` maps an ARM property
    path to the value read, ``None`` meaning "not set" (the documented default applies).
    ``blocking`` reasons are the ones that make a verdict ``BLOCKED``.
    """

    code: str
    message: str
    evidence: Mapping[str, Any] = field(factory=dict, converter=_evidence)
    blocking: bool = True


@frozen
class Fix:
    """A remedy, spelled as the acr_trusted call and as the equivalent ``az`` command.

    Either may be ``None`` when no such call exists (nothing in acr_trusted creates a private
    endpoint; no ``az`` command is needed for an advice-only fix).
    """

    description: str
    python: str | None
    az: str | None


@frozen
class Grant:
    """A role assignment reduced to what access evaluation needs."""

    role_definition_id: str
    scope: str
    principal_id: str

    @property
    def role(self) -> RoleDefinition | None:
        """The built-in role, or ``None`` for a custom role (never credited with access)."""
        return find_role(self.role_definition_id)


@frozen
class ConsumerIdentity:
    """What is known of the identity a service authenticates with.

    ``kind=None`` with a ``principal_id`` means "an identity whose kind is unknown";
    ``ConsumerIdentity(None, None)`` means "the consumer has no managed identity". Pass no
    identity at all to ``evaluate_bypass`` when nothing is known.
    """

    kind: IdentityKind | None
    principal_id: str | None = None


@frozen
class BypassReport:
    """The answer of ``check_bypass`` / ``evaluate_bypass``."""

    service: TrustedService
    verdict: Verdict
    reasons: tuple[Reason, ...]
    fixes: tuple[Fix, ...]
    registry_id: str | None = None

    @property
    def ok(self) -> bool:
        """Nothing found stands between the service and the registry."""
        return self.verdict in (Verdict.ALLOWED, Verdict.NOT_RESTRICTED)

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(r.code for r in self.reasons)

    def as_dict(self) -> dict[str, Any]:
        return {
            "registry": self.registry_id,
            "service": self.service.value,
            "verdict": self.verdict.value,
            "reasons": [
                {
                    "code": r.code,
                    "blocking": r.blocking,
                    "message": r.message,
                    "evidence": dict(r.evidence),
                }
                for r in self.reasons
            ],
            "fixes": [
                {"description": f.description, "python": f.python, "az": f.az} for f in self.fixes
            ],
        }

    def to_text(self) -> str:
        """A human-readable rendering for runbooks and the CLI's table output."""
        display = SERVICES[self.service].display_name
        lines = [f"{display}: {self.verdict.value.upper()}"]
        if self.registry_id:
            lines[0] += f"  ({self.registry_id})"
        for r in self.reasons:
            mark = "x" if r.blocking else "-"
            lines.append(f"  {mark} [{r.code}] {r.message}")
        for number, fix in enumerate(self.fixes, start=1):
            lines.append(f"  fix {number}: {fix.description}")
            if fix.python:
                lines.append(f"    python: {fix.python}")
            if fix.az:
                lines.append(f"    az:     {fix.az}")
        return "\n".join(lines)


# -- the registry as fixes name it ------------------------------------------------------------


@frozen
class _Target:
    id: str
    name: str
    resource_group: str
    subscription: str | None

    @classmethod
    def of(cls, registry: RegistryRef | str | None) -> _Target:
        if registry is None:
            return cls("<registry-id>", "<registry>", "<resource-group>", None)
        ref = registry if isinstance(registry, RegistryRef) else RegistryRef.parse(registry)
        return cls(ref.id, ref.name, ref.resource_group, ref.subscription_id)

    @property
    def az_where(self) -> str:
        where = f"--name {self.name} --resource-group {self.resource_group}"
        return f"{where} --subscription {self.subscription}" if self.subscription else where


TASKS_SWITCH_API_VERSION = "2025-06-01-preview"


def _enable_fix(target: _Target, *, tasks: bool) -> Fix:
    if tasks:
        return Fix(
            "Let ACR Tasks' system-assigned identities bypass the network rules "
            "(sets networkRuleBypassAllowedForTasks and networkRuleBypassOptions)",
            f'acr_trusted.enable_trusted_access("{target.id}", include_tasks=True)',
            "az resource update --namespace Microsoft.ContainerRegistry --resource-type registries "
            f"{target.az_where} --api-version {TASKS_SWITCH_API_VERSION} "
            "--set properties.networkRuleBypassAllowedForTasks=true",
        )
    return Fix(
        "Allow trusted Azure services through the network rules "
        "(networkRuleBypassOptions: AzureServices)",
        f'acr_trusted.enable_trusted_access("{target.id}")',
        f"az acr update {target.az_where} --allow-trusted-services true",
    )


_GRANT_HELPERS = {Permission.PULL: "grant_pull", Permission.PUSH: "grant_push"}


def _grant_fix(
    target: _Target, principal_id: str | None, permission: Permission, mode: RoleAssignmentMode
) -> Fix:
    principal = principal_id or "<principal-id>"
    role = role_for(permission, mode)
    helper = _GRANT_HELPERS.get(permission)
    python = f'acr_trusted.{helper}("{target.id}", "{principal}")' if helper else None
    return Fix(
        f"Assign '{role.name}' to the identity at the registry scope",
        python,
        f"az role assignment create --assignee-object-id {principal} "
        f'--assignee-principal-type ServicePrincipal --role "{role.name}" --scope {target.id}',
    )


# -- the evaluation -----------------------------------------------------------------------------


def _network_evidence(posture: NetworkPosture) -> dict[str, Any]:
    return {
        "publicNetworkAccess": posture.public_network_access,
        "networkRuleSet.defaultAction": posture.default_action,
        "networkRuleSet.ipRules": len(posture.ip_rules),
        "privateEndpointConnections": posture.private_endpoint_count,
    }


def _encloses(scope: str, registry_id: str | None) -> bool:
    """Whether a role assignment at ``scope`` applies to the registry.

    Management-group scopes cannot be placed without a lookup; ARM only returns them for a
    scope they enclose, so they are credited. With no registry ID every scope is credited
    (the caller has already selected the assignments that apply).
    """
    if registry_id is None:
        return True
    normalized = scope.strip().rstrip("/").lower()
    if normalized.startswith("/providers/microsoft.management/managementgroups/"):
        return True
    target = registry_id.lower()
    return normalized == "" or target == normalized or target.startswith(normalized + "/")


def _default_permission(service: TrustedService) -> Permission | None:
    if service is TrustedService.DEFENDER:
        return None
    if service is TrustedService.ACR_IMPORT:
        return Permission.IMPORT
    return Permission.PULL


# ACI refuses system-assigned pulls from ACR whatever the network (ACI docs, 2026-07); for the
# other services the identity kind matters only for the bypass itself.
_KIND_MATTERS_WITHOUT_BYPASS = frozenset({TrustedService.CONTAINER_INSTANCES})


def _network_reasons(
    posture: NetworkPosture, service: TrustedService, target: _Target, *, agent_pool: bool
) -> tuple[list[Reason], list[Fix]]:
    """Reasons about the network path: restriction, trust, and the bypass switches."""
    network = _network_evidence(posture)
    if not posture.public_endpoint_closed:
        if posture.private_endpoint_count:
            # A private endpoint alone leaves the public endpoint open: the service gets in
            # without a bypass today, and would be cut off the day public access is closed.
            remedies = (
                [] if posture.trusted_services_allowed else [_enable_fix(target, tasks=False)]
            )
            return [
                Reason(
                    "public-endpoint-open",
                    "The registry has a private endpoint, but its public endpoint is still open "
                    "(publicNetworkAccess Enabled, defaultAction Allow), so no bypass is involved "
                    "yet; allow trusted services before closing it.",
                    network,
                    blocking=False,
                )
            ], remedies
        return [
            Reason(
                "not-restricted",
                "The registry has no network restriction: public access is enabled with "
                "defaultAction Allow and no private endpoint, so no bypass is involved.",
                network,
                blocking=False,
            )
        ], []
    entry = SERVICES[service]
    restricted_by = ", ".join(r.value for r in posture.restrictions)
    if service is TrustedService.APP_SERVICE:
        return [
            Reason(
                "not-trusted",
                f"The registry is restricted ({restricted_by}) and App Service is not a trusted "
                "service: 'enabling the allow trusted services setting doesn't apply to App "
                "Service'.",
                network,
            )
        ], [
            Fix(
                "Pull over the app's VNet integration through a private endpoint of the registry",
                None,
                "az resource update --ids <web-app-resource-id> "
                "--set properties.vnetImagePullEnabled=true",
            )
        ]
    reasons: list[Reason] = []
    fixes: list[Fix] = []
    if Restriction.SERVICE_ENDPOINT in posture.restrictions:
        reasons.append(
            Reason(
                "service-endpoint-only",
                "The registry is restricted with VNet service-endpoint rules; trusted-service "
                "bypass does not apply to a registry configured with a service endpoint.",
                {
                    **network,
                    "networkRuleSet.virtualNetworkRules": len(posture.virtual_network_rules),
                },
            )
        )
        fixes.append(
            Fix(
                "Replace the service-endpoint rules with a private endpoint",
                None,
                "az network private-endpoint create --name <endpoint> "
                f"--resource-group {target.resource_group} --vnet-name <vnet> --subnet <subnet> "
                f"--private-connection-resource-id {target.id} --group-ids registry "
                "--connection-name <connection>",
            )
        )
    if service is TrustedService.ACR_TASKS and agent_pool:
        reasons.append(
            Reason(
                "agent-pool",
                "The task runs on an agent pool inside the virtual network, so it reaches the "
                "registry through its network rules and needs no bypass.",
                {"agentPool": True},
                blocking=False,
            )
        )
        return reasons, fixes
    bypass_evidence = {"networkRuleBypassOptions": posture.network_rule_bypass_options}
    if service is TrustedService.ACR_TASKS:
        tasks_evidence = {
            "networkRuleBypassAllowedForTasks": posture.network_rule_bypass_allowed_for_tasks
        }
        if posture.tasks_bypass_allowed:
            reasons.append(
                Reason(
                    "tasks-switch-on",
                    "networkRuleBypassAllowedForTasks is true: a task's system-assigned "
                    "identity may bypass the network rules.",
                    tasks_evidence,
                    blocking=False,
                )
            )
        else:
            reasons.append(
                Reason(
                    "tasks-switch-off",
                    f"The registry is restricted ({restricted_by}) and "
                    "networkRuleBypassAllowedForTasks is not true (default false): since "
                    "2025-06-01 ACR Tasks are not a trusted service and tasks that need the "
                    "bypass get 403.",
                    tasks_evidence,
                )
            )
        if not posture.trusted_services_allowed:
            reasons.append(
                Reason(
                    "bypass-off",
                    "networkRuleBypassOptions is None. Whether tasks also need it to be "
                    "AzureServices is UNCONFIRMED (the docs do not say); the safe configuration "
                    "sets both switches.",
                    bypass_evidence,
                )
            )
        if any(r.blocking and r.code in ("tasks-switch-off", "bypass-off") for r in reasons):
            fixes.append(_enable_fix(target, tasks=True))
            fixes.append(
                Fix(
                    "Or run the task on an agent pool in the registry's virtual network",
                    None,
                    f"az acr agentpool create --registry {target.name} --name <pool> "
                    "--subnet-id <subnet-resource-id>",
                )
            )
        return reasons, fixes
    if posture.trusted_services_allowed:
        reasons.append(
            Reason(
                "bypass-on",
                f"The registry is restricted ({restricted_by}) and allows trusted services "
                f"(networkRuleBypassOptions AzureServices); {entry.display_name} is one.",
                bypass_evidence,
                blocking=False,
            )
        )
    else:
        reasons.append(
            Reason(
                "bypass-off",
                f"The registry is restricted ({restricted_by}) and networkRuleBypassOptions is "
                f"None, so {entry.display_name} cannot bypass the network rules.",
                {**network, **bypass_evidence},
            )
        )
        fixes.append(_enable_fix(target, tasks=False))
    return reasons, fixes


def _identity_reasons(
    posture: NetworkPosture,
    service: TrustedService,
    identity: ConsumerIdentity | None,
    target: _Target,
    *,
    agent_pool: bool,
) -> tuple[list[Reason], list[Fix]]:
    entry = SERVICES[service]
    if identity is None or not entry.identity_required:
        return [], []
    if identity.kind is None and identity.principal_id is None:
        return [
            Reason(
                "no-identity",
                f"{entry.display_name} authenticates to the registry with a managed identity, "
                "and the consumer has none.",
                {"identity": None},
            )
        ], [
            Fix(
                "Give the consumer a managed identity and grant it a role on the registry",
                None,
                None,
            )
        ]
    bypass_used = posture.public_endpoint_closed and not agent_pool
    kind_matters = bypass_used or service in _KIND_MATTERS_WITHOUT_BYPASS
    if identity.kind is None or not kind_matters or identity.kind in entry.identity_kinds:
        return [], []
    supported = " or ".join(sorted(k.value for k in entry.identity_kinds))
    reason = Reason(
        "identity-kind",
        f"{entry.display_name} uses a {identity.kind.value} identity, but only {supported} "
        "identities are supported here.",
        {"identity.type": identity.kind.value},
    )
    if service is TrustedService.ACR_TASKS:
        login_server = posture.login_server or f"{target.name.lower()}.azurecr.io"
        fix = Fix(
            "Give the task a system-assigned identity and use it for the registry credential",
            None,
            f"az acr task update --name <task> --registry {target.name} "
            "--assign-identity [system] && "
            f"az acr task credential add --name <task> --registry {target.name} "
            f"--login-server {login_server} --use-identity [system]",
        )
    else:
        fix = Fix(
            f"Pull with a {supported} identity",
            None,
            "az container create ... --acr-identity <uami-resource-id> "
            "--assign-identity <uami-resource-id>"
            if service is TrustedService.CONTAINER_INSTANCES
            else None,
        )
    return [reason], [fix]


def _role_reasons(
    posture: NetworkPosture,
    grants: Iterable[Grant] | None,
    principal_id: str | None,
    permission: Permission | None,
    target: _Target,
    registry_id: str | None,
) -> tuple[list[Reason], list[Fix]]:
    if grants is None or permission is None:
        return [], []
    mode = posture.effective_role_assignment_mode
    wanted = principal_id.lower() if principal_id else None
    applicable = [
        g
        for g in grants
        if (wanted is None or g.principal_id.lower() == wanted) and _encloses(g.scope, registry_id)
    ]
    mode_evidence = {"roleAssignmentMode": posture.role_assignment_mode}
    granting = [g for g in applicable if g.role is not None and g.role.grants(permission, mode)]
    if granting:
        names = sorted({g.role.name for g in granting if g.role is not None})
        return [
            Reason(
                f"has-{permission.value}-role",
                f"The identity holds {', '.join(names)}, which grants {permission.value} in "
                f"{mode.value} mode.",
                {**mode_evidence, "roles": names},
                blocking=False,
            )
        ], []
    needed = role_for(permission, mode)
    fix = _grant_fix(target, principal_id, permission, mode)
    ignored = sorted(
        {
            g.role.name
            for g in applicable
            if g.role is not None
            and mode is RoleAssignmentMode.ABAC
            and g.role.grants(permission, RoleAssignmentMode.LEGACY)
        }
    )
    if ignored:
        return [
            Reason(
                "legacy-role-in-abac",
                f"The identity holds {', '.join(ignored)}, which the registry ignores in "
                f"{mode.value} mode; it needs '{needed.name}'.",
                {**mode_evidence, "roles": ignored},
            )
        ], [fix]
    held = sorted({g.role.name if g.role else g.role_definition_id for g in applicable})
    return [
        Reason(
            f"no-{permission.value}-role",
            f"No role assignment at the registry or an enclosing scope grants the identity "
            f"{permission.value} in {mode.value} mode (held: {', '.join(held) or 'none'}).",
            {**mode_evidence, "roles": held},
        )
    ], [fix]


def evaluate_bypass(
    posture: NetworkPosture,
    service: TrustedService | str,
    grants: Iterable[Grant] | None = None,
    *,
    identity: ConsumerIdentity | None = None,
    agent_pool: bool = False,
    permission: Permission | None = None,
    registry: RegistryRef | str | None = None,
) -> BypassReport:
    """Decide whether ``service`` can reach a registry with this posture.

    Args:
        posture: the registry's network posture (from Azure or from IaC).
        service: a ``TrustedService`` or its key (``"aci"``, ``"acr-tasks"``, ...).
        grants: role assignments that may apply; ``None`` skips the role check. Only those of
            ``identity.principal_id`` (when given) at an enclosing scope of ``registry`` (when
            given) are credited.
        identity: what is known of the consumer's identity; ``None`` skips identity checks.
        agent_pool: an ACR task that runs on an agent pool inside the VNet.
        permission: what the consumer does; by default pull (import for ``acr-import``, none
            for Defender, whose pulls need no customer identity). Pass ``Permission.PUSH`` for
            a task that pushes.
        registry: the registry, to scope grants and to spell exact fixes.

    Returns:
        The verdict with its reasons and fixes.

    Raises:
        ValueError: unknown ``service``, or a malformed registry resource ID.
    """
    svc = TrustedService.parse(service)
    target = _Target.of(registry)
    registry_id = None if registry is None else target.id
    wanted = _default_permission(svc) if permission is None else permission
    principal_id = identity.principal_id if identity else None

    reasons: list[Reason] = []
    fixes: list[Fix] = []
    for found, remedies in (
        _network_reasons(posture, svc, target, agent_pool=agent_pool),
        _identity_reasons(posture, svc, identity, target, agent_pool=agent_pool),
        _role_reasons(posture, grants, principal_id, wanted, target, registry_id),
    ):
        reasons.extend(found)
        fixes.extend(remedies)

    if svc is TrustedService.APP_SERVICE and posture.public_endpoint_closed:
        verdict = Verdict.UNSUPPORTED
    elif any(r.blocking for r in reasons):
        verdict = Verdict.BLOCKED
    elif not posture.public_endpoint_closed:
        verdict = Verdict.NOT_RESTRICTED
    else:
        verdict = Verdict.ALLOWED
    return BypassReport(svc, verdict, tuple(reasons), tuple(fixes), registry_id)

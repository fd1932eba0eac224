"""A registry's network posture, and what it means for trusted services.

One model serves both front ends: the SDK fills it from a live registry (``from_arm``), the
linter from declared IaC, the emulator from its own state. Absent properties take the
documented service defaults (TypeSpec ``Registry.models.tsp``; domain-facts section 3):
``publicNetworkAccess=Enabled``, ``networkRuleSet.defaultAction=Allow``,
``networkRuleBypassOptions=AzureServices``, ``networkRuleBypassAllowedForTasks=false``,
``roleAssignmentMode=LegacyRegistryPermissions``.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from typing import Any

from acr_trusted.catalog import RoleAssignmentMode
from acr_trusted.records import field, frozen

DEFAULT_PUBLIC_NETWORK_ACCESS = "Enabled"
DEFAULT_DEFAULT_ACTION = "Allow"
DEFAULT_BYPASS_OPTIONS = "AzureServices"
DEFAULT_TASKS_BYPASS = False
DEFAULT_ROLE_ASSIGNMENT_MODE = RoleAssignmentMode.LEGACY.value

_CANONICAL = {
    v.lower(): v
    for v in (
        "Enabled",
        "Disabled",
        "Allow",
        "Deny",
        "AzureServices",
        "None",
        "Basic",
        "Classic",
        "Standard",
        "Premium",
        RoleAssignmentMode.LEGACY.value,
        RoleAssignmentMode.ABAC.value,
    )
}


def canonical(value: str | None) -> str | None:
    """ARM compares enum values case-insensitively (``'none'`` is ``None``); spell them one way."""
    if value is None:
        return None
    return _CANONICAL.get(value.lower(), value)


def _canonical_tuple(values: Iterable[str] | None) -> tuple[str, ...]:
    return tuple(values or ())


class Restriction(str, enum.Enum):
    """Why a registry refuses some callers."""

    PUBLIC_ACCESS_DISABLED = "public-network-access-disabled"
    FIREWALL = "firewall-default-deny"
    PRIVATE_ENDPOINT = "private-endpoint"
    SERVICE_ENDPOINT = "service-endpoint-rules"


@frozen(kw_only=True)
class NetworkPosture:
    """The network-relevant properties of one registry, ``None`` meaning "not set"."""

    sku: str | None = field(default=None, converter=canonical)
    public_network_access: str | None = field(default=None, converter=canonical)
    default_action: str | None = field(default=None, converter=canonical)
    ip_rules: tuple[str, ...] = field(default=(), converter=_canonical_tuple)
    private_endpoint_count: int = 0
    virtual_network_rules: tuple[str, ...] = field(default=(), converter=_canonical_tuple)
    network_rule_bypass_options: str | None = field(default=None, converter=canonical)
    network_rule_bypass_allowed_for_tasks: bool | None = None
    role_assignment_mode: str | None = field(default=None, converter=canonical)
    login_server: str | None = None

    # -- effective values (documented defaults applied) ------------------------------------
    @property
    def effective_public_network_access(self) -> str:
        return self.public_network_access or DEFAULT_PUBLIC_NETWORK_ACCESS

    @property
    def effective_default_action(self) -> str:
        return self.default_action or DEFAULT_DEFAULT_ACTION

    @property
    def effective_bypass_options(self) -> str:
        return self.network_rule_bypass_options or DEFAULT_BYPASS_OPTIONS

    @property
    def effective_role_assignment_mode(self) -> RoleAssignmentMode:
        return RoleAssignmentMode.parse(self.role_assignment_mode)

    # -- derived facts ------------------------------------------------------------------------
    @property
    def is_premium(self) -> bool:
        return self.sku == "Premium"

    @property
    def public_endpoint_closed(self) -> bool:
        """No caller from the internet gets through without an exception."""
        return (
            self.effective_public_network_access == "Disabled"
            or self.effective_default_action == "Deny"
        )

    @property
    def restrictions(self) -> tuple[Restriction, ...]:
        """Every restriction in force, in a stable order.

        An IP rule under ``defaultAction: Allow`` restricts nothing.
        """
        found: list[Restriction] = []
        if self.effective_public_network_access == "Disabled":
            found.append(Restriction.PUBLIC_ACCESS_DISABLED)
        elif self.effective_default_action == "Deny":
            if self.ip_rules or not self.virtual_network_rules:
                found.append(Restriction.FIREWALL)
            if self.virtual_network_rules:
                found.append(Restriction.SERVICE_ENDPOINT)
        if self.private_endpoint_count > 0:
            found.append(Restriction.PRIVATE_ENDPOINT)
        return tuple(found)

    @property
    def is_restricted(self) -> bool:
        """Public access disabled, a firewall that denies by default, or a private endpoint.

        A private endpoint counts because it is how teams express "this registry is private";
        the linter and ``check_bypass`` both treat such a registry as one whose trusted-service
        consumers need the bypass.
        """
        return bool(self.restrictions)

    @property
    def service_endpoint_only(self) -> bool:
        """Restricted only by VNet service-endpoint rules, which trusted services never bypass."""
        return self.restrictions == (Restriction.SERVICE_ENDPOINT,)

    @property
    def trusted_services_allowed(self) -> bool:
        return self.effective_bypass_options == "AzureServices"

    @property
    def tasks_bypass_allowed(self) -> bool:
        if self.network_rule_bypass_allowed_for_tasks is None:
            return DEFAULT_TASKS_BYPASS
        return self.network_rule_bypass_allowed_for_tasks

    @property
    def network_features(self) -> tuple[str, ...]:
        """The Premium-only network features in use, in words for messages."""
        found = []
        if self.effective_public_network_access == "Disabled":
            found.append("disabled public network access")
        if self.effective_default_action == "Deny":
            found.append("a firewall (defaultAction Deny)")
        if self.ip_rules:
            found.append("IP rules")
        if self.virtual_network_rules:
            found.append("virtual-network rules")
        if self.private_endpoint_count > 0:
            found.append("private endpoints")
        return tuple(found)

    @property
    def network_features_need_premium(self) -> bool:
        """Network rules, disabled public access or private endpoints on a non-Premium SKU."""
        return bool(self.network_features) and self.sku is not None and not self.is_premium

    # -- construction ---------------------------------------------------------------------
    @classmethod
    def from_arm(cls, resource: Mapping[str, Any]) -> NetworkPosture:
        """Build from a registry resource in ARM's JSON shape (GET / Resource Graph row)."""
        props: Mapping[str, Any] = resource.get("properties") or {}
        rule_set: Mapping[str, Any] = props.get("networkRuleSet") or {}
        sku: Mapping[str, Any] = resource.get("sku") or {}
        connections = props.get("privateEndpointConnections") or []
        tasks_flag = props.get("networkRuleBypassAllowedForTasks")
        return cls(
            sku=sku.get("name"),
            public_network_access=props.get("publicNetworkAccess"),
            default_action=rule_set.get("defaultAction"),
            ip_rules=tuple(str(r.get("value", "")) for r in rule_set.get("ipRules") or ()),
            private_endpoint_count=sum(1 for c in connections if _approved(c)),
            virtual_network_rules=tuple(
                str(r.get("id") or r.get("virtualNetworkSubnetResourceId") or "")
                for r in rule_set.get("virtualNetworkRules") or ()
            ),
            network_rule_bypass_options=props.get("networkRuleBypassOptions"),
            network_rule_bypass_allowed_for_tasks=None if tasks_flag is None else bool(tasks_flag),
            role_assignment_mode=props.get("roleAssignmentMode"),
            login_server=props.get("loginServer"),
        )


def _approved(connection: Mapping[str, Any]) -> bool:
    """A private endpoint connection that is not rejected or disconnected."""
    props = connection.get("properties") or {}
    state = (props.get("privateLinkServiceConnectionState") or {}).get("status", "Approved")
    return str(state).lower() not in ("rejected", "disconnected")

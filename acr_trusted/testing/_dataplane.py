"""The emulator's own model of ACR's data-plane decision: may this caller reach this registry?

Task runs logging in, container groups pulling and imports all ask :func:`decide`. It is written
from the documented rules (``domain-facts.md`` sections 1, 2, 5, 6 and 7), *independently* of
``acr_trusted.access``: its own network model, its own role table, its own error texts. Tests
compare the library's diagnosis (``check_bypass``) with this model, so a shared mistake would
have to be made twice. The rules, in the order ACR applies them:

1. **Network.** A caller from a service's multi-tenant network (each service has a fixed
   documentation address, ``SERVICE_ADDRESSES``) passes when public access is ``Enabled`` and
   the firewall's ``defaultAction`` is ``Allow`` or an IP rule matches its address. Disabled
   public access ignores IP rules. A private endpoint does not close the public endpoint. A task
   on an agent pool arrives from the customer's virtual network: it passes through an approved
   private endpoint, or through an open public endpoint.
2. **Bypass**, when the network refuses: never with service-endpoint (VNet) rules in place.
   Trusted services (ACI, Machine Learning, ACR import, Defender) pass with
   ``networkRuleBypassOptions: AzureServices``; ACI and Machine Learning only with a managed
   identity token. An ACR task passes only with its *system-assigned* identity,
   ``networkRuleBypassAllowedForTasks: true`` and ``AzureServices`` (whether tasks need the
   latter is unconfirmed; the emulator takes the reading that needs both); otherwise the token
   exchange answers 403. Anything else gets the firewall's ``denied`` text.
3. **Authorization**: the identity needs a role, at the registry or an enclosing scope, that
   grants the action in the registry's ``roleAssignmentMode`` (``_ROLE_ACTIONS``). ABAC
   conditions are not evaluated: a conditioned assignment counts as registry-wide.

Error texts are ACR's (sources in ``domain-facts.md`` section 7, and Azure/acr#506 for
``unauthorized``); where ACR's wording is unknown the message says it is LocalAzure's.
"""

from __future__ import annotations

import ipaddress
import secrets
import weakref
from collections.abc import Iterable, Mapping
from typing import Any

from attrs import define, field, frozen

from acr_trusted.catalog import find_role
from acr_trusted.testing._arm import ArmError, ArmRequest, not_found
from acr_trusted.testing._state import Json, State

SERVICE_ADDRESSES: Mapping[str, str] = {
    "acr-tasks": "203.0.113.10",
    "aci": "203.0.113.20",
    "ml": "203.0.113.30",
    "acr-import": "203.0.113.40",
    "defender": "203.0.113.50",
    "app-service": "203.0.113.60",
    "client": "198.51.100.7",
}
"""Where each service's calls come from (RFC 5737 documentation ranges, never routed)."""

TRUSTED_SERVICES = frozenset({"aci", "ml", "acr-import", "defender"})
SYSTEM = "SystemAssigned"
USER = "UserAssigned"

PULL, PUSH, IMPORT = "pull", "push", "import"

# Role name -> the data-plane actions it grants, per role-assignment mode. Legacy mode follows
# ACR's roles table; ABAC mode ignores AcrPull/AcrPush/AcrDelete and gives Owner/Contributor/
# Reader control-plane rights only, of which importImage/action is one.
_ROLE_ACTIONS: Mapping[str, Mapping[str, frozenset[str]]] = {
    "LegacyRegistryPermissions": {
        "AcrPull": frozenset({PULL}),
        "AcrPush": frozenset({PULL, PUSH}),
        "AcrDelete": frozenset({"delete"}),
        "Owner": frozenset({PULL, PUSH, "delete", IMPORT}),
        "Contributor": frozenset({PULL, PUSH, "delete", IMPORT}),
        "Reader": frozenset({PULL}),
        "Container Registry Data Importer and Data Reader": frozenset({IMPORT, PULL}),
    },
    "AbacRepositoryPermissions": {
        "Container Registry Repository Reader": frozenset({PULL}),
        "Container Registry Repository Writer": frozenset({PULL, PUSH}),
        "Container Registry Repository Contributor": frozenset({PULL, PUSH, "delete"}),
        "Container Registry Repository Catalog Lister": frozenset({"catalog"}),
        "Owner": frozenset({IMPORT}),
        "Contributor": frozenset({IMPORT}),
        "Container Registry Data Importer and Data Reader": frozenset({IMPORT, PULL}),
    },
}

TOKEN_EXCHANGE_403 = (
    "failed to unmarshal task before running: failed to resolve secrets: failed to get ACR "
    "refresh token, exchange API response code: 403 Forbidden"
)
UNAUTHORIZED = (
    "unauthorized: authentication required, visit https://aka.ms/acr/authorization for more "
    "information."
)


def firewall_denied(address: str) -> str:
    return (
        f"denied: client with IP '{address}' is not allowed access. "
        "Refer https://aka.ms/acr/firewall to grant access."
    )


@frozen
class Caller:
    """Who asks: the service, the identity it presents, and where it comes from.

    ``identity_kind`` is ``SystemAssigned``/``UserAssigned`` for a managed identity token,
    ``None`` for anything else (a task's run token, admin credentials, anonymous).
    ``principal_id`` ``None`` with ``authorized=True`` is a caller whose rights are not in
    question (a task's run token on its own registry, the subscription owner calling ARM).
    """

    service: str
    identity_kind: str | None = None
    principal_id: str | None = None
    from_vnet: bool = False
    authorized: bool = False

    @property
    def address(self) -> str:
        return SERVICE_ADDRESSES.get(self.service, SERVICE_ADDRESSES["client"])


@frozen
class Decision:
    """The answer: ``allowed``, and otherwise at which ``stage`` and with which ACR text."""

    allowed: bool
    stage: str
    """``network``, ``bypass``, ``authorization`` or ``ok``."""
    code: str
    """``DENIED``, ``TOKEN_EXCHANGE_FORBIDDEN``, ``UNAUTHORIZED`` or ``OK``."""
    message: str
    rule: str
    """The rule that decided, in words (for logs and test failures)."""


def _props(registry: Json) -> Mapping[str, Any]:
    props: Mapping[str, Any] = registry.get("properties") or {}
    return props


def _lower(value: Any, default: str) -> str:
    return str(value if value is not None else default).lower()


def _approved_private_endpoints(props: Mapping[str, Any]) -> int:
    count = 0
    for connection in props.get("privateEndpointConnections") or ():
        state = (
            (connection.get("properties") or {}).get("privateLinkServiceConnectionState")
        ) or {}
        if _lower(state.get("status"), "Approved") == "approved":
            count += 1
    return count


def _address_allowed(address: str, rules: Iterable[Mapping[str, Any]]) -> bool:
    ip = ipaddress.IPv4Address(address)
    for rule in rules:
        try:
            if ip in ipaddress.IPv4Network(str(rule.get("value", "")), strict=False):
                return True
        except ValueError:
            continue
    return False


def _network(registry: Json, caller: Caller) -> tuple[bool, str]:
    props = _props(registry)
    public = _lower(props.get("publicNetworkAccess"), "Enabled") == "enabled"
    rule_set = props.get("networkRuleSet") or {}
    deny = _lower(rule_set.get("defaultAction"), "Allow") == "deny"
    if caller.from_vnet and _approved_private_endpoints(props):
        return True, "from the virtual network through an approved private endpoint"
    if not public:
        return False, "public network access is Disabled (IP rules are ignored)"
    if not deny:
        return True, "the public endpoint is open (defaultAction Allow)"
    if _address_allowed(caller.address, rule_set.get("ipRules") or ()):
        return True, f"an IP rule allows {caller.address}"
    return False, f"defaultAction Deny and no IP rule allows {caller.address}"


def _bypass(registry: Json, caller: Caller) -> Decision | None:
    """``None`` when the bypass lets the caller through, else the refusal."""
    props = _props(registry)
    denied = firewall_denied(caller.address)
    rule_set = props.get("networkRuleSet") or {}
    if rule_set.get("virtualNetworkRules"):
        return Decision(
            False,
            "bypass",
            "DENIED",
            denied,
            "service-endpoint (VNet) rules are configured: trusted-service bypass does not apply",
        )
    trusted = _lower(props.get("networkRuleBypassOptions"), "AzureServices") == "azureservices"
    if caller.service == "acr-tasks":
        if caller.identity_kind != SYSTEM:
            return Decision(
                False,
                "bypass",
                "DENIED",
                denied,
                "only a task's system-assigned identity can bypass the network rules",
            )
        if props.get("networkRuleBypassAllowedForTasks") is not True or not trusted:
            return Decision(
                False,
                "bypass",
                "TOKEN_EXCHANGE_FORBIDDEN",
                TOKEN_EXCHANGE_403,
                "tasks bypass needs networkRuleBypassAllowedForTasks true and "
                "networkRuleBypassOptions AzureServices",
            )
        return None
    if caller.service not in TRUSTED_SERVICES:
        return Decision(False, "bypass", "DENIED", denied, f"{caller.service} is not trusted")
    if not trusted:
        return Decision(
            False, "bypass", "DENIED", denied, "networkRuleBypassOptions is None: no bypass"
        )
    if caller.service in ("aci", "ml") and caller.identity_kind is None:
        return Decision(
            False,
            "bypass",
            "DENIED",
            denied,
            f"{caller.service} bypasses only with a managed identity token",
        )
    return None


def _encloses(scope: str, resource_id: str) -> bool:
    outer, inner = scope.lower().rstrip("/"), resource_id.lower().rstrip("/")
    return outer == "" or inner == outer or inner.startswith(outer + "/")


def granted_actions(state: State, registry: Json, principal_id: str) -> frozenset[str]:
    """What the principal may do on the registry's data plane, in the registry's role mode."""
    mode = str(_props(registry).get("roleAssignmentMode") or "LegacyRegistryPermissions")
    table = next(
        (actions for name, actions in _ROLE_ACTIONS.items() if name.lower() == mode.lower()),
        _ROLE_ACTIONS["LegacyRegistryPermissions"],
    )
    granted: set[str] = set()
    with state.lock:
        assignments = list(state.role_assignments.values())
    for assignment in assignments:
        props = assignment["properties"]
        if props["principalId"].lower() != principal_id.lower():
            continue
        if not _encloses(props["scope"], registry["id"]):
            continue
        role = find_role(props["roleDefinitionId"])
        if role is not None:
            granted |= table.get(role.name, frozenset())
    return frozenset(granted)


def decide(state: State, registry: Json, caller: Caller, action: str) -> Decision:
    """May ``caller`` perform ``action`` (``pull``, ``push``, ``import``) on ``registry``?"""
    if caller.service == "aci" and caller.identity_kind == SYSTEM:
        return Decision(
            False,
            "identity",
            "UNAUTHORIZED",
            UNAUTHORIZED,
            "ACI does not pull from ACR with a system-assigned identity (ACI docs)",
        )
    reachable, why = _network(registry, caller)
    if not reachable and caller.from_vnet:
        return Decision(
            False,
            "network",
            "DENIED",
            firewall_denied(caller.address),
            "an agent pool reaches the registry only through a private endpoint or an open "
            "public endpoint",
        )
    if not reachable:
        refusal = _bypass(registry, caller)
        if refusal is not None:
            return refusal
        why = f"{why}; bypassed as a trusted caller"
    if caller.authorized:
        return Decision(True, "ok", "OK", "", why)
    if caller.principal_id is None:
        return Decision(False, "authorization", "UNAUTHORIZED", UNAUTHORIZED, "no credential")
    if action not in granted_actions(state, registry, caller.principal_id):
        return Decision(
            False,
            "authorization",
            "UNAUTHORIZED",
            UNAUTHORIZED,
            f"no role grants {action} to {caller.principal_id} in this role-assignment mode",
        )
    return Decision(True, "ok", "OK", "", why)


@define
class Extras:
    """Per-emulator data that is not an ARM resource: run logs, imports, the ARM caller."""

    caller_principal_id: str | None = None
    run_logs: dict[str, list[str]] = field(factory=dict)
    run_counters: dict[str, int] = field(factory=dict)
    imported: dict[str, list[str]] = field(factory=dict)
    log_key: bytes = field(factory=lambda: secrets.token_bytes(16), repr=False)


_EXTRAS: weakref.WeakKeyDictionary[State, Extras] = weakref.WeakKeyDictionary()


def extras(state: State) -> Extras:
    """The extras of one emulator (created on first use)."""
    with state.lock:
        found = _EXTRAS.get(state)
        if found is None:
            found = _EXTRAS[state] = Extras()
        return found


def registry_by_login_server(state: State, login_server: str) -> Json | None:
    """The stored registry whose ``loginServer`` is ``login_server`` (any case)."""
    wanted = login_server.lower().strip().rstrip("/")
    with state.lock:
        for registry in state.resources_of_type("Microsoft.ContainerRegistry/registries"):
            if str(registry["properties"].get("loginServer", "")).lower() == wanted:
                return registry
    return None


def registry_of(request: ArmRequest, state: State) -> Json:
    """The stored registry a child route names (``sub``, ``rg``, ``registry``), else ARM's 404."""
    params = request.params
    if params["sub"].lower() != state.subscription_id.lower():
        raise ArmError(
            404, "SubscriptionNotFound", f"The subscription '{params['sub']}' could not be found."
        )
    if not state.has_resource_group(params["rg"]):
        raise ArmError(
            404, "ResourceGroupNotFound", f"Resource group '{params['rg']}' could not be found."
        )
    registry_id = (
        f"/subscriptions/{params['sub']}/resourceGroups/{params['rg']}"
        f"/providers/Microsoft.ContainerRegistry/registries/{params['registry']}"
    )
    found = state.resource(registry_id)
    if found is None:
        raise not_found("Microsoft.ContainerRegistry/registries", params["registry"], params["rg"])
    return found

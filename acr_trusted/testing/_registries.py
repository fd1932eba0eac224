"""``Microsoft.ContainerRegistry/registries`` at api-version 2025-11-01.

Shapes follow the REST examples (RegistryGet/Update/List/ListByResourceGroup/Create/Delete and
PrivateEndpointConnectionGet/List). PATCH is a long-running operation as ACR does it: 201 with an
``Azure-AsyncOperation`` header and the registry in ``provisioningState: Updating``; the change is
applied when the operation reports ``Succeeded`` and dropped when it ends ``Failed``. PUT creates
or replaces and completes at once (201 / 200); DELETE completes at once (200, or 204 if absent)
and removes the role assignments at or below the registry.
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Iterable

from acr_trusted.ids import PROVIDER, RESOURCE_TYPE, RegistryRef
from acr_trusted.testing import _schema as s
from acr_trusted.testing._arm import ArmError, ArmRequest, ArmResponse, Route, not_found, paged
from acr_trusted.testing._operations import start_operation
from acr_trusted.testing._state import Json, State, utc_now

API_VERSIONS = ("2025-11-01",)
TYPE = f"{PROVIDER}/{RESOURCE_TYPE}"
PEC_TYPE = f"{TYPE}/privateEndpointConnections"

_READ_ONLY_PROPERTIES = frozenset(
    {
        "loginServer",
        "creationDate",
        "provisioningState",
        "status",
        "dataEndpointHostNames",
        "privateEndpointConnections",
    }
)
_NETWORK_RULE_SET = s.Object(
    {
        "defaultAction": s.Enum(("Allow", "Deny")),
        "ipRules": s.Array(
            s.Object({"action": s.Enum(("Allow",)), "value": s.Ipv4Range()}, frozenset({"value"})),
            max_items=200,
        ),
    },
    required=frozenset({"defaultAction"}),
)
_POLICIES = s.Object(
    {
        name: s.AnyJson()
        for name in (
            "quarantinePolicy",
            "trustPolicy",
            "retentionPolicy",
            "exportPolicy",
            "azureADAuthenticationAsArmPolicy",
        )
    }
)
_UPDATE_PROPERTIES: dict[str, s.Spec] = {
    "adminUserEnabled": s.Boolean(),
    "networkRuleSet": _NETWORK_RULE_SET,
    "policies": _POLICIES,
    "encryption": s.AnyJson(),
    "dataEndpointEnabled": s.Boolean(),
    "publicNetworkAccess": s.Enum(("Enabled", "Disabled")),
    "networkRuleBypassOptions": s.Enum(("AzureServices", "None")),
    "networkRuleBypassAllowedForTasks": s.Boolean(),
    "anonymousPullEnabled": s.Boolean(),
    "roleAssignmentMode": s.Enum(("AbacRepositoryPermissions", "LegacyRegistryPermissions")),
}
_IDENTITY = s.Object(
    {
        "type": s.Enum(("SystemAssigned", "UserAssigned", "SystemAssigned, UserAssigned", "None")),
        "userAssignedIdentities": s.MapOf(s.AnyJson()),
    },
    read_only=frozenset({"principalId", "tenantId"}),
)
_SKU = s.Object(
    {"name": s.Enum(("Basic", "Classic", "Premium", "Standard"))},
    required=frozenset({"name"}),
    read_only=frozenset({"tier"}),
)
_TAGS = s.MapOf(s.String())
PROPERTIES = s.Object(
    {**_UPDATE_PROPERTIES, "zoneRedundancy": s.Enum(("Enabled", "Disabled"))},
    read_only=_READ_ONLY_PROPERTIES,
)
UPDATE_BODY = s.Object(
    {
        "identity": _IDENTITY,
        "tags": _TAGS,
        "sku": _SKU,
        "properties": s.Object(_UPDATE_PROPERTIES, read_only=_READ_ONLY_PROPERTIES),
    }
)
CREATE_BODY = s.Object(
    {
        "location": s.String(),
        "tags": _TAGS,
        "sku": _SKU,
        "identity": _IDENTITY,
        "properties": PROPERTIES,
    },
    required=frozenset({"location", "sku"}),
    read_only=frozenset({"id", "name", "type", "systemData"}),
)

# TypeSpec defaults of Registry.models.tsp (domain-facts section 3).
DEFAULT_PROPERTIES: Json = {
    "adminUserEnabled": False,
    "networkRuleSet": {"defaultAction": "Allow", "ipRules": []},
    "publicNetworkAccess": "Enabled",
    "networkRuleBypassOptions": "AzureServices",
    "networkRuleBypassAllowedForTasks": False,
    "zoneRedundancy": "Disabled",
    "anonymousPullEnabled": False,
    "roleAssignmentMode": "LegacyRegistryPermissions",
    "dataEndpointEnabled": False,
    "policies": {
        "quarantinePolicy": {"status": "disabled"},
        "trustPolicy": {"type": "Notary", "status": "disabled"},
        "retentionPolicy": {"days": 7, "status": "disabled"},
        "exportPolicy": {"status": "enabled"},
        "azureADAuthenticationAsArmPolicy": {"status": "enabled"},
    },
    "encryption": {"status": "disabled"},
}

_REGISTRY = (
    r"/subscriptions/(?P<sub>[^/]+)/resourceGroups/(?P<rg>[^/]+)"
    r"/providers/Microsoft\.ContainerRegistry/registries/(?P<name>[^/]+)"
)


def _normalize(properties: Json) -> Json:
    """Fill what ARM fills in on write: each IP rule's default ``action``."""
    rule_set = properties.get("networkRuleSet")
    if rule_set is not None:
        rule_set.setdefault("ipRules", [])
        for rule in rule_set["ipRules"]:
            rule.setdefault("action", "Allow")
    return properties


def _private_endpoint_connection(registry_id: str, index: int) -> Json:
    name = f"pe-{index}-{uuid.uuid4().hex[:8]}"
    sub_rg = registry_id.split("/providers/")[0]
    return {
        "id": f"{registry_id}/privateEndpointConnections/{name}",
        "name": name,
        "type": PEC_TYPE,
        "properties": {
            "provisioningState": "Succeeded",
            "privateEndpoint": {
                "id": f"{sub_rg}/providers/Microsoft.Network/privateEndpoints/{name}"
            },
            "privateLinkServiceConnectionState": {
                "status": "Approved",
                "description": "Auto-Approved",
                "actionsRequired": "None",
            },
        },
    }


def build_registry(
    ref: RegistryRef,
    *,
    location: str,
    sku: str,
    properties: Json,
    tags: Json | None = None,
    identity: Json | None = None,
    private_endpoints: int = 0,
) -> Json:
    """The stored JSON of a registry: ARM defaults, then ``properties`` (already validated)."""
    merged = copy.deepcopy(DEFAULT_PROPERTIES)
    merged.update(_normalize(copy.deepcopy(properties)))
    connections = [_private_endpoint_connection(ref.id, i) for i in range(private_endpoints)]
    if connections:
        # A private endpoint turns on dedicated data endpoints (domain-facts section 3).
        merged["dataEndpointEnabled"] = True
    host_names = (
        [f"{ref.name.lower()}.{location}.data.azurecr.io"] if merged["dataEndpointEnabled"] else []
    )
    resource: Json = {
        "id": ref.id,
        "name": ref.name,
        "type": TYPE,
        "location": location,
        "tags": dict(tags or {}),
        "sku": {"name": sku, "tier": sku},
        "properties": {
            "loginServer": f"{ref.name.lower()}.azurecr.io",
            "creationDate": utc_now(),
            "provisioningState": "Succeeded",
            **merged,
            "status": None,
            "dataEndpointHostNames": host_names,
            "privateEndpointConnections": connections,
        },
    }
    if identity is not None:
        resource["identity"] = identity
    return resource


def validated_seed(sku: str, properties: Json) -> tuple[str, Json]:
    """Seed-time check of a SKU and properties (``ValueError`` with the REST API's message)."""
    try:
        checked: Json = PROPERTIES.check(properties, "properties")
        sku_name: str = _SKU.check({"name": sku}, "sku")["name"]
    except ArmError as exc:
        raise ValueError(exc.message) from None
    return sku_name, checked


def _apply_update(resource: Json, update: Json) -> None:
    """Merge a validated PATCH body into ``resource`` the way ACR does."""
    if "tags" in update:
        resource["tags"] = update["tags"]
    if "sku" in update:
        resource["sku"] = {"name": update["sku"]["name"], "tier": update["sku"]["name"]}
    if "identity" in update:
        resource["identity"] = update["identity"]
    properties = _normalize(copy.deepcopy(update.get("properties", {})))
    policies = properties.pop("policies", None)
    if policies is not None:
        resource["properties"].setdefault("policies", {}).update(policies)
    resource["properties"].update(properties)
    if resource["properties"].get("dataEndpointEnabled"):
        location = resource["location"]
        name = resource["name"].lower()
        resource["properties"]["dataEndpointHostNames"] = [f"{name}.{location}.data.azurecr.io"]
    else:
        resource["properties"]["dataEndpointHostNames"] = []


def _require_scope(state: State, sub: str, rg: str | None = None) -> None:
    if sub.lower() != state.subscription_id.lower():
        raise ArmError(404, "SubscriptionNotFound", f"The subscription '{sub}' could not be found.")
    if rg is not None and not state.has_resource_group(rg):
        raise ArmError(404, "ResourceGroupNotFound", f"Resource group '{rg}' could not be found.")


def _registry_id(request: ArmRequest) -> RegistryRef:
    return RegistryRef(request.params["sub"], request.params["rg"], request.params["name"])


def _existing(request: ArmRequest, state: State) -> Json:
    ref = _registry_id(request)
    _require_scope(state, ref.subscription_id, ref.resource_group)
    resource = state.resource(ref.id)
    if resource is None:
        raise not_found(TYPE, ref.name, ref.resource_group)
    return resource


def get_registry(request: ArmRequest, state: State) -> ArmResponse:
    with state.lock:
        return ArmResponse(200, copy.deepcopy(_existing(request, state)))


def _listing(state: State, resource_group: str | None) -> list[Json]:
    with state.lock:
        return [
            copy.deepcopy(r)
            for r in state.resources_of_type(TYPE)
            if resource_group is None or r["id"].split("/")[4].lower() == resource_group.lower()
        ]


def list_registries(request: ArmRequest, state: State) -> ArmResponse:
    _require_scope(state, request.params["sub"])
    return paged(request, _listing(state, None), state.page_size)


def list_registries_by_group(request: ArmRequest, state: State) -> ArmResponse:
    _require_scope(state, request.params["sub"], request.params["rg"])
    return paged(request, _listing(state, request.params["rg"]), state.page_size)


def create_registry(request: ArmRequest, state: State) -> ArmResponse:
    ref = _registry_id(request)
    _require_scope(state, ref.subscription_id, ref.resource_group)
    if not 5 <= len(ref.name) <= 50 or not ref.name.isalnum() or not ref.name.isascii():
        raise ArmError(
            400,
            "InvalidResourceName",
            f"Resource name '{ref.name}' is invalid: a registry name has 5-50 letters and digits.",
        )
    body = s.check_body(CREATE_BODY, request.body)
    with state.lock:
        existing = state.resource(ref.id)
        resource = build_registry(
            ref,
            location=body["location"],
            sku=body["sku"]["name"],
            properties=body.get("properties", {}),
            tags=body.get("tags"),
            identity=body.get("identity"),
        )
        if existing is not None:
            # A PUT over an existing registry keeps what the caller cannot set.
            for key in ("creationDate", "privateEndpointConnections", "loginServer"):
                resource["properties"][key] = existing["properties"][key]
            resource["name"] = existing["name"]
        state.put_resource(resource)
        return ArmResponse(200 if existing is not None else 201, copy.deepcopy(resource))


def update_registry(request: ArmRequest, state: State) -> ArmResponse:
    update = s.check_body(UPDATE_BODY, request.body)
    with state.lock:
        resource = _existing(request, state)
        preview = copy.deepcopy(resource)
        _apply_update(preview, update)
        preview["properties"]["provisioningState"] = "Updating"
        resource["properties"]["provisioningState"] = "Updating"

        def succeed() -> None:
            _apply_update(resource, update)

        def finish() -> None:
            resource["properties"]["provisioningState"] = "Succeeded"

        headers = start_operation(
            request,
            state,
            resource["id"],
            prefix="registries",
            on_success=succeed,
            on_finish=finish,
        )
        return ArmResponse(201, preview, headers)


def delete_registry(request: ArmRequest, state: State) -> ArmResponse:
    ref = _registry_id(request)
    _require_scope(state, ref.subscription_id, ref.resource_group)
    with state.lock:
        if state.delete_resource(ref.id) is None:
            return ArmResponse(204)
        below = ref.id.lower() + "/"
        for key, assignment in list(state.role_assignments.items()):
            scope = assignment["properties"]["scope"].lower()
            if scope == ref.id.lower() or scope.startswith(below):
                del state.role_assignments[key]
        return ArmResponse(200, {})


def list_private_endpoint_connections(request: ArmRequest, state: State) -> ArmResponse:
    with state.lock:
        connections = _existing(request, state)["properties"]["privateEndpointConnections"]
        return ArmResponse(200, {"value": copy.deepcopy(connections)})


def get_private_endpoint_connection(request: ArmRequest, state: State) -> ArmResponse:
    with state.lock:
        for connection in _existing(request, state)["properties"]["privateEndpointConnections"]:
            if connection["name"].lower() == request.params["pec"].lower():
                return ArmResponse(200, copy.deepcopy(connection))
    raise not_found(PEC_TYPE, request.params["pec"], request.params["rg"])


def find_by_name(state: State, name: str) -> list[Json]:
    """Registries called ``name`` (case-insensitive), in any resource group."""
    return state.resources_named(TYPE, name)


def _routes() -> Iterable[Route]:
    by_sub = r"/subscriptions/(?P<sub>[^/]+)/providers/Microsoft\.ContainerRegistry/registries"
    by_rg = (
        r"/subscriptions/(?P<sub>[^/]+)/resourceGroups/(?P<rg>[^/]+)"
        r"/providers/Microsoft\.ContainerRegistry/registries"
    )
    yield Route.of("GET", by_sub, API_VERSIONS, list_registries)
    yield Route.of("GET", by_rg, API_VERSIONS, list_registries_by_group)
    yield Route.of("GET", _REGISTRY, API_VERSIONS, get_registry)
    yield Route.of("PUT", _REGISTRY, API_VERSIONS, create_registry)
    yield Route.of("PATCH", _REGISTRY, API_VERSIONS, update_registry)
    yield Route.of("DELETE", _REGISTRY, API_VERSIONS, delete_registry)
    pecs = _REGISTRY + "/privateEndpointConnections"
    yield Route.of("GET", pecs, API_VERSIONS, list_private_endpoint_connections)
    yield Route.of("GET", pecs + r"/(?P<pec>[^/]+)", API_VERSIONS, get_private_endpoint_connection)


ROUTES: tuple[Route, ...] = tuple(_routes())

"""``Microsoft.ManagedIdentity/userAssignedIdentities``: read one by ID, as consumers need to.

Identities are seeded with ``LocalAzure.add_user_assigned_identity`` (or
``add_managed_identity``); GET answers the stored JSON (``properties.principalId``,
``clientId``, ``tenantId``), 404 ``ResourceNotFound`` otherwise.
"""

from __future__ import annotations

import copy
import uuid

from attrs import frozen

from acr_trusted.testing._arm import ArmError, ArmRequest, ArmResponse, Route, not_found
from acr_trusted.testing._state import Json, Principal, State

TYPE = "Microsoft.ManagedIdentity/userAssignedIdentities"
API_VERSIONS = ("2023-01-31", "2024-11-30")


@frozen
class ManagedIdentity:
    """A user-assigned identity: what a consumer's JSON names it by, and what roles name."""

    resource_id: str
    principal_id: str
    client_id: str


def find_identity(state: State, resource_id: str) -> Json | None:
    """The stored identity with this resource ID (any case), or ``None``."""
    with state.lock:
        found = state.resource(resource_id)
        return found if found is not None and found["type"] == TYPE else None


def as_identity(resource: Json) -> ManagedIdentity:
    props = resource["properties"]
    return ManagedIdentity(resource["id"], props["principalId"], props["clientId"])


def get_identity(request: ArmRequest, state: State) -> ArmResponse:
    if request.params["sub"].lower() != state.subscription_id.lower():
        raise ArmError(
            404,
            "SubscriptionNotFound",
            f"The subscription '{request.params['sub']}' could not be found.",
        )
    found = find_identity(state, request.path)
    if found is None:
        raise not_found(TYPE, request.params["name"], request.params["rg"])
    return ArmResponse(200, copy.deepcopy(found))


ROUTES: tuple[Route, ...] = (
    Route.of(
        "GET",
        r"/subscriptions/(?P<sub>[^/]+)/resourceGroups/(?P<rg>[^/]+)"
        r"/providers/Microsoft\.ManagedIdentity/userAssignedIdentities/(?P<name>[^/]+)",
        API_VERSIONS,
        get_identity,
    ),
)


def _kinds(type_value: str) -> list[str]:
    parts = [p.strip().lower() for p in type_value.split(",") if p.strip()]
    known = {"systemassigned": "SystemAssigned", "userassigned": "UserAssigned", "none": "None"}
    unknown = [p for p in parts if p not in known]
    if unknown or not parts:
        raise ArmError(
            400,
            "InvalidIdentityType",
            f"LocalAzure: identity type '{type_value}' is not SystemAssigned, UserAssigned, "
            "'SystemAssigned, UserAssigned' or None.",
        )
    return [known[p] for p in parts]


def identity_block(
    state: State, requested: Json | None, existing: Json | None, *, separator: str = ", "
) -> Json | None:
    """The stored ``identity`` of a resource after a write, as ARM fills it in.

    A system-assigned identity keeps its principal while it stays on and gets a new one (a new
    ``ServicePrincipal``) when turned on; each user-assigned identity must exist and is
    answered with its ``principalId`` and ``clientId``.
    """
    if requested is None:
        return existing
    kinds = _kinds(str(requested.get("type", "None")))
    if kinds == ["None"]:
        return {"type": "None"}
    block: Json = {"type": separator.join(kinds)}
    if "SystemAssigned" in kinds:
        kept = existing and "systemassigned" in str(existing.get("type", "")).lower()
        principal_id = existing["principalId"] if kept and existing else str(uuid.uuid4())
        if not kept:
            state.add_principal(Principal(principal_id, "ServicePrincipal", principal_id))
        block["principalId"] = principal_id
        block["tenantId"] = state.tenant_id
    if "UserAssigned" in kinds:
        users: Json = {}
        for resource_id in requested.get("userAssignedIdentities") or {}:
            found = find_identity(state, resource_id)
            if found is None:
                raise ArmError(
                    400,
                    "InvalidUserAssignedIdentity",
                    f"LocalAzure: the user-assigned identity '{resource_id}' does not exist.",
                )
            users[found["id"]] = {
                "principalId": found["properties"]["principalId"],
                "clientId": found["properties"]["clientId"],
            }
        block["userAssignedIdentities"] = users
    return block

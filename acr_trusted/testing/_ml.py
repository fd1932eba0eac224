"""``Microsoft.MachineLearningServices/workspaces``: what a workspace pulls images as.

Shapes follow the ``get.json`` / ``create.json`` examples (api 2025-09-01). A PUT completes at once
(201 created, 200 replaced; the real service answers 202 and polls, which nothing here needs).
The stored workspace carries ``identity`` (system-assigned by default, with a principal the
directory knows; or user-assigned, with ``properties.primaryUserAssignedIdentity``) and
``properties.containerRegistry``. The workspace's own pulls are decided by
``LocalAzure.data_plane_access(service="ml", ...)``.
"""

from __future__ import annotations

import copy

from acr_trusted.testing import _schema as s
from acr_trusted.testing._arm import (
    ArmError,
    ArmRequest,
    ArmResponse,
    Route,
    get_stored,
)
from acr_trusted.testing._identities import identity_block
from acr_trusted.testing._state import Json, State

API_VERSIONS = ("2025-09-01", "2024-10-01", "2024-04-01")
TYPE = "Microsoft.MachineLearningServices/workspaces"

CREATE_BODY = s.Object(
    {
        "location": s.String(),
        "tags": s.MapOf(s.String()),
        "sku": s.AnyJson(),
        "kind": s.String(),
        "identity": s.Object(
            {"type": s.String(), "userAssignedIdentities": s.MapOf(s.AnyJson())},
            read_only=frozenset({"principalId", "tenantId"}),
        ),
        "properties": s.MapOf(s.AnyJson()),
    },
    required=frozenset({"location"}),
    read_only=frozenset({"id", "name", "type", "systemData"}),
)
_WORKSPACE = (
    r"/subscriptions/(?P<sub>[^/]+)/resourceGroups/(?P<rg>[^/]+)"
    r"/providers/Microsoft\.MachineLearningServices/workspaces/(?P<name>[^/]+)"
)


def build_workspace(state: State, resource_id: str, body: Json, existing: Json | None) -> Json:
    """The stored JSON of a workspace written with a validated body."""
    properties = copy.deepcopy(body.get("properties") or {})
    properties["provisioningState"] = "Succeeded"
    workspace: Json = {
        "id": resource_id,
        "name": resource_id.rsplit("/", 1)[-1],
        "type": TYPE,
        "location": body["location"],
        "tags": dict(body.get("tags") or {}),
        "properties": properties,
    }
    requested = body.get("identity") or {"type": "SystemAssigned"}
    current = existing.get("identity") if existing else None
    identity = identity_block(state, requested, current, separator=",")
    if identity is not None:
        workspace["identity"] = identity
    return workspace


def put_workspace(request: ArmRequest, state: State) -> ArmResponse:
    params = request.params
    if params["sub"].lower() != state.subscription_id.lower():
        raise ArmError(
            404, "SubscriptionNotFound", f"The subscription '{params['sub']}' could not be found."
        )
    if not state.has_resource_group(params["rg"]):
        raise ArmError(
            404, "ResourceGroupNotFound", f"Resource group '{params['rg']}' could not be found."
        )
    body = s.check_body(CREATE_BODY, request.body)
    with state.lock:
        existing = state.resource(request.path)
        workspace = build_workspace(state, request.path, body, existing)
        state.put_resource(workspace)
        return ArmResponse(200 if existing else 201, copy.deepcopy(workspace))


ROUTES: tuple[Route, ...] = (
    Route.of("PUT", _WORKSPACE, API_VERSIONS, put_workspace),
    Route.of("GET", _WORKSPACE, API_VERSIONS, get_stored(TYPE)),
)

"""``Microsoft.ContainerInstance/containerGroups``: create one, and pull its images as ACI would.

Shapes follow ContainerGroupsCreateOrUpdate / ContainerGroupsGet_Succeeded (api 2025-09-01).
A PUT completes at once (201 created, 200 replaced, ``provisioningState: Succeeded``) after every
image hosted by an emulated registry has been pulled: with the ``imageRegistryCredentials``
entry for its server, whose ``identity`` must be a user-assigned identity of the group (ACI does
not pull from ACR with a system-assigned one), or with a username and password. When
``_dataplane.decide`` refuses a pull, the PUT fails as ACI does, with HTTP 400
``InaccessibleImage`` (domain-facts section 6); nothing is stored. Images from other registries
(``nginx``, ``mcr.microsoft.com/...``) are not checked.
"""

from __future__ import annotations

import copy
import re

from acr_trusted.testing import _schema as s
from acr_trusted.testing._arm import (
    ArmError,
    ArmRequest,
    ArmResponse,
    Route,
    get_stored,
)
from acr_trusted.testing._dataplane import (
    PULL,
    USER,
    Caller,
    Decision,
    decide,
    registry_by_login_server,
)
from acr_trusted.testing._identities import identity_block
from acr_trusted.testing._state import Json, State

API_VERSIONS = ("2025-09-01", "2023-05-01")
TYPE = "Microsoft.ContainerInstance/containerGroups"

_CREDENTIAL = s.Object(
    {
        "server": s.String(),
        "identity": s.String(),
        "identityUrl": s.String(),
        "username": s.String(),
        "password": s.String(),
        "passwordReference": s.String(),
    },
    required=frozenset({"server"}),
)
_CONTAINER = s.Object(
    {
        "name": s.String(),
        "properties": s.Object(
            {
                "image": s.String(),
                "command": s.AnyJson(),
                "ports": s.AnyJson(),
                "environmentVariables": s.AnyJson(),
                "resources": s.AnyJson(),
                "volumeMounts": s.AnyJson(),
                "livenessProbe": s.AnyJson(),
                "readinessProbe": s.AnyJson(),
                "securityContext": s.AnyJson(),
                "configMap": s.AnyJson(),
            },
            required=frozenset({"image"}),
            read_only=frozenset({"instanceView"}),
        ),
    },
    required=frozenset({"name", "properties"}),
)
_OPEN_PROPERTIES = (
    "ipAddress",
    "osType",
    "restartPolicy",
    "volumes",
    "diagnostics",
    "subnetIds",
    "dnsConfig",
    "sku",
    "encryptionProperties",
    "initContainers",
    "extensions",
    "confidentialComputeProperties",
    "priority",
    "containerGroupProfile",
    "standbyPoolProfile",
)
CREATE_BODY = s.Object(
    {
        "location": s.String(),
        "tags": s.MapOf(s.String()),
        "zones": s.AnyJson(),
        "identity": s.Object(
            {"type": s.String(), "userAssignedIdentities": s.MapOf(s.AnyJson())},
            read_only=frozenset({"principalId", "tenantId"}),
        ),
        "properties": s.Object(
            {
                "containers": s.Array(_CONTAINER),
                "imageRegistryCredentials": s.Array(_CREDENTIAL),
                **{name: s.AnyJson() for name in _OPEN_PROPERTIES},
            },
            required=frozenset({"containers"}),
            read_only=frozenset({"provisioningState", "instanceView", "isCreatedFromStandbyPool"}),
        ),
    },
    required=frozenset({"location", "properties"}),
    read_only=frozenset({"id", "name", "type", "systemData"}),
)

_GROUP = (
    r"/subscriptions/(?P<sub>[^/]+)/resourceGroups/(?P<rg>[^/]+)"
    r"/providers/Microsoft\.ContainerInstance/containerGroups/(?P<name>[^/]+)"
)


def inaccessible_image(image: str, group: str) -> ArmError:
    return ArmError(
        400,
        "InaccessibleImage",
        f"The image '{image}' in container group '{group}' is not accessible. Please check the "
        "image and registry credential.",
    )


def _image_server(image: str) -> str | None:
    first = image.split("/", 1)[0]
    return first.lower() if "/" in image and ("." in first or ":" in first) else None


def pull_decision(state: State, group: Json, image: str) -> Decision | None:
    """ACR's answer to the group pulling ``image`` (``None``: not an emulated registry)."""
    server = _image_server(image)
    registry = registry_by_login_server(state, server) if server else None
    if registry is None:
        return None
    credentials = group["properties"].get("imageRegistryCredentials") or []
    credential = next((c for c in credentials if c["server"].lower() == server), None)
    users = {
        k.lower(): v
        for k, v in ((group.get("identity") or {}).get("userAssignedIdentities") or {}).items()
    }
    if credential is None:
        caller = Caller("aci")
    elif credential.get("identity"):
        user = users.get(str(credential["identity"]).lower())
        # ACI pulls from ACR with a user-assigned identity of the group, nothing else.
        caller = Caller("aci", USER, user["principalId"]) if user else Caller("aci")
    else:
        caller = Caller("aci", authorized=bool(credential.get("username")))
    return decide(state, registry, caller, PULL)


def put_group(request: ArmRequest, state: State) -> ArmResponse:
    params = request.params
    if params["sub"].lower() != state.subscription_id.lower():
        raise ArmError(
            404, "SubscriptionNotFound", f"The subscription '{params['sub']}' could not be found."
        )
    if not state.has_resource_group(params["rg"]):
        raise ArmError(
            404, "ResourceGroupNotFound", f"Resource group '{params['rg']}' could not be found."
        )
    name = params["name"]
    if not re.fullmatch(r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?", name):
        raise ArmError(
            400,
            "ContainerGroupNameInvalid",
            f"LocalAzure: container group name '{name}' must be 1-63 lower-case letters, digits "
            "and '-', not starting or ending with '-'.",
        )
    body = s.check_body(CREATE_BODY, request.body)
    with state.lock:
        existing = state.resource(request.path)
        group: Json = {
            "id": request.path,
            "name": name,
            "type": TYPE,
            "location": body["location"],
            "tags": dict(body.get("tags") or {}),
            "properties": {**copy.deepcopy(body["properties"]), "provisioningState": "Succeeded"},
        }
        identity = identity_block(
            state, body.get("identity"), existing and existing.get("identity")
        )
        if identity is not None:
            group["identity"] = identity
        for container in group["properties"]["containers"]:
            image = container["properties"]["image"]
            decision = pull_decision(state, group, image)
            if decision is not None and not decision.allowed:
                raise inaccessible_image(image, name)
        state.put_resource(group)
        return ArmResponse(200 if existing else 201, copy.deepcopy(group))


def delete_group(request: ArmRequest, state: State) -> ArmResponse:
    gone = state.delete_resource(request.path)
    return ArmResponse(200 if gone else 204, copy.deepcopy(gone) if gone else None)


ROUTES: tuple[Route, ...] = (
    Route.of("PUT", _GROUP, API_VERSIONS, put_group),
    Route.of("GET", _GROUP, API_VERSIONS, get_stored(TYPE)),
    Route.of("DELETE", _GROUP, API_VERSIONS, delete_group),
)

"""``Microsoft.Authorization`` role assignments and role definitions at api-version 2022-04-01.

Shapes follow the REST examples (RoleAssignments_Get/GetById/CreateForResource/ListForScope/
Delete, GetRoleDefinitionById). The rules a caller can trip over are ARM's:

- the principal must exist (``add_managed_identity`` / ``add_principal``), else 400
  ``PrincipalNotFound`` with ARM's text; a ``principalType`` that is not the principal's type is
  400 ``UnmatchedPrincipalType`` (the Python SDK's default ``User`` for a managed identity);
- the same principal, role and scope under another name is 409 ``RoleAssignmentExists``;
- reusing a name with another principal, role or scope is 400 ``RoleAssignmentUpdateNotPermitted``;
- listing with no filter returns assignments at, above and below the scope; ``atScope()`` at and
  above; ``assignedTo('<id>')`` and ``principalId eq '<id>'`` narrow to one principal.

Role definitions are the built-in roles of :data:`acr_trusted.catalog.ROLES`, at any scope; their
``permissions`` are not modelled (empty action lists), only names and IDs.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable
from typing import Any

from acr_trusted.catalog import ROLES, RoleDefinition, find_role
from acr_trusted.testing import _schema as s
from acr_trusted.testing._arm import ArmError, ArmRequest, ArmResponse, Route, not_found, paged
from acr_trusted.testing._faults import principal_not_found_message
from acr_trusted.testing._state import Json, State, utc_now

API_VERSIONS = ("2022-04-01",)
ASSIGNMENT_TYPE = "Microsoft.Authorization/roleAssignments"
DEFINITION_TYPE = "Microsoft.Authorization/roleDefinitions"
PRINCIPAL_TYPES = ("User", "Group", "ServicePrincipal", "ForeignGroup", "Device")
PRINCIPAL_TYPES_BY_LOWER = {t.lower(): t for t in PRINCIPAL_TYPES}

_ASSIGNMENT_BODY = s.Object(
    {
        "properties": s.Object(
            {
                "roleDefinitionId": s.String(),
                "principalId": s.String(),
                "principalType": s.String(),
                "description": s.String(),
                "condition": s.String(),
                "conditionVersion": s.Enum(("1.0", "2.0")),
                "delegatedManagedIdentityResourceId": s.String(),
            },
            required=frozenset({"roleDefinitionId", "principalId"}),
            read_only=frozenset({"scope", "createdOn", "updatedOn", "createdBy", "updatedBy"}),
        )
    },
    required=frozenset({"properties"}),
    read_only=frozenset({"id", "name", "type"}),
)
_PRINCIPAL_TYPE = s.Enum(PRINCIPAL_TYPES)
_ROLE_DEFINITION_ID = re.compile(
    r"(?:/subscriptions/(?P<sub>[^/]+))?(?:/resourceGroups/[^/]+)?"
    r"/providers/Microsoft\.Authorization/roleDefinitions/(?P<guid>[^/]+)",
    re.IGNORECASE,
)
_FILTER_TERM = re.compile(
    r"\s*(?:(?P<at>atScope\(\))|assignedTo\('(?P<assigned>[^']*)'\)"
    r"|principalId\s+eq\s+'(?P<principal>[^']*)')\s*",
    re.IGNORECASE,
)
_ROLE_NAME_FILTER = re.compile(r"\s*roleName\s+eq\s+'(?P<name>[^']*)'\s*", re.IGNORECASE)
_SCOPE = r"(?P<scope>(?:/.*)?)"


def _scope(raw: str) -> str:
    """The scope as ARM echoes it: leading slash, no trailing slash, ``/`` for the root."""
    return "/" + raw.strip("/")


def _is_at_or_above(assignment_scope: str, scope: str) -> bool:
    a, t = assignment_scope.lower().rstrip("/"), scope.lower().rstrip("/")
    return a == t or a == "" or t.startswith(a + "/")


def _is_below(assignment_scope: str, scope: str) -> bool:
    a, t = assignment_scope.lower().rstrip("/"), scope.lower().rstrip("/")
    return a.startswith(t + "/")


def check_scope(state: State, scope: str) -> None:
    """404 unless ``scope`` is the root, our subscription, an existing group or resource."""
    parts = scope.strip("/").split("/")
    if parts == [""]:
        return
    if parts[0].lower() != "subscriptions" or len(parts) < 2:
        raise ArmError(400, "InvalidScope", f"The scope '{scope}' is not valid.")
    if parts[1].lower() != state.subscription_id.lower():
        raise ArmError(
            404, "SubscriptionNotFound", f"The subscription '{parts[1]}' could not be found."
        )
    if len(parts) == 2:
        return
    if parts[2].lower() != "resourcegroups" or len(parts) < 4:
        raise ArmError(400, "InvalidScope", f"The scope '{scope}' is not valid.")
    if not state.has_resource_group(parts[3]):
        raise ArmError(
            404, "ResourceGroupNotFound", f"Resource group '{parts[3]}' could not be found."
        )
    if len(parts) > 4 and state.resource(scope) is None:
        raise not_found("/".join(parts[5:-1]), parts[-1], parts[3])


def _role_definition(role: RoleDefinition, scope: str) -> Json:
    parts = scope.strip("/").split("/")
    prefix = f"/subscriptions/{parts[1]}" if parts[0].lower() == "subscriptions" else ""
    return {
        "properties": {
            "roleName": role.name,
            "type": "BuiltInRole",
            "description": f"{role.name} (LocalAzure: permissions are not modelled)",
            "assignableScopes": ["/"],
            "permissions": [
                {"actions": [], "notActions": [], "dataActions": [], "notDataActions": []}
            ],
        },
        "id": f"{prefix}/providers/{DEFINITION_TYPE}/{role.guid}",
        "type": DEFINITION_TYPE,
        "name": role.guid,
    }


def get_role_definition(request: ArmRequest, state: State) -> ArmResponse:
    guid = request.params["name"]
    role = find_role(guid) if s.GUID.fullmatch(guid) else None
    if role is None:
        raise ArmError(
            404, "RoleDefinitionDoesNotExist", f"The role definition '{guid}' could not be found."
        )
    return ArmResponse(200, _role_definition(role, _scope(request.params["scope"])))


def list_role_definitions(request: ArmRequest, state: State) -> ArmResponse:
    query = request.query.get("$filter")
    roles: Iterable[RoleDefinition] = ROLES
    if query:
        match = _ROLE_NAME_FILTER.fullmatch(query)
        if match is None:
            raise ArmError(
                400,
                "InvalidFilter",
                f"The filter '{query}' is not supported by LocalAzure; use roleName eq '<name>'.",
            )
        roles = [r for r in ROLES if r.name.lower() == match["name"].lower()]
    scope = _scope(request.params["scope"])
    return ArmResponse(200, {"value": [_role_definition(r, scope) for r in roles]})


def _assignment_id(scope: str, name: str) -> str:
    return f"{scope.rstrip('/')}/providers/{ASSIGNMENT_TYPE}/{name}"


def _role_guid(role_definition_id: str, state: State) -> str:
    match = _ROLE_DEFINITION_ID.fullmatch(role_definition_id)
    if match is None or (
        match["sub"] is not None and match["sub"].lower() != state.subscription_id.lower()
    ):
        raise ArmError(
            400,
            "InvalidRoleDefinitionId",
            f"The role definition ID '{role_definition_id}' is not valid.",
        )
    role = find_role(match["guid"]) if s.GUID.fullmatch(match["guid"]) else None
    if role is None:
        raise ArmError(
            400,
            "RoleDefinitionDoesNotExist",
            f"The specified role definition with ID '{match['guid']}' does not exist.",
        )
    return role.guid


def create_assignment(state: State, scope: str, name: str, body: Any) -> tuple[int, Json]:
    """The core of a role-assignment PUT; returns (status, stored JSON) or raises ArmError."""
    if not s.GUID.fullmatch(name):
        raise ArmError(
            400,
            "InvalidRoleAssignmentId",
            f"The role assignment ID '{name}' is not valid. The role assignment ID must be a GUID.",
        )
    properties = s.check_body(_ASSIGNMENT_BODY, body)["properties"]
    principal_id = properties["principalId"]
    if not s.GUID.fullmatch(principal_id):
        raise ArmError(
            400, "InvalidPrincipalId", "A valid principal ID must be provided for role assignment."
        )
    sent_type = properties.get("principalType")
    if sent_type is not None:
        _PRINCIPAL_TYPE.check(sent_type, "body.properties.principalType")
    with state.lock:
        check_scope(state, scope)
        guid = _role_guid(properties["roleDefinitionId"], state)
        principal = state.principal(principal_id)
        if principal is None:
            raise ArmError(
                400, "PrincipalNotFound", principal_not_found_message(principal_id, state.tenant_id)
            )
        if sent_type is not None and sent_type.lower() != principal.principal_type.lower():
            # ARM's own wording, typo included (Azure/modern-web-app-pattern-dotnet PR #129).
            raise ArmError(
                400,
                "UnmatchedPrincipalType",
                f"The PrincipalId '{principal_id}' has type '{principal.principal_type}' , which "
                f"is different from specified PrinciaplType '{sent_type}'.",
            )
        key = (principal_id.lower(), guid, scope.lower())
        existing = state.role_assignments.get(name.lower())
        if existing is not None and _identity(existing) != key:
            raise ArmError(
                400,
                "RoleAssignmentUpdateNotPermitted",
                "Tenant ID, application ID, principal ID, and scope are not allowed to be updated.",
            )
        if existing is None and any(_identity(a) == key for a in state.role_assignments.values()):
            raise ArmError(409, "RoleAssignmentExists", "The role assignment already exists.")
        now = utc_now()
        stored: Json = {
            "properties": {
                "roleDefinitionId": properties["roleDefinitionId"],
                "principalId": principal_id,
                "principalType": sent_type or principal.principal_type,
                "scope": scope,
                "condition": properties.get("condition"),
                "conditionVersion": properties.get("conditionVersion"),
                "description": properties.get("description"),
                "delegatedManagedIdentityResourceId": properties.get(
                    "delegatedManagedIdentityResourceId"
                ),
                "createdOn": existing["properties"]["createdOn"] if existing else now,
                "updatedOn": now,
                "createdBy": None,
                "updatedBy": None,
            },
            "id": _assignment_id(scope, name),
            "type": ASSIGNMENT_TYPE,
            "name": name,
        }
        state.role_assignments[name.lower()] = stored
        return (200 if existing else 201), copy.deepcopy(stored)


def _identity(assignment: Json) -> tuple[str, str, str]:
    properties = assignment["properties"]
    guid = properties["roleDefinitionId"].rstrip("/").rsplit("/", 1)[-1].lower()
    return properties["principalId"].lower(), guid, properties["scope"].lower()


def put_assignment(request: ArmRequest, state: State) -> ArmResponse:
    status, body = create_assignment(
        state, _scope(request.params["scope"]), request.params["name"], request.body
    )
    return ArmResponse(status, body)


def _stored_at(request: ArmRequest, state: State) -> Json | None:
    assignment = state.role_assignments.get(request.params["name"].lower())
    scope = _scope(request.params["scope"])
    if assignment is None or assignment["properties"]["scope"].lower() != scope.lower():
        return None
    return assignment


def get_assignment(request: ArmRequest, state: State) -> ArmResponse:
    with state.lock:
        check_scope(state, _scope(request.params["scope"]))
        assignment = _stored_at(request, state)
        if assignment is None:
            name = request.params["name"]
            raise ArmError(
                404, "RoleAssignmentNotFound", f"The role assignment '{name}' is not found."
            )
        return ArmResponse(200, copy.deepcopy(assignment))


def delete_assignment(request: ArmRequest, state: State) -> ArmResponse:
    with state.lock:
        check_scope(state, _scope(request.params["scope"]))
        assignment = _stored_at(request, state)
        if assignment is None:
            return ArmResponse(204)
        del state.role_assignments[request.params["name"].lower()]
        return ArmResponse(200, assignment)


def _parse_filter(query: str) -> tuple[bool, str | None]:
    """(atScope() given, principal ID or None) from ``$filter``; 400 for anything else."""
    at_scope, principal = False, None
    for term in re.split(r"\s+and\s+", query.strip(), flags=re.IGNORECASE):
        match = _FILTER_TERM.fullmatch(term)
        if match is None:
            raise ArmError(
                400,
                "InvalidFilter",
                f"The filter '{query}' is not supported; use atScope(), assignedTo('<id>') or "
                "principalId eq '<id>', joined with 'and'.",
            )
        at_scope = at_scope or match["at"] is not None
        principal = match["assigned"] or match["principal"] or principal
    return at_scope, principal


def list_assignments(request: ArmRequest, state: State) -> ArmResponse:
    scope = _scope(request.params["scope"])
    query = request.query.get("$filter")
    at_scope, principal = _parse_filter(query) if query else (False, None)
    with state.lock:
        check_scope(state, scope)
        found = [
            copy.deepcopy(a)
            for a in state.role_assignments.values()
            if (
                _is_at_or_above(a["properties"]["scope"], scope)
                or (not at_scope and _is_below(a["properties"]["scope"], scope))
            )
            and (principal is None or a["properties"]["principalId"].lower() == principal.lower())
        ]
    return paged(request, found, state.page_size)


def assignments_at(state: State, scope: str | None) -> list[Json]:
    """Deep copies of the stored assignments, all of them or those exactly at ``scope``."""
    with state.lock:
        return [
            copy.deepcopy(a)
            for a in state.role_assignments.values()
            if scope is None or a["properties"]["scope"].lower() == _scope(scope).lower()
        ]


_ASSIGNMENTS = _SCOPE + r"/providers/Microsoft\.Authorization/roleAssignments"
_DEFINITIONS = _SCOPE + r"/providers/Microsoft\.Authorization/roleDefinitions"
ROUTES: tuple[Route, ...] = (
    Route.of("GET", _ASSIGNMENTS, API_VERSIONS, list_assignments),
    Route.of("GET", _ASSIGNMENTS + r"/(?P<name>[^/]+)", API_VERSIONS, get_assignment),
    Route.of("PUT", _ASSIGNMENTS + r"/(?P<name>[^/]+)", API_VERSIONS, put_assignment),
    Route.of("DELETE", _ASSIGNMENTS + r"/(?P<name>[^/]+)", API_VERSIONS, delete_assignment),
    Route.of("GET", _DEFINITIONS, API_VERSIONS, list_role_definitions),
    Route.of("GET", _DEFINITIONS + r"/(?P<name>[^/]+)", API_VERSIONS, get_role_definition),
)

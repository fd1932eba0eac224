"""Azure Resource Graph: ``POST /providers/Microsoft.ResourceGraph/resources``.

Shapes follow the REST examples (Resources*Query.json). The emulator runs no KQL: it recognises
the query texts acr_trusted sends (:mod:`acr_trusted.azure.audit_queries`, compared with runs of
whitespace collapsed) and answers each from ``State`` as the query would, so whatever resources
other emulator modules store (container groups, workspaces, tasks) show up as consumers:

- ``REGISTRIES_QUERY``: one row per registry with its projected properties, the role
  assignments at or below its scope, and the consumers that name it (container groups'
  ``imageRegistryCredentials[].server``, workspaces' ``containerRegistry``, its tasks);
- ``INHERITED_ASSIGNMENTS_QUERY``: role assignments above resources for the catalog's roles.

Any other query is a 400 with an ARM error body. Pages hold at most ``$top`` rows (at most
``State.page_size``, 1,000 by default) and chain through an opaque ``$skipToken`` bound to the
query; a token from another query is a 400. ``subscriptions`` and ``managementGroups`` are
exclusive (400); a subscription list without the emulator's subscription returns no resources;
a management group is taken to contain it.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import re
from collections.abc import Callable
from typing import Any

from acr_trusted.azure import audit_queries as q
from acr_trusted.catalog import ROLES
from acr_trusted.testing import _schema as s
from acr_trusted.testing._arm import ArmError, ArmRequest, ArmResponse, Route
from acr_trusted.testing._state import Json, State

API_VERSIONS = ("2021-03-01", "2024-04-01")
PATH = r"/providers/Microsoft\.ResourceGraph/resources"

_OPTIONS = s.Object(
    {
        "$skipToken": s.String(),
        "$top": s.AnyJson(),
        "$skip": s.AnyJson(),
        "resultFormat": s.Enum(("table", "objectArray")),
        "allowPartialScopes": s.Boolean(),
        "authorizationScopeFilter": s.Enum(
            ("AtScopeAndBelow", "AtScopeAndAbove", "AtScopeExact", "AtScopeAboveAndBelow")
        ),
    }
)
_BODY = s.Object(
    {
        "query": s.String(),
        "subscriptions": s.Array(s.String()),
        "managementGroups": s.Array(s.String()),
        "options": _OPTIONS,
        "facets": s.Array(s.AnyJson()),
    },
    required=frozenset({"query"}),
)
_REGISTRY_KEY = re.compile(
    r"^(/subscriptions/[^/]+/resourcegroups/[^/]+/providers/microsoft\.containerregistry"
    r"/registries/[^/]+)"
)
_ROLE_GUIDS = frozenset(r.guid for r in ROLES)
_GUID_AT_END = re.compile(r"([0-9a-f-]{36})$")
_MANAGEMENT_GROUPS = "/providers/microsoft.management/"


def _bad_request(message: str, code: str = "BadRequest") -> ArmError:
    return ArmError(400, code, message)


def _text(value: Any) -> str:
    """KQL's ``tostring``: null is the empty string."""
    if value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value)


def _segment(resource_id: str, index: int) -> str:
    parts = resource_id.split("/")
    return parts[index] if len(parts) > index else ""


def _in_scope(state: State, subscriptions: list[str] | None) -> bool:
    return subscriptions is None or state.subscription_id.lower() in {
        sub.lower() for sub in subscriptions
    }


# -- the registries query -------------------------------------------------------------------


def _assignments_by_registry(state: State) -> dict[str, list[Json]]:
    grouped: dict[str, list[Json]] = {}
    for assignment in state.role_assignments.values():
        props = assignment["properties"]
        scope = _text(props.get("scope")).lower()
        if "/providers/microsoft.containerregistry/registries/" not in scope:
            continue
        match = _REGISTRY_KEY.match(scope)
        grouped.setdefault(match.group(1) if match else "", []).append(
            {
                "id": assignment["id"],
                "scope": scope,
                "principalId": _text(props.get("principalId")),
                "roleDefinitionId": _text(props.get("roleDefinitionId")),
            }
        )
    return grouped


def _container_group_consumers(resource: Json) -> list[tuple[str, Json]]:
    found = []
    credentials = (resource.get("properties") or {}).get("imageRegistryCredentials") or []
    for credential in credentials if isinstance(credentials, list) else []:
        credential = credential if isinstance(credential, dict) else {}
        server = _text(credential.get("server")).lower()
        if ".azurecr." not in server:
            continue
        found.append(
            (
                server.split(".")[0],
                {
                    "kind": "aci",
                    "id": resource["id"],
                    "identity": copy.deepcopy(resource.get("identity")),
                    "credentialIdentity": _text(credential.get("identity")),
                    "usesPassword": _text(credential.get("username")) != "",
                },
            )
        )
    return found


def _workspace_consumers(resource: Json) -> list[tuple[str, Json]]:
    properties = resource.get("properties") or {}
    registry = _text(properties.get("containerRegistry"))
    if not registry:
        return []
    entry = {
        "kind": "ml",
        "id": resource["id"],
        "identity": copy.deepcopy(resource.get("identity")),
        "primaryUserAssignedIdentity": _text(properties.get("primaryUserAssignedIdentity")),
    }
    return [(_segment(registry, 8).lower(), entry)]


def _task_consumers(resource: Json) -> list[tuple[str, Json]]:
    entry = {
        "kind": "acr-tasks",
        "id": resource["id"],
        "identity": copy.deepcopy(resource.get("identity")),
        "agentPoolName": _text((resource.get("properties") or {}).get("agentPoolName")),
    }
    return [(_segment(resource["id"], 8).lower(), entry)]


_CONSUMERS: tuple[tuple[str, Callable[[Json], list[tuple[str, Json]]]], ...] = (
    (q.CONTAINER_GROUP_TYPE, _container_group_consumers),
    (q.ML_WORKSPACE_TYPE, _workspace_consumers),
    (q.TASK_TYPE, _task_consumers),
)


def _consumers_by_registry(state: State) -> dict[str, list[Json]]:
    grouped: dict[str, list[Json]] = {}
    for resource_type, read in _CONSUMERS:
        for resource in state.resources_of_type(resource_type):
            for name, entry in read(resource):
                grouped.setdefault(name, []).append(entry)
    return grouped


_PROJECTED = (
    "loginServer",
    "publicNetworkAccess",
    "networkRuleSet",
    "networkRuleBypassOptions",
    "networkRuleBypassAllowedForTasks",
    "roleAssignmentMode",
    "privateEndpointConnections",
)


def _registry_row(
    registry: Json, assignments: dict[str, list[Json]], consumers: dict[str, list[Json]]
) -> Json:
    properties = registry.get("properties") or {}
    return {
        "id": registry["id"],
        "name": registry["name"],
        "subscriptionId": _segment(registry["id"], 2),
        "resourceGroup": _segment(registry["id"], 4).lower(),
        "location": registry.get("location"),
        "sku": copy.deepcopy(registry.get("sku")),
        "properties": {k: copy.deepcopy(properties.get(k)) for k in _PROJECTED},
        "roleAssignments": assignments.get(registry["id"].lower()),
        "consumers": consumers.get(registry["name"].lower()),
    }


def _registry_rows(state: State, in_scope: bool, start: int, count: int) -> tuple[int, list[Json]]:
    with state.lock:
        registries = list(state.resources_of_type(q.REGISTRY_TYPE)) if in_scope else []
        page = registries[start : start + count]
        if not page:
            return len(registries), []
        assignments = _assignments_by_registry(state)
        consumers = _consumers_by_registry(state)
        return len(registries), [_registry_row(r, assignments, consumers) for r in page]


# -- the inherited assignments query --------------------------------------------------------


def _inherited_rows(
    state: State, subscriptions: list[str] | None, start: int, count: int
) -> tuple[int, list[Json]]:
    rows = []
    with state.lock:
        for assignment in state.role_assignments.values():
            props = assignment["properties"]
            scope = _text(props.get("scope")).lower()
            if "/providers/" in scope and not scope.startswith(_MANAGEMENT_GROUPS):
                continue
            if scope in ("", "/") and subscriptions is not None:
                continue  # the root is above a subscription-scoped query
            role = _text(props.get("roleDefinitionId")).lower()
            guid = _GUID_AT_END.search(role)
            if guid is None or guid.group(1) not in _ROLE_GUIDS:
                continue
            rows.append(
                {
                    "id": assignment["id"],
                    "scope": scope,
                    "principalId": _text(props.get("principalId")),
                    "roleDefinitionId": role,
                }
            )
    if subscriptions is not None and not _in_scope(state, subscriptions):
        rows = []
    return len(rows), rows[start : start + count]


# -- paging and the handler -----------------------------------------------------------------


def _query_key(query: str) -> str:
    return hashlib.sha256(query.encode()).hexdigest()[:16]


def _skip_token(query: str, offset: int) -> str:
    raw = json.dumps({"query": _query_key(query), "offset": offset}).encode()
    return base64.b64encode(raw).decode()


def _offset(options: Json, query: str) -> int:
    token = options.get("$skipToken")
    if token is None:
        skip = options.get("$skip", 0)
        if not isinstance(skip, int) or isinstance(skip, bool) or skip < 0:
            raise _bad_request("options.$skip must be a non-negative integer.")
        return skip
    try:
        decoded = json.loads(base64.b64decode(token, validate=True))
        offset = decoded["offset"]
        matches = decoded["query"] == _query_key(query)
    except (ValueError, TypeError, KeyError):
        matches, offset = False, None
    if not matches or not isinstance(offset, int):
        raise _bad_request(
            "The $skipToken is not valid for this query; pass the token of the previous page "
            "together with the same query and scopes.",
            "InvalidSkipToken",
        )
    return offset


def _page_size(options: Json, state: State) -> int:
    top = options.get("$top", state.page_size)
    if not isinstance(top, int) or isinstance(top, bool) or not 1 <= top <= 1000:
        raise _bad_request("options.$top must be an integer from 1 to 1000.")
    return min(top, state.page_size)


def query_resources(request: ArmRequest, state: State) -> ArmResponse:
    body = s.check_body(_BODY, request.body)
    subscriptions = body.get("subscriptions")
    if subscriptions is not None and body.get("managementGroups") is not None:
        raise _bad_request("managementGroups can't be used at the same time as subscriptions.")
    options = body.get("options") or {}
    if options.get("resultFormat", "objectArray") != "objectArray":
        raise _bad_request("LocalAzure answers Resource Graph queries as objectArray only.")
    query = q.normalize(body["query"])
    start, size = _offset(options, query), _page_size(options, state)
    if query == q.normalize(q.REGISTRIES_QUERY):
        total, data = _registry_rows(state, _in_scope(state, subscriptions), start, size)
    elif query == q.normalize(q.INHERITED_ASSIGNMENTS_QUERY):
        total, data = _inherited_rows(state, subscriptions, start, size)
    else:
        raise _bad_request(
            "Query is invalid or not supported: LocalAzure answers only the Resource Graph "
            "queries acr_trusted sends (acr_trusted.azure.audit_queries)."
        )
    answer: Json = {
        "totalRecords": total,
        "count": len(data),
        "data": data,
        "facets": [],
        "resultTruncated": "false",
    }
    if start + len(data) < total:
        answer["$skipToken"] = _skip_token(query, start + len(data))
    return ArmResponse(200, answer)


ROUTES: tuple[Route, ...] = (Route.of("POST", PATH, API_VERSIONS, query_resources),)

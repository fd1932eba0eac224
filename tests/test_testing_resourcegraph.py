from __future__ import annotations

import json
from typing import Any

import pytest
from azure.core.exceptions import HttpResponseError
from azure.core.rest import HttpRequest
from azure.mgmt.resourcegraph import ResourceGraphClient
from azure.mgmt.resourcegraph.models import QueryRequest, QueryRequestOptions

from acr_trusted.azure.audit_queries import INHERITED_ASSIGNMENTS_QUERY, REGISTRIES_QUERY
from acr_trusted.testing import LocalAzure

PATH = "/providers/Microsoft.ResourceGraph/resources?api-version=2021-03-01"
OTHER_SUBSCRIPTION = "11111111-2222-3333-4444-555555555555"


def graph(az: LocalAzure) -> ResourceGraphClient:
    return ResourceGraphClient(az.credential, base_url=az.endpoint, **az.client_options)


def post(az: LocalAzure, body: Any) -> tuple[int, Any]:
    """Send a raw body (the SDK would refuse to serialize some of these)."""
    response = graph(az)._send_request(HttpRequest("POST", PATH, json=body))
    return response.status_code, response.json()


def all_rows(az: LocalAzure, query: str, **scope: Any) -> tuple[list[dict[str, Any]], int]:
    client, rows, token, requests = graph(az), [], None, 0
    while True:
        page = client.resources(
            QueryRequest(query=query, options=QueryRequestOptions(skip_token=token), **scope)
        )
        requests += 1
        rows.extend(page.data)
        token = page.skip_token
        if not token:
            return rows, requests


def container_group(az: LocalAzure, name: str, credentials: list[dict[str, Any]]) -> str:
    group_id = (
        f"/subscriptions/{az.subscription_id}/resourceGroups/rg"
        f"/providers/Microsoft.ContainerInstance/containerGroups/{name}"
    )
    az.state.put_resource(
        {
            "id": group_id,
            "name": name,
            "type": "Microsoft.ContainerInstance/containerGroups",
            "location": "westus",
            "identity": {"type": "SystemAssigned", "principalId": "p-" + name},
            "properties": {"imageRegistryCredentials": credentials, "containers": []},
        }
    )
    return group_id


def test_registries_query_pages_one_row_per_registry() -> None:
    """Rows chain through $skipToken at the page size; totalRecords counts every registry."""
    with LocalAzure(page_size=4) as az:
        for i in range(10):
            az.add_registry(f"pager{i:03d}")
        client = graph(az)
        first = client.resources(QueryRequest(query=REGISTRIES_QUERY))
        assert (first.total_records, first.count, first.result_truncated) == (10, 4, "false")
        rows, requests = all_rows(az, REGISTRIES_QUERY)
    assert requests == 3
    assert sorted(r["name"] for r in rows) == [f"pager{i:03d}" for i in range(10)]
    assert set(rows[0]) == {
        "id",
        "name",
        "subscriptionId",
        "resourceGroup",
        "location",
        "sku",
        "properties",
        "roleAssignments",
        "consumers",
    }
    assert rows[0]["properties"]["publicNetworkAccess"] == "Enabled"
    assert rows[0]["roleAssignments"] is None
    assert rows[0]["consumers"] is None


def test_registry_row_joins_its_role_assignments_and_consumers(local_azure: LocalAzure) -> None:
    """Assignments at the registry and consumers naming it (by login server or ID) join in."""
    az = local_azure
    target = az.add_registry("joined", public_network_access="Disabled")
    az.add_registry("elsewhere")
    principal = az.add_managed_identity("puller")
    az.add_role_assignment(target, principal, "AcrPull")
    az.add_role_assignment(f"/subscriptions/{az.subscription_id}", principal, "AcrPush")
    az.add_task(target, "nightly", agent_pool="pool1")
    az.add_workspace("ws", container_registry=target)
    group = container_group(
        az,
        "web",
        [
            {"server": "joined.azurecr.io", "identity": "[system]"},
            {"server": "index.docker.io", "username": "someone"},
        ],
    )
    rows = {r["name"]: r for r in all_rows(az, REGISTRIES_QUERY)[0]}
    row = rows["joined"]
    assert [(a["scope"], a["principalId"]) for a in row["roleAssignments"]] == [
        (target.id.lower(), principal)
    ]
    kinds = {c["kind"]: c for c in row["consumers"]}
    assert set(kinds) == {"aci", "ml", "acr-tasks"}
    assert kinds["aci"]["id"] == group
    assert (kinds["aci"]["credentialIdentity"], kinds["aci"]["usesPassword"]) == ("[system]", False)
    assert kinds["acr-tasks"]["agentPoolName"] == "pool1"
    assert kinds["ml"]["identity"]["type"] == "SystemAssigned"
    assert rows["elsewhere"]["consumers"] is None


def test_inherited_query_returns_assignments_above_resources(local_azure: LocalAzure) -> None:
    """Subscription and resource-group assignments are returned; registry-scoped ones are not."""
    az = local_azure
    ref = az.add_registry("scoped")
    principal = az.add_managed_identity("reader")
    az.add_role_assignment(ref, principal, "AcrPull")
    sub = f"/subscriptions/{az.subscription_id}"
    az.add_role_assignment(sub, principal, "AcrPull")
    az.add_role_assignment(f"{sub}/resourceGroups/rg", principal, "Reader")
    rows, _ = all_rows(az, INHERITED_ASSIGNMENTS_QUERY)
    assert sorted(r["scope"] for r in rows) == [sub.lower(), f"{sub}/resourcegroups/rg".lower()]
    assert {r["principalId"] for r in rows} == {principal}


def test_whitespace_does_not_change_a_query(local_azure: LocalAzure) -> None:
    """Queries are compared with runs of whitespace collapsed."""
    local_azure.add_registry("spaced")
    status, body = post(local_azure, {"query": " ".join(REGISTRIES_QUERY.split())})
    assert status == 200
    assert body["count"] == 1


@pytest.mark.parametrize(
    ("body", "code"),
    [
        pytest.param({"query": "resources | take 1"}, "BadRequest", id="unknown-query"),
        pytest.param({"subscriptions": []}, "InvalidRequestContent", id="no-query"),
        pytest.param(
            {"query": REGISTRIES_QUERY, "options": {"resultFormat": "table"}},
            "BadRequest",
            id="table-format",
        ),
        pytest.param(
            {"query": REGISTRIES_QUERY, "options": {"$top": 1001}}, "BadRequest", id="top-too-big"
        ),
        pytest.param(
            {"query": REGISTRIES_QUERY, "options": {"$skipToken": "not-a-token"}},
            "InvalidSkipToken",
            id="garbage-token",
        ),
        pytest.param(
            {
                "query": REGISTRIES_QUERY,
                "subscriptions": [OTHER_SUBSCRIPTION],
                "managementGroups": ["mg"],
            },
            "BadRequest",
            id="both-scopes",
        ),
        pytest.param({"query": REGISTRIES_QUERY, "bogus": 1}, "InvalidRequestContent", id="field"),
    ],
)
def test_bad_requests_get_an_arm_error_body(
    local_azure: LocalAzure, body: dict[str, Any], code: str
) -> None:
    """Anything the emulator does not answer is a 400 with {"error": {"code", "message"}}."""
    status, answer = post(local_azure, body)
    assert status == 400
    assert answer["error"]["code"] == code
    assert answer["error"]["message"]


def test_a_skip_token_belongs_to_its_query() -> None:
    """A token from the registries query is refused for another query."""
    with LocalAzure(page_size=1) as az:
        az.add_registry("tokenone")
        az.add_registry("tokentwo")
        token = graph(az).resources(QueryRequest(query=REGISTRIES_QUERY)).skip_token
        assert token
        status, answer = post(
            az, {"query": INHERITED_ASSIGNMENTS_QUERY, "options": {"$skipToken": token}}
        )
    assert (status, answer["error"]["code"]) == (400, "InvalidSkipToken")


def test_unknown_query_raises_in_the_sdk(local_azure: LocalAzure) -> None:
    """The SDK maps the 400 to HttpResponseError with the ARM error code."""
    with pytest.raises(HttpResponseError) as caught:
        graph(local_azure).resources(QueryRequest(query="resources"))
    assert caught.value.status_code == 400
    assert caught.value.error is not None
    assert caught.value.error.code == "BadRequest"


@pytest.mark.parametrize(
    ("scope", "expected"),
    [
        pytest.param({}, 1, id="tenant"),
        pytest.param({"subscriptions": ["SUB"]}, 1, id="ours"),
        pytest.param({"subscriptions": [OTHER_SUBSCRIPTION]}, 0, id="another"),
        pytest.param({"management_groups": ["mg-root"]}, 1, id="management-group"),
    ],
)
def test_scope_selects_the_emulated_subscription(
    local_azure: LocalAzure, scope: dict[str, Any], expected: int
) -> None:
    """Resources live in one subscription; a management group is taken to contain it."""
    local_azure.add_registry("inscope")
    if scope.get("subscriptions") == ["SUB"]:
        scope = {"subscriptions": [local_azure.subscription_id]}
    rows, _ = all_rows(local_azure, REGISTRIES_QUERY, **scope)
    assert len(rows) == expected


def test_requests_are_recorded_with_their_query(local_azure: LocalAzure) -> None:
    """The request log keeps the body, so tests can count and inspect Resource Graph calls."""
    graph(local_azure).resources(QueryRequest(query=INHERITED_ASSIGNMENTS_QUERY))
    (request,) = local_azure.requests
    assert (request.method, request.api_version, request.status) == ("POST", "2021-03-01", 200)
    assert json.dumps(request.body["query"]) == json.dumps(INHERITED_ASSIGNMENTS_QUERY)

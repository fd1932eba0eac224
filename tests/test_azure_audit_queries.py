from __future__ import annotations

import re

import pytest

from acr_trusted.azure import audit_queries as q
from acr_trusted.catalog import ROLES


def last_project(query: str) -> list[str]:
    tail = query.rsplit("| project ", 1)[1]
    return [c.strip().split(" ")[0] for c in " ".join(tail.split()).split(",")]


@pytest.mark.parametrize("query", q.QUERIES)
def test_queries_project_id_so_resource_graph_can_page(query: str) -> None:
    """Without ``id`` in the output Resource Graph truncates instead of returning $skipToken."""
    assert last_project(query)[0] == "id"


@pytest.mark.parametrize("query", q.QUERIES)
def test_queries_stay_within_documented_operator_limits(query: str) -> None:
    """At most 3 joins (leftouter only, one cross-table), 3 union legs, 2 mv-expand."""
    joins = re.findall(r"\| join kind=(\w+)", query)
    assert len(joins) <= 3
    assert set(joins) <= {"leftouter"}
    tables = re.findall(r"^\s*(resources|authorizationresources)\s*$", query, re.MULTILINE)
    if tables[0] == "resources":
        assert tables.count("authorizationresources") <= 1
    assert query.count("| union ") <= 2
    assert query.count("mv-expand") <= 2


def test_registries_query_returns_what_the_audit_reads() -> None:
    """The registry row carries posture, role assignments and consumers."""
    assert last_project(q.REGISTRIES_QUERY) == [
        "id",
        "name",
        "subscriptionId",
        "resourceGroup",
        "location",
        "sku",
        "properties",
        "roleAssignments",
        "consumers",
    ]
    for prop in (
        "publicNetworkAccess",
        "networkRuleSet",
        "networkRuleBypassOptions",
        "networkRuleBypassAllowedForTasks",
        "roleAssignmentMode",
        "privateEndpointConnections",
    ):
        assert f"'{prop}', properties.{prop}" in q.REGISTRIES_QUERY
    for resource_type in (q.CONTAINER_GROUP_TYPE, q.ML_WORKSPACE_TYPE, q.TASK_TYPE):
        assert f"type =~ '{resource_type}'" in q.REGISTRIES_QUERY


@pytest.mark.parametrize(
    ("scope", "key"),
    [
        pytest.param(
            "/subscriptions/s/resourcegroups/rg/providers/microsoft.containerregistry/registries/r",
            "/subscriptions/s/resourcegroups/rg/providers/microsoft.containerregistry/registries/r",
            id="registry",
        ),
        pytest.param(
            "/subscriptions/s/resourcegroups/rg/providers/microsoft.containerregistry/registries/r"
            "/scopemaps/m",
            "/subscriptions/s/resourcegroups/rg/providers/microsoft.containerregistry/registries/r",
            id="below",
        ),
    ],
)
def test_registry_key_extraction(scope: str, key: str) -> None:
    """The extract() pattern maps an assignment scope to its registry's lower-cased ID."""
    pattern = re.search(r"extract\(@'([^']+)', 1, scope\)", q.REGISTRIES_QUERY)
    assert pattern is not None
    match = re.match(pattern.group(1), scope)
    assert match is not None
    assert match.group(1) == key


def test_inherited_query_filters_to_catalog_roles() -> None:
    """Only the built-in roles that grant registry access come back, by GUID."""
    for definition in ROLES:
        assert f"'{definition.guid}'" in q.INHERITED_ASSIGNMENTS_QUERY
    assert "{36}" in q.INHERITED_ASSIGNMENTS_QUERY


def test_normalize_collapses_whitespace() -> None:
    """Indentation and line breaks do not change what a query is."""
    assert q.normalize("  resources\n|  where a\t== 1 ") == "resources | where a == 1"

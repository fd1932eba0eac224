from __future__ import annotations

from typing import Any

import pytest
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
from azure.mgmt.containerregistry import ContainerRegistryManagementClient
from azure.mgmt.containerregistry.models import (
    IPRule,
    NetworkRuleSet,
    Registry,
    RegistryUpdateParameters,
    Sku,
)

from acr_trusted.testing import LocalAzure

FAST = {"retry_backoff_factor": 0.01, "retry_backoff_max": 0.05}


def acr(az: LocalAzure) -> ContainerRegistryManagementClient:
    return az.client(ContainerRegistryManagementClient, **FAST)


def error_code(exc: HttpResponseError) -> str | None:
    return exc.error.code if exc.error is not None else None


def test_get_matches_rest_example_shape(local_azure: LocalAzure, shared_dir: Any) -> None:
    """A seeded registry has every top-level and property key of the RegistryGet example."""
    import json

    example = json.loads(
        (
            shared_dir / "azure-rest-examples/containerregistry-2025-11-01/RegistryGet.json"
        ).read_text()
    )["responses"]["200"]["body"]
    ref = local_azure.add_registry("myregistry", sku="Standard")
    stored = local_azure.registry(ref)
    assert set(example) <= set(stored)
    assert set(example["properties"]) <= set(stored["properties"])
    assert set(stored["properties"]["policies"]) == set(example["properties"]["policies"])


def test_defaults_are_arms(local_azure: LocalAzure) -> None:
    """Omitted seeding arguments take the TypeSpec defaults; the SDK reads them back typed."""
    local_azure.add_registry("contoso")
    registry = acr(local_azure).registries.get("rg", "contoso")
    assert registry.login_server == "contoso.azurecr.io"
    assert registry.location == "westus"
    assert registry.sku.name == "Premium"
    assert registry.public_network_access == "Enabled"
    assert registry.network_rule_bypass_options == "AzureServices"
    assert registry.network_rule_bypass_allowed_for_tasks is False
    assert registry.role_assignment_mode == "LegacyRegistryPermissions"
    assert registry.network_rule_set.default_action == "Allow"
    assert registry.private_endpoint_connections == []
    assert registry.provisioning_state == "Succeeded"


def test_seeded_network_settings_and_private_endpoints(local_azure: LocalAzure) -> None:
    """All add_registry knobs show up in GET, including approved private endpoint connections."""
    local_azure.add_registry(
        "locked1",
        public_network_access="Disabled",
        network_rule_bypass_options="none",
        role_assignment_mode="AbacRepositoryPermissions",
        network_rule_bypass_allowed_for_tasks=True,
        default_action="Deny",
        ip_rules=("203.0.113.0/24",),
        private_endpoints=2,
        resource_group="other",
    )
    client = acr(local_azure)
    registry = client.registries.get("other", "locked1")
    assert registry.network_rule_bypass_options == "None"
    assert registry.role_assignment_mode == "AbacRepositoryPermissions"
    assert registry.network_rule_bypass_allowed_for_tasks is True
    assert registry.network_rule_set.default_action == "Deny"
    assert [r.ip_address_or_range for r in registry.network_rule_set.ip_rules] == ["203.0.113.0/24"]
    connections = registry.private_endpoint_connections
    assert len(connections) == 2
    assert {c.private_link_service_connection_state.status for c in connections} == {"Approved"}
    assert registry.data_endpoint_enabled is True
    listed = list(client.private_endpoint_connections.list("other", "locked1"))
    assert [c.name for c in listed] == [c.name for c in connections]
    one = client.private_endpoint_connections.get("other", "locked1", connections[0].name)
    assert one.id == connections[0].id


def test_list_by_subscription_and_resource_group(local_azure: LocalAzure) -> None:
    """Listing spans the subscription or one resource group, following nextLink pages."""
    for name, group in (("alpha1", "rg"), ("beta01", "rg"), ("gamma1", "other")):
        local_azure.add_registry(name, resource_group=group)
    local_azure.state.page_size = 2
    client = acr(local_azure)
    assert sorted(r.name for r in client.registries.list()) == ["alpha1", "beta01", "gamma1"]
    assert sorted(r.name for r in client.registries.list_by_resource_group("rg")) == [
        "alpha1",
        "beta01",
    ]
    pages = [r for r in local_azure.requests if r.query.get("$skipToken")]
    assert len(pages) == 1


def test_update_is_a_long_running_operation(local_azure: LocalAzure) -> None:
    """PATCH answers 201 + Azure-AsyncOperation; the poll says InProgress, then Succeeded."""
    ref = local_azure.add_registry("contoso")
    result = (
        acr(local_azure)
        .registries.begin_update(
            "rg",
            "contoso",
            RegistryUpdateParameters(
                network_rule_bypass_options="None",
                network_rule_set=NetworkRuleSet(
                    default_action="Deny", ip_rules=[IPRule(ip_address_or_range="198.51.100.7")]
                ),
                tags={"team": "platform"},
            ),
        )
        .result()
    )
    assert result.network_rule_bypass_options == "None"
    assert result.tags == {"team": "platform"}
    stored = local_azure.registry(ref)
    assert stored["properties"]["networkRuleSet"] == {
        "defaultAction": "Deny",
        "ipRules": [{"action": "Allow", "value": "198.51.100.7"}],
    }
    assert stored["properties"]["provisioningState"] == "Succeeded"
    statuses = [(r.method, r.status, r.is_poll) for r in local_azure.requests]
    assert statuses == [
        ("PATCH", 201, False),
        ("GET", 200, True),
        ("GET", 200, True),
        ("GET", 200, False),
    ]


def test_update_keeps_unsent_properties(local_azure: LocalAzure) -> None:
    """A PATCH changes only what it names; policies merge one level deep."""
    ref = local_azure.add_registry("contoso", public_network_access="Disabled")
    acr(local_azure).registries.begin_update(
        "rg", "contoso", {"properties": {"policies": {"exportPolicy": {"status": "disabled"}}}}
    ).result()
    properties = local_azure.registry(ref)["properties"]
    assert properties["publicNetworkAccess"] == "Disabled"
    assert properties["policies"]["exportPolicy"] == {"status": "disabled"}
    assert properties["policies"]["quarantinePolicy"] == {"status": "disabled"}


def test_update_that_fails_leaves_registry_unchanged(local_azure: LocalAzure) -> None:
    """An lro_fail fault ends the operation Failed; the SDK raises and nothing changed."""
    ref = local_azure.add_registry("contoso")
    before = local_azure.registry(ref)
    local_azure.inject(
        method="PATCH", path_contains="/registries/", lro_fail=True, code="RegistryUpdateFailed"
    )
    poller = acr(local_azure).registries.begin_update(
        "rg", "contoso", RegistryUpdateParameters(network_rule_bypass_options="None")
    )
    with pytest.raises(HttpResponseError) as info:
        poller.result()
    assert error_code(info.value) == "RegistryUpdateFailed"
    assert local_azure.registry(ref) == before


def test_update_of_missing_registry_is_404(local_azure: LocalAzure) -> None:
    """PATCH of an unknown registry in an existing group is ResourceNotFound."""
    local_azure.add_resource_group("rg")
    with pytest.raises(ResourceNotFoundError) as info:
        acr(local_azure).registries.begin_update(
            "rg", "nothere1", RegistryUpdateParameters(admin_user_enabled=True)
        )
    assert error_code(info.value) == "ResourceNotFound"
    assert "Microsoft.ContainerRegistry/registries/nothere1" in info.value.message


@pytest.mark.parametrize(
    ("group", "code"),
    [
        pytest.param("nogroup", "ResourceGroupNotFound", id="group"),
        pytest.param("rg", "ResourceNotFound", id="registry"),
    ],
)
def test_get_missing(local_azure: LocalAzure, group: str, code: str) -> None:
    """A missing group and a missing registry are told apart, as ARM does."""
    local_azure.add_resource_group("rg")
    with pytest.raises(ResourceNotFoundError) as info:
        acr(local_azure).registries.get(group, "nothere1")
    assert error_code(info.value) == code


def test_other_subscription_is_not_found(local_azure: LocalAzure) -> None:
    """A client configured for another subscription gets SubscriptionNotFound."""
    client = ContainerRegistryManagementClient(
        local_azure.credential,
        "99999999-9999-9999-9999-999999999999",
        base_url=local_azure.endpoint,
        **local_azure.client_options,
    )
    with pytest.raises(ResourceNotFoundError) as info:
        list(client.registries.list())
    assert error_code(info.value) == "SubscriptionNotFound"


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        pytest.param(
            {"properties": {"networkRuleBypassOptions": "Sometimes"}},
            "body.properties.networkRuleBypassOptions",
            id="bad-enum",
        ),
        pytest.param(
            {"properties": {"networkRuleBypassAllowedForTasks": "true"}},
            "expected a boolean, got 'true'",
            id="string-bool",
        ),
        pytest.param(
            {"properties": {"allowTrustedServices": True}},
            "Unknown property 'allowTrustedServices'",
            id="unknown-property",
        ),
        pytest.param(
            {"properties": {"networkRuleSet": {"ipRules": []}}},
            "Missing required property 'defaultAction'",
            id="rule-set-without-action",
        ),
        pytest.param(
            {
                "properties": {
                    "networkRuleSet": {"defaultAction": "Deny", "ipRules": [{"value": "::1"}]}
                }
            },
            "IPv4",
            id="ipv6-rule",
        ),
        pytest.param(
            {"properties": {"zoneRedundancy": "Enabled"}},
            "Unknown property 'zoneRedundancy'",
            id="create-only-property",
        ),
        pytest.param({"sku": {"name": "Gold"}}, "body.sku.name", id="bad-sku"),
    ],
)
def test_invalid_update_is_400(local_azure: LocalAzure, body: Any, fragment: str) -> None:
    """A PATCH body outside the 2025-11-01 schema is refused, naming the offending path."""
    ref = local_azure.add_registry("contoso")
    before = local_azure.registry(ref)
    with pytest.raises(HttpResponseError) as info:
        acr(local_azure).registries.begin_update("rg", "contoso", body)
    assert info.value.status_code == 400
    assert error_code(info.value) == "InvalidRequestContent"
    assert fragment in info.value.message
    assert local_azure.registry(ref) == before


def test_enum_values_are_case_insensitive_and_stored_canonically(local_azure: LocalAzure) -> None:
    """ARM accepts 'azureservices' and echoes 'AzureServices'."""
    ref = local_azure.add_registry("contoso", network_rule_bypass_options="None")
    acr(local_azure).registries.begin_update(
        "rg", "contoso", {"properties": {"networkRuleBypassOptions": "azureservices"}}
    ).result()
    assert local_azure.registry(ref)["properties"]["networkRuleBypassOptions"] == "AzureServices"


def test_create_then_replace(local_azure: LocalAzure) -> None:
    """PUT creates (201), a second PUT replaces (200) and keeps creationDate and login server."""
    local_azure.add_resource_group("rg")
    client = acr(local_azure)
    created = client.registries.begin_create(
        "rg", "NewReg01", Registry(location="eastus", sku=Sku(name="Basic"))
    ).result()
    assert created.login_server == "newreg01.azurecr.io"
    assert created.network_rule_bypass_options == "AzureServices"
    replaced = client.registries.begin_create(
        "rg",
        "NewReg01",
        Registry(location="eastus", sku=Sku(name="Premium"), public_network_access="Disabled"),
    ).result()
    assert replaced.creation_date == created.creation_date
    assert replaced.sku.name == "Premium"
    assert [r.status for r in local_azure.requests if r.method == "PUT"] == [201, 200]


@pytest.mark.parametrize(
    ("name", "body", "code"),
    [
        pytest.param("ab", {"location": "westus", "sku": {"name": "Basic"}}, "InvalidResourceName"),
        pytest.param("okname1", {"sku": {"name": "Basic"}}, "InvalidRequestContent"),
        pytest.param("okname1", {"location": "westus"}, "InvalidRequestContent"),
    ],
)
def test_invalid_create_is_400(local_azure: LocalAzure, name: str, body: Any, code: str) -> None:
    """PUT needs a valid name, a location and a SKU."""
    local_azure.add_resource_group("rg")
    with pytest.raises(HttpResponseError) as info:
        acr(local_azure).registries.begin_create("rg", name, body)
    assert info.value.status_code == 400
    assert error_code(info.value) == code


def test_create_accepts_read_only_fields_of_a_read_registry(local_azure: LocalAzure) -> None:
    """PUTting back what GET returned works: read-only fields are ignored as ARM does."""
    ref = local_azure.add_registry("contoso")
    body = local_azure.registry(ref)
    body["properties"]["adminUserEnabled"] = True
    result = acr(local_azure).registries.begin_create("rg", "contoso", body).result()
    assert result.admin_user_enabled is True


def test_delete_removes_registry_and_its_role_assignments(local_azure: LocalAzure) -> None:
    """DELETE answers 200 then 204, and drops the assignments scoped to the registry."""
    ref = local_azure.add_registry("contoso")
    principal = local_azure.add_managed_identity("puller")
    local_azure.add_role_assignment(ref, principal, "AcrPull")
    group_assignment = local_azure.add_role_assignment(
        f"/subscriptions/{local_azure.subscription_id}/resourceGroups/rg", principal, "AcrPush"
    )
    client = acr(local_azure)
    client.registries.begin_delete("rg", "contoso").result()
    client.registries.begin_delete("rg", "contoso").result()
    assert [r.status for r in local_azure.requests if r.method == "DELETE"] == [200, 204]
    with pytest.raises(KeyError):
        local_azure.registry(ref)
    assert local_azure.role_assignments() == [group_assignment]


def test_unknown_api_version_is_400(local_azure: LocalAzure) -> None:
    """A client pinned to an api-version the emulator does not model gets a clear 400."""
    local_azure.add_registry("contoso")
    client = local_azure.client(ContainerRegistryManagementClient, api_version="2023-07-01")
    with pytest.raises(HttpResponseError) as info:
        client.registries.get("rg", "contoso")
    assert error_code(info.value) == "InvalidApiVersionParameter"
    assert "2025-11-01" in info.value.message

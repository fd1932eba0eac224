from __future__ import annotations

from pathlib import Path

import pytest
from azure.mgmt.containerregistry import ContainerRegistryManagementClient

from acr_trusted.catalog import role
from acr_trusted.ids import RegistryRef
from acr_trusted.testing import LocalAzure


def test_lifecycle_and_temp_files() -> None:
    """start/stop are idempotent; the CA bundle exists while running and is removed after."""
    az = LocalAzure(subscription_id="11111111-1111-1111-1111-111111111111")
    with pytest.raises(RuntimeError, match="not running"):
        az.endpoint  # noqa: B018
    with az:
        assert az.start() is az
        bundle = Path(az.ca_bundle)
        assert bundle.is_file()
        assert az.subscription_id in repr(az)
        assert az.endpoint in repr(az)
    assert not bundle.exists()
    assert "stopped" in repr(az)
    az.stop()


def test_two_emulators_are_independent() -> None:
    """Each instance has its own port, token and state; one's token is refused by the other."""
    with LocalAzure() as first, LocalAzure() as second:
        first.add_registry("contoso")
        assert first.endpoint != second.endpoint
        stranger = ContainerRegistryManagementClient(
            second.credential,
            first.subscription_id,
            base_url=first.endpoint,
            **first.client_options,
        )
        with pytest.raises(Exception, match="AuthenticationFailed"):
            stranger.registries.get("rg", "contoso")
        assert second.requests == []


def test_add_registry_returns_ref_and_validates(local_azure: LocalAzure) -> None:
    """add_registry returns a RegistryRef and refuses what ARM would refuse."""
    ref = local_azure.add_registry("Contoso", resource_group="team", location="eastus")
    assert ref == RegistryRef(local_azure.subscription_id, "team", "Contoso")
    stored = local_azure.registry(ref)
    assert stored["location"] == "eastus"
    assert stored["properties"]["loginServer"] == "contoso.azurecr.io"
    with pytest.raises(ValueError, match="already exists"):
        local_azure.add_registry("CONTOSO")
    with pytest.raises(ValueError, match=r"properties\.publicNetworkAccess"):
        local_azure.add_registry("other1", public_network_access="Off")
    with pytest.raises(ValueError, match="IPv4"):
        local_azure.add_registry("other1", ip_rules=("not-an-ip",))
    with pytest.raises(ValueError, match=r"sku\.name"):
        local_azure.add_registry("other1", sku="Gold")


def test_ip_rules_alone_keep_default_action_allow(local_azure: LocalAzure) -> None:
    """IP rules without a default action store defaultAction Allow (ARM's default)."""
    ref = local_azure.add_registry("contoso", ip_rules=("203.0.113.0/24",), sku="basic")
    stored = local_azure.registry(ref)
    assert stored["properties"]["networkRuleSet"] == {
        "defaultAction": "Allow",
        "ipRules": [{"action": "Allow", "value": "203.0.113.0/24"}],
    }
    assert stored["sku"] == {"name": "Basic", "tier": "Basic"}


def test_registry_lookup(local_azure: LocalAzure) -> None:
    """az.registry accepts a ref, a resource ID or a unique name, and returns a copy."""
    ref = local_azure.add_registry("contoso")
    by_name = local_azure.registry("contoso")
    assert by_name == local_azure.registry(ref) == local_azure.registry(ref.id)
    by_name["properties"]["publicNetworkAccess"] = "Disabled"
    assert local_azure.registry(ref)["properties"]["publicNetworkAccess"] == "Enabled"
    with pytest.raises(KeyError):
        local_azure.registry("missing1")
    with pytest.raises(KeyError):
        local_azure.registry(RegistryRef(local_azure.subscription_id, "rg", "missing1"))


def test_managed_identity_and_principals(local_azure: LocalAzure) -> None:
    """Identities are ServicePrincipals with a resource; other principals get their own type."""
    principal = local_azure.add_managed_identity("aci-puller", resource_group="ids")
    identity = local_azure.managed_identity("aci-puller", resource_group="ids")
    assert identity["properties"]["principalId"] == principal
    assert identity["type"] == "Microsoft.ManagedIdentity/userAssignedIdentities"
    assert local_azure.state.principal(principal).principal_type == "ServicePrincipal"  # type: ignore[union-attr]
    group = local_azure.add_principal("group", display_name="ops")
    assert local_azure.state.principal(group).principal_type == "Group"  # type: ignore[union-attr]
    fixed = local_azure.add_principal(principal_id="11111111-2222-3333-4444-555555555555")
    assert fixed == "11111111-2222-3333-4444-555555555555"
    with pytest.raises(ValueError, match="unknown principal type 'Robot'"):
        local_azure.add_principal("Robot")
    with pytest.raises(KeyError):
        local_azure.managed_identity("nope")


def test_add_role_assignment_follows_rest_rules(local_azure: LocalAzure) -> None:
    """Seeded assignments obey the same rules as the PUT and are listed by scope."""
    ref = local_azure.add_registry("contoso")
    principal = local_azure.add_managed_identity("aci-puller")
    assignment = local_azure.add_role_assignment(ref, principal, "AcrPull", condition="@x")
    assert assignment["properties"]["roleDefinitionId"] == role("AcrPull").definition_id(
        local_azure.subscription_id
    )
    assert assignment["properties"]["principalType"] == "ServicePrincipal"
    assert assignment["properties"]["conditionVersion"] == "2.0"
    assert local_azure.role_assignments(ref) == [assignment]
    assert local_azure.role_assignments(ref.id + "/") == [assignment]
    assert local_azure.role_assignments("/subscriptions/" + local_azure.subscription_id) == []
    with pytest.raises(ValueError, match="RoleAssignmentExists"):
        local_azure.add_role_assignment(ref, principal, role("AcrPull").guid)
    with pytest.raises(ValueError, match="PrincipalNotFound"):
        local_azure.add_role_assignment(ref, "11111111-2222-3333-4444-555555555555", "AcrPull")
    with pytest.raises(ValueError, match="unknown built-in role"):
        local_azure.add_role_assignment(ref, principal, "Owner of everything")


def test_inject_validates(local_azure: LocalAzure) -> None:
    """inject refuses a fault that cannot fire and lowercases nothing it should not."""
    with pytest.raises(ValueError, match="exactly one of"):
        local_azure.inject(path_contains="/registries/")
    fault = local_azure.inject(method="patch", status=500, times=3)
    assert (fault.method, fault.remaining) == ("PATCH", 3)


@pytest.mark.slow
def test_seeding_thousands_of_registries_stays_linear(local_azure: LocalAzure) -> None:
    """5,000 registries seed and list by name lookups without quadratic scans."""
    for i in range(5000):
        local_azure.add_registry(f"reg{i:05d}", resource_group=f"rg{i % 10}")
    assert local_azure.registry("reg04999")["id"].endswith("/reg04999")
    assert len(local_azure.state.all_resources()) == 5000

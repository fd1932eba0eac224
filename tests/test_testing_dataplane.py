"""The emulator's own data-plane model, rule by rule, on hand-written registry JSON."""

from __future__ import annotations

from typing import Any

import pytest

from acr_trusted.testing import LocalAzure
from acr_trusted.testing._dataplane import (
    TOKEN_EXCHANGE_403,
    UNAUTHORIZED,
    Caller,
    decide,
    firewall_denied,
    granted_actions,
)


def _registry(**props: Any) -> dict[str, Any]:
    return {
        "id": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.ContainerRegistry"
        "/registries/r",
        "properties": props,
    }


PE = [{"properties": {"privateLinkServiceConnectionState": {"status": "Approved"}}}]
OWNER = {"authorized": True}


@pytest.mark.parametrize(
    ("props", "caller", "allowed", "code"),
    [
        pytest.param({}, Caller("client", **OWNER), True, "OK", id="open registry"),
        pytest.param(
            {"publicNetworkAccess": "Disabled"},
            Caller("client", **OWNER),
            False,
            "DENIED",
            id="public disabled, no bypass for a client",
        ),
        pytest.param(
            {
                "publicNetworkAccess": "Disabled",
                "networkRuleSet": {
                    "defaultAction": "Allow",
                    "ipRules": [{"value": "198.51.100.0/24"}],
                },
            },
            Caller("client", **OWNER),
            False,
            "DENIED",
            id="disabled public access ignores IP rules",
        ),
        pytest.param(
            {
                "networkRuleSet": {
                    "defaultAction": "Deny",
                    "ipRules": [{"value": "198.51.100.0/24"}],
                }
            },
            Caller("client", **OWNER),
            True,
            "OK",
            id="IP rule matches",
        ),
        pytest.param(
            {"privateEndpointConnections": PE},
            Caller("client", **OWNER),
            True,
            "OK",
            id="a private endpoint does not close the public endpoint",
        ),
        pytest.param(
            {"publicNetworkAccess": "Disabled"},
            Caller("defender", **OWNER),
            True,
            "OK",
            id="trusted service bypasses by default",
        ),
        pytest.param(
            {"publicNetworkAccess": "Disabled", "networkRuleBypassOptions": "None"},
            Caller("defender", **OWNER),
            False,
            "DENIED",
            id="bypass None",
        ),
        pytest.param(
            {
                "publicNetworkAccess": "Disabled",
                "networkRuleSet": {
                    "defaultAction": "Deny",
                    "virtualNetworkRules": [{"id": "subnet"}],
                },
            },
            Caller("defender", **OWNER),
            False,
            "DENIED",
            id="service endpoint is never bypassed",
        ),
        pytest.param(
            {"publicNetworkAccess": "Disabled"},
            Caller("aci", authorized=True),
            False,
            "DENIED",
            id="aci bypasses only with an identity token",
        ),
        pytest.param(
            {"publicNetworkAccess": "Disabled"},
            Caller("app-service", "UserAssigned", authorized=True),
            False,
            "DENIED",
            id="app service is not trusted",
        ),
        pytest.param(
            {"publicNetworkAccess": "Disabled"},
            Caller("acr-tasks", "SystemAssigned", authorized=True),
            False,
            "TOKEN_EXCHANGE_FORBIDDEN",
            id="tasks switch off: 403",
        ),
        pytest.param(
            {"publicNetworkAccess": "Disabled", "networkRuleBypassAllowedForTasks": True},
            Caller("acr-tasks", "SystemAssigned", authorized=True),
            True,
            "OK",
            id="tasks switch on",
        ),
        pytest.param(
            {
                "publicNetworkAccess": "Disabled",
                "networkRuleBypassAllowedForTasks": True,
                "networkRuleBypassOptions": "None",
            },
            Caller("acr-tasks", "SystemAssigned", authorized=True),
            False,
            "TOKEN_EXCHANGE_FORBIDDEN",
            id="tasks also need AzureServices (the emulator's reading)",
        ),
        pytest.param(
            {"publicNetworkAccess": "Disabled", "networkRuleBypassAllowedForTasks": True},
            Caller("acr-tasks", "UserAssigned", authorized=True),
            False,
            "DENIED",
            id="a task's user-assigned identity never bypasses",
        ),
        pytest.param(
            {"publicNetworkAccess": "Disabled", "privateEndpointConnections": PE},
            Caller("acr-tasks", None, from_vnet=True, authorized=True),
            True,
            "OK",
            id="agent pool through the private endpoint",
        ),
        pytest.param(
            {"publicNetworkAccess": "Disabled"},
            Caller("acr-tasks", None, from_vnet=True, authorized=True),
            False,
            "DENIED",
            id="agent pool without a private path",
        ),
    ],
)
def test_network_and_bypass(
    props: dict[str, Any], caller: Caller, allowed: bool, code: str
) -> None:
    decision = decide(LocalAzure().state, _registry(**props), caller, "pull")
    assert (decision.allowed, decision.code) == (allowed, code), decision.rule
    if code == "DENIED":
        assert decision.message == firewall_denied(caller.address)
    if code == "TOKEN_EXCHANGE_FORBIDDEN":
        assert decision.message == TOKEN_EXCHANGE_403


def test_firewall_text_is_acrs() -> None:
    assert firewall_denied("203.0.113.10") == (
        "denied: client with IP '203.0.113.10' is not allowed access. "
        "Refer https://aka.ms/acr/firewall to grant access."
    )


@pytest.mark.parametrize(
    ("mode", "role", "actions"),
    [
        ("LegacyRegistryPermissions", "AcrPull", {"pull"}),
        ("LegacyRegistryPermissions", "AcrPush", {"pull", "push"}),
        ("AbacRepositoryPermissions", "AcrPush", set()),
        ("AbacRepositoryPermissions", "Container Registry Repository Writer", {"pull", "push"}),
        ("LegacyRegistryPermissions", "Container Registry Repository Reader", set()),
        ("AbacRepositoryPermissions", "Owner", {"import"}),
    ],
)
def test_roles_per_mode(mode: str, role: str, actions: set[str]) -> None:
    az = LocalAzure()
    ref = az.add_registry("contoso", role_assignment_mode=mode)
    principal = az.add_managed_identity("id1")
    az.add_role_assignment(ref, principal, role)
    assert granted_actions(az.state, az.registry(ref), principal) == actions


def test_role_at_resource_group_scope_applies() -> None:
    az = LocalAzure()
    ref = az.add_registry("contoso")
    principal = az.add_managed_identity("id1")
    az.add_role_assignment(
        f"/subscriptions/{az.subscription_id}/resourceGroups/rg", principal, "AcrPull"
    )
    assert "pull" in granted_actions(az.state, az.registry(ref), principal)


def test_authorization_after_network() -> None:
    az = LocalAzure()
    ref = az.add_registry("contoso", public_network_access="Disabled")
    principal = az.add_managed_identity("id1")
    caller = Caller("aci", "UserAssigned", principal)
    denied = decide(az.state, az.registry(ref), caller, "pull")
    assert (denied.stage, denied.message) == ("authorization", UNAUTHORIZED)
    az.add_role_assignment(ref, principal, "AcrPull")
    assert decide(az.state, az.registry(ref), caller, "pull").allowed
    assert not decide(az.state, az.registry(ref), caller, "push").allowed


def test_data_plane_access_helper(local_azure: LocalAzure) -> None:
    ref = local_azure.add_registry("contoso", public_network_access="Disabled")
    assert local_azure.data_plane_access(ref, service="defender").allowed
    assert local_azure.data_plane_access(ref, service="aci").code == "DENIED"

from __future__ import annotations

from typing import Any

import pytest
from azure.core.exceptions import ClientAuthenticationError, HttpResponseError
from azure.mgmt.authorization import AuthorizationManagementClient
from azure.mgmt.containerregistry import ContainerRegistryManagementClient
from azure.mgmt.containerregistry.models import RegistryUpdateParameters

from acr_trusted.ids import RegistryRef
from acr_trusted.testing import LocalAzure

FAST = {"retry_backoff_factor": 0.01, "retry_backoff_max": 0.05}


def acr(az: LocalAzure, **extra: Any) -> ContainerRegistryManagementClient:
    return ContainerRegistryManagementClient(
        az.credential, az.subscription_id, base_url=az.endpoint, **az.client_options, **extra
    )


def authz(az: LocalAzure, **extra: Any) -> AuthorizationManagementClient:
    return AuthorizationManagementClient(
        az.credential, az.subscription_id, base_url=az.endpoint, **az.client_options, **extra
    )


def test_contract_attributes(local_azure: LocalAzure) -> None:
    """The fixed contract: endpoint, credential, subscription, client_options and kwargs."""
    az = local_azure
    assert az.endpoint.startswith("https://127.0.0.1:")
    assert az.client_options == {"connection_verify": az.ca_bundle}
    assert az.kwargs == {
        "credential": az.credential,
        "endpoint": az.endpoint,
        "client_options": az.client_options,
    }


def test_real_client_reads_and_updates_a_seeded_registry(local_azure: LocalAzure) -> None:
    """A registry seeded with add_registry is read and PATCHed through the real SDK over HTTPS."""
    ref = local_azure.add_registry("contoso", public_network_access="Disabled")
    assert ref == RegistryRef(local_azure.subscription_id, "rg", "contoso")
    client = acr(local_azure)
    before = client.registries.get("rg", "contoso")
    assert before.public_network_access == "Disabled"
    assert before.network_rule_bypass_options == "AzureServices"
    poller = client.registries.begin_update(
        "rg", "contoso", RegistryUpdateParameters(network_rule_bypass_allowed_for_tasks=True)
    )
    assert poller.result().network_rule_bypass_allowed_for_tasks is True
    assert local_azure.registry(ref)["properties"]["networkRuleBypassAllowedForTasks"] is True


def test_request_without_token_is_401(local_azure: LocalAzure) -> None:
    """A client whose token the emulator did not issue gets 401 with an ARM error body."""

    class Stranger:
        def get_token(self, *scopes: str, **kwargs: Any) -> Any:
            from azure.core.credentials import AccessToken

            return AccessToken("not-issued-here", 2**31)

    local_azure.add_registry("contoso")
    client = ContainerRegistryManagementClient(
        Stranger(),  # type: ignore[arg-type]
        local_azure.subscription_id,
        base_url=local_azure.endpoint,
        **local_azure.client_options,
    )
    with pytest.raises(ClientAuthenticationError) as info:
        client.registries.get("rg", "contoso")
    assert info.value.error is not None
    assert info.value.error.code == "AuthenticationFailed"


def test_unknown_registry_is_404(local_azure: LocalAzure) -> None:
    """GET of a registry that was never seeded maps to ResourceNotFoundError."""
    local_azure.add_resource_group("rg")
    with pytest.raises(HttpResponseError) as info:
        acr(local_azure).registries.get("rg", "missing1")
    assert info.value.status_code == 404

from __future__ import annotations

from azure.mgmt.containerregistry import ContainerRegistryManagementClient

from acr_trusted.testing import LocalAzure


def test_fixture_yields_a_running_empty_emulator(local_azure: LocalAzure) -> None:
    """The local_azure fixture is started, empty and reachable by a real client."""
    assert isinstance(local_azure, LocalAzure)
    client = local_azure.client(ContainerRegistryManagementClient)
    assert list(client.registries.list()) == []
    assert [r.status for r in local_azure.requests] == [200]


def test_fixture_is_fresh_per_test(local_azure: LocalAzure) -> None:
    """Each test gets its own emulator: nothing recorded from the previous test."""
    assert local_azure.requests == []
    assert local_azure.role_assignments() == []

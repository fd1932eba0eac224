"""importImage in LocalAzure, through the real azure-mgmt-containerregistry poller."""

from __future__ import annotations

import pytest
from azure.mgmt.containerregistry import ContainerRegistryManagementClient
from azure.mgmt.containerregistry.models import ImportImageParameters, ImportSource

from acr_trusted.azure.workflows import import_image
from acr_trusted.errors import OperationFailed, PermissionDenied
from acr_trusted.testing import LocalAzure


def test_import_by_resource_id_records_tags(local_azure: LocalAzure) -> None:
    source = local_azure.add_registry("source1", public_network_access="Disabled")
    target = local_azure.add_registry("target1")
    done = import_image(source, target, "app:v1", **local_azure.kwargs)
    assert done.target_tags == ("app:v1",)
    assert local_azure.imported_images(target) == ["app:v1"]
    polls = [r for r in local_azure.requests if r.is_poll]
    assert polls, "the import is a long-running operation"


@pytest.mark.parametrize("restricted", ["source", "target"])
def test_restricted_registry_without_trusted_services_fails(
    local_azure: LocalAzure, restricted: str
) -> None:
    closed = {"public_network_access": "Disabled", "network_rule_bypass_options": "None"}
    source = local_azure.add_registry("source1", **(closed if restricted == "source" else {}))
    target = local_azure.add_registry("target1", **(closed if restricted == "target" else {}))
    with pytest.raises(OperationFailed, match=r"denied: client with IP '203\.0\.113\.40'"):
        import_image(source, target, "app:v1", **local_azure.kwargs)
    assert local_azure.imported_images(target) == []


def test_source_by_login_server_gets_no_bypass(local_azure: LocalAzure) -> None:
    local_azure.add_registry("source1", public_network_access="Disabled")
    target = local_azure.add_registry("target1")
    client = local_azure.client(ContainerRegistryManagementClient)
    parameters = ImportImageParameters(
        source=ImportSource(registry_uri="source1.azurecr.io", source_image="app:v1")
    )
    poller = client.registries.begin_import_image("rg", target.name, parameters)
    with pytest.raises(Exception, match="denied: client with IP"):
        poller.result()


def test_caller_needs_the_importer_role(local_azure: LocalAzure) -> None:
    source = local_azure.add_registry("source1")
    target = local_azure.add_registry("target1")
    principal = local_azure.add_principal("User")
    local_azure.act_as(principal)
    with pytest.raises(PermissionDenied, match="registries/write"):
        import_image(source, target, "app:v1", **local_azure.kwargs)
    local_azure.add_role_assignment(
        target, principal, "Container Registry Data Importer and Data Reader"
    )
    with pytest.raises(OperationFailed, match="unauthorized"):
        import_image(source, target, "app:v1", **local_azure.kwargs)
    local_azure.add_role_assignment(
        source, principal, "Container Registry Data Importer and Data Reader"
    )
    assert import_image(source, target, "app:v1", **local_azure.kwargs).image == "app:v1"

"""Container groups in LocalAzure: ACI pulls with a user-assigned identity, or InaccessibleImage."""

from __future__ import annotations

from typing import Any

import pytest
from azure.core.exceptions import HttpResponseError

from acr_trusted.azure.clients import Connection
from acr_trusted.azure.consumers import CONTAINER_GROUP_API_VERSION, arm_json
from acr_trusted.testing import LocalAzure


def group_body(
    image: str, identity_id: str | None, *, credential: str | None = None
) -> dict[str, Any]:
    credentials = [{"server": image.split("/")[0], "identity": credential or identity_id}]
    body: dict[str, Any] = {
        "location": "westus",
        "properties": {
            "osType": "Linux",
            "containers": [
                {
                    "name": "app",
                    "properties": {
                        "image": image,
                        "resources": {"requests": {"cpu": 1, "memoryInGB": 1.5}},
                    },
                }
            ],
            "imageRegistryCredentials": credentials if identity_id or credential else [],
        },
    }
    if identity_id:
        body["identity"] = {"type": "UserAssigned", "userAssignedIdentities": {identity_id: {}}}
    return body


def _put(az: LocalAzure, name: str, body: dict[str, Any]) -> dict[str, Any]:
    group_id = (
        f"/subscriptions/{az.subscription_id}/resourceGroups/rg"
        f"/providers/Microsoft.ContainerInstance/containerGroups/{name}"
    )
    return arm_json(
        Connection.resolve(**az.kwargs), "PUT", group_id, CONTAINER_GROUP_API_VERSION, body
    )


@pytest.mark.parametrize(
    ("bypass", "role", "ok"),
    [("AzureServices", True, True), ("None", True, False), ("AzureServices", False, False)],
)
def test_pull_from_restricted_registry(
    local_azure: LocalAzure, bypass: str, role: bool, ok: bool
) -> None:
    ref = local_azure.add_registry(
        "contoso", public_network_access="Disabled", network_rule_bypass_options=bypass
    )
    uami = local_azure.add_user_assigned_identity("puller")
    if role:
        local_azure.add_role_assignment(ref, uami.principal_id, "AcrPull")
    body = group_body("contoso.azurecr.io/app:v1", uami.resource_id)
    if ok:
        group = _put(local_azure, "app", body)
        assert group["properties"]["provisioningState"] == "Succeeded"
        assert group["identity"]["userAssignedIdentities"][uami.resource_id]["principalId"] == (
            uami.principal_id
        )
        return
    with pytest.raises(HttpResponseError) as caught:
        _put(local_azure, "app", body)
    assert caught.value.status_code == 400
    assert caught.value.error is not None
    assert caught.value.error.code == "InaccessibleImage"
    assert caught.value.error.message == (
        "The image 'contoso.azurecr.io/app:v1' in container group 'app' is not accessible. "
        "Please check the image and registry credential."
    )


def test_system_assigned_identity_is_not_used_for_pulls(local_azure: LocalAzure) -> None:
    """ACI does not pull from ACR with a system-assigned identity (current ACI docs)."""
    ref = local_azure.add_registry("contoso")
    body = group_body("contoso.azurecr.io/app:v1", None, credential="[system]")
    body["identity"] = {"type": "SystemAssigned"}
    with pytest.raises(HttpResponseError, match="InaccessibleImage"):
        _put(local_azure, "app", body)
    assert ref.name == "contoso"


def test_public_images_are_not_checked(local_azure: LocalAzure) -> None:
    local_azure.add_resource_group("rg")
    group = _put(local_azure, "web", group_body("nginx", None))
    assert group["name"] == "web"


def test_invalid_name_and_body(local_azure: LocalAzure) -> None:
    local_azure.add_resource_group("rg")
    with pytest.raises(HttpResponseError, match="ContainerGroupNameInvalid"):
        _put(local_azure, "Bad_Name", group_body("nginx", None))
    with pytest.raises(HttpResponseError, match="InvalidRequestContent"):
        _put(local_azure, "web", {"location": "westus", "properties": {"containers": "x"}})

"""Machine Learning workspaces in LocalAzure: identity and default registry, via generic ARM."""

from __future__ import annotations

import pytest
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError

from acr_trusted.azure.clients import Connection
from acr_trusted.azure.consumers import WORKSPACE_API_VERSION, arm_json
from acr_trusted.testing import LocalAzure


def test_put_get_system_assigned(local_azure: LocalAzure) -> None:
    ref = local_azure.add_registry("contoso")
    workspace_id = (
        f"/subscriptions/{local_azure.subscription_id}/resourceGroups/rg"
        "/providers/Microsoft.MachineLearningServices/workspaces/ws1"
    )
    connection = Connection.resolve(**local_azure.kwargs)
    body = {
        "location": "westus",
        "identity": {"type": "SystemAssigned"},
        "properties": {"containerRegistry": ref.id},
    }
    arm_json(connection, "PUT", workspace_id, WORKSPACE_API_VERSION, body)
    got = arm_json(connection, "GET", workspace_id, WORKSPACE_API_VERSION)
    assert got["properties"]["containerRegistry"] == ref.id
    principal = got["identity"]["principalId"]
    assert local_azure.state.principal(principal) is not None


def test_seeded_user_assigned(local_azure: LocalAzure) -> None:
    uami = local_azure.add_user_assigned_identity("ws-id")
    workspace = local_azure.add_workspace("ws2", user_assigned_identity=uami.resource_id)
    assert workspace["identity"]["type"] == "UserAssigned"
    assert workspace["properties"]["primaryUserAssignedIdentity"] == uami.resource_id


def test_missing_workspace_and_unknown_identity(local_azure: LocalAzure) -> None:
    connection = Connection.resolve(**local_azure.kwargs)
    base = f"/subscriptions/{local_azure.subscription_id}/resourceGroups/rg"
    local_azure.add_resource_group("rg")
    with pytest.raises(ResourceNotFoundError):
        arm_json(
            connection,
            "GET",
            f"{base}/providers/Microsoft.MachineLearningServices/workspaces/nope",
            WORKSPACE_API_VERSION,
        )
    with pytest.raises(ValueError, match="InvalidUserAssignedIdentity"):
        local_azure.add_workspace("ws3", user_assigned_identity=f"{base}/providers/x/y/z")
    with pytest.raises(HttpResponseError, match="InvalidIdentityType"):
        arm_json(
            connection,
            "PUT",
            f"{base}/providers/Microsoft.MachineLearningServices/workspaces/w4",
            WORKSPACE_API_VERSION,
            {"location": "westus", "identity": {"type": "Magic"}},
        )

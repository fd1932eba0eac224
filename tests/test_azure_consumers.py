from __future__ import annotations

import pytest
from azure.core.exceptions import HttpResponseError

from acr_trusted.azure.clients import Connection
from acr_trusted.azure.consumers import (
    ConsumerMisconfigured,
    arm_json,
    read_workspace_identity,
    subscription_of,
)
from acr_trusted.catalog import IdentityKind
from acr_trusted.testing import LocalAzure


def test_workspace_identity_prefers_the_primary_user_assigned(local_azure: LocalAzure) -> None:
    uami = local_azure.add_user_assigned_identity("ws-id")
    workspace = local_azure.add_workspace("ws1", user_assigned_identity=uami.resource_id)
    read = read_workspace_identity(Connection.resolve(**local_azure.kwargs), workspace["id"])
    assert (read.principal_id, read.kind) == (uami.principal_id, IdentityKind.USER_ASSIGNED)


def test_workspace_without_identity(local_azure: LocalAzure) -> None:
    workspace = local_azure.add_workspace("ws1")
    local_azure.state.resource(workspace["id"])["identity"] = {"type": "None"}
    with pytest.raises(ConsumerMisconfigured, match="has no managed identity"):
        read_workspace_identity(Connection.resolve(**local_azure.kwargs), workspace["id"])


def test_arm_errors_keep_their_code(local_azure: LocalAzure) -> None:
    local_azure.add_resource_group("rg")
    group = f"/subscriptions/{local_azure.subscription_id}/resourceGroups/rg"
    with pytest.raises(HttpResponseError) as caught:
        arm_json(
            Connection.resolve(**local_azure.kwargs),
            "PUT",
            f"{group}/providers/Microsoft.ContainerInstance/containerGroups/x",
            "2025-09-01",
            {"location": "westus"},
        )
    assert caught.value.error is not None
    assert caught.value.error.code == "InvalidRequestContent"


def test_subscription_of() -> None:
    assert subscription_of("/subscriptions/abc/resourceGroups/rg") == "abc"
    with pytest.raises(ValueError, match="not an ARM resource ID"):
        subscription_of("/tenants/x")

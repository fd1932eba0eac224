"""User-assigned identities in LocalAzure: seeded, and read back over ARM."""

from __future__ import annotations

import pytest
from azure.core.exceptions import ResourceNotFoundError

from acr_trusted.azure.clients import Connection
from acr_trusted.azure.consumers import read_user_assigned_identity
from acr_trusted.testing import LocalAzure


def test_add_and_read(local_azure: LocalAzure) -> None:
    uami = local_azure.add_user_assigned_identity("puller")
    assert uami.resource_id.endswith("/userAssignedIdentities/puller")
    read = read_user_assigned_identity(Connection.resolve(**local_azure.kwargs), uami.resource_id)
    assert (read.principal_id, read.client_id) == (uami.principal_id, uami.client_id)
    assert local_azure.state.principal(uami.principal_id) is not None


def test_missing_identity_is_404(local_azure: LocalAzure) -> None:
    uami = local_azure.add_user_assigned_identity("puller")
    with pytest.raises(ResourceNotFoundError):
        read_user_assigned_identity(
            Connection.resolve(**local_azure.kwargs), uami.resource_id.replace("puller", "other")
        )

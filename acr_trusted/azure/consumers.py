"""Read a registry's consumers: a user-assigned identity, a Machine Learning workspace.

No azure-mgmt package for managed identities, Container Instances or Machine Learning is a
dependency, so these resources are read (and, for runbooks, written) with one generic ARM call,
:func:`arm_json`, sent through an azure-mgmt client's pipeline: the same credential, retries,
endpoint and error types as every other call.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

from attrs import frozen
from azure.core.exceptions import (
    ClientAuthenticationError,
    HttpResponseError,
    ResourceExistsError,
    ResourceNotFoundError,
    map_error,
)
from azure.core.rest import HttpRequest
from azure.mgmt.containerregistry import ContainerRegistryManagementClient
from azure.mgmt.core.exceptions import ARMErrorFormat

from acr_trusted.azure.clients import Connection
from acr_trusted.catalog import IdentityKind
from acr_trusted.errors import AcrTrustedError

IDENTITY_API_VERSION = "2023-01-31"
WORKSPACE_API_VERSION = "2025-09-01"
CONTAINER_GROUP_API_VERSION = "2025-09-01"

_ERRORS = {
    401: ClientAuthenticationError,
    404: ResourceNotFoundError,
    409: ResourceExistsError,
}


class ConsumerMisconfigured(AcrTrustedError):
    """A consumer cannot authenticate to a registry as it is (e.g. it has no managed identity)."""

    def __init__(self, resource_id: str, problem: str) -> None:
        super().__init__(f"{resource_id}: {problem}")
        self.resource_id = resource_id
        self.problem = problem


def subscription_of(resource_id: str) -> str:
    """The subscription segment of an ARM resource ID (``ValueError`` if there is none)."""
    parts = resource_id.strip("/").split("/")
    if len(parts) < 2 or parts[0].lower() != "subscriptions" or not parts[1]:
        raise ValueError(f"not an ARM resource ID: {resource_id!r}")
    return parts[1]


def arm_json(
    connection: Connection,
    method: str,
    resource_id: str,
    api_version: str,
    body: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """One ARM call on ``resource_id``; the JSON answer (``{}`` when empty).

    Raises:
        azure.core.exceptions.ResourceNotFoundError: 404.
        azure.core.exceptions.HttpResponseError: any other error status, with ARM's code.
    """
    client = connection.client(ContainerRegistryManagementClient, subscription_of(resource_id))
    request = HttpRequest(
        method,
        f"{resource_id}?api-version={api_version}",
        json=dict(body) if body is not None else None,
    )
    response = client.send_request(request)
    if response.status_code >= 400:
        map_error(response.status_code, response, _ERRORS)
        raise HttpResponseError(response=response, error_format=ARMErrorFormat)
    if not response.content:
        return {}
    return cast(dict[str, Any], response.json())


@frozen
class UserAssignedIdentity:
    """A user-assigned managed identity, by the three IDs different APIs name it by."""

    resource_id: str
    principal_id: str
    client_id: str


def read_user_assigned_identity(connection: Connection, resource_id: str) -> UserAssignedIdentity:
    found = arm_json(connection, "GET", resource_id, IDENTITY_API_VERSION)
    props = found.get("properties") or {}
    return UserAssignedIdentity(
        found.get("id", resource_id), props["principalId"], props["clientId"]
    )


@frozen
class WorkspaceIdentity:
    """The identity a Machine Learning workspace pulls images with, and its default registry."""

    workspace_id: str
    principal_id: str
    kind: IdentityKind
    container_registry: str | None


def _user_principal(identity: Mapping[str, Any], resource_id: str) -> str | None:
    for key, value in (identity.get("userAssignedIdentities") or {}).items():
        if key.lower() == resource_id.lower() and value and value.get("principalId"):
            return str(value["principalId"])
    return None


def read_workspace_identity(connection: Connection, workspace_id: str) -> WorkspaceIdentity:
    """The workspace's primary user-assigned identity if it names one, else its system one.

    Raises:
        ConsumerMisconfigured: the workspace has no managed identity to pull with.
    """
    found = arm_json(connection, "GET", workspace_id, WORKSPACE_API_VERSION)
    props = found.get("properties") or {}
    identity = found.get("identity") or {}
    registry = props.get("containerRegistry")
    primary = props.get("primaryUserAssignedIdentity")
    if primary:
        principal = _user_principal(identity, primary)
        if principal is None:
            raise ConsumerMisconfigured(
                workspace_id, f"primaryUserAssignedIdentity {primary} is not among its identities"
            )
        return WorkspaceIdentity(workspace_id, principal, IdentityKind.USER_ASSIGNED, registry)
    if identity.get("principalId") and "systemassigned" in str(identity.get("type", "")).lower():
        return WorkspaceIdentity(
            workspace_id, str(identity["principalId"]), IdentityKind.SYSTEM_ASSIGNED, registry
        )
    raise ConsumerMisconfigured(workspace_id, "the workspace has no managed identity")

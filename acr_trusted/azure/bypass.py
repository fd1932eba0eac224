"""``check_bypass``: read what Azure says, then let the pure ``evaluate_bypass`` decide."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from azure.core.credentials import TokenCredential
from azure.mgmt.containerregistry import ContainerRegistryManagementClient

from acr_trusted.access import BypassReport, ConsumerIdentity, Grant, evaluate_bypass
from acr_trusted.azure.clients import Connection, as_registry_ref
from acr_trusted.azure.rbac import principal_grants
from acr_trusted.azure.registry import read_posture
from acr_trusted.catalog import IdentityKind, Permission, TrustedService
from acr_trusted.ids import RegistryRef


def check_bypass(
    registry: RegistryRef | str,
    *,
    service: TrustedService | str,
    principal_id: str | None = None,
    identity_kind: IdentityKind | str | None = None,
    agent_pool: bool = False,
    permission: Permission | str | None = None,
    credential: TokenCredential | None = None,
    endpoint: str | None = None,
    cloud: str | None = None,
    client_options: Mapping[str, Any] | None = None,
) -> BypassReport:
    """Can ``service`` (with this identity) reach the registry through its network rules?

    Reads the registry (one GET) and, when ``principal_id`` is given, the role assignments ARM
    lists for the registry's scope and that principal (one list); writes nothing.

    Args:
        registry: the registry, or its resource ID.
        service: a ``TrustedService`` or ``"aci"``, ``"defender"``, ``"ml"``, ``"acr-import"``,
            ``"acr-tasks"``, ``"app-service"``.
        principal_id: object ID of the identity the service uses; enables the role check.
        identity_kind: ``SystemAssigned`` or ``UserAssigned``, when known.
        agent_pool: an ACR task that runs on an agent pool in the registry's VNet.
        permission: ``pull`` (default), ``push`` (a task that pushes) or ``import``.
        credential, endpoint, cloud, client_options: see ``get_posture``.

    Returns:
        The verdict, reasons with the evidence read, and fixes.

    Raises:
        ValueError: unknown service, identity kind or permission (before any request).
        RegistryNotFound: no such registry.
        PermissionDenied: the caller lacks ``Microsoft.ContainerRegistry/registries/read`` or
            ``Microsoft.Authorization/roleAssignments/read``.
        azure.core.exceptions.HttpResponseError: any other ARM failure.
    """
    svc = TrustedService.parse(service)
    kind = IdentityKind(identity_kind) if identity_kind is not None else None
    wanted = Permission(permission) if permission is not None else None
    ref = as_registry_ref(registry)
    connection = Connection.resolve(
        credential=credential, endpoint=endpoint, cloud=cloud, client_options=client_options
    )
    posture = read_posture(
        connection.client(ContainerRegistryManagementClient, ref.subscription_id), ref
    )
    grants: tuple[Grant, ...] | None = None
    identity: ConsumerIdentity | None = None
    if principal_id is not None:
        grants = principal_grants(connection, ref, principal_id)
        identity = ConsumerIdentity(kind, principal_id)
    elif kind is not None:
        identity = ConsumerIdentity(kind)
    return evaluate_bypass(
        posture,
        svc,
        grants,
        identity=identity,
        agent_pool=agent_pool,
        permission=wanted,
        registry=ref,
    )

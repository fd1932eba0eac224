"""Read a registry's network posture; turn the trusted-services bypass on or off.

Changes follow one pattern: read, compare, and write only what differs, in one PATCH whose body
holds only the changed properties (never a PUT, which would reset everything else). When nothing
differs the call costs exactly one GET. A write whose connection drops before a response is
retried by re-reading first, so the result converges on the requested state and ``changed``
still reports what this call did.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

from attrs import frozen
from azure.core.credentials import TokenCredential
from azure.core.exceptions import HttpResponseError, ServiceRequestError, ServiceResponseError
from azure.core.polling.base_polling import BadStatus
from azure.core.polling.base_polling import OperationFailed as LroFailed
from azure.mgmt.authorization import AuthorizationManagementClient
from azure.mgmt.containerregistry import ContainerRegistryManagementClient
from azure.mgmt.containerregistry.models import Registry, RegistryUpdateParameters

from acr_trusted.azure.arm_errors import (
    READ_REGISTRY,
    READ_ROLE_ASSIGNMENTS,
    WRITE_REGISTRY,
    arm_call,
    error_code,
)
from acr_trusted.azure.clients import Connection, as_registry_ref
from acr_trusted.catalog import Permission, find_role
from acr_trusted.errors import OperationFailed
from acr_trusted.ids import RegistryRef
from acr_trusted.posture import NetworkPosture
from acr_trusted.records import evolve

logger = logging.getLogger(__name__)

_WRITE_ATTEMPTS = 3
_DATA_PLANE = (Permission.PULL, Permission.PUSH, Permission.DELETE, Permission.IMPORT)


@frozen
class AtRisk:
    """A service principal or managed identity that reaches the registry through the bypass."""

    principal_id: str
    role_name: str
    scope: str


@frozen
class ChangeResult:
    """What a change did: the posture before and after, and who may lose access.

    With ``dry_run=True`` nothing is written: ``after`` is the posture the change would produce
    and ``changed`` says whether a write would be made.
    """

    before: NetworkPosture
    after: NetworkPosture
    changed: bool
    at_risk: tuple[AtRisk, ...] = ()


def posture_from_registry(registry: Registry) -> NetworkPosture:
    return NetworkPosture.from_arm(registry.as_dict())


def read_posture(client: ContainerRegistryManagementClient, ref: RegistryRef) -> NetworkPosture:
    """One GET of the registry, as a posture (for the other modules of this package)."""
    with arm_call(READ_REGISTRY, ref.id):
        return posture_from_registry(client.registries.get(ref.resource_group, ref.name))


def get_posture(
    registry: RegistryRef | str,
    *,
    credential: TokenCredential | None = None,
    endpoint: str | None = None,
    cloud: str | None = None,
    client_options: Mapping[str, Any] | None = None,
) -> NetworkPosture:
    """Read the registry's network posture with one GET.

    Args:
        registry: the registry, or its resource ID.
        credential: defaults to ``DefaultAzureCredential()``.
        endpoint: the ARM base URL; defaults to the cloud's.
        cloud: ``AzureCloud`` (default), ``AzureChinaCloud`` or ``AzureUSGovernment``.
        client_options: keyword arguments for every SDK client (``connection_verify``, ...).

    Raises:
        RegistryNotFound: no such registry (or no access to see it).
        PermissionDenied: the caller lacks ``Microsoft.ContainerRegistry/registries/read``.
        azure.core.exceptions.HttpResponseError: any other ARM failure.
    """
    ref = as_registry_ref(registry)
    connection = Connection.resolve(
        credential=credential, endpoint=endpoint, cloud=cloud, client_options=client_options
    )
    return read_posture(
        connection.client(ContainerRegistryManagementClient, ref.subscription_id), ref
    )


# The switches this module writes: a NetworkPosture field (which is also the
# RegistryUpdateParameters keyword) -> its effective value, documented defaults applied.
_SWITCHES: Mapping[str, Callable[[NetworkPosture], object]] = {
    "network_rule_bypass_options": lambda p: p.effective_bypass_options,
    "network_rule_bypass_allowed_for_tasks": lambda p: p.tasks_bypass_allowed,
}


def _differences(posture: NetworkPosture, desired: Mapping[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in desired.items() if _SWITCHES[name](posture) != value}


def patch_registry(
    client: ContainerRegistryManagementClient, ref: RegistryRef, changes: Mapping[str, Any]
) -> NetworkPosture:
    """One PATCH with only ``changes``, waiting for the long-running operation."""
    with arm_call(WRITE_REGISTRY, ref.id):
        poller = client.registries.begin_update(
            ref.resource_group, ref.name, RegistryUpdateParameters(**changes)
        )
    try:
        with arm_call(WRITE_REGISTRY, ref.id):
            return posture_from_registry(poller.result())
    except HttpResponseError as exc:
        if isinstance(exc.__cause__, (LroFailed, BadStatus)):
            detail = error_code(exc) or exc.reason or "the operation ended Failed"
            logger.warning("update of %s ended Failed (%s)", ref.id, detail)
            raise OperationFailed("update", ref.id, detail) from exc
        raise


def _at_risk(
    connection: Connection, ref: RegistryRef, before: NetworkPosture
) -> tuple[AtRisk, ...]:
    """Service principals with a data-plane role at or above the registry's scope."""
    client = connection.client(AuthorizationManagementClient, ref.subscription_id)
    mode = before.effective_role_assignment_mode
    found: list[AtRisk] = []
    with arm_call(READ_ROLE_ASSIGNMENTS, ref.id):
        for assignment in client.role_assignments.list_for_scope(ref.id, filter="atScope()"):
            role = find_role(assignment.role_definition_id or "")
            if (
                assignment.principal_type == "ServicePrincipal"
                and role is not None
                and any(role.grants(p, mode) for p in _DATA_PLANE)
            ):
                found.append(
                    AtRisk(assignment.principal_id or "", role.name, assignment.scope or "")
                )
    return tuple(sorted(found, key=lambda r: (r.principal_id, r.role_name, r.scope)))


def _converge(
    registry: RegistryRef | str,
    desired: Mapping[str, Any],
    *,
    assess_risk: bool,
    dry_run: bool,
    connection: Connection,
) -> ChangeResult:
    ref = as_registry_ref(registry)
    client = connection.client(ContainerRegistryManagementClient, ref.subscription_id)
    before = current = read_posture(client, ref)
    changes = _differences(before, desired)
    if not changes:
        logger.info("%s already has %s; nothing to change", ref.id, dict(desired))
        return ChangeResult(before, before, changed=False)
    risk = _at_risk(connection, ref, before) if assess_risk else ()
    if dry_run:
        return ChangeResult(before, evolve(before, **changes), changed=True, at_risk=risk)
    for attempt in range(1, _WRITE_ATTEMPTS + 1):
        logger.info("updating %s: %s", ref.id, changes)
        try:
            current = patch_registry(client, ref, changes)
            break
        except (ServiceRequestError, ServiceResponseError) as exc:
            if attempt == _WRITE_ATTEMPTS:
                raise
            logger.warning("update of %s lost its connection (%s); re-reading", ref.id, exc)
            current = read_posture(client, ref)
            changes = _differences(current, desired)
            if not changes:
                break
    return ChangeResult(before, current, changed=before != current, at_risk=risk)


def _switches(*, bypass: str, tasks: bool, include_tasks: bool) -> dict[str, Any]:
    desired: dict[str, Any] = {"network_rule_bypass_options": bypass}
    if include_tasks:
        desired["network_rule_bypass_allowed_for_tasks"] = tasks
    return desired


def enable_trusted_access(
    registry: RegistryRef | str,
    *,
    include_tasks: bool = False,
    dry_run: bool = False,
    credential: TokenCredential | None = None,
    endpoint: str | None = None,
    cloud: str | None = None,
    client_options: Mapping[str, Any] | None = None,
) -> ChangeResult:
    """Let trusted Azure services (and, with ``include_tasks``, ACR Tasks) bypass the rules.

    Sets ``networkRuleBypassOptions: AzureServices`` and, with ``include_tasks``,
    ``networkRuleBypassAllowedForTasks: true``. Idempotent: one GET when nothing differs,
    otherwise one PATCH with only the changed properties.

    Args:
        registry: the registry, or its resource ID.
        include_tasks: also let ACR Tasks' system-assigned identities bypass the rules.
        dry_run: read and compare only; report what would change.
        credential, endpoint, cloud, client_options: see ``get_posture``.

    Returns:
        The posture before and after, and whether anything changed.

    Raises:
        RegistryNotFound: no such registry.
        PermissionDenied: the caller lacks ``Microsoft.ContainerRegistry/registries/write``.
        OperationFailed: ARM accepted the update but the operation ended Failed.
        azure.core.exceptions.HttpResponseError: any other ARM failure.
    """
    return _converge(
        registry,
        _switches(bypass="AzureServices", tasks=True, include_tasks=include_tasks),
        assess_risk=False,
        dry_run=dry_run,
        connection=Connection.resolve(
            credential=credential, endpoint=endpoint, cloud=cloud, client_options=client_options
        ),
    )


def disable_trusted_access(
    registry: RegistryRef | str,
    *,
    include_tasks: bool = False,
    dry_run: bool = False,
    credential: TokenCredential | None = None,
    endpoint: str | None = None,
    cloud: str | None = None,
    client_options: Mapping[str, Any] | None = None,
) -> ChangeResult:
    """Stop trusted services (and, with ``include_tasks``, ACR Tasks) bypassing the rules.

    Before writing, lists the role assignments at or above the registry's scope held by service
    principals (managed identities included) with a data-plane role: those consumers may have
    reached the registry through the bypass (``ChangeResult.at_risk``). Use ``dry_run=True`` to
    see them before anything changes.

    Args:
        registry: the registry, or its resource ID.
        include_tasks: also set ``networkRuleBypassAllowedForTasks: false``.
        dry_run: read and compare only; report what would change and who is at risk.
        credential, endpoint, cloud, client_options: see ``get_posture``.

    Raises:
        RegistryNotFound: no such registry.
        PermissionDenied: the caller lacks ``Microsoft.ContainerRegistry/registries/write`` or
            ``Microsoft.Authorization/roleAssignments/read``.
        OperationFailed: ARM accepted the update but the operation ended Failed.
        azure.core.exceptions.HttpResponseError: any other ARM failure.
    """
    return _converge(
        registry,
        _switches(bypass="None", tasks=False, include_tasks=include_tasks),
        assess_risk=True,
        dry_run=dry_run,
        connection=Connection.resolve(
            credential=credential, endpoint=endpoint, cloud=cloud, client_options=client_options
        ),
    )

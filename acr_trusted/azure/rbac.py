"""Role assignments on a registry: grant pull or push the way the registry honours, and revoke.

A grant reads the registry's ``roleAssignmentMode`` first, because an ABAC-mode registry ignores
AcrPull/AcrPush: it gets "Container Registry Repository Reader/Writer" instead. Assignments are
made at registry scope under a deterministic name (``assignment_name``), so re-running finds the
existing one with a GET and writes nothing, and ``revoke_access`` can remove exactly what this
package made. ``principalType`` is always sent: the Python SDK's default, ``User``, is wrong for
managed identities and makes a freshly created identity fail with ``PrincipalNotFound`` while
Entra ID replicates it; that error is retried with capped exponential backoff.
"""

from __future__ import annotations

import logging
import random
import time
import uuid
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from attrs import frozen
from azure.core.credentials import TokenCredential
from azure.core.exceptions import HttpResponseError, ResourceExistsError, ResourceNotFoundError
from azure.mgmt.authorization import AuthorizationManagementClient
from azure.mgmt.authorization.v2022_04_01.models import (
    RoleAssignment,
    RoleAssignmentCreateParameters,
)
from azure.mgmt.containerregistry import ContainerRegistryManagementClient

from acr_trusted.access import Grant
from acr_trusted.azure.arm_errors import (
    DELETE_ROLE_ASSIGNMENTS,
    READ_ROLE_ASSIGNMENTS,
    WRITE_ROLE_ASSIGNMENTS,
    arm_call,
    error_code,
)
from acr_trusted.azure.clients import Connection, as_registry_ref
from acr_trusted.azure.registry import read_posture
from acr_trusted.catalog import Permission, RoleAssignmentMode, RoleDefinition, role_for
from acr_trusted.errors import PrincipalNotFound
from acr_trusted.ids import RegistryRef

logger = logging.getLogger(__name__)

ASSIGNMENT_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://github.com/acr-trusted/acr-trusted")
"""The uuid5 namespace of acr-trusted's role-assignment names (fixed forever)."""

GRANTABLE_ROLES: tuple[RoleDefinition, ...] = tuple(
    dict.fromkeys(
        role_for(permission, mode)
        for permission in (Permission.PULL, Permission.PUSH)
        for mode in RoleAssignmentMode
    )
)
"""Every role ``grant_pull`` / ``grant_push`` may assign (what ``revoke_access`` removes)."""


def assignment_name(scope: str, principal_id: str, role_guid: str) -> str:
    """The deterministic role-assignment name for (scope, principal, role)."""
    key = f"{scope.lower()}|{principal_id.lower()}|{role_guid.lower()}"
    return str(uuid.uuid5(ASSIGNMENT_NAMESPACE, key))


@frozen
class RoleGrant:
    """A role assignment this package made, found, or removed."""

    role_name: str
    role_definition_id: str
    assignment_id: str
    scope: str
    created: bool


@frozen
class Backoff:
    """Capped exponential backoff whose delays add up to at most a budget of seconds."""

    initial: float = 1.0
    cap: float = 16.0
    jitter: bool = True
    shortest: float = 0.01

    def delays(self, budget: float) -> Iterator[float]:
        spent, step = 0.0, self.initial
        while budget - spent >= self.shortest:
            delay = min(step, self.cap, budget - spent)
            if self.jitter:
                delay *= random.uniform(0.5, 1.0)
            yield delay
            spent += delay
            step *= 2


PRINCIPAL_BACKOFF = Backoff()
"""How ``PrincipalNotFound`` is retried; tests swap in one without jitter."""


def _existing_under_other_name(
    client: AuthorizationManagementClient, ref: RegistryRef, principal_id: str, role: RoleDefinition
) -> RoleAssignment | None:
    """The assignment ARM's 409 ``RoleAssignmentExists`` refers to."""
    with arm_call(READ_ROLE_ASSIGNMENTS, ref.id):
        assignments: Iterable[RoleAssignment] = client.role_assignments.list_for_scope(
            ref.id, filter=f"principalId eq '{principal_id}'"
        )
        for assignment in assignments:
            same_scope = (assignment.scope or "").lower() == ref.id.lower()
            same_role = (assignment.role_definition_id or "").lower().endswith(role.guid)
            if same_scope and same_role:
                return assignment
    return None


def grant_role(
    registry: RegistryRef | str,
    principal_id: str,
    permission: Permission,
    *,
    principal_type: str,
    principal_wait: float,
    connection: Connection,
) -> RoleGrant:
    """Give ``principal_id`` the role that grants ``permission`` in the registry's role mode,
    unless it already holds it: :func:`grant_pull`, :func:`grant_push` and the workflows
    (``acr_trusted.azure.workflows``), which pass their own connection."""
    ref = as_registry_ref(registry)
    posture = read_posture(
        connection.client(ContainerRegistryManagementClient, ref.subscription_id), ref
    )
    role = role_for(permission, posture.effective_role_assignment_mode)
    client = connection.client(AuthorizationManagementClient, ref.subscription_id)
    name = assignment_name(ref.id, principal_id, role.guid)
    definition_id = role.definition_id(ref.subscription_id)

    def result(assignment: RoleAssignment, *, created: bool) -> RoleGrant:
        return RoleGrant(role.name, definition_id, assignment.id or "", ref.id, created)

    with arm_call(READ_ROLE_ASSIGNMENTS, ref.id):
        try:
            existing: RoleAssignment | None = client.role_assignments.get(ref.id, name)
        except ResourceNotFoundError:  # the usual case; must not reach arm_call
            existing = None
    if existing is not None:
        logger.info("%s already holds %s on %s", principal_id, role.name, ref.id)
        return result(existing, created=False)

    parameters = RoleAssignmentCreateParameters(
        role_definition_id=definition_id, principal_id=principal_id, principal_type=principal_type
    )
    waited = 0.0
    delays = PRINCIPAL_BACKOFF.delays(principal_wait)
    while True:
        try:
            with arm_call(WRITE_ROLE_ASSIGNMENTS, ref.id):
                created = client.role_assignments.create(ref.id, name, parameters)
            logger.info("assigned %s to %s on %s", role.name, principal_id, ref.id)
            return result(created, created=True)
        except ResourceExistsError as exc:
            other = _existing_under_other_name(client, ref, principal_id, role)
            if error_code(exc) != "RoleAssignmentExists" or other is None:
                raise
            logger.info(
                "%s already holds %s on %s as %s", principal_id, role.name, ref.id, other.id
            )
            return result(other, created=False)
        except HttpResponseError as exc:
            if error_code(exc) != "PrincipalNotFound":
                raise
            delay = next(delays, None)
            if delay is None:
                logger.warning("principal %s still not found after %.1fs", principal_id, waited)
                raise PrincipalNotFound(principal_id, waited) from exc
            logger.info("principal %s not found yet; retrying in %.2fs", principal_id, delay)
            time.sleep(delay)
            waited += delay


def grant_pull(
    registry: RegistryRef | str,
    principal_id: str,
    *,
    principal_type: str = "ServicePrincipal",
    principal_wait: float = 60,
    credential: TokenCredential | None = None,
    endpoint: str | None = None,
    cloud: str | None = None,
    client_options: Mapping[str, Any] | None = None,
) -> RoleGrant:
    """Let a principal pull from the registry, with the role its role-assignment mode honours.

    AcrPull in ``LegacyRegistryPermissions`` mode, "Container Registry Repository Reader" in
    ``AbacRepositoryPermissions`` mode, assigned at registry scope. Idempotent: when the
    assignment exists (under acr-trusted's name or, per ARM's 409 ``RoleAssignmentExists``,
    under another) nothing is written and ``created`` is ``False``.

    Args:
        registry: the registry, or its resource ID.
        principal_id: the object (principal) ID of the identity, not its client ID.
        principal_type: ``ServicePrincipal`` (managed identities too), ``User`` or ``Group``.
        principal_wait: seconds to keep retrying ``PrincipalNotFound`` for a new identity.
        credential, endpoint, cloud, client_options: see ``get_posture``.

    Raises:
        RegistryNotFound: no such registry.
        PermissionDenied: the caller lacks ``Microsoft.Authorization/roleAssignments/write``
            (or ``.../read``, or ``Microsoft.ContainerRegistry/registries/read``).
        PrincipalNotFound: the principal was still unknown after ``principal_wait`` seconds.
        azure.core.exceptions.HttpResponseError: any other ARM failure.
    """
    return grant_role(
        registry,
        principal_id,
        Permission.PULL,
        principal_type=principal_type,
        principal_wait=principal_wait,
        connection=Connection.resolve(
            credential=credential, endpoint=endpoint, cloud=cloud, client_options=client_options
        ),
    )


def grant_push(
    registry: RegistryRef | str,
    principal_id: str,
    *,
    principal_type: str = "ServicePrincipal",
    principal_wait: float = 60,
    credential: TokenCredential | None = None,
    endpoint: str | None = None,
    cloud: str | None = None,
    client_options: Mapping[str, Any] | None = None,
) -> RoleGrant:
    """Let a principal push (and pull): AcrPush, or Repository Writer in ABAC mode.

    Same behaviour, arguments and errors as ``grant_pull``.
    """
    return grant_role(
        registry,
        principal_id,
        Permission.PUSH,
        principal_type=principal_type,
        principal_wait=principal_wait,
        connection=Connection.resolve(
            credential=credential, endpoint=endpoint, cloud=cloud, client_options=client_options
        ),
    )


def revoke_access(
    registry: RegistryRef | str,
    principal_id: str,
    *,
    credential: TokenCredential | None = None,
    endpoint: str | None = None,
    cloud: str | None = None,
    client_options: Mapping[str, Any] | None = None,
) -> tuple[RoleGrant, ...]:
    """Remove the assignments ``grant_pull`` / ``grant_push`` made for this principal.

    Deletes by acr-trusted's deterministic names, one DELETE per role it may grant; assignments
    made by anything else are left alone.

    Returns:
        The assignments removed (``created`` is ``False``); empty when there were none.

    Raises:
        PermissionDenied: the caller lacks ``Microsoft.Authorization/roleAssignments/delete``.
        azure.core.exceptions.HttpResponseError: any other ARM failure.
    """
    ref = as_registry_ref(registry)
    connection = Connection.resolve(
        credential=credential, endpoint=endpoint, cloud=cloud, client_options=client_options
    )
    client = connection.client(AuthorizationManagementClient, ref.subscription_id)
    removed: list[RoleGrant] = []
    for role in GRANTABLE_ROLES:
        with arm_call(DELETE_ROLE_ASSIGNMENTS, ref.id):
            deleted = client.role_assignments.delete(
                ref.id, assignment_name(ref.id, principal_id, role.guid)
            )
        if deleted is not None:
            logger.info("removed %s from %s on %s", role.name, principal_id, ref.id)
            removed.append(
                RoleGrant(
                    role.name,
                    role.definition_id(ref.subscription_id),
                    deleted.id or "",
                    ref.id,
                    created=False,
                )
            )
    return tuple(removed)


def principal_grants(
    connection: Connection, ref: RegistryRef, principal_id: str
) -> tuple[Grant, ...]:
    """The principal's role assignments that ARM lists for the registry's scope."""
    client = connection.client(AuthorizationManagementClient, ref.subscription_id)
    with arm_call(READ_ROLE_ASSIGNMENTS, ref.id):
        return tuple(
            Grant(a.role_definition_id or "", a.scope or "", a.principal_id or "")
            for a in client.role_assignments.list_for_scope(
                ref.id, filter=f"principalId eq '{principal_id}'"
            )
        )

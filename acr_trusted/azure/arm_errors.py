"""Turn azure-core errors into ``acr_trusted.errors``, naming the Azure action that failed.

Each ARM call acr-trusted makes is wrapped in ``arm_call(action, resource_id)``. A 404 becomes
``RegistryNotFound`` (every call here is on a registry or at its scope), a 403 becomes
``PermissionDenied`` naming the action and built-in roles that carry it; anything else
propagates unchanged so that callers still see azure-core's own types. The original error is
always chained.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from attrs import frozen
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError

from acr_trusted.errors import PermissionDenied, RegistryNotFound


@frozen
class Action:
    """An Azure RBAC action and built-in roles that carry it, least privileged first."""

    name: str
    roles: tuple[str, ...]


READ_REGISTRY = Action("Microsoft.ContainerRegistry/registries/read", ("Reader",))
WRITE_REGISTRY = Action(
    "Microsoft.ContainerRegistry/registries/write",
    (
        "Container Registry Contributor and Data Access Configuration Administrator",
        "Contributor",
    ),
)
READ_ROLE_ASSIGNMENTS = Action("Microsoft.Authorization/roleAssignments/read", ("Reader",))
WRITE_ROLE_ASSIGNMENTS = Action(
    "Microsoft.Authorization/roleAssignments/write",
    ("Role Based Access Control Administrator", "Owner"),
)
DELETE_ROLE_ASSIGNMENTS = Action(
    "Microsoft.Authorization/roleAssignments/delete",
    ("Role Based Access Control Administrator", "Owner"),
)

ACTIONS = (
    READ_REGISTRY,
    WRITE_REGISTRY,
    READ_ROLE_ASSIGNMENTS,
    WRITE_ROLE_ASSIGNMENTS,
    DELETE_ROLE_ASSIGNMENTS,
)


def error_code(exc: HttpResponseError) -> str | None:
    """The ARM ``error.code`` of a response error, if it carried one."""
    return exc.error.code if exc.error is not None else None


@contextmanager
def arm_call(action: Action, registry_id: str) -> Iterator[None]:
    """Translate the errors of one ARM call about ``registry_id``."""
    try:
        yield
    except ResourceNotFoundError as exc:
        raise RegistryNotFound(registry_id) from exc
    except HttpResponseError as exc:
        if exc.status_code == 403:
            raise PermissionDenied(action.name, registry_id, action.roles) from exc
        raise

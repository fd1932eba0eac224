from __future__ import annotations

import pytest
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError

from acr_trusted.azure.arm_errors import (
    ACTIONS,
    READ_REGISTRY,
    WRITE_ROLE_ASSIGNMENTS,
    Action,
    arm_call,
    error_code,
)
from acr_trusted.catalog import find_role
from acr_trusted.errors import PermissionDenied, RegistryNotFound

RID = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.ContainerRegistry/registries/r"


def _http_error(status: int) -> HttpResponseError:
    error = HttpResponseError(message="boom")
    error.status_code = status
    return error


def test_not_found_becomes_registry_not_found() -> None:
    """A 404 names the registry and keeps the azure-core error as its cause."""
    original = ResourceNotFoundError("gone")
    with pytest.raises(RegistryNotFound) as caught, arm_call(READ_REGISTRY, RID):
        raise original
    assert caught.value.registry_id == RID
    assert caught.value.__cause__ is original


def test_forbidden_becomes_permission_denied() -> None:
    with pytest.raises(PermissionDenied) as caught, arm_call(WRITE_ROLE_ASSIGNMENTS, RID):
        raise _http_error(403)
    assert caught.value.action == "Microsoft.Authorization/roleAssignments/write"
    assert caught.value.scope == RID


def test_other_errors_pass_through() -> None:
    """A 500 is not ours to interpret: it propagates as azure-core raised it."""
    original = _http_error(500)
    with pytest.raises(HttpResponseError) as caught, arm_call(READ_REGISTRY, RID):
        raise original
    assert caught.value is original


def test_error_code_absent() -> None:
    assert error_code(_http_error(500)) is None


@pytest.mark.parametrize("action", ACTIONS, ids=lambda a: a.name)
def test_suggested_roles_are_real_built_in_roles(action: Action) -> None:
    """Every role a PermissionDenied suggests is in the catalog or a known admin role."""
    admin = {
        "Role Based Access Control Administrator",
        "Container Registry Contributor and Data Access Configuration Administrator",
    }
    for name in action.roles:
        assert find_role(name) is not None or name in admin

from __future__ import annotations

import pytest

from acr_trusted import errors


def test_hierarchy() -> None:
    """Every error can be caught as AcrTrustedError."""
    for cls in (
        errors.RegistryNotFound,
        errors.PermissionDenied,
        errors.PrincipalNotFound,
        errors.OperationFailed,
    ):
        assert issubclass(cls, errors.AcrTrustedError)


@pytest.mark.parametrize(
    ("error", "message"),
    [
        pytest.param(
            errors.RegistryNotFound("/subscriptions/s/resourceGroups/rg/providers/x/registries/r"),
            "registry not found: /subscriptions/s/resourceGroups/rg/providers/x/registries/r",
            id="not-found",
        ),
        pytest.param(
            errors.PermissionDenied(
                "Microsoft.Authorization/roleAssignments/write",
                "/subscriptions/s",
                ("Role Based Access Control Administrator", "Owner"),
            ),
            "permission denied: Microsoft.Authorization/roleAssignments/write on /subscriptions/s; "
            "assign the caller a role that carries it, e.g. "
            "'Role Based Access Control Administrator' or 'Owner'",
            id="denied",
        ),
        pytest.param(
            errors.OperationFailed("update", "/r", "ProvisioningFailed"),
            "update failed on /r: ProvisioningFailed",
            id="lro",
        ),
    ],
)
def test_messages_name_the_resource(error: errors.AcrTrustedError, message: str) -> None:
    """Messages name the resource and, for denials, the action and a role that carries it."""
    assert str(error) == message


def test_principal_not_found_keeps_fields() -> None:
    """Callers can read which principal was missing and how long we waited."""
    error = errors.PrincipalNotFound("abc", 1.5)
    assert (error.principal_id, error.waited) == ("abc", 1.5)
    assert "retried for 1.5s" in str(error)

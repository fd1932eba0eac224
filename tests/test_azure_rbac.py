from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest

from acr_trusted.azure import rbac
from acr_trusted.azure.rbac import (
    GRANTABLE_ROLES,
    Backoff,
    RoleGrant,
    assignment_name,
    grant_pull,
    grant_push,
    revoke_access,
)
from acr_trusted.errors import PermissionDenied, PrincipalNotFound
from acr_trusted.ids import RegistryRef
from acr_trusted.testing import LocalAzure


@pytest.fixture(autouse=True)
def _no_jitter(monkeypatch: pytest.MonkeyPatch) -> None:
    """Deterministic, short PrincipalNotFound backoff: 0.01, 0.02, 0.04, ..."""
    monkeypatch.setattr(rbac, "PRINCIPAL_BACKOFF", Backoff(initial=0.01, cap=0.04, jitter=False))


@pytest.fixture
def registry(local_azure: LocalAzure) -> RegistryRef:
    return local_azure.add_registry("contoso", public_network_access="Disabled")


@pytest.fixture
def identity(local_azure: LocalAzure) -> str:
    return local_azure.add_managed_identity("aci-puller")


def _role_puts(az: LocalAzure) -> int:
    return sum(1 for r in az.requests if r.method == "PUT" and "roleAssignments" in r.path)


@pytest.mark.parametrize(
    ("mode", "grant", "role_name"),
    [
        pytest.param("LegacyRegistryPermissions", grant_pull, "AcrPull", id="legacy-pull"),
        pytest.param("LegacyRegistryPermissions", grant_push, "AcrPush", id="legacy-push"),
        pytest.param(
            "AbacRepositoryPermissions",
            grant_pull,
            "Container Registry Repository Reader",
            id="abac-pull",
        ),
        pytest.param(
            "AbacRepositoryPermissions",
            grant_push,
            "Container Registry Repository Writer",
            id="abac-push",
        ),
    ],
)
def test_role_follows_role_assignment_mode(
    local_azure: LocalAzure,
    identity: str,
    mode: str,
    grant: Callable[..., RoleGrant],
    role_name: str,
) -> None:
    """An ABAC registry gets a Repository role; a legacy one AcrPull/AcrPush."""
    ref = local_azure.add_registry("modal", role_assignment_mode=mode)
    result = grant(ref, identity, **local_azure.kwargs)
    assert result.role_name == role_name
    assert result.created
    (stored,) = local_azure.role_assignments(ref)
    assert stored["properties"]["roleDefinitionId"] == result.role_definition_id
    assert stored["properties"]["principalType"] == "ServicePrincipal"
    assert stored["name"] == assignment_name(ref.id, identity, result.role_definition_id[-36:])


def test_first_grant_is_get_get_put(
    local_azure: LocalAzure, registry: RegistryRef, identity: str
) -> None:
    """Read the mode, look for our assignment, create it: three requests, principalType sent."""
    grant_pull(registry, identity, **local_azure.kwargs)
    assert [r.method for r in local_azure.requests] == ["GET", "GET", "PUT"]
    put = local_azure.requests[-1]
    assert put.body["properties"]["principalType"] == "ServicePrincipal"
    assert put.api_version == "2022-04-01"


def test_regrant_writes_nothing(
    local_azure: LocalAzure, registry: RegistryRef, identity: str
) -> None:
    """Re-running grant_pull finds the assignment by its deterministic name: two GETs, no PUT."""
    first = grant_pull(registry, identity, **local_azure.kwargs)
    local_azure.clear_requests()
    again = grant_pull(registry, identity, **local_azure.kwargs)
    assert (again.created, again.assignment_id) == (False, first.assignment_id)
    assert [r.method for r in local_azure.requests] == ["GET", "GET"]
    assert len(local_azure.role_assignments(registry)) == 1


def test_existing_assignment_under_another_name(
    local_azure: LocalAzure, registry: RegistryRef, identity: str
) -> None:
    """ARM's 409 RoleAssignmentExists is success: the existing assignment is returned."""
    other = local_azure.add_role_assignment(
        registry, identity, "AcrPull", principal_type="ServicePrincipal", name=str(uuid.uuid4())
    )
    result = grant_pull(registry, identity, **local_azure.kwargs)
    assert not result.created
    assert result.assignment_id == other["id"]
    assert len(local_azure.role_assignments(registry)) == 1
    assert _role_puts(local_azure) == 1


def test_principal_not_found_is_retried(
    local_azure: LocalAzure, registry: RegistryRef, identity: str
) -> None:
    """Replication delay: PrincipalNotFound twice, then the assignment is created."""
    local_azure.inject(
        method="PUT",
        path_contains="/roleAssignments/",
        status=400,
        times=2,
        code="PrincipalNotFound",
    )
    result = grant_pull(registry, identity, principal_wait=1, **local_azure.kwargs)
    assert result.created
    assert _role_puts(local_azure) == 3


def test_principal_not_found_gives_up(local_azure: LocalAzure, registry: RegistryRef) -> None:
    """An identity that never appears raises PrincipalNotFound after principal_wait seconds."""
    missing = str(uuid.uuid4())
    with pytest.raises(PrincipalNotFound, match=f"principal {missing} does not exist") as caught:
        grant_pull(registry, missing, principal_wait=0.1, **local_azure.kwargs)
    # delays 0.01 + 0.02 + 0.04 + 0.03 (the rest of the budget): four retries, five PUTs
    assert caught.value.waited == pytest.approx(0.1)
    assert _role_puts(local_azure) == 5
    assert caught.value.__cause__ is not None


def test_wrong_principal_type_is_not_retried(
    local_azure: LocalAzure, registry: RegistryRef, identity: str
) -> None:
    """Other 400s (here UnmatchedPrincipalType) propagate at once."""
    from azure.core.exceptions import HttpResponseError

    with pytest.raises(HttpResponseError, match="UnmatchedPrincipalType"):
        grant_pull(registry, identity, principal_type="User", **local_azure.kwargs)
    assert _role_puts(local_azure) == 1


def test_forbidden_grant_names_rbac_admin(
    local_azure: LocalAzure, registry: RegistryRef, identity: str
) -> None:
    """A 403 on the PUT names roleAssignments/write and the roles that carry it."""
    local_azure.inject(method="PUT", path_contains="/roleAssignments/", status=403)
    with pytest.raises(PermissionDenied) as caught:
        grant_pull(registry, identity, **local_azure.kwargs)
    assert caught.value.action == "Microsoft.Authorization/roleAssignments/write"
    assert caught.value.roles == ("Role Based Access Control Administrator", "Owner")


def test_revoke_removes_only_our_assignments(
    local_azure: LocalAzure, registry: RegistryRef, identity: str
) -> None:
    """revoke_access deletes acr-trusted's names and leaves other assignments alone."""
    grant_pull(registry, identity, **local_azure.kwargs)
    grant_push(registry, identity, **local_azure.kwargs)
    foreign = local_azure.add_role_assignment(registry, identity, "Reader")
    local_azure.clear_requests()

    removed = revoke_access(registry, identity, **local_azure.kwargs)

    assert sorted(r.role_name for r in removed) == ["AcrPull", "AcrPush"]
    assert [a["id"] for a in local_azure.role_assignments(registry)] == [foreign["id"]]
    assert [r.method for r in local_azure.requests] == ["DELETE"] * len(GRANTABLE_ROLES)
    assert revoke_access(registry, identity, **local_azure.kwargs) == ()


def test_assignment_name_is_deterministic() -> None:
    """Same scope (any case), principal and role: same name; another role: another name."""
    scope = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.ContainerRegistry/registries/r"
    a = assignment_name(scope, "P1", "7f951dda-4ed3-4680-a7ca-43fe172d538d")
    assert a == assignment_name(scope.upper(), "p1", "7f951dda-4ed3-4680-a7ca-43fe172d538d")
    assert a != assignment_name(scope, "p1", "8311e382-0749-4cb8-b61a-304f252e45ec")
    assert uuid.UUID(a).version == 5


def test_grantable_roles() -> None:
    """revoke_access covers every role grant_pull / grant_push may choose."""
    assert [r.name for r in GRANTABLE_ROLES] == [
        "AcrPull",
        "Container Registry Repository Reader",
        "AcrPush",
        "Container Registry Repository Writer",
    ]


@pytest.mark.parametrize(
    ("backoff", "budget", "expected"),
    [
        pytest.param(Backoff(1, 16, jitter=False), 60, [1, 2, 4, 8, 16, 16, 13], id="capped"),
        pytest.param(Backoff(1, 16, jitter=False), 2.5, [1, 1.5], id="budget"),
        pytest.param(Backoff(1, 16, jitter=False), 0, [], id="no-wait"),
    ],
)
def test_backoff_delays(backoff: Backoff, budget: float, expected: list[float]) -> None:
    """Delays double up to the cap and never add up to more than the budget."""
    assert list(backoff.delays(budget)) == pytest.approx(expected)


def test_backoff_jitter_stays_within_budget() -> None:
    delays = list(Backoff(1, 16, jitter=True).delays(30))
    assert sum(delays) <= 30
    assert all(0 < d <= 16 for d in delays)


@pytest.mark.parametrize(
    "fault",
    [
        pytest.param({"status": 429, "retry_after": 0.01}, id="429"),
        pytest.param({"status": 500}, id="500"),
        pytest.param({"status": 503}, id="503"),
        pytest.param({"drop_connection": True}, id="dropped"),
    ],
)
@pytest.mark.parametrize("method", ["GET", "PUT"])
def test_grant_faults_converge(
    local_azure: LocalAzure,
    registry: RegistryRef,
    identity: str,
    method: str,
    fault: dict[str, Any],
) -> None:
    """Throttling, server errors and dropped connections still end with exactly one assignment."""
    local_azure.inject(method=method, path_contains="/roleAssignments/", times=2, **fault)
    options = {**local_azure.client_options, "retry_backoff_factor": 0.01}
    result = grant_pull(registry, identity, **{**local_azure.kwargs, "client_options": options})
    assert result.created
    assert len(local_azure.role_assignments(registry)) == 1

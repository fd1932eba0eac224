from __future__ import annotations

import uuid

import pytest
from azure.core.exceptions import HttpResponseError, ResourceExistsError, ResourceNotFoundError
from azure.mgmt.authorization import AuthorizationManagementClient
from azure.mgmt.authorization.models import RoleAssignmentCreateParameters

from acr_trusted.catalog import ROLES, role
from acr_trusted.ids import RegistryRef
from acr_trusted.testing import LocalAzure

ACR_PULL = role("AcrPull")


@pytest.fixture
def az(local_azure: LocalAzure) -> LocalAzure:
    return local_azure


@pytest.fixture
def client(az: LocalAzure) -> AuthorizationManagementClient:
    return az.client(AuthorizationManagementClient, retry_backoff_factor=0.01)


@pytest.fixture
def registry(az: LocalAzure) -> RegistryRef:
    return az.add_registry("contoso")


def pull_for(az: LocalAzure, principal_id: str, **extra: str) -> RoleAssignmentCreateParameters:
    return RoleAssignmentCreateParameters(
        role_definition_id=ACR_PULL.definition_id(az.subscription_id),
        principal_id=principal_id,
        principal_type=extra.pop("principal_type", "ServicePrincipal"),
        **extra,
    )


def code(exc: HttpResponseError) -> str | None:
    return exc.error.code if exc.error is not None else None


def name() -> str:
    return str(uuid.uuid4())


def test_create_get_and_get_by_id(
    az: LocalAzure, client: AuthorizationManagementClient, registry: RegistryRef
) -> None:
    """A PUT at a registry scope is 201 and reads back by scope+name and by ID."""
    principal = az.add_managed_identity("aci-puller")
    created = client.role_assignments.create(registry.id, name(), pull_for(az, principal))
    assert created.scope == registry.id
    assert created.principal_type == "ServicePrincipal"
    assert created.role_definition_id == ACR_PULL.definition_id(az.subscription_id)
    assert client.role_assignments.get(registry.id, created.name).id == created.id
    assert client.role_assignments.get_by_id(created.id).principal_id == principal
    assert [r.status for r in az.requests] == [201, 200, 200]
    assert az.role_assignments(registry)[0]["properties"]["principalId"] == principal


def test_same_assignment_under_another_name_is_409(
    az: LocalAzure, client: AuthorizationManagementClient, registry: RegistryRef
) -> None:
    """Same principal, role and scope under a new name: ResourceExistsError RoleAssignmentExists."""
    principal = az.add_managed_identity("aci-puller")
    client.role_assignments.create(registry.id, name(), pull_for(az, principal))
    with pytest.raises(ResourceExistsError) as info:
        client.role_assignments.create(registry.id, name(), pull_for(az, principal))
    assert code(info.value) == "RoleAssignmentExists"
    assert info.value.error is not None
    assert info.value.error.message == "The role assignment already exists."
    assert len(az.role_assignments()) == 1


def test_same_name_same_assignment_is_200(
    az: LocalAzure, client: AuthorizationManagementClient, registry: RegistryRef
) -> None:
    """Re-PUTting an assignment under its own name succeeds and keeps createdOn."""
    principal = az.add_managed_identity("aci-puller")
    assignment_name = name()
    first = client.role_assignments.create(registry.id, assignment_name, pull_for(az, principal))
    again = client.role_assignments.create(
        registry.id, assignment_name, pull_for(az, principal, description="why")
    )
    assert again.created_on == first.created_on
    assert again.description == "why"
    assert [r.status for r in az.requests] == [201, 200]


def test_reusing_a_name_for_another_principal_is_400(
    az: LocalAzure, client: AuthorizationManagementClient, registry: RegistryRef
) -> None:
    """A name already used for another principal: RoleAssignmentUpdateNotPermitted."""
    assignment_name = name()
    first, second = az.add_managed_identity("one"), az.add_managed_identity("two")
    client.role_assignments.create(registry.id, assignment_name, pull_for(az, first))
    with pytest.raises(HttpResponseError) as info:
        client.role_assignments.create(registry.id, assignment_name, pull_for(az, second))
    assert info.value.status_code == 400
    assert code(info.value) == "RoleAssignmentUpdateNotPermitted"


def test_unknown_principal_is_principal_not_found(
    az: LocalAzure, client: AuthorizationManagementClient, registry: RegistryRef
) -> None:
    """A principal the emulator never saw gets ARM's PrincipalNotFound text."""
    ghost = str(uuid.uuid4())
    with pytest.raises(HttpResponseError) as info:
        client.role_assignments.create(registry.id, name(), pull_for(az, ghost))
    assert code(info.value) == "PrincipalNotFound"
    assert f"Principal {ghost} does not exist in the directory {az.tenant_id}" in str(info.value)
    assert "https://aka.ms/docs-principaltype" in str(info.value)


def test_sdk_default_principal_type_for_an_identity_is_refused(
    az: LocalAzure, client: AuthorizationManagementClient, registry: RegistryRef
) -> None:
    """principalType 'User' (the SDK default) for a managed identity: UnmatchedPrincipalType."""
    principal = az.add_managed_identity("aci-puller")
    parameters = RoleAssignmentCreateParameters(
        role_definition_id=ACR_PULL.definition_id(az.subscription_id), principal_id=principal
    )
    with pytest.raises(HttpResponseError) as info:
        client.role_assignments.create(registry.id, name(), parameters)
    assert code(info.value) == "UnmatchedPrincipalType"
    assert "has type 'ServicePrincipal'" in str(info.value)


def test_principal_type_is_stored_as_sent(
    az: LocalAzure, client: AuthorizationManagementClient, registry: RegistryRef
) -> None:
    """The principalType a caller sends is what GET returns (casing included)."""
    user = az.add_principal("User")
    created = client.role_assignments.create(
        registry.id, name(), pull_for(az, user, principal_type="user")
    )
    assert created.principal_type == "user"


@pytest.mark.parametrize(
    ("assignment_name", "body", "expected"),
    [
        pytest.param("not-a-guid", None, "InvalidRoleAssignmentId", id="name"),
        pytest.param(
            None, {"properties": {"principalId": "x"}}, "InvalidRequestContent", id="no-role"
        ),
        pytest.param(
            None,
            {"properties": {"roleDefinitionId": "AcrPull", "principalId": "PID"}},
            "InvalidRoleDefinitionId",
            id="role-by-name",
        ),
        pytest.param(
            None,
            {
                "properties": {
                    "roleDefinitionId": "/providers/Microsoft.Authorization/roleDefinitions/"
                    "00000000-0000-0000-0000-000000000000",
                    "principalId": "PID",
                }
            },
            "RoleDefinitionDoesNotExist",
            id="unknown-role",
        ),
        pytest.param(
            None,
            {"properties": {"roleDefinitionId": "ROLE", "principalId": "not-a-guid"}},
            "InvalidPrincipalId",
            id="principal-not-guid",
        ),
        pytest.param(
            None,
            {
                "properties": {
                    "roleDefinitionId": "ROLE",
                    "principalId": "PID",
                    "principalType": "Robot",
                }
            },
            "InvalidRequestContent",
            id="principal-type",
        ),
    ],
)
def test_invalid_assignment_is_400(
    az: LocalAzure,
    client: AuthorizationManagementClient,
    registry: RegistryRef,
    assignment_name: str | None,
    body: dict[str, dict[str, object]] | None,
    expected: str,
) -> None:
    """Malformed role-assignment PUTs are refused with the ARM error code for the mistake."""
    principal = az.add_managed_identity("aci-puller")
    if body is None:
        payload: object = pull_for(az, principal)
    else:
        properties = {
            k: {"PID": principal, "ROLE": ACR_PULL.definition_id(az.subscription_id)}.get(v, v)
            if isinstance(v, str)
            else v
            for k, v in body["properties"].items()
        }
        payload = {"properties": properties}
    with pytest.raises(HttpResponseError) as info:
        client.role_assignments.create(registry.id, assignment_name or name(), payload)  # type: ignore[arg-type]
    assert info.value.status_code == 400
    assert code(info.value) == expected
    assert az.role_assignments() == []


@pytest.mark.parametrize(
    ("scope_suffix", "expected"),
    [
        pytest.param("/resourceGroups/nogroup", "ResourceGroupNotFound", id="group"),
        pytest.param(
            "/resourceGroups/rg/providers/Microsoft.ContainerRegistry/registries/nothere1",
            "ResourceNotFound",
            id="resource",
        ),
    ],
)
def test_assignment_at_missing_scope_is_404(
    az: LocalAzure, client: AuthorizationManagementClient, scope_suffix: str, expected: str
) -> None:
    """A scope that does not exist is refused before the assignment is considered."""
    az.add_resource_group("rg")
    principal = az.add_managed_identity("aci-puller")
    scope = f"/subscriptions/{az.subscription_id}{scope_suffix}"
    with pytest.raises(ResourceNotFoundError) as info:
        client.role_assignments.create(scope, name(), pull_for(az, principal))
    assert code(info.value) == expected


def test_delete_then_get(
    az: LocalAzure, client: AuthorizationManagementClient, registry: RegistryRef
) -> None:
    """DELETE returns the assignment, a second DELETE is 204, GET is then 404."""
    principal = az.add_managed_identity("aci-puller")
    created = client.role_assignments.create(registry.id, name(), pull_for(az, principal))
    deleted = client.role_assignments.delete(registry.id, created.name)
    assert deleted is not None
    assert deleted.id == created.id
    assert client.role_assignments.delete_by_id(created.id) is None
    with pytest.raises(ResourceNotFoundError) as info:
        client.role_assignments.get(registry.id, created.name)
    assert code(info.value) == "RoleAssignmentNotFound"


@pytest.fixture
def layered(az: LocalAzure, registry: RegistryRef) -> dict[str, str]:
    """One assignment at subscription, group and registry scope, and one for another principal."""
    puller, other = az.add_managed_identity("puller"), az.add_managed_identity("other")
    subscription = f"/subscriptions/{az.subscription_id}"
    names = {
        "subscription": az.add_role_assignment(subscription, puller, "Reader")["name"],
        "group": az.add_role_assignment(f"{subscription}/resourceGroups/rg", puller, "AcrPush")[
            "name"
        ],
        "registry": az.add_role_assignment(registry, puller, "AcrPull")["name"],
        "other": az.add_role_assignment(registry, other, "AcrPull")["name"],
    }
    return {**names, "puller": puller, "other_principal": other}


def listed(client: AuthorizationManagementClient, scope: str, query: str | None) -> set[str]:
    return {a.name for a in client.role_assignments.list_for_scope(scope, filter=query)}


def test_list_without_filter_is_at_above_and_below(
    az: LocalAzure,
    client: AuthorizationManagementClient,
    registry: RegistryRef,
    layered: dict[str, str],
) -> None:
    """No filter: assignments at, above and below the scope."""
    everything = {layered[k] for k in ("subscription", "group", "registry", "other")}
    assert listed(client, f"/subscriptions/{az.subscription_id}/resourceGroups/rg", None) == (
        everything
    )
    assert listed(client, registry.id, None) == everything


def test_list_at_scope_excludes_below(
    az: LocalAzure, client: AuthorizationManagementClient, layered: dict[str, str]
) -> None:
    """atScope(): at and above only."""
    group = f"/subscriptions/{az.subscription_id}/resourceGroups/rg"
    assert listed(client, group, "atScope()") == {layered["subscription"], layered["group"]}


@pytest.mark.parametrize("template", ["assignedTo('{}')", "principalId eq '{}'"])
def test_list_for_principal(
    az: LocalAzure,
    client: AuthorizationManagementClient,
    registry: RegistryRef,
    layered: dict[str, str],
    template: str,
) -> None:
    """assignedTo() and principalId eq narrow to one principal, also combined with atScope()."""
    query = template.format(layered["other_principal"])
    assert listed(client, registry.id, query) == {layered["other"]}
    combined = f"atScope() and {template.format(layered['puller'])}"
    assert listed(client, registry.id, combined) == {
        layered["subscription"],
        layered["group"],
        layered["registry"],
    }
    assert az.requests[-1].query == {"$filter": combined}


def test_unsupported_filter_is_400(
    client: AuthorizationManagementClient, registry: RegistryRef
) -> None:
    """A filter the emulator does not understand fails loudly instead of being ignored."""
    with pytest.raises(HttpResponseError) as info:
        listed(client, registry.id, "roleDefinitionId eq 'x'")
    assert code(info.value) == "InvalidFilter"


def test_role_definitions_by_id_and_name(
    az: LocalAzure, client: AuthorizationManagementClient, registry: RegistryRef
) -> None:
    """Every catalog role is served by GUID at any scope and found by roleName filter."""
    for built_in in ROLES:
        definition = client.role_definitions.get(registry.id, built_in.guid)
        assert definition.role_name == built_in.name
        assert definition.id == built_in.definition_id(az.subscription_id)
        assert definition.role_type == "BuiltInRole"
    found = list(client.role_definitions.list(registry.id, filter="roleName eq 'acrpull'"))
    assert [d.name for d in found] == [ACR_PULL.guid]
    assert len(list(client.role_definitions.list("/"))) == len(ROLES)
    by_id = client.role_definitions.get_by_id(ACR_PULL.definition_id(az.subscription_id))
    assert by_id.role_name == "AcrPull"


def test_unknown_role_definition_is_404(
    client: AuthorizationManagementClient, registry: RegistryRef
) -> None:
    """A GUID outside the catalog is RoleDefinitionDoesNotExist."""
    with pytest.raises(ResourceNotFoundError) as info:
        client.role_definitions.get(registry.id, "00000000-0000-0000-0000-000000000000")
    assert code(info.value) == "RoleDefinitionDoesNotExist"


def test_principal_not_found_fault_then_success(
    az: LocalAzure, client: AuthorizationManagementClient, registry: RegistryRef
) -> None:
    """The replication-delay fault fails the first N PUTs with PrincipalNotFound, then passes."""
    principal = az.add_managed_identity("fresh")
    az.inject(
        method="PUT",
        path_contains="/roleAssignments/",
        status=400,
        times=2,
        code="PrincipalNotFound",
    )
    assignment_name = name()
    for _ in range(2):
        with pytest.raises(HttpResponseError) as info:
            client.role_assignments.create(registry.id, assignment_name, pull_for(az, principal))
        assert code(info.value) == "PrincipalNotFound"
        assert principal in str(info.value)
    client.role_assignments.create(registry.id, assignment_name, pull_for(az, principal))
    assert [r.status for r in az.requests] == [400, 400, 201]

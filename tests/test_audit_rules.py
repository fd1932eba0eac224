from __future__ import annotations

from typing import Any

import pytest

from acr_trusted.access import Verdict
from acr_trusted.audit_rules import InheritedGrants, RowError, audit_registry
from acr_trusted.catalog import IdentityKind, TrustedService, role
from acr_trusted.ids import RegistryRef
from acr_trusted.lint.findings import Severity

SUB = "00000000-0000-0000-0000-000000000001"
REF = RegistryRef(SUB, "rg", "fleetreg")
PRINCIPAL = "11111111-1111-1111-1111-111111111111"
RG = f"/subscriptions/{SUB}/resourceGroups/rg/providers"
UAMI = f"{RG}/Microsoft.ManagedIdentity/userAssignedIdentities/u"


def row(**properties: Any) -> dict[str, Any]:
    """A REGISTRIES_QUERY row; keyword arguments override projected properties."""
    sku = properties.pop("sku", "Premium")
    extra = {k: properties.pop(k) for k in ("roleAssignments", "consumers") if k in properties}
    return {
        "id": REF.id,
        "name": REF.name,
        "subscriptionId": SUB,
        "resourceGroup": "rg",
        "location": "westus",
        "sku": {"name": sku},
        "properties": properties,
        **extra,
    }


def assignment(
    role_name: str, scope: str = REF.id.lower(), principal: str = PRINCIPAL
) -> dict[str, str]:
    return {
        "id": f"{scope}/providers/Microsoft.Authorization/roleAssignments/a-{role_name}",
        "scope": scope,
        "principalId": principal,
        "roleDefinitionId": role(role_name).definition_id(SUB),
    }


def rules_of(data: dict[str, Any], inherited: InheritedGrants | None = None) -> list[str]:
    return [f.rule for f in audit_registry(data, inherited or InheritedGrants()).findings]


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        pytest.param(row(), [], id="open"),
        pytest.param(row(publicNetworkAccess="Disabled"), [], id="private-ok"),
        pytest.param(
            row(publicNetworkAccess="Disabled", networkRuleBypassOptions="None"),
            ["ACRT001"],
            id="bypass-off",
        ),
        pytest.param(row(networkRuleBypassOptions="none"), [], id="bypass-off-but-open"),
        pytest.param(
            row(sku="Basic", networkRuleSet={"defaultAction": "Deny"}), ["ACRT003"], id="basic"
        ),
        pytest.param(
            row(networkRuleSet={"defaultAction": "Deny", "virtualNetworkRules": [{"id": "s"}]}),
            ["ACRT004"],
            id="service-endpoint",
        ),
        pytest.param(
            row(
                roleAssignmentMode="AbacRepositoryPermissions",
                roleAssignments=[
                    assignment("AcrPush"),
                    assignment("AcrPull", scope=f"/subscriptions/{SUB}"),
                ],
            ),
            ["ACRT007"],
            id="abac-registry-scope-only",
        ),
        pytest.param(
            row(
                roleAssignmentMode="AbacRepositoryPermissions",
                roleAssignments=[assignment("Container Registry Repository Reader")],
            ),
            [],
            id="abac-repository-role",
        ),
        pytest.param(row(roleAssignments=[assignment("AcrPull")]), [], id="legacy-mode-acrpull"),
    ],
)
def test_registry_rules(data: dict[str, Any], expected: list[str]) -> None:
    """Each rule fires on exactly the configuration the linter flags."""
    assert rules_of(data) == expected


def test_findings_carry_the_linter_severity_and_a_fix() -> None:
    """ACRT007 names the ignored role and the Repository role that replaces it."""
    data = row(
        roleAssignmentMode="AbacRepositoryPermissions", roleAssignments=[assignment("AcrPush")]
    )
    (finding,) = audit_registry(data, InheritedGrants()).findings
    assert finding.severity is Severity.ERROR
    assert finding.registry_id == REF.id
    assert finding.name == "abac-ignores-acr-roles"
    assert "'Container Registry Repository Writer'" in finding.message


def task(agent_pool: str = "", kind: str = "SystemAssigned") -> dict[str, Any]:
    return {
        "kind": "acr-tasks",
        "id": f"{REF.id}/tasks/t-{agent_pool or 'cloud'}",
        "identity": {"type": kind, "principalId": PRINCIPAL},
        "agentPoolName": agent_pool,
    }


@pytest.mark.parametrize(
    ("flag", "consumers", "expected"),
    [
        pytest.param(None, [task()], ["ACRT002"], id="switch-unset"),
        pytest.param(False, [task()], ["ACRT002"], id="switch-false"),
        pytest.param(True, [task()], [], id="switch-true"),
        pytest.param(None, [task("pool")], [], id="agent-pool"),
        pytest.param(None, [], [], id="no-tasks"),
    ],
)
def test_tasks_switch(
    flag: bool | None, consumers: list[dict[str, Any]], expected: list[str]
) -> None:
    """ACRT002: restricted, tasks outside an agent pool, switch not true."""
    properties: dict[str, Any] = {"publicNetworkAccess": "Disabled", "consumers": consumers}
    if flag is not None:
        properties["networkRuleBypassAllowedForTasks"] = flag
    assert rules_of(row(**properties)) == expected


def aci(**credential: Any) -> dict[str, Any]:
    return {
        "kind": "aci",
        "id": f"{RG}/Microsoft.ContainerInstance/containerGroups/cg",
        "identity": {
            "type": "SystemAssigned, UserAssigned",
            "principalId": "22222222-2222-2222-2222-222222222222",
            "userAssignedIdentities": {UAMI.upper(): {"principalId": PRINCIPAL}},
        },
        "credentialIdentity": credential.get("identity", ""),
        "usesPassword": credential.get("password", False),
    }


@pytest.mark.parametrize(
    ("consumer", "authenticates_with", "kind", "rules"),
    [
        pytest.param(
            aci(identity=UAMI), "user-assigned", IdentityKind.USER_ASSIGNED, [], id="uami"
        ),
        pytest.param(
            aci(identity="[system]"),
            "system-assigned",
            IdentityKind.SYSTEM_ASSIGNED,
            ["ACRT008"],
            id="system",
        ),
        pytest.param(aci(password=True), "admin-credentials", None, ["ACRT008"], id="admin"),
        pytest.param(aci(), "none", None, [], id="anonymous"),
    ],
)
def test_container_group_identities(
    consumer: dict[str, Any], authenticates_with: str, kind: IdentityKind | None, rules: list[str]
) -> None:
    """How a container group signs in decides ACRT008 and its BypassReport."""
    data = row(
        publicNetworkAccess="Disabled",
        consumers=[consumer],
        roleAssignments=[assignment("AcrPull")],
    )
    audited = audit_registry(data, InheritedGrants())
    (found,) = audited.consumers
    assert found.service is TrustedService.CONTAINER_INSTANCES
    assert found.authenticates_with == authenticates_with
    assert found.identity is not None
    assert found.identity.kind is kind
    assert [f.rule for f in audited.findings] == rules
    if authenticates_with == "user-assigned":
        assert found.identity.principal_id == PRINCIPAL
        assert found.report.verdict is Verdict.ALLOWED


def test_workspace_prefers_its_primary_user_assigned_identity() -> None:
    """An ML workspace naming a primary UAMI pulls with it; without, with its system identity."""
    workspace = {
        "kind": "ml",
        "id": f"{RG}/Microsoft.MachineLearningServices/workspaces/w",
        "identity": {
            "type": "SystemAssigned,UserAssigned",
            "principalId": "33333333-3333-3333-3333-333333333333",
            "userAssignedIdentities": {UAMI: {"principalId": PRINCIPAL}},
        },
        "primaryUserAssignedIdentity": UAMI,
    }
    data = row(
        publicNetworkAccess="Disabled",
        consumers=[workspace],
        roleAssignments=[assignment("AcrPull")],
    )
    (consumer,) = audit_registry(data, InheritedGrants()).consumers
    assert consumer.identity is not None
    assert (consumer.identity.kind, consumer.identity.principal_id) == (
        IdentityKind.USER_ASSIGNED,
        PRINCIPAL,
    )
    assert consumer.report.verdict is Verdict.ALLOWED
    workspace["primaryUserAssignedIdentity"] = ""
    (consumer,) = audit_registry(data, InheritedGrants()).consumers
    assert consumer.identity is not None
    assert consumer.identity.kind is IdentityKind.SYSTEM_ASSIGNED
    assert "no-pull-role" in consumer.report.codes


def test_unknown_principal_skips_the_role_check() -> None:
    """Without a principal ID no grant is credited to the consumer, and none is demanded."""
    consumer = task()
    consumer["identity"] = {"type": "SystemAssigned"}
    data = row(
        networkRuleBypassAllowedForTasks=True,
        publicNetworkAccess="Disabled",
        consumers=[consumer],
        roleAssignments=[assignment("AcrPull", principal="someone-else")],
    )
    (audited,) = audit_registry(data, InheritedGrants()).consumers
    assert not any(code.endswith("-role") for code in audited.report.codes)


def test_unknown_consumer_kinds_are_ignored() -> None:
    """Only the kinds the query produces become consumers."""
    data = row(consumers=[{"kind": "app-service", "id": "/x"}, {"kind": "aci"}, "junk"])
    assert audit_registry(data, InheritedGrants()).consumers == ()


def test_inherited_grants_apply_by_scope() -> None:
    """Root, management groups, the subscription and the resource group enclose a registry."""
    inherited = InheritedGrants()
    for scope in (
        "/",
        "/providers/microsoft.management/managementgroups/mg",
        f"/subscriptions/{SUB}",
        f"/subscriptions/{SUB}/resourcegroups/rg",
        f"/subscriptions/{SUB}/resourcegroups/other",
        "/subscriptions/99999999-9999-9999-9999-999999999999",
    ):
        inherited.add(assignment("AcrPull", scope=scope))
    inherited.add({"scope": "/", "principalId": PRINCIPAL})  # no role: ignored
    assert len(inherited) == 6
    assert len(inherited.for_registry(REF)) == 4


@pytest.mark.parametrize(
    ("data", "message"),
    [
        pytest.param({**row(), "id": "/subscriptions/x/resourceGroups/rg"}, "ends early", id="id"),
        pytest.param({"name": "no-id"}, "a registry row without an id", id="no-id"),
        pytest.param({**row(), "properties": "oops"}, "not an object", id="properties"),
        pytest.param(row(roleAssignmentMode="Future"), "unknown roleAssignmentMode", id="mode"),
    ],
)
def test_rows_that_cannot_be_audited(data: dict[str, Any], message: str) -> None:
    """A malformed row raises RowError naming the resource, never another exception."""
    with pytest.raises(RowError, match=message):
        audit_registry(data, InheritedGrants())

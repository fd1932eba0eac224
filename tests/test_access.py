from __future__ import annotations

import json

import pytest

from acr_trusted.access import (
    BypassReport,
    ConsumerIdentity,
    Grant,
    Verdict,
    evaluate_bypass,
)
from acr_trusted.catalog import IdentityKind, Permission, TrustedService, role
from acr_trusted.ids import RegistryRef
from acr_trusted.posture import NetworkPosture

SUB = "00000000-0000-0000-0000-000000000001"
REF = RegistryRef(SUB, "rg", "contoso")
PRINCIPAL = "11111111-1111-1111-1111-111111111111"

OPEN = NetworkPosture(sku="Premium")
PRIVATE_BYPASS = NetworkPosture(
    sku="Premium", public_network_access="Disabled", network_rule_bypass_options="AzureServices"
)
PRIVATE_NO_BYPASS = NetworkPosture(
    sku="Premium", public_network_access="Disabled", network_rule_bypass_options="None"
)
FIREWALL_NO_BYPASS = NetworkPosture(
    sku="Premium",
    default_action="Deny",
    ip_rules=("203.0.113.0/24",),
    network_rule_bypass_options="None",
)
PRIVATE_ENDPOINT_NO_BYPASS = NetworkPosture(
    sku="Premium", private_endpoint_count=1, network_rule_bypass_options="None"
)
SERVICE_ENDPOINT_ONLY = NetworkPosture(
    sku="Premium",
    default_action="Deny",
    virtual_network_rules=("/subscriptions/s/resourceGroups/rg/providers/x/subnets/a",),
)
TASKS_ON = NetworkPosture(
    sku="Premium",
    public_network_access="Disabled",
    network_rule_bypass_options="AzureServices",
    network_rule_bypass_allowed_for_tasks=True,
)
TASKS_ON_BYPASS_OFF = NetworkPosture(
    sku="Premium",
    public_network_access="Disabled",
    network_rule_bypass_options="None",
    network_rule_bypass_allowed_for_tasks=True,
)

POSTURES = {
    "open": OPEN,
    "private+bypass": PRIVATE_BYPASS,
    "private-bypass": PRIVATE_NO_BYPASS,
    "firewall-bypass": FIREWALL_NO_BYPASS,
    "pe-bypass": PRIVATE_ENDPOINT_NO_BYPASS,
    "service-endpoint": SERVICE_ENDPOINT_ONLY,
    "tasks-on": TASKS_ON,
    "tasks-on-bypass-off": TASKS_ON_BYPASS_OFF,
}

A, B, N, U = Verdict.ALLOWED, Verdict.BLOCKED, Verdict.NOT_RESTRICTED, Verdict.UNSUPPORTED
# The same row for the four services on today's trusted list.
_TRUSTED = {
    "open": N,
    "private+bypass": A,
    "private-bypass": B,
    "firewall-bypass": B,
    "pe-bypass": N,  # a private endpoint alone leaves the public endpoint open
    "service-endpoint": B,
    "tasks-on": A,
    "tasks-on-bypass-off": B,
}
EXPECTED: dict[str, dict[str, Verdict]] = {
    "aci": _TRUSTED,
    "defender": _TRUSTED,
    "ml": _TRUSTED,
    "acr-import": _TRUSTED,
    "acr-tasks": {
        "open": N,
        "private+bypass": B,
        "private-bypass": B,
        "firewall-bypass": B,
        "pe-bypass": N,
        "service-endpoint": B,
        "tasks-on": A,
        "tasks-on-bypass-off": B,
    },
    "app-service": {name: (N if name in ("open", "pe-bypass") else U) for name in POSTURES},
}


@pytest.mark.parametrize(
    ("service", "posture_name"),
    [(s, p) for s in EXPECTED for p in POSTURES],
)
def test_verdict_table(service: str, posture_name: str) -> None:
    """Each service gets the documented verdict for each kind of restriction."""
    report = evaluate_bypass(POSTURES[posture_name], service, registry=REF)
    assert report.verdict is EXPECTED[service][posture_name], report.to_text()


@pytest.mark.parametrize(
    ("service", "posture", "codes"),
    [
        pytest.param("aci", PRIVATE_NO_BYPASS, ("bypass-off",), id="aci-bypass-off"),
        pytest.param("aci", SERVICE_ENDPOINT_ONLY, ("service-endpoint-only",), id="vnet-rules"),
        pytest.param("acr-tasks", PRIVATE_BYPASS, ("tasks-switch-off",), id="tasks-switch"),
        pytest.param(
            "acr-tasks", PRIVATE_NO_BYPASS, ("tasks-switch-off", "bypass-off"), id="tasks-both"
        ),
        pytest.param("acr-tasks", TASKS_ON_BYPASS_OFF, ("bypass-off",), id="tasks-bypass-only"),
        pytest.param("app-service", PRIVATE_BYPASS, ("not-trusted",), id="app-service"),
    ],
)
def test_blocking_codes(service: str, posture: NetworkPosture, codes: tuple[str, ...]) -> None:
    """The blocking reasons carry stable codes naming what is wrong."""
    report = evaluate_bypass(posture, service, registry=REF)
    assert tuple(r.code for r in report.reasons if r.blocking) == codes


def test_tasks_bypass_reason_says_unconfirmed() -> None:
    """Whether tasks need both switches is not documented, and the reason says so."""
    report = evaluate_bypass(TASKS_ON_BYPASS_OFF, "acr-tasks", registry=REF)
    (reason,) = report.reasons[1:]
    assert "UNCONFIRMED" in reason.message
    assert reason.evidence == {"networkRuleBypassOptions": "None"}


def test_tasks_fix_is_the_documented_az_resource_update() -> None:
    """No `az acr` flag sets the tasks switch; the fix uses `az resource update`."""
    report = evaluate_bypass(PRIVATE_BYPASS, TrustedService.ACR_TASKS, registry=REF)
    fix = report.fixes[0]
    assert fix.python == f'acr_trusted.enable_trusted_access("{REF.id}", include_tasks=True)'
    assert fix.az == (
        "az resource update --namespace Microsoft.ContainerRegistry --resource-type registries "
        f"--name contoso --resource-group rg --subscription {SUB} "
        "--api-version 2025-06-01-preview --set properties.networkRuleBypassAllowedForTasks=true"
    )
    assert "agentpool create --registry contoso" in (report.fixes[1].az or "")


def test_bypass_fix_names_registry() -> None:
    """A trusted service blocked by the bypass gets the exact SDK call and az command."""
    report = evaluate_bypass(FIREWALL_NO_BYPASS, "defender", registry=REF.id)
    assert report.registry_id == REF.id
    (fix,) = report.fixes
    assert fix.python == f'acr_trusted.enable_trusted_access("{REF.id}")'
    assert fix.az == (
        f"az acr update --name contoso --resource-group rg --subscription {SUB} "
        "--allow-trusted-services true"
    )
    assert report.reasons[0].evidence["networkRuleSet.defaultAction"] == "Deny"


def test_fix_without_registry_uses_placeholders() -> None:
    """The linter may not know the registry ID; fixes then carry placeholders."""
    report = evaluate_bypass(PRIVATE_NO_BYPASS, "ml")
    assert report.registry_id is None
    assert report.fixes[0].az == (
        "az acr update --name <registry> --resource-group <resource-group> "
        "--allow-trusted-services true"
    )


def test_agent_pool_needs_no_bypass() -> None:
    """A task on an agent pool runs inside the VNet: no switch needed."""
    report = evaluate_bypass(PRIVATE_NO_BYPASS, "acr-tasks", agent_pool=True, registry=REF)
    assert report.verdict is Verdict.ALLOWED
    assert report.codes == ("agent-pool",)


@pytest.mark.parametrize(
    ("service", "posture", "kind", "verdict"),
    [
        pytest.param("aci", PRIVATE_BYPASS, IdentityKind.SYSTEM_ASSIGNED, B, id="aci-system"),
        pytest.param("aci", OPEN, IdentityKind.SYSTEM_ASSIGNED, B, id="aci-system-open"),
        pytest.param("aci", PRIVATE_BYPASS, IdentityKind.USER_ASSIGNED, A, id="aci-user"),
        pytest.param("acr-tasks", TASKS_ON, IdentityKind.USER_ASSIGNED, B, id="tasks-user"),
        pytest.param("acr-tasks", OPEN, IdentityKind.USER_ASSIGNED, N, id="tasks-user-open"),
        pytest.param("acr-tasks", TASKS_ON, IdentityKind.SYSTEM_ASSIGNED, A, id="tasks-system"),
        pytest.param("ml", PRIVATE_BYPASS, IdentityKind.SYSTEM_ASSIGNED, A, id="ml-system"),
        pytest.param("ml", PRIVATE_BYPASS, IdentityKind.USER_ASSIGNED, A, id="ml-user"),
        pytest.param("defender", PRIVATE_BYPASS, IdentityKind.USER_ASSIGNED, A, id="defender"),
    ],
)
def test_identity_kind(
    service: str, posture: NetworkPosture, kind: IdentityKind, verdict: Verdict
) -> None:
    """ACI pulls with a user-assigned identity only; task bypass needs a system-assigned one."""
    report = evaluate_bypass(posture, service, identity=ConsumerIdentity(kind, PRINCIPAL))
    assert report.verdict is verdict
    assert ("identity-kind" in report.codes) is (verdict is B)


def test_missing_identity_blocks() -> None:
    """A service that authenticates with an identity cannot pull without one."""
    report = evaluate_bypass(PRIVATE_BYPASS, "aci", identity=ConsumerIdentity(None, None))
    assert report.verdict is Verdict.BLOCKED
    assert "no-identity" in report.codes


def test_defender_needs_no_identity_or_role() -> None:
    """Defender uses no customer identity: missing ones and empty grants do not matter."""
    report = evaluate_bypass(PRIVATE_BYPASS, "defender", [], identity=ConsumerIdentity(None))
    assert report.verdict is Verdict.ALLOWED


def _grant(role_name: str, scope: str = REF.id, principal: str = PRINCIPAL) -> Grant:
    return Grant(role(role_name).definition_id(SUB), scope, principal)


ABAC = NetworkPosture(
    sku="Premium",
    public_network_access="Disabled",
    role_assignment_mode="AbacRepositoryPermissions",
)


@pytest.mark.parametrize(
    ("posture", "grants", "code", "verdict"),
    [
        pytest.param(PRIVATE_BYPASS, [_grant("AcrPull")], "has-pull-role", A, id="acrpull"),
        pytest.param(PRIVATE_BYPASS, [_grant("Reader")], "has-pull-role", A, id="reader-legacy"),
        pytest.param(PRIVATE_BYPASS, [], "no-pull-role", B, id="none"),
        pytest.param(
            PRIVATE_BYPASS,
            [_grant("Container Registry Repository Reader")],
            "no-pull-role",
            B,
            id="abac-role-in-legacy",
        ),
        pytest.param(ABAC, [_grant("AcrPull")], "legacy-role-in-abac", B, id="acrpull-in-abac"),
        pytest.param(
            ABAC,
            [_grant("Container Registry Repository Reader")],
            "has-pull-role",
            A,
            id="reader-in-abac",
        ),
        pytest.param(
            PRIVATE_BYPASS,
            [_grant("AcrPull", f"/subscriptions/{SUB}")],
            "has-pull-role",
            A,
            id="subscription-scope",
        ),
        pytest.param(
            PRIVATE_BYPASS,
            [_grant("AcrPull", f"/subscriptions/{SUB}/resourceGroups/RG")],
            "has-pull-role",
            A,
            id="resource-group-scope-any-case",
        ),
        pytest.param(
            PRIVATE_BYPASS,
            [_grant("AcrPull", f"/subscriptions/{SUB}/resourceGroups/rg2")],
            "no-pull-role",
            B,
            id="other-resource-group",
        ),
        pytest.param(
            PRIVATE_BYPASS,
            [_grant("AcrPull", f"{REF.id}/repositories/app")],
            "no-pull-role",
            B,
            id="narrower-scope",
        ),
        pytest.param(
            PRIVATE_BYPASS,
            [_grant("AcrPull", "/providers/Microsoft.Management/managementGroups/root")],
            "has-pull-role",
            A,
            id="management-group",
        ),
        pytest.param(
            PRIVATE_BYPASS,
            [_grant("AcrPull", principal="22222222-2222-2222-2222-222222222222")],
            "no-pull-role",
            B,
            id="other-principal",
        ),
        pytest.param(
            PRIVATE_BYPASS,
            [Grant(f"/subscriptions/{SUB}/providers/x/roleDefinitions/custom", REF.id, PRINCIPAL)],
            "no-pull-role",
            B,
            id="custom-role-not-credited",
        ),
    ],
)
def test_roles(posture: NetworkPosture, grants: list[Grant], code: str, verdict: Verdict) -> None:
    """Only a role that grants pull in the registry's mode, at an enclosing scope, counts."""
    report = evaluate_bypass(
        posture,
        "aci",
        grants,
        identity=ConsumerIdentity(IdentityKind.USER_ASSIGNED, PRINCIPAL),
        registry=REF,
    )
    assert report.verdict is verdict
    assert code in report.codes


def test_missing_role_blocks_even_when_not_restricted() -> None:
    """An open registry still refuses an identity without a role."""
    report = evaluate_bypass(OPEN, "ml", [], identity=ConsumerIdentity(None, PRINCIPAL))
    assert report.verdict is Verdict.BLOCKED


def test_abac_fix_grants_repository_reader() -> None:
    """In ABAC mode the fix assigns Repository Reader, not the ignored AcrPull."""
    report = evaluate_bypass(
        ABAC, "ml", [_grant("AcrPull")], identity=ConsumerIdentity(None, PRINCIPAL), registry=REF
    )
    (fix,) = report.fixes
    assert fix.python == f'acr_trusted.grant_pull("{REF.id}", "{PRINCIPAL}")'
    assert fix.az == (
        f"az role assignment create --assignee-object-id {PRINCIPAL} "
        '--assignee-principal-type ServicePrincipal --role "Container Registry Repository Reader" '
        f"--scope {REF.id}"
    )
    assert report.reasons[-1].evidence == {
        "roleAssignmentMode": "AbacRepositoryPermissions",
        "roles": ["AcrPull"],
    }


def test_push_permission_for_tasks() -> None:
    """A task that pushes needs a push role; AcrPull is not enough."""
    identity = ConsumerIdentity(IdentityKind.SYSTEM_ASSIGNED, PRINCIPAL)
    pulled = evaluate_bypass(
        TASKS_ON, "acr-tasks", [_grant("AcrPull")], identity=identity, permission=Permission.PUSH
    )
    assert pulled.verdict is Verdict.BLOCKED
    assert pulled.fixes[0].python == f'acr_trusted.grant_push("<registry-id>", "{PRINCIPAL}")'
    pushed = evaluate_bypass(
        TASKS_ON, "acr-tasks", [_grant("AcrPush")], identity=identity, permission=Permission.PUSH
    )
    assert pushed.verdict is Verdict.ALLOWED


def test_import_needs_data_importer_role() -> None:
    """The import caller needs 'Container Registry Data Importer and Data Reader'."""
    report = evaluate_bypass(PRIVATE_BYPASS, "acr-import", [_grant("AcrPull")], registry=REF)
    assert "no-import-role" in report.codes
    assert report.fixes[0].python is None
    assert "Container Registry Data Importer and Data Reader" in (report.fixes[0].az or "")


def test_unknown_service_is_value_error() -> None:
    with pytest.raises(ValueError, match="unknown service 'ftp'"):
        evaluate_bypass(OPEN, "ftp")


def test_report_renders_as_json_and_text() -> None:
    """The report serialises to plain JSON and a readable text block."""
    report = evaluate_bypass(PRIVATE_NO_BYPASS, "aci", [], registry=REF)
    data = json.loads(json.dumps(report.as_dict()))
    assert data["verdict"] == "blocked"
    assert data["service"] == "aci"
    assert [r["code"] for r in data["reasons"]] == ["bypass-off", "no-pull-role"]
    text = report.to_text()
    assert text.startswith(f"Azure Container Instances: BLOCKED  ({REF.id})")
    assert "x [bypass-off]" in text
    assert "python: acr_trusted.enable_trusted_access(" in text
    assert not report.ok


def test_report_ok_for_allowed() -> None:
    report: BypassReport = evaluate_bypass(PRIVATE_BYPASS, "ml")
    assert report.ok
    assert report.codes == ("bypass-on",)


def test_every_reason_code_is_documented() -> None:
    """docs/sdk.md explains each reason code evaluate_bypass can produce."""
    from pathlib import Path

    docs = (Path(__file__).resolve().parents[1] / "docs" / "sdk.md").read_text()
    identities = [
        None,
        ConsumerIdentity(None, None),
        ConsumerIdentity(IdentityKind.SYSTEM_ASSIGNED, PRINCIPAL),
        ConsumerIdentity(IdentityKind.USER_ASSIGNED, PRINCIPAL),
    ]
    codes: set[str] = set()
    for posture in [*POSTURES.values(), ABAC]:
        for service in TrustedService:
            for identity in identities:
                for grants in ([], [_grant("AcrPull")], [_grant("AcrPush")]):
                    for pool in (False, True):
                        report = evaluate_bypass(
                            posture, service, grants, identity=identity, agent_pool=pool
                        )
                        codes.update(report.codes)
    documented = {c for c in codes if f"`{c}`" in docs}
    by_pattern = {c for c in codes if c.startswith(("has-", "no-")) and c.endswith("-role")}
    assert codes - documented - by_pattern == set()
    assert {"`has-<permission>-role`", "`no-<permission>-role`"} <= {
        word for word in docs.split() if word.startswith("`")
    }


def test_private_endpoint_with_open_public_access_warns_without_blocking() -> None:
    """The service gets in over the open public endpoint; closing it would cut the service off."""
    report = evaluate_bypass(PRIVATE_ENDPOINT_NO_BYPASS, "aci", registry=REF)
    assert report.verdict is Verdict.NOT_RESTRICTED
    assert [r.code for r in report.reasons] == ["public-endpoint-open"]
    assert not report.reasons[0].blocking
    assert any("enable_trusted_access" in (f.python or "") for f in report.fixes)

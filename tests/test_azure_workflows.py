"""Each workflow end to end through LocalAzure with the real SDK clients, and the experiment."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from acr_trusted.azure.bypass import check_bypass
from acr_trusted.azure.workflows import (
    ALREADY,
    DONE,
    FAILED,
    import_image,
    setup_container_instances_access,
    setup_import_access,
    setup_machine_learning_access,
    setup_task_access,
    verify_task_bypass,
)
from acr_trusted.catalog import Permission, RoleAssignmentMode, role_for
from acr_trusted.testing import LocalAzure

FAST = {"poll_interval": 0.001, "timeout": 30}


def _statuses(result: Any) -> list[tuple[str, str]]:
    return [(s.name, s.status) for s in result.steps]


# -- set-up ---------------------------------------------------------------------------------------


def test_task_setup_first_run_does_every_step_second_changes_nothing(
    local_azure: LocalAzure,
) -> None:
    ref = local_azure.add_registry("contoso", public_network_access="Disabled")
    local_azure.add_task(ref, "hello", identity=None)
    first = setup_task_access(ref.id, "hello", **local_azure.kwargs)
    assert first.ok
    assert _statuses(first) == [
        ("task identity", DONE),
        ("source registry login mode", DONE),
        ("registry credential", DONE),
        ("push role", DONE),
        ("trusted access", DONE),
    ]
    task = local_azure.task(ref, "hello")
    assert task["properties"]["credentials"] == {
        "sourceRegistry": {"loginMode": "None"},
        "customRegistries": {"contoso.azurecr.io": {"identity": "[system]"}},
    }
    assert local_azure.registry(ref)["properties"]["networkRuleBypassAllowedForTasks"] is True
    local_azure.clear_requests()
    second = setup_task_access(ref.id, "hello", **local_azure.kwargs)
    assert second.changed == ()
    assert {s.status for s in second.steps} == {ALREADY}
    writes = [r for r in local_azure.requests if r.is_write and not r.path.endswith("/listDetails")]
    assert writes == []
    assert verify_task_bypass(ref, "hello", **FAST, **local_azure.kwargs).succeeded


def test_task_setup_on_abac_target_registry(local_azure: LocalAzure) -> None:
    home = local_azure.add_registry("builds")
    target = local_azure.add_registry(
        "contoso",
        public_network_access="Disabled",
        role_assignment_mode="AbacRepositoryPermissions",
    )
    local_azure.add_task(home, "hello", image="contoso.azurecr.io/app:{{.Run.ID}}")
    result = setup_task_access(home, "hello", target_registry=target, **local_azure.kwargs)
    assert ("catalog lister role", DONE) in _statuses(result)
    roles = {
        a["properties"]["roleDefinitionId"].rsplit("/", 1)[-1]
        for a in local_azure.role_assignments(target)
    }
    assert roles == {
        role_for(Permission.PUSH, RoleAssignmentMode.ABAC).guid,
        role_for(Permission.LIST_CATALOG, RoleAssignmentMode.ABAC).guid,
    }
    assert verify_task_bypass(home, "hello", **FAST, **local_azure.kwargs).succeeded


def test_failure_midway_reports_what_was_done_and_a_rerun_resumes(local_azure: LocalAzure) -> None:
    ref = local_azure.add_registry("contoso", public_network_access="Disabled")
    local_azure.add_task(ref, "hello", identity=None)
    local_azure.inject(method="PUT", path_contains="/roleAssignments/", status=403, times=1)
    broken = setup_task_access(ref, "hello", **local_azure.kwargs)
    assert not broken.ok
    assert _statuses(broken) == [
        ("task identity", DONE),
        ("source registry login mode", DONE),
        ("registry credential", DONE),
        ("push role", FAILED),
    ]
    assert "roleAssignments/write" in broken.steps[-1].detail
    resumed = setup_task_access(ref, "hello", **local_azure.kwargs)
    assert resumed.ok
    assert resumed.changed == ("push role", "trusted access")


def test_missing_task_fails_the_first_step(local_azure: LocalAzure) -> None:
    ref = local_azure.add_registry("contoso")
    result = setup_task_access(ref, "nothere", **local_azure.kwargs)
    assert _statuses(result) == [("task identity", FAILED)]
    assert result.steps[0].detail.startswith("task not found:")


def test_bad_arguments_raise_before_any_request(local_azure: LocalAzure) -> None:
    with pytest.raises(ValueError, match="role must be"):
        setup_task_access("/subscriptions/x", "t", role="owner", **local_azure.kwargs)
    with pytest.raises(ValueError, match="registry resource ID"):
        setup_container_instances_access("not-an-id", "x", **local_azure.kwargs)
    assert local_azure.requests == []


def test_container_instances_setup_then_group_pulls(local_azure: LocalAzure) -> None:
    from tests.test_testing_containerinstance import _put, group_body

    ref = local_azure.add_registry(
        "contoso", public_network_access="Disabled", network_rule_bypass_options="None"
    )
    uami = local_azure.add_user_assigned_identity("puller")
    first = setup_container_instances_access(ref, uami.resource_id, **local_azure.kwargs)
    assert _statuses(first) == [
        ("identity", ALREADY),
        ("pull role", DONE),
        ("trusted access", DONE),
    ]
    assert (
        setup_container_instances_access(ref, uami.resource_id, **local_azure.kwargs).changed == ()
    )
    group = _put(local_azure, "app", group_body("contoso.azurecr.io/app:v1", uami.resource_id))
    assert group["properties"]["provisioningState"] == "Succeeded"


def test_container_instances_unknown_identity_fails(local_azure: LocalAzure) -> None:
    ref = local_azure.add_registry("contoso")
    missing = (
        ref.id.split("/providers/")[0]
        + "/providers/Microsoft.ManagedIdentity/userAssignedIdentities/x"
    )
    result = setup_container_instances_access(ref, missing, **local_azure.kwargs)
    assert _statuses(result) == [("identity", FAILED)]


@pytest.mark.parametrize("user_assigned", [False, True])
def test_machine_learning_setup(local_azure: LocalAzure, user_assigned: bool) -> None:
    ref = local_azure.add_registry("contoso", public_network_access="Disabled")
    uami = local_azure.add_user_assigned_identity("ws-id") if user_assigned else None
    workspace = local_azure.add_workspace(
        "ws1", container_registry=ref, user_assigned_identity=uami.resource_id if uami else None
    )
    first = setup_machine_learning_access(ref, workspace["id"], **local_azure.kwargs)
    assert first.changed == ("pull role",)
    expected = uami.principal_id if uami else workspace["identity"]["principalId"]
    assert expected in first.steps[0].detail
    assert setup_machine_learning_access(ref, workspace["id"], **local_azure.kwargs).changed == ()
    kind = "UserAssigned" if uami else "SystemAssigned"
    assert local_azure.data_plane_access(
        ref, service="ml", principal_id=expected, identity_kind=kind
    ).allowed


def test_import_setup_then_import(local_azure: LocalAzure) -> None:
    source = local_azure.add_registry(
        "source1", public_network_access="Disabled", network_rule_bypass_options="None"
    )
    target = local_azure.add_registry("target1")
    principal = local_azure.add_principal("User")
    local_azure.act_as(principal)
    first = setup_import_access(
        source, target, principal, principal_type="User", **local_azure.kwargs
    )
    assert _statuses(first) == [
        ("importer role on source", DONE),
        ("importer role on target", DONE),
        ("trusted access on source", DONE),
        ("trusted access on target", ALREADY),
    ]
    again = setup_import_access(
        source, target, principal, principal_type="User", **local_azure.kwargs
    )
    assert again.changed == ()
    assert import_image(source, target, "app:v1", **local_azure.kwargs).target_tags == ("app:v1",)


# -- verification ------------------------------------------------------------------------------


def _ready(az: LocalAzure, **registry: Any) -> Any:
    ref = az.add_registry("contoso", **registry)
    az.add_task(ref, "hello", identity=None)
    assert setup_task_access(ref, "hello", **az.kwargs).ok
    return ref


def test_verify_reports_the_relevant_log_line(local_azure: LocalAzure) -> None:
    ref = _ready(local_azure, public_network_access="Disabled")
    seen: list[str] = []
    ok = verify_task_bypass(ref, "hello", progress=seen.append, **FAST, **local_azure.kwargs)
    assert (ok.succeeded, ok.proved, ok.run_ids) == (True, None, ("ca1",))
    assert ok.log_excerpt == "Run ID: ca1 was successful after 2s"
    assert seen[:3] == ["run ca1: Queued", "run ca1: Running", "run ca1: Succeeded"]
    local_azure.add_registry("other1")
    local_azure.state.resource(ref.id)["properties"]["networkRuleBypassAllowedForTasks"] = False
    bad = verify_task_bypass(ref, "hello", **FAST, **local_azure.kwargs)
    assert not bad.succeeded
    assert bad.log_excerpt.endswith("exchange API response code: 403 Forbidden")


def _switches(az: LocalAzure, ref: Any) -> tuple[Any, ...]:
    props = az.registry(ref)["properties"]
    return (
        props["publicNetworkAccess"],
        props["networkRuleBypassOptions"],
        props["networkRuleBypassAllowedForTasks"],
    )


def test_prove_on_an_open_registry_restores_public_access(local_azure: LocalAzure) -> None:
    ref = _ready(local_azure)
    before = _switches(local_azure, ref)
    proof = verify_task_bypass(ref, "hello", prove=True, **FAST, **local_azure.kwargs)
    assert (proof.succeeded, proof.proved) == (True, True)
    assert len(proof.run_ids) == 2
    assert "403 Forbidden" in proof.log_excerpt.splitlines()[1]
    assert _switches(local_azure, ref) == before
    assert set(proof.restored) == {
        "publicNetworkAccess: Disabled -> Enabled",
        "networkRuleBypassOptions: None -> AzureServices",
        "networkRuleBypassAllowedForTasks: False -> True",
    }


def test_prove_when_the_first_run_fails_unexpectedly(local_azure: LocalAzure) -> None:
    ref = local_azure.add_registry("contoso")
    local_azure.add_task(ref, "hello", credentials={"sourceRegistry": {"loginMode": "None"}})
    proof = verify_task_bypass(ref, "hello", prove=True, **FAST, **local_azure.kwargs)
    assert (proof.succeeded, proof.proved, proof.run_ids) == (False, False, ("ca1",))
    assert "denied: client with IP" in proof.log_excerpt
    assert proof.restored == ("publicNetworkAccess: Disabled -> Enabled",)
    assert _switches(local_azure, ref) == ("Enabled", "AzureServices", False)


def test_prove_restores_when_a_fault_hits_mid_experiment(local_azure: LocalAzure) -> None:
    ref = _ready(local_azure)
    before = _switches(local_azure, ref)
    # The PATCH that turns the bypass off fails (after the one that closed public access).
    local_azure.inject(method="PATCH", path_contains="/registries/", status=400, times=1)
    local_azure.inject(method="PATCH", path_contains="/registries/", status=409, times=1)
    with pytest.raises(Exception, match="LocalAzure injected fault"):
        verify_task_bypass(ref, "hello", prove=True, **FAST, **local_azure.kwargs)
    assert _switches(local_azure, ref) == before


def test_prove_restores_when_interrupted(local_azure: LocalAzure) -> None:
    ref = _ready(local_azure)
    before = _switches(local_azure, ref)
    seen: list[str] = []

    def interrupt(line: str) -> None:
        seen.append(line)
        if line.startswith("run 2"):
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        verify_task_bypass(
            ref, "hello", prove=True, progress=interrupt, **FAST, **local_azure.kwargs
        )
    assert _switches(local_azure, ref) == before
    assert "restored publicNetworkAccess: Disabled -> Enabled" in seen


def test_prove_restores_when_a_run_lookup_fails(local_azure: LocalAzure) -> None:
    ref = _ready(local_azure, public_network_access="Disabled")
    before = _switches(local_azure, ref)
    local_azure.inject(
        method="POST", path_contains="/scheduleRun", status=400, times=2, code="TaskRunFailed"
    )
    with pytest.raises(Exception, match="TaskRunFailed"):
        verify_task_bypass(ref, "hello", prove=True, **FAST, **local_azure.kwargs)
    assert _switches(local_azure, ref) == before


# -- the library's diagnosis agrees with the emulator's own decision ----------------------------

RESTRICTIONS: dict[str, dict[str, Any]] = {
    "open": {},
    "public-disabled": {"public_network_access": "Disabled"},
    "firewall": {"default_action": "Deny", "ip_rules": ["192.0.2.0/24"]},
}
SERVICES = {
    # service -> (permission the consumer needs, identity kinds to try)
    "aci": ("pull", ("UserAssigned", "SystemAssigned")),
    "ml": ("pull", ("UserAssigned", "SystemAssigned")),
    "acr-tasks": ("push", ("SystemAssigned", "UserAssigned")),
    "acr-import": ("import", (None,)),
    "defender": (None, (None,)),
}


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_check_bypass_agrees_with_the_emulator(local_azure: LocalAzure, service: str) -> None:
    permission, kinds = SERVICES[service]
    disagreements = []
    configurations = itertools.product(
        RESTRICTIONS,
        ("AzureServices", "None"),
        (False, True) if service == "acr-tasks" else (False,),
        ("LegacyRegistryPermissions", "AbacRepositoryPermissions"),
        kinds,
        ("right", "legacy", "none") if permission else ("none",),
    )
    for number, (restriction, bypass, tasks, mode, kind, role) in enumerate(configurations):
        ref = local_azure.add_registry(
            f"reg{number:04d}",
            network_rule_bypass_options=bypass,
            network_rule_bypass_allowed_for_tasks=tasks,
            role_assignment_mode=mode,
            **RESTRICTIONS[restriction],
        )
        principal = local_azure.add_managed_identity(f"id{number}") if permission else None
        if principal and role != "none":
            wanted = Permission(permission)
            granted = (
                role_for(wanted, RoleAssignmentMode(mode))
                if role == "right"
                else role_for(wanted, RoleAssignmentMode.LEGACY)
            )
            local_azure.add_role_assignment(ref, principal, granted.name)
        report = check_bypass(
            ref,
            service=service,
            principal_id=principal,
            identity_kind=kind,
            permission=permission,
            **local_azure.kwargs,
        )
        emulator = local_azure.data_plane_access(
            ref,
            service=service,
            principal_id=principal,
            identity_kind=kind,
            action=permission or "pull",
        )
        if report.ok != emulator.allowed:
            disagreements.append(
                (restriction, bypass, tasks, mode, kind, role, report.codes, emulator.rule)
            )
    assert disagreements == []


def test_private_endpoint_with_open_public_access_agrees(local_azure: LocalAzure) -> None:
    """A private endpoint alone leaves the public endpoint open: both say the service gets in."""
    ref = local_azure.add_registry(
        "contoso", private_endpoints=1, network_rule_bypass_options="None"
    )
    report = check_bypass(ref, service="defender", **local_azure.kwargs)
    assert report.ok
    assert "public-endpoint-open" in report.codes
    assert local_azure.data_plane_access(ref, service="defender").allowed


def test_agent_pool_agrees_when_the_private_endpoint_is_there(local_azure: LocalAzure) -> None:
    ref = local_azure.add_registry("contoso", public_network_access="Disabled", private_endpoints=1)
    principal = local_azure.add_managed_identity("builder")
    local_azure.add_role_assignment(ref, principal, "AcrPush")
    report = check_bypass(
        ref,
        service="acr-tasks",
        principal_id=principal,
        agent_pool=True,
        permission="push",
        **local_azure.kwargs,
    )
    emulator = local_azure.data_plane_access(
        ref, service="acr-tasks", principal_id=principal, action="push", agent_pool=True
    )
    assert report.ok
    assert emulator.allowed

from __future__ import annotations

import pytest

from acr_trusted.access import Verdict
from acr_trusted.azure.bypass import check_bypass
from acr_trusted.azure.rbac import grant_pull
from acr_trusted.azure.registry import enable_trusted_access
from acr_trusted.testing import LocalAzure


def test_aci_blocked_then_fixed_by_its_own_fixes(local_azure: LocalAzure) -> None:
    """A locked registry blocks ACI; applying the two suggested fixes makes it ALLOWED."""
    ref = local_azure.add_registry(
        "contoso", public_network_access="Disabled", network_rule_bypass_options="None"
    )
    pid = local_azure.add_managed_identity("aci-puller")

    report = check_bypass(
        ref, service="aci", principal_id=pid, identity_kind="UserAssigned", **local_azure.kwargs
    )
    assert report.verdict is Verdict.BLOCKED
    assert [r.code for r in report.reasons if r.blocking] == ["bypass-off", "no-pull-role"]
    assert report.reasons[0].evidence["publicNetworkAccess"] == "Disabled"
    assert [f.python for f in report.fixes] == [
        f'acr_trusted.enable_trusted_access("{ref.id}")',
        f'acr_trusted.grant_pull("{ref.id}", "{pid}")',
    ]
    # one GET of the registry, one list of the principal's assignments, nothing written
    assert [(r.method, "roleAssignments" in r.path) for r in local_azure.requests] == [
        ("GET", False),
        ("GET", True),
    ]

    enable_trusted_access(ref, **local_azure.kwargs)
    grant_pull(ref, pid, **local_azure.kwargs)
    fixed = check_bypass(ref, service="aci", principal_id=pid, **local_azure.kwargs)
    assert fixed.verdict is Verdict.ALLOWED


def test_abac_registry_flags_acrpull(local_azure: LocalAzure) -> None:
    """An AcrPull seeded on an ABAC registry is reported as ignored."""
    ref = local_azure.add_registry(
        "abacreg",
        public_network_access="Disabled",
        role_assignment_mode="AbacRepositoryPermissions",
    )
    pid = local_azure.add_managed_identity("ml-identity")
    local_azure.add_role_assignment(ref, pid, "AcrPull")
    report = check_bypass(ref, service="ml", principal_id=pid, **local_azure.kwargs)
    assert report.verdict is Verdict.BLOCKED
    assert "legacy-role-in-abac" in report.codes
    assert "Container Registry Repository Reader" in (report.fixes[0].az or "")


def test_subscription_scope_role_counts(local_azure: LocalAzure) -> None:
    """A pull role assigned at the subscription reaches the registry."""
    ref = local_azure.add_registry("subreg", public_network_access="Disabled")
    pid = local_azure.add_managed_identity("puller")
    local_azure.add_role_assignment(f"/subscriptions/{ref.subscription_id}", pid, "AcrPull")
    report = check_bypass(ref, service="aci", principal_id=pid, **local_azure.kwargs)
    assert report.verdict is Verdict.ALLOWED


@pytest.mark.parametrize(
    ("tasks", "verdict"),
    [
        pytest.param(None, Verdict.BLOCKED, id="switch-unset"),
        pytest.param(True, Verdict.ALLOWED, id="on"),
    ],
)
def test_tasks_switch(local_azure: LocalAzure, tasks: bool | None, verdict: Verdict) -> None:
    """ACR Tasks need networkRuleBypassAllowedForTasks on a restricted registry."""
    ref = local_azure.add_registry(
        "tasksreg", default_action="Deny", network_rule_bypass_allowed_for_tasks=tasks
    )
    assert check_bypass(ref, service="acr-tasks", **local_azure.kwargs).verdict is verdict


def test_app_service_unsupported(local_azure: LocalAzure) -> None:
    ref = local_azure.add_registry("webreg", public_network_access="Disabled")
    report = check_bypass(ref, service="app-service", **local_azure.kwargs)
    assert report.verdict is Verdict.UNSUPPORTED
    assert [r.method for r in local_azure.requests] == ["GET"]


def test_open_registry(local_azure: LocalAzure) -> None:
    ref = local_azure.add_registry("openreg")
    report = check_bypass(ref, service="defender", **local_azure.kwargs)
    assert report.verdict is Verdict.NOT_RESTRICTED


def test_unknown_service_fails_before_any_request(local_azure: LocalAzure) -> None:
    ref = local_azure.add_registry("anyreg")
    with pytest.raises(ValueError, match="unknown service"):
        check_bypass(ref, service="ftp", **local_azure.kwargs)
    assert local_azure.requests == []

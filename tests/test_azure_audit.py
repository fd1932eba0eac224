from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from azure.core.exceptions import HttpResponseError

from acr_trusted.access import Verdict
from acr_trusted.audit_report import AuditReport, RegistryVerdict
from acr_trusted.azure.audit import AuditProgress, audit, iter_audit
from acr_trusted.catalog import TrustedService
from acr_trusted.testing import LocalAzure

FLEET = 5_000
# i % 6 -> (registry settings, rule expected, verdict expected)
KINDS: dict[int, tuple[dict[str, Any], str | None, RegistryVerdict]] = {
    0: ({}, None, RegistryVerdict.NOT_RESTRICTED),
    1: ({"public_network_access": "Disabled"}, None, RegistryVerdict.OK),
    2: (
        {"public_network_access": "Disabled", "network_rule_bypass_options": "None"},
        "ACRT001",
        RegistryVerdict.BLOCKED,
    ),
    3: ({"sku": "Standard", "default_action": "Deny"}, "ACRT003", RegistryVerdict.BLOCKED),
    4: (
        {"private_endpoints": 1, "role_assignment_mode": "AbacRepositoryPermissions"},
        "ACRT007",
        RegistryVerdict.BLOCKED,
    ),
    5: ({"public_network_access": "Disabled"}, "ACRT002", RegistryVerdict.BLOCKED),
}
OTHER_SUBSCRIPTION = "11111111-2222-3333-4444-555555555555"


@pytest.fixture(scope="module")
def fleet() -> Iterator[tuple[LocalAzure, AuditReport]]:
    """5,000 registries of known configuration in 40 resource groups, audited once."""
    with LocalAzure() as az:
        puller = az.add_managed_identity("fleet-puller")
        for i in range(FLEET):
            settings, _, _ = KINDS[i % 6]
            ref = az.add_registry(f"fleet{i:05d}", resource_group=f"team{i % 40}", **settings)
            if i % 6 == 4:
                az.add_role_assignment(ref, puller, "AcrPull")
            elif i % 6 == 5:
                az.add_task(ref, f"build{i:05d}")
        az.clear_requests()
        yield az, audit(**az.kwargs)


def test_fleet_report_matches_the_seeded_configuration(
    fleet: tuple[LocalAzure, AuditReport],
) -> None:
    """Each registry gets exactly the finding and verdict its configuration should yield."""
    _, report = fleet
    assert len(report.registries) == FLEET
    for registry in report.registries:
        _, rule, verdict = KINDS[int(registry.name.removeprefix("fleet")) % 6]
        assert [f.rule for f in registry.findings] == ([rule] if rule else []), registry.name
        assert registry.verdict is verdict, registry.name
    expected = Counter(KINDS[i % 6][1] for i in range(FLEET) if KINDS[i % 6][1])
    assert Counter(f.rule for f in report.findings) == expected
    assert report.warnings == ()


def test_fleet_of_5000_takes_at_most_6_resource_graph_requests(
    fleet: tuple[LocalAzure, AuditReport],
) -> None:
    """5 pages of registries (with assignments and consumers joined) + 1 of inherited grants."""
    az, report = fleet
    graph = [r for r in az.requests if r.path == "/providers/Microsoft.ResourceGraph/resources"]
    assert report.requests == len(graph) == len(az.requests) == 6


def test_tasks_get_a_bypass_report(fleet: tuple[LocalAzure, AuditReport]) -> None:
    """A task outside an agent pool on a restricted registry is blocked by the tasks switch."""
    _, report = fleet
    registry = next(r for r in report.registries if r.name == "fleet00005")
    (task,) = registry.consumers
    assert task.service is TrustedService.ACR_TASKS
    assert task.report.verdict is Verdict.BLOCKED
    assert "tasks-switch-off" in task.report.codes


def container_group(az: LocalAzure, name: str, credential: dict[str, Any], identity: Any) -> str:
    group_id = (
        f"/subscriptions/{az.subscription_id}/resourceGroups/rg"
        f"/providers/Microsoft.ContainerInstance/containerGroups/{name}"
    )
    az.state.put_resource(
        {
            "id": group_id,
            "name": name,
            "type": "Microsoft.ContainerInstance/containerGroups",
            "location": "westus",
            "identity": identity,
            "properties": {"imageRegistryCredentials": [credential], "containers": []},
        }
    )
    return group_id


def test_container_groups_by_how_they_authenticate(local_azure: LocalAzure) -> None:
    """ACRT008 for admin credentials and system identity; a UAMI with AcrPull is allowed."""
    az = local_azure
    ref = az.add_registry("acifleet", public_network_access="Disabled")
    uami = az.add_user_assigned_identity("aci-puller")
    az.add_role_assignment(ref, uami.principal_id, "AcrPull")
    server = "acifleet.azurecr.io"
    good = container_group(
        az,
        "good",
        {"server": server, "identity": uami.resource_id},
        {
            "type": "UserAssigned",
            "userAssignedIdentities": {
                uami.resource_id.upper(): {"principalId": uami.principal_id}
            },
        },
    )
    system = container_group(
        az,
        "system",
        {"server": server, "identity": "[system]"},
        {"type": "SystemAssigned", "principalId": "00000000-0000-0000-0000-00000000abcd"},
    )
    admin = container_group(az, "admin", {"server": server, "username": "acifleet"}, None)
    (registry,) = audit(**az.kwargs).registries
    consumers = {c.id: c for c in registry.consumers}
    assert consumers[good].report.verdict is Verdict.ALLOWED
    assert consumers[good].authenticates_with == "user-assigned"
    assert "identity-kind" in consumers[system].report.codes
    assert "no-identity" in consumers[admin].report.codes
    assert [(f.rule, f.consumer_id) for f in registry.findings] == [
        ("ACRT008", system),
        ("ACRT008", admin),
    ]


def test_inherited_assignments_credit_consumers(local_azure: LocalAzure) -> None:
    """A workspace holding AcrPull on the resource group passes; ACRT007 stays registry-scoped."""
    az = local_azure
    ref = az.add_registry(
        "mlfleet", public_network_access="Disabled", private_endpoints=1, resource_group="ml"
    )
    workspace = az.add_workspace("trainer", container_registry=ref, resource_group="ml")
    group = f"/subscriptions/{az.subscription_id}/resourceGroups/ml"
    az.add_role_assignment(group, workspace["identity"]["principalId"], "AcrPull")
    (registry,) = audit(**az.kwargs).registries
    (consumer,) = registry.consumers
    assert consumer.service is TrustedService.MACHINE_LEARNING
    assert consumer.report.verdict is Verdict.ALLOWED
    assert "has-pull-role" in consumer.report.codes
    assert registry.findings == ()


def test_service_endpoint_rules_and_agent_pools(local_azure: LocalAzure) -> None:
    """ACRT004 for VNet rules; a task on an agent pool needs no tasks switch (no ACRT002)."""
    az = local_azure
    ref = az.add_registry("vnetrules", default_action="Deny")
    with az.state.lock:
        stored = az.state.resource(ref.id)
        assert stored is not None
        subnet = f"/subscriptions/{az.subscription_id}/resourceGroups/rg/providers/x/subnets/s"
        stored["properties"]["networkRuleSet"]["virtualNetworkRules"] = [{"id": subnet}]
    az.add_task(ref, "pooled", agent_pool="inside")
    (registry,) = audit(**az.kwargs).registries
    assert [f.rule for f in registry.findings] == ["ACRT004"]
    assert registry.consumers[0].agent_pool is True


def test_rows_that_cannot_be_audited_are_named_and_skipped(local_azure: LocalAzure) -> None:
    """A registry with an unknown role mode becomes a warning naming it; the rest is audited."""
    az = local_azure
    az.add_registry("goodone")
    odd = az.add_registry("oddmode")
    with az.state.lock:
        stored = az.state.resource(odd.id)
        assert stored is not None
        stored["properties"]["roleAssignmentMode"] = "SomethingNew"
    report = audit(**az.kwargs)
    assert [r.name for r in report.registries] == ["goodone"]
    (warning,) = report.warnings
    assert odd.id in warning
    assert "SomethingNew" in warning


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        pytest.param(
            {"subscriptions": [OTHER_SUBSCRIPTION], "management_group": "mg"}, "not both", id="both"
        ),
        pytest.param({"subscriptions": ["not-a-guid"]}, "is not a GUID", id="guid"),
        pytest.param({"subscriptions": OTHER_SUBSCRIPTION}, "not one string", id="string"),
        pytest.param({"subscriptions": []}, "is empty", id="empty"),
        pytest.param({"management_group": "bad/group"}, "is not valid", id="group"),
    ],
)
def test_bad_scopes_fail_before_any_request(
    local_azure: LocalAzure, kwargs: dict[str, Any], message: str
) -> None:
    """Scope mistakes are ValueErrors raised before Resource Graph is called."""
    with pytest.raises(ValueError, match=message):
        audit(**kwargs, **local_azure.kwargs)
    assert local_azure.requests == []


def test_scopes_reach_resource_graph(local_azure: LocalAzure) -> None:
    """Subscriptions and a management group are sent as Resource Graph scopes."""
    az = local_azure
    az.add_registry("scopeone")
    assert len(audit(subscriptions=[az.subscription_id], **az.kwargs).registries) == 1
    assert len(audit(subscriptions=[OTHER_SUBSCRIPTION], **az.kwargs).registries) == 0
    assert len(audit(management_group="mg-root", **az.kwargs).registries) == 1
    bodies = [r.body for r in az.requests]
    assert {"managementGroups": ["mg-root"]}.items() <= bodies[-1].items()
    assert bodies[0]["subscriptions"] == [az.subscription_id]


def test_resource_graph_errors_propagate(local_azure: LocalAzure) -> None:
    """A 403 from Resource Graph surfaces as HttpResponseError with its ARM code."""
    local_azure.inject(
        path_contains="Microsoft.ResourceGraph", status=403, code="AuthorizationFailed"
    )
    with pytest.raises(HttpResponseError) as caught:
        audit(**local_azure.kwargs)
    assert caught.value.status_code == 403
    assert caught.value.error is not None
    assert caught.value.error.code == "AuthorizationFailed"


def test_throttling_is_retried(local_azure: LocalAzure) -> None:
    """A 429 with Retry-After is retried by the SDK pipeline; the retry is counted as a request."""
    local_azure.add_registry("throttled")
    local_azure.inject(path_contains="Microsoft.ResourceGraph", status=429, retry_after=0.01)
    report = audit(**local_azure.kwargs)
    assert len(report.registries) == 1
    assert [r.status for r in local_azure.requests] == [429, 200, 200]


def test_progress_and_streaming() -> None:
    """Progress follows each page; iter_audit yields registries one at a time."""
    with LocalAzure(page_size=2) as az:
        for i in range(5):
            az.add_registry(f"stream{i:02d}")
        seen: list[AuditProgress] = []
        report = audit(progress=seen.append, **az.kwargs)
        warnings: list[str] = []
        streamed = [r.name for r in iter_audit(warnings=warnings, **az.kwargs)]
    assert [(p.requests, p.registries, p.total) for p in seen] == [
        (1, 0, None),
        (2, 2, 5),
        (3, 4, 5),
        (4, 5, 5),
    ]
    assert report.requests == 4
    assert streamed == [f"stream{i:02d}" for i in range(5)]
    assert warnings == []


def test_bearer_token_never_reaches_the_log(
    local_azure: LocalAzure, caplog: pytest.LogCaptureFixture
) -> None:
    """Network tracing is redacted for the Resource Graph client too."""
    token = local_azure.credential.get_token("https://management.azure.com/.default").token
    options = {**local_azure.client_options, "logging_enable": True}
    with caplog.at_level(logging.DEBUG):
        audit(
            credential=local_azure.credential,
            endpoint=local_azure.endpoint,
            client_options=options,
        )
    assert "Authorization" in caplog.text
    assert token not in caplog.text

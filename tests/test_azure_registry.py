from __future__ import annotations

from typing import Any

import pytest

from acr_trusted.azure.registry import (
    AtRisk,
    disable_trusted_access,
    enable_trusted_access,
    get_posture,
)
from acr_trusted.errors import OperationFailed, PermissionDenied, RegistryNotFound
from acr_trusted.ids import RegistryRef
from acr_trusted.testing import LocalAzure, RecordedRequest

FAST = {"retry_backoff_factor": 0.01}


def _kwargs(az: LocalAzure) -> dict[str, Any]:
    return {**az.kwargs, "client_options": {**az.client_options, **FAST}}


def _calls(az: LocalAzure) -> list[tuple[str, str]]:
    """(method, kind) of each request, polls of long-running operations left out."""
    return [
        (r.method, "registry" if "roleAssignments" not in r.path else "roleAssignments")
        for r in az.requests
        if not r.is_poll
    ]


def _writes(az: LocalAzure) -> list[RecordedRequest]:
    return [r for r in az.requests if r.is_write]


@pytest.fixture
def locked(local_azure: LocalAzure) -> RegistryRef:
    """A Premium registry with public access disabled and trusted services off."""
    return local_azure.add_registry(
        "contoso", public_network_access="Disabled", network_rule_bypass_options="None"
    )


def test_get_posture_is_one_get(local_azure: LocalAzure, locked: RegistryRef) -> None:
    """get_posture reads the registry with exactly one GET and maps it to NetworkPosture."""
    posture = get_posture(locked.id, **local_azure.kwargs)
    assert posture.public_network_access == "Disabled"
    assert posture.network_rule_bypass_options == "None"
    assert posture.login_server == "contoso.azurecr.io"
    assert [(r.method, r.api_version) for r in local_azure.requests] == [("GET", "2025-11-01")]


def test_enable_when_off_is_one_minimal_patch(local_azure: LocalAzure, locked: RegistryRef) -> None:
    """Enable reads once, then PATCHes only networkRuleBypassOptions and waits for the LRO."""
    result = enable_trusted_access(locked, **local_azure.kwargs)
    assert result.changed
    assert result.before.network_rule_bypass_options == "None"
    assert result.after.network_rule_bypass_options == "AzureServices"
    assert _calls(local_azure)[:2] == [("GET", "registry"), ("PATCH", "registry")]
    (patch,) = _writes(local_azure)
    assert patch.body == {"properties": {"networkRuleBypassOptions": "AzureServices"}}
    assert any(r.is_poll for r in local_azure.requests)
    stored = local_azure.registry(locked)["properties"]
    assert stored["networkRuleBypassOptions"] == "AzureServices"
    assert stored["publicNetworkAccess"] == "Disabled"


def test_enable_is_idempotent(local_azure: LocalAzure, locked: RegistryRef) -> None:
    """Re-running enable costs exactly one GET and writes nothing."""
    enable_trusted_access(locked, **local_azure.kwargs)
    local_azure.clear_requests()
    result = enable_trusted_access(locked, **local_azure.kwargs)
    assert not result.changed
    assert result.before == result.after
    assert [r.method for r in local_azure.requests] == ["GET"]


def test_enable_include_tasks_sets_both_switches(
    local_azure: LocalAzure, locked: RegistryRef
) -> None:
    """With include_tasks the one PATCH carries both switches, and nothing else."""
    result = enable_trusted_access(locked, include_tasks=True, **local_azure.kwargs)
    assert result.after.tasks_bypass_allowed
    (patch,) = _writes(local_azure)
    assert patch.body == {
        "properties": {
            "networkRuleBypassOptions": "AzureServices",
            "networkRuleBypassAllowedForTasks": True,
        }
    }


def test_enable_tasks_only_patches_what_differs(local_azure: LocalAzure) -> None:
    """When trusted services are already on, only the tasks switch is written."""
    ref = local_azure.add_registry("tasksreg", public_network_access="Disabled")
    enable_trusted_access(ref, include_tasks=True, **local_azure.kwargs)
    (patch,) = _writes(local_azure)
    assert patch.body == {"properties": {"networkRuleBypassAllowedForTasks": True}}


def test_dry_run_writes_nothing(local_azure: LocalAzure, locked: RegistryRef) -> None:
    """A dry run reports the predicted posture and leaves the registry alone."""
    result = enable_trusted_access(locked, include_tasks=True, dry_run=True, **local_azure.kwargs)
    assert result.changed
    assert result.after.trusted_services_allowed
    assert result.after.tasks_bypass_allowed
    assert _writes(local_azure) == []
    assert local_azure.registry(locked)["properties"]["networkRuleBypassOptions"] == "None"


def test_disable_reports_identities_at_risk(local_azure: LocalAzure) -> None:
    """Disable lists service principals with a data-plane role at or above the registry."""
    ref = local_azure.add_registry("openreg", public_network_access="Disabled")
    puller = local_azure.add_managed_identity("puller")
    sub_wide = local_azure.add_managed_identity("builder")
    human = local_azure.add_principal("User")
    local_azure.add_role_assignment(ref, puller, "AcrPull")
    local_azure.add_role_assignment(f"/subscriptions/{ref.subscription_id}", sub_wide, "AcrPush")
    local_azure.add_role_assignment(ref, human, "AcrPull")
    local_azure.add_role_assignment(
        ref, local_azure.add_managed_identity("unrelated"), "Container Registry Repository Reader"
    )

    result = disable_trusted_access(ref, include_tasks=True, **local_azure.kwargs)

    assert result.changed
    assert result.after.network_rule_bypass_options == "None"
    assert set(result.at_risk) == {
        AtRisk(puller, "AcrPull", ref.id),
        AtRisk(sub_wide, "AcrPush", f"/subscriptions/{ref.subscription_id}"),
    }
    # tasks switch was already false: only the bypass is written
    (patch,) = _writes(local_azure)
    assert patch.body == {"properties": {"networkRuleBypassOptions": "None"}}


def test_disable_when_already_off_is_one_get(local_azure: LocalAzure, locked: RegistryRef) -> None:
    """Nothing changes, so nobody is at risk and no role assignments are listed."""
    result = disable_trusted_access(locked, **local_azure.kwargs)
    assert (result.changed, result.at_risk) == (False, ())
    assert [r.method for r in local_azure.requests] == ["GET"]


@pytest.mark.parametrize(
    "fault",
    [
        pytest.param({"status": 429, "retry_after": 0.01}, id="429"),
        pytest.param({"status": 500}, id="500"),
        pytest.param({"status": 503}, id="503"),
        pytest.param({"drop_connection": True}, id="dropped"),
    ],
)
@pytest.mark.parametrize("method", ["GET", "PATCH"])
def test_faults_converge(
    local_azure: LocalAzure, locked: RegistryRef, method: str, fault: dict[str, Any]
) -> None:
    """Throttling, server errors and dropped connections end in the requested state."""
    local_azure.inject(method=method, path_contains="/registries/contoso", times=2, **fault)
    result = enable_trusted_access(locked, **_kwargs(local_azure))
    assert result.changed
    assert result.after.network_rule_bypass_options == "AzureServices"
    assert local_azure.registry(locked)["properties"]["networkRuleBypassOptions"] == "AzureServices"


def test_dropped_patch_rereads_before_retrying(
    local_azure: LocalAzure, locked: RegistryRef
) -> None:
    """azure-core does not retry a PATCH whose connection dropped; we re-read, then re-send."""
    local_azure.inject(method="PATCH", path_contains="/registries/contoso", drop_connection=True)
    result = enable_trusted_access(locked, **local_azure.kwargs)
    assert result.changed
    assert [m for m, _ in _calls(local_azure)] == ["GET", "PATCH", "GET", "PATCH", "GET"]
    assert [w.status for w in _writes(local_azure)] == [None, 201]


def test_lro_failed_raises_operation_failed(local_azure: LocalAzure, locked: RegistryRef) -> None:
    """An update whose operation ends Failed raises OperationFailed and changes nothing."""
    local_azure.inject(
        method="PATCH", path_contains="/registries/contoso", lro_fail=True, code="InternalError"
    )
    with pytest.raises(OperationFailed, match=r"update failed on .*contoso") as caught:
        enable_trusted_access(locked, **local_azure.kwargs)
    assert caught.value.__cause__ is not None
    assert local_azure.registry(locked)["properties"]["networkRuleBypassOptions"] == "None"


def test_unknown_registry(local_azure: LocalAzure) -> None:
    """A missing registry is RegistryNotFound naming its ID."""
    ref = RegistryRef(local_azure.subscription_id, "rg", "nosuchreg")
    with pytest.raises(RegistryNotFound, match=r"registry not found: .*/registries/nosuchreg"):
        get_posture(ref, **local_azure.kwargs)


@pytest.mark.parametrize(
    ("method", "action", "role"),
    [
        pytest.param("GET", "Microsoft.ContainerRegistry/registries/read", "'Reader'", id="read"),
        pytest.param(
            "PATCH",
            "Microsoft.ContainerRegistry/registries/write",
            "'Container Registry Contributor and Data Access Configuration Administrator'",
            id="write",
        ),
    ],
)
def test_forbidden_names_action_and_role(
    local_azure: LocalAzure, locked: RegistryRef, method: str, action: str, role: str
) -> None:
    """A 403 becomes PermissionDenied naming the missing action and a role that has it."""
    local_azure.inject(
        method=method, path_contains="/registries/", status=403, code="AuthorizationFailed"
    )
    with pytest.raises(PermissionDenied) as caught:
        enable_trusted_access(locked, **local_azure.kwargs)
    assert caught.value.action == action
    assert role in str(caught.value)


def test_malformed_registry_id_is_value_error(local_azure: LocalAzure) -> None:
    """A malformed ID fails before any request."""
    with pytest.raises(ValueError, match="registry resource ID"):
        get_posture("/subscriptions/x/resourceGroups/rg", **local_azure.kwargs)
    assert local_azure.requests == []

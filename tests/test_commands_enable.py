from __future__ import annotations

import json
from collections.abc import Callable

from acr_trusted.testing import LocalAzure
from tests.azure_cli import CliRun, acr_cli

__all__ = ["acr_cli"]

Cli = Callable[..., CliRun]


def test_enable_then_again(local_azure: LocalAzure, acr_cli: Cli) -> None:
    """The first run changes the bypass; the second says there is nothing to do."""
    ref = local_azure.add_registry(
        "contoso", public_network_access="Disabled", network_rule_bypass_options="None"
    )
    first = acr_cli("enable", "--registry", ref.id)
    assert first.code == 0
    assert first.out.splitlines() == [
        f"{ref.id}: changed",
        "  networkRuleBypassOptions: None -> AzureServices",
        "  networkRuleBypassAllowedForTasks: False == False",
    ]
    second = acr_cli("enable", "--registry", ref.id)
    assert second.out.splitlines()[0] == f"{ref.id}: already as requested; nothing to do"


def test_enable_include_tasks_json(local_azure: LocalAzure, acr_cli: Cli) -> None:
    ref = local_azure.add_registry("contoso", default_action="Deny")
    run = acr_cli("enable", "--registry", ref.id, "--include-tasks", "--output", "json")
    data = json.loads(run.out)
    assert data["changed"] is True
    assert data["after"]["networkRuleBypassAllowedForTasks"] is True
    assert local_azure.registry(ref)["properties"]["networkRuleBypassAllowedForTasks"] is True


def test_enable_dry_run(local_azure: LocalAzure, acr_cli: Cli) -> None:
    ref = local_azure.add_registry("contoso", network_rule_bypass_options="None")
    run = acr_cli("enable", "--registry", ref.id, "--dry-run")
    assert run.out.splitlines()[0] == f"{ref.id}: would change"
    assert not any(r.is_write for r in local_azure.requests)


def test_enable_lro_failure_exit_3(local_azure: LocalAzure, acr_cli: Cli) -> None:
    """A failed long-running update is one line naming the registry and the ARM code."""
    ref = local_azure.add_registry("contoso", network_rule_bypass_options="None")
    local_azure.inject(method="PATCH", path_contains="/registries/", lro_fail=True, code="Boom")
    run = acr_cli("enable", "--registry", ref.id)
    assert run.code == 3
    assert run.err == f"acr-trusted enable: error: update failed on {ref.id}: Boom\n"


def test_enable_forbidden_names_the_action(local_azure: LocalAzure, acr_cli: Cli) -> None:
    ref = local_azure.add_registry("contoso", network_rule_bypass_options="None")
    local_azure.inject(method="PATCH", path_contains="/registries/", status=403)
    run = acr_cli("enable", "--registry", ref.id)
    assert run.code == 3
    assert "permission denied: Microsoft.ContainerRegistry/registries/write" in run.err
    assert "'Contributor'" in run.err

from __future__ import annotations

import json
from collections.abc import Callable

from acr_trusted.testing import LocalAzure
from tests.azure_cli import CliRun, acr_cli

__all__ = ["acr_cli"]

Cli = Callable[..., CliRun]


def test_disable_warns_about_identities_at_risk(local_azure: LocalAzure, acr_cli: Cli) -> None:
    """Identities that may depend on the bypass are named before they break."""
    ref = local_azure.add_registry("contoso", public_network_access="Disabled")
    pid = local_azure.add_managed_identity("aci-puller")
    local_azure.add_role_assignment(ref, pid, "AcrPull")

    dry = acr_cli("disable", "--registry", ref.id, "--dry-run")
    assert dry.code == 0
    assert f"  WARNING: {pid} holds AcrPull at {ref.id}" in dry.out
    assert local_azure.registry(ref)["properties"]["networkRuleBypassOptions"] == "AzureServices"

    run = acr_cli("disable", "--registry", ref.id, "--include-tasks", "-o", "json")
    data = json.loads(run.out)
    assert data["atRisk"] == [{"principalId": pid, "role": "AcrPull", "scope": ref.id}]
    assert data["after"]["networkRuleBypassOptions"] == "None"

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from acr_trusted.ids import RegistryRef
from acr_trusted.testing import LocalAzure
from tests.azure_cli import CliRun, acr_cli

__all__ = ["acr_cli"]

Cli = Callable[..., CliRun]


def test_status_table(local_azure: LocalAzure, acr_cli: Cli) -> None:
    """The table shows each switch as read and the conclusions."""
    ref = local_azure.add_registry("contoso", public_network_access="Disabled")
    run = acr_cli("status", "--registry", ref.id)
    assert run.code == 0
    assert run.out.splitlines()[0] == ref.id
    assert "publicNetworkAccess               Disabled" in run.out
    assert "networkRuleBypassOptions          AzureServices" in run.out
    assert "restrictions                      public-network-access-disabled" in run.out
    assert run.err == ""


def test_status_json_by_name(
    local_azure: LocalAzure, acr_cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A name with -g works; the subscription comes from AZURE_SUBSCRIPTION_ID."""
    local_azure.add_registry("contoso", default_action="Deny", ip_rules=["203.0.113.0/24"])
    monkeypatch.setenv("AZURE_SUBSCRIPTION_ID", local_azure.subscription_id)
    run = acr_cli("status", "--registry", "contoso", "-g", "rg", "-o", "json")
    data = json.loads(run.out)
    assert data["networkRuleSet.ipRules"] == ["203.0.113.0/24"]
    assert data["restrictions"] == ["firewall-default-deny"]
    assert data["tasksBypassAllowed"] is False


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        pytest.param(["--registry", "contoso"], "also give --resource-group", id="no-group"),
        pytest.param(
            ["--registry", "contoso", "-g", "rg"], "also give --subscription", id="no-subscription"
        ),
        pytest.param(
            ["--registry", "/subscriptions/s/resourceGroups/rg"], "ends early", id="bad-id"
        ),
    ],
)
def test_usage_errors_exit_2(
    acr_cli: Cli, monkeypatch: pytest.MonkeyPatch, argv: list[str], message: str
) -> None:
    """Bad --registry input is one line on stderr and exit 2, before any request."""
    monkeypatch.delenv("AZURE_SUBSCRIPTION_ID", raising=False)
    run = acr_cli("status", *argv)
    assert run.code == 2
    assert run.err.startswith("acr-trusted status: error: ")
    assert message in run.err
    assert len(run.err.strip().splitlines()) == 1


def test_unknown_registry_exit_3(local_azure: LocalAzure, acr_cli: Cli) -> None:
    """An Azure error is one clear line on stderr, no traceback, exit 3."""
    rid = RegistryRef(local_azure.subscription_id, "rg", "nosuchreg").id
    run = acr_cli("status", "--registry", rid)
    assert run.code == 3
    assert run.err == f"acr-trusted status: error: registry not found: {rid}\n"
    assert run.out == ""


def test_other_azure_error_is_one_line(local_azure: LocalAzure, acr_cli: Cli) -> None:
    """A non-retryable ARM error shows its status and code on one line."""
    ref = local_azure.add_registry("contoso")
    local_azure.inject(method="GET", path_contains="/registries/", status=400, code="BadThing")
    run = acr_cli("status", "--registry", ref.id)
    assert run.code == 3
    assert run.err.startswith("acr-trusted status: error: Azure error (HTTP 400, BadThing): ")
    assert "Traceback" not in run.err
    assert len(run.err.strip().splitlines()) == 1

from __future__ import annotations

import json
from collections.abc import Callable

from acr_trusted.testing import LocalAzure
from tests.azure_cli import CliRun, acr_cli

__all__ = ["acr_cli"]

Cli = Callable[..., CliRun]


def test_setup_acr_tasks_then_nothing_to_do(local_azure: LocalAzure, acr_cli: Cli) -> None:
    ref = local_azure.add_registry("contoso", public_network_access="Disabled")
    local_azure.add_task(ref, "hello")
    first = acr_cli("setup", "--registry", ref.id, "--service", "acr-tasks", "--task", "hello")
    assert first.code == 0, first.err
    assert "+ trusted access:" in first.out
    second = acr_cli(
        "setup", "--registry", ref.id, "--service", "acr-tasks", "--task", "hello", "-o", "json"
    )
    data = json.loads(second.out)
    assert data["ok"] is True
    assert data["changed"] == []


def test_setup_aci_ml_import(local_azure: LocalAzure, acr_cli: Cli) -> None:
    ref = local_azure.add_registry("contoso", public_network_access="Disabled")
    uami = local_azure.add_user_assigned_identity("puller")
    aci = acr_cli("setup", "--registry", ref.id, "--service", "aci", "--identity", uami.resource_id)
    assert aci.code == 0
    assert "+ pull role:" in aci.out
    workspace = local_azure.add_workspace("ws1")
    ml = acr_cli("setup", "--registry", ref.id, "--service", "ml", "--workspace", workspace["id"])
    assert ml.code == 0
    source = local_azure.add_registry("source1")
    imp = acr_cli(
        "setup",
        "--registry",
        ref.id,
        "--service",
        "acr-import",
        "--source",
        source.id,
        "--principal",
        uami.principal_id,
    )
    assert imp.code == 0
    assert "importer role on target" in imp.out


def test_setup_failed_step_exits_3(local_azure: LocalAzure, acr_cli: Cli) -> None:
    ref = local_azure.add_registry("contoso")
    run = acr_cli("setup", "--registry", ref.id, "--service", "acr-tasks", "--task", "nope1")
    assert run.code == 3
    assert "x task identity: task not found" in run.out


def test_setup_usage_errors(local_azure: LocalAzure, acr_cli: Cli) -> None:
    ref = local_azure.add_registry("contoso")
    missing = acr_cli("setup", "--registry", ref.id, "--service", "acr-import")
    assert missing.code == 2
    assert missing.err.strip() == (
        "acr-trusted setup: error: --service acr-import needs --source and --principal"
    )
    bad = acr_cli(
        "setup",
        "--registry",
        ref.id,
        "--service",
        "acr-import",
        "--source",
        "x",
        "--principal",
        "p",
    )
    assert bad.code == 2
    assert bad.err.startswith("acr-trusted setup: error: --source: registry resource ID")

from __future__ import annotations

import json
from collections.abc import Callable

from acr_trusted.azure.workflows import setup_task_access
from acr_trusted.testing import LocalAzure
from tests.azure_cli import CliRun, acr_cli

__all__ = ["acr_cli"]

Cli = Callable[..., CliRun]
FAST = ("--poll-interval", "0.001")


def test_verify_prove(local_azure: LocalAzure, acr_cli: Cli) -> None:
    ref = local_azure.add_registry("contoso")
    local_azure.add_task(ref, "hello")
    assert setup_task_access(ref, "hello", **local_azure.kwargs).ok
    run = acr_cli("verify", "--registry", ref.id, "--task", "hello", "--prove", *FAST)
    assert run.code == 0, run.err
    assert "bypass proved: yes" in run.out
    assert "restored publicNetworkAccess: Disabled -> Enabled" in run.out
    assert "run ca1: Running" in run.err  # progress while waiting
    assert local_azure.registry(ref)["properties"]["publicNetworkAccess"] == "Enabled"


def test_verify_failed_run_exits_1_json(local_azure: LocalAzure, acr_cli: Cli) -> None:
    ref = local_azure.add_registry("contoso", public_network_access="Disabled")
    local_azure.add_task(ref, "hello")
    run = acr_cli("verify", "--registry", ref.id, "--task", "hello", "-o", "json", *FAST)
    assert run.code == 1
    data = json.loads(run.out)
    assert data["succeeded"] is False
    assert "denied: client with IP" in data["logExcerpt"]


def test_verify_unknown_task_is_one_line(local_azure: LocalAzure, acr_cli: Cli) -> None:
    ref = local_azure.add_registry("contoso")
    run = acr_cli("verify", "--registry", ref.id, "--task", "nope1", *FAST)
    assert run.code == 3
    assert run.err.strip() == f"acr-trusted verify: error: task not found: {ref.id}/tasks/nope1"
